//! The system calls the launcher makes, each behind a safe function: the
//! ptrace requests, `waitpid` on every tracee, reads of the tracee's memory
//! and signals. Requests that carry a signal number, and `waitpid`, go
//! straight to libc: nix's `Signal` has no real-time signals, and a tracee
//! that takes `SIGRTMIN+3` must get exactly that signal back. The rest go
//! through nix. Every ptrace request must come from the one thread that
//! seized the tracee (Linux ties a tracee to its tracer *thread*).

use std::io::{self, IoSliceMut};

use nix::sys::ptrace;
use nix::sys::uio::{RemoteIoVec, process_vm_readv};
use nix::unistd::Pid;

/// A thread id (the main thread's is the process id).
pub type Tid = i32;

/// What `waitpid` said of one tracee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It ended with this exit code.
    Exited(i32),
    /// It was killed by this signal.
    Killed { signal: i32, core: bool },
    /// A ptrace stop: `event` is the `PTRACE_EVENT_*` (0: a signal-delivery
    /// stop of `signal`).
    Stopped { signal: i32, event: i32 },
}

fn last_error() -> io::Error {
    io::Error::last_os_error()
}

fn nix_error(e: nix::errno::Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

fn decode(status: i32) -> Option<Status> {
    if libc::WIFEXITED(status) {
        Some(Status::Exited(libc::WEXITSTATUS(status)))
    } else if libc::WIFSIGNALED(status) {
        Some(Status::Killed {
            signal: libc::WTERMSIG(status),
            core: libc::WCOREDUMP(status),
        })
    } else if libc::WIFSTOPPED(status) {
        Some(Status::Stopped {
            signal: libc::WSTOPSIG(status),
            event: (status >> 16) & 0xff,
        })
    } else {
        None
    }
}

/// Waits for the next event of any tracee (`tid` -1) or of one.
pub fn wait(tid: Tid) -> io::Result<(Tid, Status)> {
    loop {
        let mut status = 0i32;
        // SAFETY: `status` is a valid out-pointer; waitpid only writes it.
        // __WNOTHREAD: only this thread's tracees (every request comes from
        // the thread that started them), so two tracers in one process (tests
        // side by side) and the children other threads spawn are not reaped
        // here.
        let r = unsafe { libc::waitpid(tid, &mut status, libc::__WALL | libc::__WNOTHREAD) };
        if r < 0 {
            let e = last_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if let Some(s) = decode(status) {
            return Ok((r, s));
        }
    }
}

fn request(req: libc::c_uint, tid: Tid, addr: u64, data: u64) -> io::Result<()> {
    // SAFETY: the requests passed here (CONT, DETACH, LISTEN, SINGLESTEP)
    // take no pointer: `addr` is ignored and `data` is a signal number.
    let r = unsafe {
        libc::ptrace(
            req,
            tid,
            addr as usize as *mut libc::c_void,
            data as usize as *mut libc::c_void,
        )
    };
    if r < 0 { Err(last_error()) } else { Ok(()) }
}

/// Lets a stopped tracee run on, delivering `signal` (0: none).
pub fn cont(tid: Tid, signal: i32) -> io::Result<()> {
    request(libc::PTRACE_CONT, tid, 0, signal as u64)
}

/// Runs one instruction of a stopped tracee.
pub fn step(tid: Tid) -> io::Result<()> {
    request(libc::PTRACE_SINGLESTEP, tid, 0, 0)
}

/// Leaves a tracee in its job-control stop, but lets `SIGCONT` end it.
pub fn listen(tid: Tid) -> io::Result<()> {
    request(libc::PTRACE_LISTEN, tid, 0, 0)
}

/// Stops tracing a stopped tracee, which runs on with `signal` (0: none).
pub fn detach(tid: Tid, signal: i32) -> io::Result<()> {
    request(libc::PTRACE_DETACH, tid, 0, signal as u64)
}

/// Starts tracing `tid` with `options`, without stopping it.
pub fn seize(tid: Tid, options: ptrace::Options) -> io::Result<()> {
    ptrace::seize(Pid::from_raw(tid), options).map_err(nix_error)
}

/// Asks a running tracee to stop (it reports `PTRACE_EVENT_STOP`).
pub fn interrupt(tid: Tid) -> io::Result<()> {
    ptrace::interrupt(Pid::from_raw(tid)).map_err(nix_error)
}

/// A stopped tracee's general registers.
pub fn regs(tid: Tid) -> io::Result<libc::user_regs_struct> {
    ptrace::getregset::<ptrace::regset::NT_PRSTATUS>(Pid::from_raw(tid)).map_err(nix_error)
}

/// Sets a stopped tracee's general registers.
pub fn set_regs(tid: Tid, regs: libc::user_regs_struct) -> io::Result<()> {
    ptrace::setregset::<ptrace::regset::NT_PRSTATUS>(Pid::from_raw(tid), regs).map_err(nix_error)
}

/// The word at `addr` in a stopped tracee's memory.
pub fn peek(tid: Tid, addr: u64) -> io::Result<u64> {
    ptrace::read(Pid::from_raw(tid), addr as ptrace::AddressType)
        .map(|w| w as u64)
        .map_err(nix_error)
}

/// Writes the word at `addr` in a stopped tracee's memory (code pages too:
/// the kernel copies the page for this process alone).
pub fn poke(tid: Tid, addr: u64, word: u64) -> io::Result<()> {
    ptrace::write(
        Pid::from_raw(tid),
        addr as ptrace::AddressType,
        word as libc::c_long,
    )
    .map_err(nix_error)
}

/// The number a `PTRACE_EVENT_*` stop carries (the new thread's id, the
/// forked child's pid, the thread that called `execve`).
pub fn event_message(tid: Tid) -> io::Result<u64> {
    ptrace::getevent(Pid::from_raw(tid))
        .map(|m| m as u64)
        .map_err(nix_error)
}

/// What the signal a tracee stopped with says of itself: its code, the
/// sender's pid, the faulting address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigInfo {
    pub signal: i32,
    pub code: i32,
    pub pid: i32,
    pub addr: u64,
}

/// The signal a tracee stopped with; `None` for a stop that is not a
/// signal's (a group stop, an event).
pub fn siginfo(tid: Tid) -> Option<SigInfo> {
    let info = ptrace::getsiginfo(Pid::from_raw(tid)).ok()?;
    // SAFETY: `si_addr` and `si_pid` read the union as the kernel filled
    // it; for a signal that does not set them they read other fields' bytes,
    // plain integers either way.
    let (addr, pid) = unsafe { (info.si_addr() as u64, info.si_pid()) };
    Some(SigInfo {
        signal: info.si_signo,
        code: info.si_code,
        pid,
        addr,
    })
}

/// Sends `signal` to process `pid`.
pub fn kill(pid: Tid, signal: i32) -> io::Result<()> {
    // SAFETY: kill(2) takes two integers.
    if unsafe { libc::kill(pid, signal) } < 0 {
        Err(last_error())
    } else {
        Ok(())
    }
}

/// Fills `buf` from `addr` in process `pid`, from any thread of pmdb (the
/// kernel checks the right to trace, not the tracer's role).
pub fn read(pid: Tid, addr: u64, buf: &mut [u8]) -> io::Result<()> {
    let mut done = 0usize;
    while done < buf.len() {
        let remote = [RemoteIoVec {
            base: addr as usize + done,
            len: buf.len() - done,
        }];
        let mut local = [IoSliceMut::new(&mut buf[done..])];
        match process_vm_readv(Pid::from_raw(pid), &mut local, &remote) {
            Ok(n) if n > 0 => done += n,
            Ok(_) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Err(e) => return Err(nix_error(e)),
        }
    }
    Ok(())
}

/// Whether signal `signal` has a handler in process `pid` (`SigCgt` of
/// `/proc/PID/status`).
pub fn has_handler(pid: Tid, signal: i32) -> bool {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    text.lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| signal > 0 && mask & (1u64 << (signal - 1)) != 0)
}

/// The thread group `tid` belongs to (`Tgid` of its status).
pub fn thread_group(tid: Tid) -> Option<Tid> {
    let text = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// `/proc/PID/auxv`'s value for `key`.
pub fn auxv(pid: Tid, key: u64) -> Option<u64> {
    let bytes = std::fs::read(format!("/proc/{pid}/auxv")).ok()?;
    bytes.chunks_exact(16).find_map(|c| {
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
        (word(&c[..8]) == key).then(|| word(&c[8..]))
    })
}

/// A thread's name as the kernel keeps it (at most 15 bytes).
pub fn comm(pid: Tid, tid: Tid) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
        .ok()
        .map(|s| s.trim_end_matches('\n').to_string())
}
