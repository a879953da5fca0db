//! Stopping every thread of a live process and letting it go exactly as it
//! was. One tracer thread of pmdb's own does all the ptrace work, because
//! Linux ties a tracee to the *thread* that seized it: it seizes and
//! interrupts each thread (`PTRACE_SEIZE` + `PTRACE_INTERRUPT`, listing
//! `/proc/PID/task` again once all are stopped, until no new thread
//! appears), reads their registers (`PTRACE_GETREGSET`, `NT_PRSTATUS`),
//! then waits until the [`Hold`] is released and detaches each one.
//!
//! Leaving the process as it was:
//! - a thread that took a signal before it could stop (a signal-delivery
//!   stop) gets that signal back when detached, so none is lost; signals
//!   that arrive while it is stopped stay pending and are delivered when it
//!   runs again;
//! - a thread in a job-control stop (the process was stopped by `SIGSTOP`
//!   or `SIGTSTP` before pmdb came) goes back to that stop when detached;
//! - a thread seized in the middle of an `execve` stops once the new
//!   program is in place (`PTRACE_EVENT_EXEC`): the snapshot is refused
//!   (`SnapshotError::Execed`, as when the auxiliary vector changed
//!   meanwhile) and that thread detached, to run the new program;
//! - when pmdb dies (`SIGKILL`, `SIGHUP` of its terminal) or only its
//!   tracer thread ends, the kernel detaches every tracee itself, with the
//!   signal a stopped thread had taken still to be delivered: nothing stays
//!   stopped or traced. No option pmdb sets kills the tracee with it
//!   (`PTRACE_O_EXITKILL` is never set).
//!
//! A blocking system call the stop interrupted is restarted by the kernel
//! when the thread goes on (`futex`, `read`, `nanosleep`, `poll`, …). The
//! few calls Linux never restarts after a stop (`epoll_wait`, `semop`,
//! `sigtimedwait`, …; see signal(7)) return `EINTR`, as under gdb, strace,
//! or a `SIGSTOP`/`SIGCONT`; std, tokio and mio retry them.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::ptrace;
use nix::unistd::Pid;

use super::{SnapshotError, procfs, syscalls};

/// How long the threads get to stop before those that have not are listed
/// as such (a thread in uninterruptible sleep stops only when it wakes).
pub const STOP_DEADLINE: Duration = Duration::from_secs(2);

/// One thread as it was stopped.
#[derive(Debug, Clone)]
pub struct StoppedThread {
    pub tid: u32,
    /// Its registers, when it stopped.
    pub regs: Option<libc::user_regs_struct>,
    /// Why it has no registers.
    pub not_stopped: Option<String>,
    pub state: Option<wire::ThreadState>,
}

/// What the tracer knows of one seized thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Seized and interrupted; its stop not seen yet.
    Waiting,
    /// In a ptrace stop: `signal` is the one it took on the way
    /// (delivered again on detach), `job` the job-control stop it is in.
    Stopped { signal: i32, job: i32 },
    /// In the stop that follows an execve it was seized in the middle of
    /// (`PTRACE_EVENT_EXEC`): another program now, let go without a signal.
    Execed,
    /// It ended.
    Gone,
    /// It did not stop by the deadline.
    Late,
}

/// The process held stopped: released (every thread detached) by
/// [`Hold::release`] or when dropped.
pub struct Hold {
    pid: u32,
    go: Option<mpsc::Sender<()>>,
    tracer: Option<std::thread::JoinHandle<Released>>,
}

/// What detaching found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Released {
    /// From the first thread interrupted to the last one let go.
    pub paused: Duration,
    /// Threads that took a signal while being stopped and had it delivered
    /// again on detach.
    pub reinjected: usize,
}

impl Hold {
    /// The process held.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Lets every thread go on; returns how long the process was stopped.
    pub fn release(mut self) -> Released {
        self.finish()
    }

    fn finish(&mut self) -> Released {
        drop(self.go.take());
        self.tracer
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Stops every thread of `pid` and reads their registers; the threads
/// stay stopped until the returned [`Hold`] is released.
pub fn stop_all(pid: u32) -> Result<(Hold, Vec<StoppedThread>), SnapshotError> {
    let (reply, answer) = mpsc::channel();
    let (go, released) = mpsc::channel::<()>();
    let tracer = std::thread::Builder::new()
        .name("pmdb-ptrace".into())
        .spawn(move || {
            let mut tracer = Tracer::new(pid);
            match tracer.stop_everything() {
                Ok(threads) => {
                    let _ = reply.send(Ok(threads));
                    // Until released, or the hold is dropped.
                    let _ = released.recv();
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            }
            tracer.detach_all()
        })
        .map_err(|e| SnapshotError::Io(format!("cannot start the tracer thread: {e}")))?;
    let hold = Hold {
        pid,
        go: Some(go),
        tracer: Some(tracer),
    };
    match answer.recv() {
        Ok(Ok(threads)) => Ok((hold, threads)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(SnapshotError::Io("the tracer thread ended early".into())),
    }
}

/// The tracer thread's state.
struct Tracer {
    pid: u32,
    slots: BTreeMap<u32, Slot>,
    started: Option<Instant>,
}

impl Tracer {
    fn new(pid: u32) -> Tracer {
        Tracer {
            pid,
            slots: BTreeMap::new(),
            started: None,
        }
    }

    /// Seizes and stops every thread, new ones included, then reads them.
    fn stop_everything(&mut self) -> Result<Vec<StoppedThread>, SnapshotError> {
        let pid = self.pid;
        let auxv_before = procfs::auxv(pid).ok();
        let deadline = Instant::now() + STOP_DEADLINE;
        loop {
            let tids = match procfs::tasks(pid) {
                Ok(t) if !t.is_empty() => t,
                _ => return Err(SnapshotError::Exited(pid)),
            };
            let new: Vec<u32> = tids
                .into_iter()
                .filter(|t| !self.slots.contains_key(t))
                .collect();
            if new.is_empty() {
                break;
            }
            for tid in new {
                self.seize(tid)?;
            }
            self.wait_for_stops(deadline)?;
        }
        // The process may have ended, or started another program, while
        // its threads were being stopped.
        let alive = procfs::stat(pid).is_ok_and(|s| s.state != 'Z' && s.state != 'X');
        if !alive || self.slots.get(&pid) == Some(&Slot::Gone) {
            return Err(match alive {
                true => SnapshotError::Execed(pid),
                false => SnapshotError::Exited(pid),
            });
        }
        if auxv_before.is_some() && procfs::auxv(pid).ok() != auxv_before {
            return Err(SnapshotError::Execed(pid));
        }
        Ok(self.read_threads())
    }

    /// Seizes one thread and asks it to stop.
    fn seize(&mut self, tid: u32) -> Result<(), SnapshotError> {
        let t = Pid::from_raw(tid as i32);
        self.started.get_or_insert_with(Instant::now);
        match ptrace::seize(t, ptrace::Options::PTRACE_O_TRACEEXEC) {
            Ok(()) => {}
            // It ended between the listing and now.
            Err(Errno::ESRCH) => return Ok(()),
            Err(Errno::EPERM) => {
                let tracer = procfs::status(tid).map_or(0, |s| s.tracer);
                return Err(if tracer != 0 {
                    SnapshotError::AlreadyTraced {
                        pid: self.pid,
                        tracer,
                        name: procfs::stat(tracer).map(|s| s.comm).unwrap_or_default(),
                    }
                } else {
                    SnapshotError::not_permitted(self.pid)
                });
            }
            Err(e) => {
                return Err(SnapshotError::Ptrace {
                    pid: self.pid,
                    what: "PTRACE_SEIZE",
                    errno: e,
                });
            }
        }
        self.slots.insert(tid, Slot::Waiting);
        match ptrace::interrupt(t) {
            Ok(()) => {}
            Err(Errno::ESRCH) => {
                self.slots.insert(tid, Slot::Gone);
            }
            Err(e) => {
                return Err(SnapshotError::Ptrace {
                    pid: self.pid,
                    what: "PTRACE_INTERRUPT",
                    errno: e,
                });
            }
        }
        Ok(())
    }

    /// Waits until every seized thread has stopped or ended, or the
    /// deadline passed (those are `Late`).
    fn wait_for_stops(&mut self, deadline: Instant) -> Result<(), SnapshotError> {
        let mut idle_rounds = 0u32;
        loop {
            let waiting: Vec<u32> = self
                .slots
                .iter()
                .filter(|(_, s)| **s == Slot::Waiting)
                .map(|(t, _)| *t)
                .collect();
            if waiting.is_empty() {
                return Ok(());
            }
            let mut progressed = false;
            for tid in waiting {
                if let Some(slot) = self.poll(tid)? {
                    self.slots.insert(tid, slot);
                    if slot == Slot::Execed {
                        // Nothing of what was read belongs to the new program.
                        return Err(SnapshotError::Execed(self.pid));
                    }
                    progressed = true;
                }
            }
            if progressed {
                idle_rounds = 0;
                continue;
            }
            if Instant::now() >= deadline {
                for s in self.slots.values_mut() {
                    if *s == Slot::Waiting {
                        *s = Slot::Late;
                    }
                }
                return Ok(());
            }
            idle_rounds += 1;
            if idle_rounds < 50 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
    }

    /// One non-blocking look at a seized thread: its new slot, if it changed.
    fn poll(&self, tid: u32) -> Result<Option<Slot>, SnapshotError> {
        let mut status = 0i32;
        // SAFETY: `status` is a valid out-pointer for the call; `waitpid` on
        // one specific thread id with WNOHANG only reads its state. Called
        // directly, not through nix, so a real-time signal's stop decodes
        // (nix's `Signal` has no real-time signals).
        let r = unsafe { libc::waitpid(tid as i32, &mut status, libc::__WALL | libc::WNOHANG) };
        if r == 0 {
            return Ok(None);
        }
        if r < 0 {
            // Reaped or gone: nothing more will come from it.
            return Ok(Some(Slot::Gone));
        }
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            return Ok(Some(Slot::Gone));
        }
        if !libc::WIFSTOPPED(status) {
            return Ok(None);
        }
        let sig = libc::WSTOPSIG(status);
        let event = (status >> 16) & 0xff;
        Ok(Some(match event {
            0 => Slot::Stopped {
                signal: sig,
                job: 0,
            },
            libc::PTRACE_EVENT_EXEC => Slot::Execed,
            libc::PTRACE_EVENT_STOP if is_job_stop(sig) => Slot::Stopped {
                signal: 0,
                job: sig,
            },
            _ => Slot::Stopped { signal: 0, job: 0 },
        }))
    }

    /// Every thread's registers and state, the process's main thread first.
    fn read_threads(&mut self) -> Vec<StoppedThread> {
        let mut out = Vec::new();
        let pid = self.pid;
        let order = std::iter::once(pid).chain(self.slots.keys().copied().filter(|&t| t != pid));
        for tid in order.collect::<Vec<_>>() {
            let Some(&slot) = self.slots.get(&tid) else {
                continue;
            };
            match slot {
                Slot::Gone | Slot::Waiting | Slot::Execed => {}
                Slot::Late => out.push(StoppedThread {
                    tid,
                    regs: None,
                    not_stopped: Some(late_reason(pid, tid)),
                    state: None,
                }),
                Slot::Stopped { job, .. } => {
                    match ptrace::getregset::<ptrace::regset::NT_PRSTATUS>(Pid::from_raw(
                        tid as i32,
                    )) {
                        Ok(regs) => out.push(StoppedThread {
                            tid,
                            state: Some(state_of(&regs, job)),
                            regs: Some(regs),
                            not_stopped: None,
                        }),
                        // Killed while stopped.
                        Err(_) => {
                            self.slots.insert(tid, Slot::Gone);
                        }
                    }
                }
            }
        }
        out
    }

    /// Lets every stopped thread go, each with the signal it had taken (one
    /// in the stop after an execve has none). Threads that never stopped
    /// are let go by the kernel when this tracer thread ends, right after.
    fn detach_all(&mut self) -> Released {
        let mut reinjected = 0;
        for (&tid, slot) in &self.slots {
            let signal = match *slot {
                Slot::Stopped { signal, .. } => Some(signal),
                Slot::Execed => Some(0),
                _ => None,
            };
            if let Some(signal) = signal {
                // SAFETY: a plain PTRACE_DETACH of a thread this thread
                // traces; `data` is the signal number to deliver (0: none).
                // Called directly so real-time signals are re-delivered too.
                let r = unsafe {
                    libc::ptrace(
                        libc::PTRACE_DETACH,
                        tid as libc::pid_t,
                        std::ptr::null_mut::<libc::c_void>(),
                        signal as usize as *mut libc::c_void,
                    )
                };
                if r == 0 && signal != 0 {
                    reinjected += 1;
                }
            }
        }
        self.slots.clear();
        Released {
            paused: self.started.map_or(Duration::ZERO, |s| s.elapsed()),
            reinjected,
        }
    }
}

/// The stop signals of job control.
fn is_job_stop(sig: i32) -> bool {
    matches!(
        sig,
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
    )
}

/// What a stopped thread was doing, from its registers: inside a system
/// call the stop interrupted (its number in `orig_rax`, a restart or
/// `EINTR` code in `rax`), else running its own code.
pub fn state_of(regs: &libc::user_regs_struct, job: i32) -> wire::ThreadState {
    const EINTR: i64 = 4;
    const ERESTARTSYS: i64 = 512;
    const ERESTARTNOINTR: i64 = 513;
    const ERESTARTNOHAND: i64 = 514;
    const ERESTART_RESTARTBLOCK: i64 = 516;
    if job != 0 {
        return wire::ThreadState::Stopped {
            signal: crate::crash::signal::name(job).to_string(),
        };
    }
    let nr = regs.orig_rax as i64;
    let ret = -(regs.rax as i64);
    if nr >= 0
        && matches!(
            ret,
            EINTR | ERESTARTSYS | ERESTARTNOINTR | ERESTARTNOHAND | ERESTART_RESTARTBLOCK
        )
    {
        return wire::ThreadState::Blocked {
            syscall: syscalls::name(nr as u64)
                .map_or_else(|| format!("syscall {nr}"), str::to_string),
        };
    }
    wire::ThreadState::Running
}

/// Why a thread did not stop in time, from its `stat`.
fn late_reason(pid: u32, tid: u32) -> String {
    match procfs::task_stat(pid, tid).map(|s| s.state) {
        Ok('D') => "not stopped: in uninterruptible sleep".into(),
        Ok(s) => format!("not stopped in {} s (state {s})", STOP_DEADLINE.as_secs()),
        Err(_) => "not stopped: it ended".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regs(orig_rax: u64, rax: u64) -> libc::user_regs_struct {
        // SAFETY: `user_regs_struct` is plain integers; all-zero is valid.
        let mut r: libc::user_regs_struct = unsafe { std::mem::zeroed() };
        r.orig_rax = orig_rax;
        r.rax = rax;
        r
    }

    #[test]
    fn registers_tell_a_blocked_thread_from_a_running_one() {
        let blocked = |s: &str| wire::ThreadState::Blocked { syscall: s.into() };
        assert_eq!(state_of(&regs(202, -512i64 as u64), 0), blocked("futex"));
        assert_eq!(
            state_of(&regs(230, -516i64 as u64), 0),
            blocked("clock_nanosleep")
        );
        assert_eq!(state_of(&regs(232, -4i64 as u64), 0), blocked("epoll_wait"));
        assert_eq!(
            state_of(&regs(449, -512i64 as u64), 0),
            blocked("futex_waitv")
        );
        assert_eq!(
            state_of(&regs(999, -514i64 as u64), 0),
            blocked("syscall 999")
        );
        // Interrupted in its own code, or right after a call returned.
        assert_eq!(state_of(&regs(u64::MAX, 7), 0), wire::ThreadState::Running);
        assert_eq!(state_of(&regs(1, 12), 0), wire::ThreadState::Running);
        assert_eq!(
            state_of(&regs(0, -512i64 as u64), libc::SIGTSTP),
            wire::ThreadState::Stopped {
                signal: "SIGTSTP".into()
            }
        );
    }
}
