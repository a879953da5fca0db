//! `pmdb run -- CMD ARGS…`: runs a program with the agent waiting on a crash
//! in a private socket directory; opens the TUI when it crashes, and ends
//! with the program's own exit status either way.

use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use anyhow::Context;

/// Runs `command`; returns the exit code pmdb should end with.
pub fn run(command: &[String]) -> anyhow::Result<i32> {
    let dir = std::env::temp_dir().join(format!("pmdb-run-{}", std::process::id()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let result = run_in(command, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(command: &[String], dir: &std::path::Path) -> anyhow::Result<i32> {
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .env("PMDB_MODE", "wait")
        .env("PMDB_DIR", dir)
        .spawn()
        .with_context(|| format!("cannot run {}", command[0]))?;
    let socket = wire::socket::socket_path(dir, child.id());
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(code(status));
        }
        if socket.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let attached = crate::tui::attach(socket);
    let status = child.wait()?;
    attached?;
    Ok(code(status))
}

/// The shell's convention: the exit code, or 128 + the signal that killed it.
fn code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}
