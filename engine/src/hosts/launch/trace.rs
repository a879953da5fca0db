//! The tracer: one program pmdb started (and, with `follow_fork`, the
//! processes it forks), every thread of it traced, run until a panic the
//! options stop on or a fatal signal, then held whole until the user says
//! go on or kill.
//!
//! Each thread is in one [`Slot`]. Events come from `waitpid` on every
//! tracee: a new thread's first stop, `clone`/`fork`/`exec` events, job
//! control stops (left stopped with `PTRACE_LISTEN`, so `SIGCONT` from the
//! shell ends them as usual), signals (passed on unchanged, except the
//! fatal ones pmdb stops at), and the breakpoints of `entry`.
//!
//! Stopping a whole process: every running thread is interrupted
//! (`PTRACE_INTERRUPT`), and events are taken until each has stopped. A
//! thread that takes a signal meanwhile keeps it to be delivered when it
//! goes on; one that hits a panic breakpoint meanwhile is put back before
//! the `int3`, so it takes it again, and stops again, once let go.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;

use nix::sys::ptrace::Options as PtraceOptions;
use wire::{CrashInfo, CrashKind};

use crate::Engine;
use crate::memory::process::{Crash, Stack, Thread};

use super::entry::{self, Missing, PanicEntry, Trap};
use super::panic::{self, Raised};
use super::process::{self, Launched};
use super::spawn::{self, Kind};
use super::sys::{self, SigInfo, Status, Tid};
use super::{Event, Exit, LaunchError, Options, Stop, StopOn};

/// Most machine frames unwound to tell a caught panic from another.
const MAX_FRAMES: usize = 512;

/// `si_code` of a signal the kernel raised for a fault.
const SI_KERNEL: i32 = 0x80;

/// How many bytes of a thread's name the kernel keeps (`TASK_COMM_LEN`
/// less the NUL): a shorter `comm` is the whole name std gave it.
const COMM_KEPT: usize = 15;

/// What pmdb knows of one traced thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Running its own code.
    Running,
    /// Announced by a `clone` event; its first stop not seen yet.
    Starting,
    /// Asked to stop; its stop not seen yet.
    Stopping,
    /// Held in a ptrace stop: `signal` goes with it when it goes on; `job`:
    /// it is in a job-control stop, and goes back to it.
    Held { signal: i32, job: bool },
    /// In a job-control stop (`SIGSTOP`, `SIGTSTP`, …), listening.
    Listening,
}

/// One traced thread.
#[derive(Debug, Clone, Copy)]
struct Traced {
    /// Its process.
    tgid: Tid,
    slot: Slot,
}

/// One traced process.
struct Proc {
    /// Its program's file name, for the crash record.
    program: String,
    /// The breakpoints placed in it.
    traps: Option<Traps>,
    /// Its engine, kept while its mappings stay as they were.
    engine: Option<(String, Arc<Engine>)>,
}

/// The breakpoints on the panic entry of one process.
#[derive(Debug, Clone, Copy)]
struct Traps {
    hook: Option<Trap>,
    raise: Trap,
}

/// The thread a stop is about, and what it needs to go on.
#[derive(Debug, Clone)]
enum Held {
    /// At the panic breakpoint, with these registers.
    Panic {
        tid: Tid,
        tgid: Tid,
        regs: Box<libc::user_regs_struct>,
    },
    /// Taking this fatal signal.
    Signal { tid: Tid, tgid: Tid, signal: i32 },
}

/// A program pmdb started and traces.
pub struct Tracee {
    pid: Tid,
    options: Options,
    threads: BTreeMap<Tid, Traced>,
    procs: BTreeMap<Tid, Proc>,
    /// What each thread's panic carries, noted at the hook's entry.
    raised: HashMap<Tid, Raised>,
    /// Lines for the user: what pmdb cannot do with this program.
    notes: Vec<String>,
    held: Option<Held>,
    exit: Option<Exit>,
    /// Forked children let go, untraced.
    let_go: Vec<Tid>,
    /// Forked children announced whose first stop is not seen yet.
    forks: Vec<Tid>,
    /// The fault last let through (thread, signal, instruction): taken
    /// again right away, it is the program dying of it (std's SIGSEGV
    /// handler puts the default back and returns to the faulting write).
    let_through: Option<(Tid, i32, u64)>,
    /// The program has been let go from its first instruction.
    started: bool,
    /// Keeps a `Tracee` on the thread that traces (ptrace is per thread).
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Tracee {
    /// Starts `command` (its program, then its arguments) traced from its
    /// first instruction, held there until the first [`Tracee::run_on`]
    /// (so what pmdb says of it, [`Tracee::notes`], comes before anything
    /// the program writes).
    pub fn start(command: &[OsString], options: Options) -> Result<Tracee, LaunchError> {
        Tracee::start_writing_to(command, options, None)
    }

    /// As [`Tracee::start`], the program's standard output on `stdout`.
    pub fn start_writing_to(
        command: &[OsString],
        options: Options,
        stdout: Option<std::os::fd::BorrowedFd<'_>>,
    ) -> Result<Tracee, LaunchError> {
        let first = command
            .first()
            .ok_or_else(|| LaunchError::NotFound(String::new()))?;
        let (path, kind) = spawn::resolve(first)?;
        if let Kind::Script(line) = &kind
            && !options.follow_fork
        {
            return Err(LaunchError::Script {
                path: path.display().to_string(),
                line: line.clone(),
            });
        }
        let mut ptrace = PtraceOptions::PTRACE_O_TRACECLONE
            | PtraceOptions::PTRACE_O_TRACEEXEC
            | PtraceOptions::PTRACE_O_TRACEFORK
            | PtraceOptions::PTRACE_O_EXITKILL;
        if options.follow_fork {
            ptrace |= PtraceOptions::PTRACE_O_TRACEVFORK;
        }
        let pid = spawn::spawn(&path, command, &options.env, stdout, ptrace)?;
        let mut tracee = Tracee {
            pid,
            options,
            threads: BTreeMap::new(),
            procs: BTreeMap::new(),
            raised: HashMap::new(),
            notes: Vec::new(),
            held: None,
            exit: None,
            let_go: Vec::new(),
            forks: Vec::new(),
            let_through: None,
            started: false,
            _not_send: std::marker::PhantomData,
        };
        tracee.threads.insert(
            pid,
            Traced {
                tgid: pid,
                slot: Slot::Running,
            },
        );
        tracee.arm(pid, true);
        Ok(tracee)
    }

    /// The program's pid.
    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// What pmdb cannot do with this program (stripped, not Rust), a line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Children the program forked that were let go and still run.
    pub fn children_running(&self) -> Vec<u32> {
        self.let_go
            .iter()
            .filter(|&&p| sys::kill(p, 0).is_ok())
            .map(|&p| p as u32)
            .collect()
    }

    /// Runs the program until it stops or ends.
    pub fn run_on(&mut self) -> Result<Event, LaunchError> {
        if !self.started {
            self.started = true;
            self.go(self.pid, 0)?;
        }
        if self.held.is_some() {
            self.resume()?;
        }
        loop {
            if let Some(exit) = self.exit {
                return Ok(Event::Exited(exit));
            }
            let (tid, status) = wait_any()?;
            if let Some(event) = self.handle(tid, status)? {
                return Ok(event);
            }
        }
    }

    /// Lets every held thread go on: the panicking one into its unwinding
    /// (or abort), the one with a fatal signal into that signal.
    pub fn resume(&mut self) -> Result<(), LaunchError> {
        let Some(held) = self.held.take() else {
            return Ok(());
        };
        let (crashed, signal) = match held {
            Held::Panic { tid, tgid, regs } => {
                if let Some(traps) = self.procs.get(&tgid).and_then(|p| p.traps) {
                    // Killed while held: nothing to step over.
                    let _ = traps.raise.step_over(tid, *regs);
                }
                (tid, 0)
            }
            Held::Signal { tid, signal, .. } => (tid, signal),
        };
        self.raised.remove(&crashed);
        // The stopped process's threads, and any of another process that
        // reported while it was being stopped.
        let tids: Vec<Tid> = self.threads.keys().copied().collect();
        for tid in tids {
            let slot = self.threads[&tid].slot;
            match slot {
                Slot::Held { job: true, .. } => {
                    let _ = sys::listen(tid);
                    self.set(tid, Slot::Listening);
                }
                Slot::Held { signal: s, .. } => {
                    let s = if tid == crashed { signal } else { s };
                    let _ = self.go(tid, s);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Kills the program (and the processes followed with it) and waits
    /// for its end.
    pub fn kill(&mut self) -> Result<Exit, LaunchError> {
        self.held = None;
        for &tgid in self.procs.keys() {
            let _ = sys::kill(tgid, libc::SIGKILL);
        }
        loop {
            if let Some(exit) = self.exit {
                return Ok(exit);
            }
            let (tid, status) = wait_any()?;
            match status {
                Status::Exited(code) => self.ended(tid, Exit::Code(code)),
                Status::Killed { signal, core } => self.ended(tid, Exit::Signal { signal, core }),
                // A stop that was on its way: the kill ends it.
                Status::Stopped { .. } => {
                    let _ = sys::cont(tid, 0);
                }
            }
        }
    }

    /// One event of thread `tid`; what the caller must hear of it.
    fn handle(&mut self, tid: Tid, status: Status) -> Result<Option<Event>, LaunchError> {
        match status {
            Status::Exited(code) => {
                self.ended(tid, Exit::Code(code));
                return Ok(self.exit.map(Event::Exited));
            }
            Status::Killed { signal, core } => {
                self.ended(tid, Exit::Signal { signal, core });
                return Ok(self.exit.map(Event::Exited));
            }
            Status::Stopped { signal, event } => {
                let known = self.threads.get(&tid).map(|t| t.slot);
                match (known, event) {
                    (None | Some(Slot::Starting), _) => self.first_stop(tid),
                    (_, libc::PTRACE_EVENT_CLONE) => {
                        if let Ok(new) = sys::event_message(tid) {
                            let tgid = self.threads[&tid].tgid;
                            self.threads.entry(new as Tid).or_insert(Traced {
                                tgid,
                                slot: Slot::Starting,
                            });
                        }
                        self.go(tid, 0)?;
                    }
                    (_, libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK) => {
                        // The child is taken care of at its first stop.
                        if let Ok(child) = sys::event_message(tid) {
                            self.announced(child as Tid);
                        }
                        self.go(tid, 0)?;
                    }
                    (_, libc::PTRACE_EVENT_EXEC) => self.execed(tid)?,
                    (_, libc::PTRACE_EVENT_STOP) if is_job_stop(signal) => {
                        let _ = sys::listen(tid);
                        self.set(tid, Slot::Listening);
                    }
                    (_, libc::PTRACE_EVENT_STOP) => self.go(tid, 0)?,
                    (_, 0) => return self.signalled(tid, signal),
                    _ => self.go(tid, 0)?,
                }
            }
        }
        Ok(None)
    }

    /// Lets `tid` run, delivering `signal`.
    fn go(&mut self, tid: Tid, signal: i32) -> Result<(), LaunchError> {
        match sys::cont(tid, signal) {
            Ok(()) => {
                self.set(tid, Slot::Running);
                Ok(())
            }
            // Killed meanwhile: its end is on its way.
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            Err(error) => Err(LaunchError::Ptrace {
                what: "PTRACE_CONT",
                error,
            }),
        }
    }

    fn set(&mut self, tid: Tid, slot: Slot) {
        if let Some(t) = self.threads.get_mut(&tid) {
            t.slot = slot;
        }
    }

    /// A thread or process ended.
    fn ended(&mut self, tid: Tid, how: Exit) {
        let tgid = self.threads.remove(&tid).map_or(tid, |t| t.tgid);
        if tid != tgid || !self.procs.contains_key(&tid) {
            return;
        }
        // A process leader's end is its process's (reported last).
        self.threads.retain(|_, t| t.tgid != tid);
        self.procs.remove(&tid);
        if tid == self.pid {
            // Children forked just before the end still stand at their
            // first stop: let them go (or follow them) before pmdb ends.
            while let Some(child) = self.forks.pop() {
                match sys::wait(child) {
                    Ok((_, Status::Stopped { .. })) => self.first_stop(child),
                    _ => continue,
                }
            }
            self.release_others();
            self.exit = Some(how);
        }
    }

    /// A fork event named `child`, whose first stop may have come already.
    fn announced(&mut self, child: Tid) {
        if !self.let_go.contains(&child) && !self.procs.contains_key(&child) {
            self.forks.push(child);
        }
    }

    /// The first stop of a thread or process pmdb has not seen run.
    fn first_stop(&mut self, tid: Tid) {
        self.forks.retain(|&f| f != tid);
        // A thread whose clone event came first is known already.
        let tgid = match self.threads.get(&tid) {
            Some(t) if t.slot == Slot::Starting => t.tgid,
            _ => sys::thread_group(tid).unwrap_or(tid),
        };
        if self.procs.contains_key(&tgid) && tgid != tid {
            self.threads.insert(
                tid,
                Traced {
                    tgid,
                    slot: Slot::Running,
                },
            );
            let _ = self.go(tid, 0);
            return;
        }
        // A forked child: its own process.
        let parent = parent_of(tid).unwrap_or(self.pid);
        let traps = self.procs.get(&parent).and_then(|p| p.traps);
        if self.options.follow_fork {
            let program = self
                .procs
                .get(&parent)
                .map(|p| p.program.clone())
                .unwrap_or_default();
            self.procs.insert(
                tid,
                Proc {
                    program,
                    traps,
                    engine: None,
                },
            );
            self.threads.insert(
                tid,
                Traced {
                    tgid: tid,
                    slot: Slot::Running,
                },
            );
            let _ = self.go(tid, 0);
        } else {
            // Its copy of the breakpoints out, then let go untraced.
            if let Some(t) = traps {
                let _ = t.raise.remove(tid);
                if let Some(h) = t.hook {
                    let _ = h.remove(tid);
                }
            }
            let _ = sys::detach(tid, 0);
            self.let_go.push(tid);
        }
    }

    /// The process became another program: its other threads are gone,
    /// and its breakpoints with its old memory.
    fn execed(&mut self, tid: Tid) -> Result<(), LaunchError> {
        let tgid = self.threads.get(&tid).map_or(tid, |t| t.tgid);
        self.threads.retain(|_, t| t.tgid != tgid);
        self.threads.insert(
            tgid,
            Traced {
                tgid,
                slot: Slot::Running,
            },
        );
        let threads = &self.threads;
        self.raised.retain(|t, _| threads.contains_key(t));
        self.arm(tgid, false);
        self.go(tgid, 0)
    }

    /// Puts the panic breakpoints in process `tgid`'s program, or notes why
    /// not (`first`: for the program pmdb was asked to run).
    fn arm(&mut self, tgid: Tid, first: bool) {
        let exe = std::fs::read_link(format!("/proc/{tgid}/exe")).unwrap_or_default();
        let program = exe
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "<unknown>".into());
        let found = sys::auxv(tgid, process::AT_ENTRY)
            .and_then(|e| entry::bias(Path::new(&format!("/proc/{tgid}/exe")), e))
            .ok_or(Missing::Unreadable)
            .and_then(|bias| entry::find(Path::new(&format!("/proc/{tgid}/exe")), bias));
        let traps = match found {
            Ok(PanicEntry { hook, raise }) => match Trap::place(tgid, raise) {
                Ok(raise) => Some(Traps {
                    hook: hook.and_then(|h| Trap::place(tgid, h).ok()),
                    raise,
                }),
                Err(e) => {
                    self.notes.push(format!(
                        "cannot put a breakpoint in {program}: {e}; pmdb stops at fatal signals only"
                    ));
                    None
                }
            },
            Err(why) => {
                if first {
                    self.notes.push(match why {
                        Missing::Stripped => format!(
                            "{program} has no symbol table (stripped): pmdb stops at its fatal signals, not at its panics"
                        ),
                        Missing::NotRust => format!(
                            "{program} has no Rust panic entry (std's rust_panic): pmdb stops at its fatal signals only"
                        ),
                        Missing::Unreadable => format!(
                            "cannot read {}: pmdb stops at its fatal signals only",
                            exe.display()
                        ),
                    });
                }
                None
            }
        };
        self.procs.insert(
            tgid,
            Proc {
                program,
                traps,
                engine: None,
            },
        );
    }

    /// A signal-delivery stop: a breakpoint, a fatal signal, or a signal
    /// to pass on.
    fn signalled(&mut self, tid: Tid, signal: i32) -> Result<Option<Event>, LaunchError> {
        let tgid = self.threads[&tid].tgid;
        let info = sys::siginfo(tid);
        if signal == libc::SIGTRAP
            && info.is_none_or(|i| i.code == SI_KERNEL)
            && let Some(traps) = self.procs.get(&tgid).and_then(|p| p.traps)
            && let Ok(regs) = sys::regs(tid)
        {
            if let Some(hook) = traps.hook.filter(|h| h.hit(&regs)) {
                self.raised.insert(
                    tid,
                    Raised {
                        payload: regs.rdi,
                        vtable: regs.rsi,
                        location: regs.rdx,
                    },
                );
                hook.step_over(tid, regs)
                    .map_err(|error| LaunchError::Ptrace {
                        what: "stepping over the panic hook's breakpoint",
                        error,
                    })?;
                self.go(tid, 0)?;
                return Ok(None);
            }
            if traps.raise.hit(&regs) {
                let mut regs = regs;
                regs.rip = traps.raise.addr;
                let _ = sys::set_regs(tid, regs);
                return self.panicked(tid, tgid, regs, traps);
            }
        }
        let rip = sys::regs(tid).map_or(0, |r| r.rip);
        if stops_at(signal, info, tgid) && self.let_through != Some((tid, signal, rip)) {
            self.let_through = Some((tid, signal, rip));
            let held = Held::Signal { tid, tgid, signal };
            return self.stop(held, info).map(|s| s.map(Event::Stopped));
        }
        self.go(tid, signal)?;
        Ok(None)
    }

    /// Thread `tid` stands at the raise, before any unwinding: stop there
    /// if the options say so, else let it go on.
    fn panicked(
        &mut self,
        tid: Tid,
        tgid: Tid,
        regs: libc::user_regs_struct,
        traps: Traps,
    ) -> Result<Option<Event>, LaunchError> {
        let engine = self.engine(tgid);
        let caught = match self.options.stop_on {
            StopOn::All => None,
            _ => {
                let raw = engine
                    .tables()
                    .raw_frames(crate::memory::process::dwarf_regs(&regs), MAX_FRAMES);
                Some(panic::caught(&panic::frame_names(&engine, &raw)))
            }
        };
        let wanted = match (self.options.stop_on, caught) {
            (StopOn::All, _) => true,
            (StopOn::Uncaught, Some(c)) => !c,
            (StopOn::Caught, Some(c)) => c,
            (_, None) => true,
        };
        if !wanted {
            self.raised.remove(&tid);
            traps
                .raise
                .step_over(tid, regs)
                .map_err(|error| LaunchError::Ptrace {
                    what: "stepping over the panic breakpoint",
                    error,
                })?;
            self.go(tid, 0)?;
            return Ok(None);
        }
        let held = Held::Panic {
            tid,
            tgid,
            regs: Box::new(regs),
        };
        let stop = self.stop(held, None)?;
        Ok(stop.map(|mut s| {
            s.caught = caught.unwrap_or(false);
            Event::Stopped(s)
        }))
    }

    /// The engine of process `tgid`, made again when its mappings changed.
    fn engine(&mut self, tgid: Tid) -> Arc<Engine> {
        let maps = std::fs::read_to_string(format!("/proc/{tgid}/maps")).unwrap_or_default();
        // Only the files mapped matter, not the heap's growth.
        let files: String = maps
            .lines()
            .filter(|l| l.contains(" /"))
            .collect::<Vec<_>>()
            .join("\n");
        let debug_dirs = self.options.debug_dirs.clone();
        let by_symbol = self.options.libraries_by_symbol;
        let proc = self.procs.get_mut(&tgid);
        if let Some(Proc {
            engine: Some((seen, engine)),
            ..
        }) = proc.as_deref()
            && *seen == files
        {
            return engine.clone();
        }
        let mut engine = Engine::new(Arc::new(Launched::new(tgid))).with_debug_roots(debug_dirs);
        if by_symbol {
            engine = engine.with_libraries_by_symbol();
        }
        let engine = Arc::new(engine);
        if let Some(p) = proc {
            p.engine = Some((files, engine.clone()));
        }
        engine
    }

    /// Stops every thread of the process `held` is about and describes it;
    /// `None` when the process ended or changed program meanwhile.
    fn stop(&mut self, held: Held, info: Option<SigInfo>) -> Result<Option<Stop>, LaunchError> {
        let (tid, tgid) = match held {
            Held::Panic { tid, tgid, .. } | Held::Signal { tid, tgid, .. } => (tid, tgid),
        };
        self.set(
            tid,
            Slot::Held {
                signal: 0,
                job: false,
            },
        );
        self.stop_others(tgid)?;
        if self.exit.is_some() || !self.threads.contains_key(&tid) {
            return Ok(None);
        }
        let engine = self.engine(tgid);
        let mut tids: Vec<Tid> = self
            .threads
            .iter()
            .filter(|(t, th)| th.tgid == tgid && **t != tid && matches!(th.slot, Slot::Held { .. }))
            .map(|(&t, _)| t)
            .collect();
        tids.insert(0, tid);
        let mut threads = Vec::new();
        let mut crashed_regs = None;
        let mut pointers = Vec::new();
        for t in tids {
            let Ok(regs) = sys::regs(t) else { continue };
            if t == tid {
                crashed_regs = Some(regs);
            }
            let name = thread_name(tgid, t);
            // Only a name of the kernel's full 15 bytes may have been cut.
            if t != tgid && name.len() >= COMM_KEPT {
                pointers.push((t as u64, regs.fs_base));
            }
            threads.push(Thread {
                id: t as u64,
                name,
                stack: Stack::Regs(Box::new(crate::memory::process::dwarf_regs(&regs))),
            });
        }
        // The kernel keeps 15 bytes of a name; std's own copy is whole
        // (read from memory only where the kernel's may be cut).
        let mut names = crate::hosts::coredump::names::from_memory(&engine, &pointers);
        for th in &mut threads {
            if let Some(name) = names.remove(&th.id) {
                th.name = name;
            }
        }
        let crashed_name = threads
            .iter()
            .find(|th| th.id == tid as u64)
            .map(|th| th.name.clone());
        let program = self
            .procs
            .get(&tgid)
            .map(|p| p.program.clone())
            .unwrap_or_default();
        let mut crash_info = CrashInfo {
            kind: CrashKind::Panic,
            message: String::new(),
            payload_type: None,
            file: None,
            line: None,
            column: None,
            thread: tid as u64,
            thread_name: crashed_name.unwrap_or_else(|| thread_name(tgid, tid)),
            pid: tgid as u32,
            program,
            time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            taken_by: None,
            analysis: None,
        };
        match held {
            Held::Panic { .. } => {
                panic::describe(&engine, self.raised.get(&tid).copied(), &mut crash_info);
            }
            Held::Signal { signal, .. } => {
                crash_info.kind = CrashKind::Signal;
                crash_info.message = match info {
                    Some(i) => crate::crash::signal::describe(signal, i.code, i.addr),
                    None => crate::crash::signal::name(signal),
                };
                if let Some(regs) = crashed_regs {
                    let dwarf = crate::memory::process::dwarf_regs(&regs);
                    if let Some(i) = info {
                        let maps = std::fs::read_to_string(format!("/proc/{tgid}/maps"))
                            .unwrap_or_default();
                        crash_info.analysis = crate::crash::triage::analyse(
                            crate::crash::triage::Fault {
                                signo: signal,
                                code: i.code,
                                addr: i.addr,
                            },
                            &dwarf,
                            &corefile::regions_from_maps(&maps),
                        );
                    }
                    let raw = engine.tables().raw_frames(dwarf, 64);
                    if let Some((f, l, c)) = crate::crash::traceback::user_location(&engine, &raw) {
                        crash_info.file = Some(f);
                        crash_info.line = Some(l);
                        crash_info.column = c;
                    }
                }
            }
        }
        self.held = Some(held);
        Ok(Some(Stop {
            engine,
            crash: Crash {
                info: crash_info,
                threads,
            },
            caught: false,
        }))
    }

    /// Interrupts every running thread of `tgid` and takes events until
    /// each is held (or gone).
    fn stop_others(&mut self, tgid: Tid) -> Result<(), LaunchError> {
        let threads: Vec<(Tid, Slot)> = self
            .threads
            .iter()
            .filter(|(_, t)| t.tgid == tgid)
            .map(|(&tid, t)| (tid, t.slot))
            .collect();
        for (tid, slot) in threads {
            // A thread in a job-control stop reports when interrupted too.
            if matches!(slot, Slot::Running | Slot::Listening) && sys::interrupt(tid).is_ok() {
                self.set(tid, Slot::Stopping);
            }
        }
        // Threads announced but not yet seen stop at their start anyway.
        while self
            .threads
            .values()
            .any(|t| t.tgid == tgid && matches!(t.slot, Slot::Stopping | Slot::Starting))
        {
            let (tid, status) = wait_any()?;
            let known = self.threads.get(&tid).map(|t| (t.slot, t.tgid));
            match (status, known) {
                (Status::Exited(code), _) => self.ended(tid, Exit::Code(code)),
                (Status::Killed { signal, core }, _) => {
                    self.ended(tid, Exit::Signal { signal, core });
                }
                (_, None) if sys::thread_group(tid) == Some(tgid) => {
                    // A new thread of this process: held from its start.
                    self.threads.insert(
                        tid,
                        Traced {
                            tgid,
                            slot: Slot::Held {
                                signal: 0,
                                job: false,
                            },
                        },
                    );
                }
                (_, None) => self.first_stop(tid),
                (_, Some((Slot::Starting, _))) => self.set(
                    tid,
                    Slot::Held {
                        signal: 0,
                        job: false,
                    },
                ),
                (Status::Stopped { signal, event }, Some((slot, owner))) => {
                    // Another process's event waits, held, for this stop to end.
                    self.held_by(tid, slot, signal, event, owner);
                }
            }
            if self.exit.is_some() {
                break;
            }
        }
        Ok(())
    }

    /// A thread of the process being stopped reported `signal`/`event`.
    fn held_by(&mut self, tid: Tid, slot: Slot, signal: i32, event: i32, tgid: Tid) {
        let hold = |signal| Slot::Held { signal, job: false };
        match event {
            libc::PTRACE_EVENT_CLONE => {
                if let Ok(new) = sys::event_message(tid) {
                    let new = new as Tid;
                    self.threads.entry(new).or_insert(Traced {
                        tgid,
                        slot: Slot::Stopping,
                    });
                }
                self.set(tid, hold(0));
            }
            libc::PTRACE_EVENT_STOP => match slot {
                Slot::Stopping if is_job_stop(signal) => self.set(
                    tid,
                    Slot::Held {
                        signal: 0,
                        job: true,
                    },
                ),
                _ => self.set(tid, hold(0)),
            },
            0 => {
                // A panic breakpoint taken meanwhile is taken again later.
                let traps = self.procs.get(&tgid).and_then(|p| p.traps);
                if signal == libc::SIGTRAP
                    && let Some(t) = traps
                    && let Ok(mut regs) = sys::regs(tid)
                    && let Some(trap) = [Some(t.raise), t.hook]
                        .into_iter()
                        .flatten()
                        .find(|trap| trap.hit(&regs))
                {
                    regs.rip = trap.addr;
                    let _ = sys::set_regs(tid, regs);
                    self.set(tid, hold(0));
                } else {
                    self.set(tid, hold(signal));
                }
            }
            libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK => {
                if let Ok(child) = sys::event_message(tid) {
                    self.announced(child as Tid);
                }
                self.set(tid, hold(0));
            }
            // exec: held where it stands.
            _ => self.set(tid, hold(0)),
        }
    }

    /// The program itself ended: every process followed with it is let go
    /// untraced (they would die with pmdb otherwise).
    fn release_others(&mut self) {
        let others: Vec<Tid> = self
            .procs
            .keys()
            .copied()
            .filter(|&p| p != self.pid)
            .collect();
        for tgid in others {
            let _ = self.stop_others(tgid);
            let traps = self.procs.get(&tgid).and_then(|p| p.traps);
            if let Some(t) = traps {
                let _ = t.raise.remove(tgid);
                if let Some(h) = t.hook {
                    let _ = h.remove(tgid);
                }
            }
            let tids: Vec<(Tid, Slot)> = self
                .threads
                .iter()
                .filter(|(_, t)| t.tgid == tgid)
                .map(|(&tid, t)| (tid, t.slot))
                .collect();
            for (tid, slot) in tids {
                let signal = match slot {
                    Slot::Held { signal, .. } => signal,
                    _ => 0,
                };
                let _ = sys::detach(tid, signal);
                self.threads.remove(&tid);
            }
            self.procs.remove(&tgid);
            self.let_go.push(tgid);
        }
    }
}

impl Drop for Tracee {
    /// Never leaves the program stopped or running on untraced: a tracee
    /// dropped before its end is killed and reaped.
    fn drop(&mut self) {
        if self.exit.is_none() {
            let _ = self.kill();
        }
    }
}

/// The next event of any tracee.
fn wait_any() -> Result<(Tid, Status), LaunchError> {
    sys::wait(-1).map_err(|error| LaunchError::Ptrace {
        what: "waitpid",
        error,
    })
}

/// The stop signals of job control.
fn is_job_stop(signal: i32) -> bool {
    matches!(
        signal,
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
    )
}

/// Whether `signal` is one the program would die of, so pmdb stops there:
/// a fault the kernel raised (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`,
/// `SIGTRAP`, seccomp's `SIGSYS`; Rust's own `SIGSEGV` handler only
/// reports stack overflows, then dies), `abort()`'s `SIGABRT`, or any of
/// them sent by another process while the program has no handler.
fn stops_at(signal: i32, info: Option<SigInfo>, tgid: Tid) -> bool {
    let faults = [
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
        libc::SIGTRAP,
        libc::SIGSYS,
    ];
    let sent_by_kernel = info.is_some_and(|i| i.code > 0);
    let by_itself = info.is_some_and(|i| i.pid == tgid && i.code <= 0);
    if faults.contains(&signal) {
        return sent_by_kernel || !sys::has_handler(tgid, signal);
    }
    if signal == libc::SIGABRT {
        return by_itself || !sys::has_handler(tgid, signal);
    }
    false
}

/// A thread's name: `main` for the process's first, else the kernel's
/// (replaced by std's own, whole, where the thread's memory has it).
fn thread_name(tgid: Tid, tid: Tid) -> String {
    if tid == tgid {
        return "main".into();
    }
    sys::comm(tgid, tid).unwrap_or_else(|| "<unnamed>".into())
}

/// The process that forked `pid`.
fn parent_of(pid: Tid) -> Option<Tid> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .and_then(|v| v.trim().parse().ok())
}
