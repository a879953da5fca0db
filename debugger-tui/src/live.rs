//! A running process with no crash waiting for a debugger: pmdb stops it
//! through ptrace (`engine::hosts::ptrace`) and serves the snapshot in this
//! process over the in-memory transport, as it serves a core. `pmdb report`
//! holds it only while it reads and says how long; `pmdb attach` and the
//! DAP adapter hold it until the session ends, as `gdb -p` does.

use engine::hosts::ptrace::{self, Released, Snapshot};

/// Stops process `pid` and reads its threads.
pub fn snapshot(pid: u32) -> anyhow::Result<Snapshot> {
    Ok(ptrace::snapshot(pid, &ptrace::Options::default())?)
}

/// A session over a snapshot of `pid` that holds it stopped until the
/// session says `Resume` or `Kill`, or closes.
pub fn held_session(pid: u32) -> anyhow::Result<wire::Session> {
    Ok(ptrace::serve_holding(snapshot(pid)?)?)
}

/// `pmdb: paused PID for 12.3 ms`, on stderr.
pub fn say_paused(pid: u32, released: &Released) {
    eprintln!(
        "pmdb: paused {pid} for {:.1} ms",
        released.paused.as_secs_f64() * 1000.0
    );
}
