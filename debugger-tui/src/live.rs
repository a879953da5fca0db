//! A running process with no crash waiting for a debugger: pmdb stops it
//! through ptrace (`engine::hosts::ptrace`) and serves the snapshot in this
//! process over the in-memory transport, as it serves a core. Where ptrace
//! is refused (yama's `ptrace_scope`, no `CAP_SYS_PTRACE`, a process
//! already traced by strace or a debugger) and the program links the
//! agent, its agent is asked instead (`wire::snapshot`): it freezes its
//! threads and serves the snapshot on its socket until pmdb detaches.
//! `pmdb report` holds it only while it reads and says how long; `pmdb
//! attach` and the DAP adapter hold it until the session ends, as `gdb -p`
//! does.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;
use engine::hosts::ptrace::{self, Released, Snapshot, SnapshotError};

/// A running process, held stopped.
pub enum Held {
    /// Stopped by pmdb through ptrace.
    Ptrace(Snapshot),
    /// Frozen by its own agent, which serves it on its socket; `refused`
    /// says why ptrace could not be used.
    Agent {
        session: wire::Session,
        refused: String,
        since: Instant,
    },
}

/// Stops process `pid` and reads its threads: through ptrace, else through
/// its agent (on its socket in the usual directory).
pub fn hold(pid: u32) -> anyhow::Result<Held> {
    hold_in(pid, &wire::socket::socket_dir())
}

/// [`hold`], for a report or a core written at once: libc's frames are
/// named by its symbol table (no file and line), which spares inflating
/// its compressed debug file, most of a cold report's time. The TUI and
/// the editor keep libc's lines ([`hold`]).
pub fn hold_briefly(pid: u32) -> anyhow::Result<Held> {
    let options = ptrace::Options {
        fetcher: crate::debuginfod::fetcher(),
        libraries_by_symbol: true,
        ..Default::default()
    };
    hold_with(pid, &wire::socket::socket_dir(), &options)
}

/// [`hold`], the agent's socket in `dir` (the DAP's `pmdbDir`).
pub fn hold_in(pid: u32, dir: &Path) -> anyhow::Result<Held> {
    let options = ptrace::Options {
        fetcher: crate::debuginfod::fetcher(),
        ..Default::default()
    };
    hold_with(pid, dir, &options)
}

fn hold_with(pid: u32, dir: &Path, options: &ptrace::Options) -> anyhow::Result<Held> {
    match ptrace::snapshot(pid, options) {
        Ok(s) => Ok(Held::Ptrace(s)),
        Err(e @ (SnapshotError::AlreadyTraced { .. } | SnapshotError::NotPermitted { .. })) => {
            let since = Instant::now();
            match through_agent(pid, dir) {
                Ok(Some(session)) => Ok(Held::Agent {
                    session,
                    refused: e.to_string(),
                    since,
                }),
                Ok(None) => Err(e.into()),
                Err(why) => bail!("{e}; and its agent cannot serve a snapshot: {why}"),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// A session over the snapshot `pid`'s agent serves, when the program
/// links the agent (`None` when it does not).
fn through_agent(pid: u32, dir: &Path) -> anyhow::Result<Option<wire::Session>> {
    let exe = format!("/proc/{pid}/exe");
    if !engine::hosts::launch::links_agent(Path::new(&exe)) {
        return Ok(None);
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    if !wire::snapshot::catches_request(&status) {
        bail!(
            "it links the agent, but the agent does not answer requests ({}=off, PMDB_MODE=off, or the program handles signal {} itself)",
            wire::snapshot::SWITCH,
            wire::snapshot::SIGNAL
        );
    }
    let socket = wire::snapshot::request(pid, dir)?;
    Ok(Some(wire::Session::connect(socket.as_path())?))
}

/// A session over a snapshot of `pid` that holds it stopped until the
/// session says `Resume` or `Kill`, or closes.
pub fn held_session(pid: u32) -> anyhow::Result<wire::Session> {
    match hold(pid)? {
        Held::Ptrace(snapshot) => Ok(ptrace::serve_holding(snapshot)?),
        Held::Agent {
            session, refused, ..
        } => {
            say_through_agent(pid, &refused);
            Ok(session)
        }
    }
}

/// `pmdb: paused PID for 12.3 ms`, on stderr.
pub fn say_paused(pid: u32, released: &Released) {
    eprintln!(
        "pmdb: paused {pid} for {:.1} ms",
        released.paused.as_secs_f64() * 1000.0
    );
}

/// Why the agent took the snapshot, on stderr.
pub fn say_through_agent(pid: u32, refused: &str) {
    eprintln!("{}", through_agent_line(pid, refused));
}

/// `pmdb: WHY PTRACE WAS REFUSED; pid PID's agent serves the snapshot instead`.
pub fn through_agent_line(pid: u32, refused: &str) -> String {
    format!("pmdb: {refused}; pid {pid}'s agent serves the snapshot instead")
}

/// `pmdb: paused PID for 12.3 ms (by its agent)`, on stderr.
pub fn say_paused_by_agent(pid: u32, held: Duration) {
    eprintln!(
        "pmdb: paused {pid} for {:.1} ms (by its agent)",
        held.as_secs_f64() * 1000.0
    );
}
