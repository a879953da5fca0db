//! Asking a running program's agent for a live snapshot, for when pmdb may
//! not trace it (an `EPERM` from `PTRACE_SEIZE`: yama's `ptrace_scope`, no
//! `CAP_SYS_PTRACE` in a container, or a process already traced by strace
//! or a debugger). The request is one real-time signal, [`SIGNAL`], queued
//! with `sigqueue(3)` and carrying [`MAGIC`] as its value; the agent answers
//! only that exact request from its own user (or root), freezes every
//! other thread and serves the snapshot on its usual socket,
//! `<PMDB_DIR>/<pid>.sock`, until the debugger detaches. A program sets
//! [`SWITCH`]`=off` to keep the agent from answering (its handler is then
//! never installed).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The signal the request is: Linux's real-time signal 40 (`SIGRTMIN+6`
/// under glibc, `SIGRTMIN+5` under musl), a fixed number so both sides
/// agree whatever libc each was built with.
pub const SIGNAL: i32 = 40;

/// The value a request carries (`si_value`): "pmdbsnap".
pub const MAGIC: usize = 0x706d_6462_736e_6170;

/// The environment variable that turns the agent's answer off (`off`), read
/// once by `debuggee_agent::install()`.
pub const SWITCH: &str = "PMDB_SNAPSHOT";

/// How long pmdb waits for the agent's socket after asking.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Why the agent could not be asked, or did not answer.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("cannot ask pid {pid}'s agent for a snapshot: {source}")]
    Send { pid: u32, source: std::io::Error },
    #[error(
        "pid {pid}'s agent did not open {} within {} s (is its PMDB_DIR another one? is {SWITCH}=off?)",
        socket.display(),
        ANSWER_WITHIN.as_secs()
    )]
    NoAnswer { pid: u32, socket: PathBuf },
    #[error("pid {0} exited before its agent answered")]
    Exited(u32),
}

/// Whether `status` (the text of `/proc/PID/status`) says the process
/// catches [`SIGNAL`] (its `SigCgt` mask): the agent's handler is installed.
pub fn catches_request(status: &str) -> bool {
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (SIGNAL - 1)) != 0)
}

/// Queues the request to process `pid`.
pub fn send(pid: u32) -> Result<(), RequestError> {
    let value = libc::sigval {
        sival_ptr: MAGIC as *mut libc::c_void,
    };
    // SAFETY: sigqueue takes a pid, a signal number and a plain value; it
    // reads no memory of ours.
    if unsafe { libc::sigqueue(pid as libc::pid_t, SIGNAL, value) } != 0 {
        return Err(RequestError::Send {
            pid,
            source: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}

/// Asks process `pid`'s agent for a snapshot and waits until its socket in
/// `dir` is there; the socket's path.
pub fn request(pid: u32, dir: &Path) -> Result<PathBuf, RequestError> {
    let socket = crate::socket::socket_path(dir, pid);
    send(pid)?;
    let deadline = Instant::now() + ANSWER_WITHIN;
    while !socket.exists() {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return Err(RequestError::Exited(pid));
        }
        if Instant::now() >= deadline {
            return Err(RequestError::NoAnswer { pid, socket });
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caught_mask_says_whether_the_request_is_handled() {
        // Signal 40 is bit 39.
        let with = "Name:\tdemo\nSigCgt:\t0000008180004e00\n";
        let without = "Name:\tdemo\nSigCgt:\t0000000180004e00\n";
        assert!(catches_request(with));
        assert!(!catches_request(without));
        assert!(!catches_request("Name:\tdemo\n"));
    }
}
