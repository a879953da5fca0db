//! A live snapshot on request, for when pmdb may not trace the program
//! (`wire::snapshot`): pmdb queues real-time signal 40 carrying a magic
//! value; the handler checks it is that request, from this process's own
//! user or root, and wakes the agent's signal thread through a pipe. That
//! thread freezes every other thread (`freeze`), exactly as for a crash,
//! serves the snapshot on the usual socket (`server`, with the same checks
//! of the client) and lets every thread go on once the debugger detaches
//! (its last connection closes, or it says resume), or when none connects
//! within `wire::snapshot::ANSWER_WITHIN`.
//!
//! The program notices nothing else: the handler touches only atomics and
//! one `write`, keeps `errno` as it found it, ignores any other sender or
//! value of the signal, and prints nothing; the agent serves silently.
//! `PMDB_SNAPSHOT=off` (or `PMDB_MODE=off`) leaves the signal alone, and so
//! does a program that handles signal 40 itself.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use engine::crash::serve::Verdict;
use engine::memory::process::{RIP, Regs};
use engine::{Crash, Inspector, Process, Stack};
use wire::{CrashKind, TakenBy, ThreadState};

use crate::config::Config;
use crate::server;

/// The pipe's ends: the handler writes a byte, the signal thread reads it.
static REQUEST_READ: AtomicI32 = AtomicI32::new(-1);
static REQUEST_WRITE: AtomicI32 = AtomicI32::new(-1);

/// How long a debugger attached to a snapshot may stay silent: as long as
/// it likes (the program is held, as `gdb -p` holds it, until it goes).
const HELD_CLIENT_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

/// What each frozen thread was doing, while a snapshot is served.
static STATES: Mutex<Vec<(u64, ThreadState)>> = Mutex::new(Vec::new());

/// Installs the request's handler, unless turned off or the program has
/// its own disposition for the signal. Call before the signal thread starts.
pub fn install(config: &Config) {
    if !config.snapshots {
        return;
    }
    let sig = wire::snapshot::SIGNAL;
    // SAFETY: reading the current disposition into a zeroed sigaction.
    let taken = unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut current) != 0
            || current.sa_sigaction != libc::SIG_DFL
    };
    if taken {
        return;
    }
    let mut pipe = [-1; 2];
    // SAFETY: `pipe2` writes two fds into the array we own. Non-blocking:
    // the handler never waits (a full pipe already holds a request).
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return;
    }
    REQUEST_READ.store(pipe[0], Ordering::SeqCst);
    REQUEST_WRITE.store(pipe[1], Ordering::SeqCst);
    // The freeze's signal waits while this handler runs: a thread that took
    // the request is frozen once back where it was (in its system call, as
    // the report says), not inside this handler, which a tracer such as
    // strace can keep it in long enough for the freeze to come.
    let freeze = crate::freeze::signal();
    let masked: &[libc::c_int] = if freeze > 0 { &[freeze] } else { &[] };
    let ok = crate::signals::set_handler_masking(
        sig,
        handler,
        libc::SA_RESTART | libc::SA_ONSTACK,
        masked,
        std::ptr::null_mut(),
    );
    if !ok {
        REQUEST_READ.store(-1, Ordering::SeqCst);
        REQUEST_WRITE.store(-1, Ordering::SeqCst);
        // SAFETY: closing the two fds we just made.
        unsafe {
            libc::close(pipe[0]);
            libc::close(pipe[1]);
        }
    }
}

extern "C" fn handler(_sig: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    // SAFETY: the signal handler: only atomics and async-signal-safe calls
    // (geteuid, write); `info` is the kernel's siginfo for this delivery.
    // errno is put back as found, so the interrupted code never sees ours.
    unsafe {
        let errno = *libc::__errno_location();
        let info = &*info;
        let asked = info.si_code == libc::SI_QUEUE
            && info.si_value().sival_ptr as usize == wire::snapshot::MAGIC
            && (info.si_uid() == libc::geteuid() || info.si_uid() == 0);
        let fd = REQUEST_WRITE.load(Ordering::SeqCst);
        if asked && fd >= 0 {
            let byte = 1u8;
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
        *libc::__errno_location() = errno;
    }
}

/// The read end the signal thread waits on beside its crash pipe (-1: off).
pub fn request_fd() -> libc::c_int {
    REQUEST_READ.load(Ordering::SeqCst)
}

/// Empties the request pipe (several requests at once are one snapshot).
fn drain() {
    let fd = request_fd();
    let mut buf = [0u8; 64];
    // SAFETY: reading into our own buffer from our own non-blocking pipe.
    while unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}

/// What a thread stopped by `freeze` was doing: inside a system call the
/// signal interrupted (the kernel points a restarted call's `rip` back at
/// its `syscall` instruction, with the call's number in `rax`), else
/// running its own code.
fn state_of(regs: &Regs) -> Option<ThreadState> {
    let (rip, rax) = (regs.get(RIP)?, regs.get(0)?);
    let mut code = [0u8; 2];
    crate::live::LiveProcess.read_into(rip, &mut code).ok()?;
    Some(match code {
        [0x0f, 0x05] => ThreadState::Blocked {
            syscall: engine::hosts::ptrace::syscalls::name(rax)
                .map_or_else(|| format!("syscall {rax}"), str::to_string),
        },
        _ => ThreadState::Running,
    })
}

/// A thread's state while a snapshot is served (`None` otherwise).
pub fn thread_state(tid: u64) -> Option<ThreadState> {
    let states = STATES.lock().unwrap_or_else(|p| p.into_inner());
    states
        .iter()
        .find(|(t, _)| *t == tid)
        .map(|(_, s)| s.clone())
}

/// Answers pending requests: freezes every other thread, serves the
/// snapshot until the debugger goes, lets every thread go on. Runs on the
/// agent's signal thread; a crash being served meanwhile is answer enough.
pub fn serve(config: &Config) {
    drain();
    let Some(_turn) = crate::respond::try_turn() else {
        return;
    };
    let pid = std::process::id();
    let threads = crate::freeze::stop_others(crate::live::current_tid());
    *STATES.lock().unwrap_or_else(|p| p.into_inner()) = threads
        .iter()
        .filter_map(|t| match &t.stack {
            Stack::Regs(regs) => Some((t.id, state_of(regs)?)),
            Stack::Unwound(_) => None,
        })
        .collect();
    let not_frozen = threads
        .iter()
        .filter(|t| t.name.contains(" (not frozen: "))
        .count();
    let program = crate::live::program_name();
    let mut info = crate::live::record(
        CrashKind::Snapshot,
        format!(
            "live snapshot of pid {pid} ({program}) by its agent, {} threads{}",
            threads.len(),
            match not_frozen {
                0 => String::new(),
                n => format!(", {n} not frozen"),
            }
        ),
        None,
        None,
        u64::from(pid),
    );
    info.taken_by = Some(TakenBy::Agent);
    if let Some(first) = threads.first()
        && !threads.iter().any(|t| t.id == u64::from(pid))
    {
        info.thread = first.id;
        info.thread_name = first.name.clone();
    }
    let crash = Crash { info, threads };
    let verdict = match server::bind(&config.dir, pid) {
        Ok(bound) => {
            // Built inline, never a local of this frame (see `server::Shared`).
            let shared = server::share(
                Inspector::new(crate::live::engine(), crash),
                HELD_CLIENT_TIMEOUT,
                crate::save::saver(None),
            );
            std::thread::Builder::new()
                .name("pmdb-agent".into())
                .spawn(move || {
                    server::serve(
                        bound,
                        shared,
                        server::Until::Detached(wire::snapshot::ANSWER_WITHIN),
                        HELD_CLIENT_TIMEOUT,
                    )
                })
                .ok()
                .and_then(|h| h.join().ok())
                .map(|(v, _, _)| v)
        }
        // Nothing said: pmdb tells its user the agent did not answer.
        Err(_) => None,
    };
    STATES.lock().unwrap_or_else(|p| p.into_inner()).clear();
    crate::freeze::release();
    if verdict == Some(Verdict::Kill) {
        // SAFETY: kill with our own pid: the debugger asked to end us.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    }
}
