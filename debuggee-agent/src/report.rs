//! `PMDB_MODE=report`: the crashed thread's traceback with each user frame's
//! locals, printed to stderr before the usual panic output. The same report
//! `pmdb report` prints, over the same engine, served in-process.

use std::time::Duration;

use engine::Inspector;
use engine::crash::report::{self, Runtime};
use engine::crash::serve::Server;

/// Prints the report for `inspector` to stderr in one write.
pub fn print(inspector: Inspector) {
    let crash = inspector.crash.info.clone();
    let server = Server::new(inspector, Duration::from_secs(30));
    let text = engine::crash::serve::in_process(server)
        .map_err(|e| e.to_string())
        .and_then(|session| {
            let threads = report::walk(&session, 1).map_err(|e| e.to_string())?;
            let warnings: String = session
                .hello()
                .warnings
                .iter()
                .map(|w| format!("pmdb: warning: {w}\n"))
                .collect();
            Ok(warnings + &report::to_text(&crash, &threads, Runtime::Hidden))
        })
        .unwrap_or_else(|e| format!("pmdb: no traceback: {e}\n"));
    eprint!("pmdb: crash report (PMDB_MODE=report)\n{text}");
}
