//! What the agent does with a crash, as `PMDB_MODE` says: print a report,
//! or open the socket, freeze the other threads and serve a debugger until
//! it says resume or kill (or `PMDB_WAIT` runs out). One crash is served at
//! a time; a crash in another thread meanwhile is recorded and waits.

use std::sync::Mutex;

use engine::serve::Verdict;
use engine::{Crash, Inspector, LaterCrash, Stack};

use crate::config::{Config, Mode};
use crate::server;

/// One crash is served at a time; a second crashing thread waits its turn.
static SERVING: Mutex<()> = Mutex::new(());

/// Reports or serves a crash as the mode says; in wait mode, returns how
/// serving ended (`None` when the agent could not serve).
pub fn handle(config: &Config, crash: Crash) -> Option<Verdict> {
    match config.mode {
        Mode::Off => None,
        Mode::Report => {
            let done = std::thread::Builder::new()
                .name("pmdb-agent-report".into())
                .spawn(move || crate::report::print(&Inspector::new(crate::live::engine(), crash)))
                .map(|h| h.join());
            if !matches!(done, Ok(Ok(()))) {
                eprintln!("pmdb: could not print the crash report");
            }
            None
        }
        Mode::Wait => {
            let _turn = match SERVING.try_lock() {
                Ok(turn) => turn,
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {
                    // Another crash is being served: record this one so the
                    // debugger sees it now, then wait to serve it in turn.
                    let frames = match crash.threads.first().map(|t| &t.stack) {
                        Some(Stack::Unwound(f)) => f.clone(),
                        _ => Vec::new(),
                    };
                    crate::state::push_later(LaterCrash {
                        info: crash.info.clone(),
                        frames,
                    });
                    SERVING.lock().unwrap_or_else(|p| p.into_inner())
                }
            };
            let tid = crash.info.thread;
            let verdict = wait_for_debugger(config, crash);
            crate::state::forget_later(tid);
            verdict
        }
    }
}

/// Opens the socket, says how to attach, and serves until a verdict.
fn wait_for_debugger(config: &Config, crash: Crash) -> Option<Verdict> {
    let pid = crash.info.pid;
    let bound = match server::bind(&config.dir, pid) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("pmdb: cannot wait for a debugger: {e}");
            return None;
        }
    };
    eprintln!(
        "pmdb: thread '{}' {}; inspect it with `pmdb attach {pid}` (socket {}, waiting {} s)",
        crash.info.thread_name,
        match crash.info.kind {
            wire::CrashKind::Panic => "panicked".to_string(),
            wire::CrashKind::Signal => format!("crashed: {}", crash.info.message),
        },
        bound.path.display(),
        config.wait.as_secs_f64()
    );
    let (wait, client_timeout) = (config.wait, config.client_timeout);
    let mut crash = crash;
    // After the attach line: a frozen thread may hold stderr's lock.
    crash
        .threads
        .extend(crate::freeze::stop_others(crash.info.thread));
    let inspector = Inspector::new(crate::live::engine(), crash);
    let served = std::thread::Builder::new()
        .name("pmdb-agent".into())
        .spawn(move || server::serve(bound, inspector, wait, client_timeout))
        .map(|h| h.join());
    crate::freeze::release();
    match served {
        Ok(Ok(v)) => {
            if v == Verdict::TimedOut {
                eprintln!("pmdb: no debugger for {} s; going on", wait.as_secs_f64());
            }
            Some(v)
        }
        _ => {
            eprintln!("pmdb: the agent failed while serving; going on");
            None
        }
    }
}
