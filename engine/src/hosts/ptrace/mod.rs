//! The ptrace host: any running process pmdb may trace (its own user's, or
//! any as root), whether or not it links the agent, described to the engine
//! as the agent and the core file describe theirs. Every thread is stopped
//! (`stop`), its registers read; memory is read from outside (`memory`),
//! the loaded objects placed from `/proc/PID/maps` and the ELF headers in
//! the process's memory (as the core host places them), thread names and
//! states from `/proc` (`procfs`, `syscalls`). The snapshot is a crash
//! record of kind [`wire::CrashKind::Snapshot`], taken by
//! [`wire::TakenBy::Ptrace`]; the process stays stopped for as long as the
//! [`Hold`] lives, and is left exactly as it was when it goes.

mod memory;
mod procfs;
mod stop;
pub mod syscalls;
mod warm;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use wire::{CrashInfo, CrashKind, TakenBy, ThreadState};

use crate::crash::serve::{Saver, Server, Verdict};
use crate::hosts::coredump::memory::FileMapping;
use crate::hosts::gcore;
use crate::memory::process::ReadError;
use crate::memory::process::{Crash, Object, Process, Stack, Thread, dwarf_regs};
use crate::{Engine, Inspector};

pub use self::stop::{Hold, Released, STOP_DEADLINE};

/// How to read the process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// More roots of separate debug files, laid out like `/usr/lib/debug`.
    pub debug_dirs: Vec<PathBuf>,
    /// Who fetches a missing debug file by build-id (debuginfod).
    pub fetcher: crate::dwarf::debug_files::Fetcher,
    /// Name shared objects' frames from their symbol tables only, without
    /// their DWARF (`Engine::with_libraries_by_symbol`): no file and line
    /// for libc's frames, but no inflating of libc's compressed debug file,
    /// most of a cold `pmdb report PID`'s time (BENCHMARKS.md).
    pub libraries_by_symbol: bool,
}

/// Why a process cannot be snapshotted; each is one line that says what
/// to do, and in every case the process is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("no process has pid {0}")]
    NoProcess(u32),
    #[error("pid {0} is this pmdb itself; run another pmdb to look at it")]
    Itself(u32),
    #[error("pid {pid} is a kernel thread ({name}), not a program pmdb can read")]
    KernelThread { pid: u32, name: String },
    #[error(
        "pid {0} is a zombie: it has exited and waits for its parent to reap it, so nothing of it is left to read"
    )]
    Zombie(u32),
    #[error(
        "pid {pid} is already traced by pid {tracer} ({name}); detach that debugger or tracer first"
    )]
    AlreadyTraced { pid: u32, tracer: u32, name: String },
    #[error("cannot trace pid {pid}: {why}")]
    NotPermitted { pid: u32, why: String },
    #[error("pid {pid} runs {what}; pmdb reads x86-64 programs only")]
    NotX86_64 { pid: u32, what: String },
    #[error("pid {0} exited while pmdb was stopping it")]
    Exited(u32),
    #[error(
        "pid {0} ended while pmdb held it (SIGKILL reaches even a stopped process); what was read of it is incomplete, so nothing is shown"
    )]
    EndedWhileHeld(u32),
    #[error(
        "pid {0} started another program (execve) while pmdb was stopping it; nothing was read, ask again"
    )]
    Execed(u32),
    #[error("cannot stop pid {pid}: {what} failed: {errno}")]
    Ptrace {
        pid: u32,
        what: &'static str,
        errno: nix::errno::Errno,
    },
    #[error("cannot read pid {0}'s memory map: {1}")]
    Maps(u32, String),
    #[error("{0}")]
    Io(String),
}

impl SnapshotError {
    /// Why this user may not trace `pid`, as precisely as `/proc` tells.
    fn not_permitted(pid: u32) -> SnapshotError {
        let ours = nix::unistd::getuid().as_raw();
        let theirs = procfs::status(pid).map_or(ours, |s| s.uid);
        let why = if theirs != ours && ours != 0 {
            format!(
                "it belongs to uid {theirs} and pmdb runs as uid {ours}; run pmdb as that user, or as root"
            )
        } else {
            match std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope") {
                Ok(scope) if scope.trim() != "0" => format!(
                    "kernel.yama.ptrace_scope is {}, which forbids it; run pmdb as root or set it to 0",
                    scope.trim()
                ),
                _ => "the kernel refused (pmdb lacks CAP_SYS_PTRACE here, e.g. in a container)"
                    .to_string(),
            }
        };
        SnapshotError::NotPermitted { pid, why }
    }
}

/// A live process as the engine reads it: memory through
/// `process_vm_readv`, objects as they were when it was stopped, and what
/// each thread was doing.
pub struct LiveProcess {
    pid: u32,
    objects: Vec<Object>,
    /// Known once the threads are stopped.
    states: OnceLock<HashMap<u64, ThreadState>>,
    /// This machine's monotonic clock once every thread was stopped.
    stopped_at: OnceLock<Duration>,
}

impl Process for LiveProcess {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        memory::read(self.pid, addr, buf)
    }

    fn objects(&self) -> Vec<Object> {
        self.objects.clone()
    }

    fn cache_pages(&self) -> bool {
        true
    }

    fn thread_state(&self, tid: u64) -> Option<ThreadState> {
        self.states.get()?.get(&tid).cloned()
    }

    fn monotonic_now(&self) -> Option<Duration> {
        self.stopped_at.get().copied()
    }
}

/// A stopped process: its engine, the snapshot's record and threads, and
/// the hold that keeps it stopped.
pub struct Snapshot {
    pub engine: Arc<Engine>,
    pub crash: Crash,
    pub hold: Hold,
    /// Each stopped thread's full register set (for a core of it), by tid.
    pub registers: Vec<(u32, libc::user_regs_struct)>,
}

/// Stops every thread of process `pid` and describes it to a new engine.
/// The process stays stopped until the snapshot's [`Hold`] goes.
pub fn snapshot(pid: u32, options: &Options) -> Result<Snapshot, SnapshotError> {
    let pid = check(pid)?;
    let new_engine = |objects: Vec<Object>| {
        let process = Arc::new(LiveProcess {
            pid,
            objects,
            states: OnceLock::new(),
            stopped_at: OnceLock::new(),
        });
        let engine = Engine::new(process.clone())
            .with_debug_roots(options.debug_dirs.clone())
            .with_fetcher(options.fetcher.clone());
        let engine = match options.libraries_by_symbol {
            true => engine.with_libraries_by_symbol(),
            false => engine,
        };
        (process, Arc::new(engine))
    };
    // What can be done while the process runs is done before it stops.
    let (files, objects, maps) = place(pid)?;
    let (mut process, mut engine) = new_engine(objects);
    warm::warm(&engine, pid, &maps);
    let (hold, threads) = stop::stop_all(pid)?;
    // Every thread stands still from here until the hold goes: the time
    // of the snapshot, on the clock the process's own deadlines count on.
    let stopped_at = crate::memory::process::monotonic_clock();
    // A library loaded or unloaded meanwhile: placed again, as stopped.
    let (files_now, objects_now, _) = place(pid)?;
    if files_now != files {
        (process, engine) = new_engine(objects_now);
    }
    if let Some(at) = stopped_at {
        let _ = process.stopped_at.set(at);
    }
    let _ = process.states.set(
        threads
            .iter()
            .filter_map(|t| Some((u64::from(t.tid), t.state.clone()?)))
            .collect(),
    );
    let program = std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .and_then(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .or_else(|| procfs::stat(pid).ok().map(|s| s.comm))
        .unwrap_or_else(|| "<unknown>".into());
    let not_stopped = threads.iter().filter(|t| t.regs.is_none()).count();
    let crash = Crash {
        info: CrashInfo {
            kind: CrashKind::Snapshot,
            message: format!(
                "live snapshot of pid {pid} ({program}) by ptrace, {} threads{}",
                threads.len(),
                match not_stopped {
                    0 => String::new(),
                    n => format!(", {n} not stopped"),
                }
            ),
            payload_type: None,
            file: None,
            line: None,
            column: None,
            thread: u64::from(threads.first().map_or(pid, |t| t.tid)),
            thread_name: "main".into(),
            pid,
            program,
            time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            taken_by: Some(TakenBy::Ptrace),
            analysis: None,
        },
        threads: threads
            .iter()
            .map(|t| {
                let name = match t.tid == pid {
                    true => "main".to_string(),
                    false => procfs::comm(pid, t.tid).unwrap_or_else(|| "<unnamed>".into()),
                };
                Thread {
                    id: u64::from(t.tid),
                    name: match &t.not_stopped {
                        Some(why) => format!("{name} ({why})"),
                        None => name,
                    },
                    stack: match &t.regs {
                        Some(r) => Stack::Regs(Box::new(dwarf_regs(r))),
                        None => Stack::Unwound(Vec::new()),
                    },
                }
            })
            .collect(),
    };
    let registers = threads
        .iter()
        .filter_map(|t| Some((t.tid, t.regs?)))
        .collect();
    Ok(Snapshot {
        engine,
        crash,
        hold,
        registers,
    })
}

/// Whether process `pid` has ended: gone, or a zombie or dead (killed
/// while held, say), so its memory can no longer be read.
pub fn ended(pid: u32) -> bool {
    procfs::stat(pid).map_or(true, |s| matches!(s.state, 'Z' | 'X'))
}

/// How long an idle client of a held snapshot is served (the process is
/// held meanwhile, as `gdb -p` holds it).
const HELD_CLIENT_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

/// Serves the snapshot over the in-memory transport on a thread of its
/// own, holding the process stopped until the client says `Resume` (or
/// closes the session): then every thread goes on. `Kill` ends the process.
pub fn serve_holding(snapshot: Snapshot) -> Result<wire::Session, wire::Error> {
    let saver = saver(hold_pid(&snapshot), &snapshot.registers);
    let Snapshot {
        engine,
        crash,
        hold,
        ..
    } = snapshot;
    let server = Server::new(Inspector::new(engine, crash), HELD_CLIENT_TIMEOUT).saving_with(saver);
    let (client, end) = wire::MemoryTransport::pair();
    std::thread::Builder::new()
        .name("pmdb-snapshot".into())
        .spawn(move || {
            let mut transport = Releasing {
                inner: end,
                server: &server,
                hold: Some(hold),
            };
            server.converse(&mut transport);
        })
        .map_err(wire::Error::Io)?;
    wire::Session::over(Box::new(client))
}

/// The server's side of a held snapshot: lets the process go as soon as
/// the client's verdict is in (after its reply is sent), or when dropped.
struct Releasing<'a> {
    inner: wire::MemoryTransport,
    server: &'a Server,
    hold: Option<Hold>,
}

impl wire::Transport for Releasing<'_> {
    fn send(&mut self, message: &[u8]) -> Result<(), wire::Error> {
        let sent = self.inner.send(message);
        if let Some(verdict) = self.server.verdict()
            && let Some(hold) = self.hold.take()
        {
            if verdict == Verdict::Kill {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(hold.pid() as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            hold.release();
        }
        sent
    }

    fn recv(&mut self) -> Result<Vec<u8>, wire::Error> {
        self.inner.recv()
    }
}

/// Serves the snapshot's engine and record over the in-memory transport;
/// the caller keeps the hold and says when to let the process go.
pub fn serve_in_process(snapshot: &Snapshot) -> Result<wire::Session, wire::Error> {
    crate::crash::serve::in_process(
        Server::new(
            Inspector::new(snapshot.engine.clone(), snapshot.crash.clone()),
            HELD_CLIENT_TIMEOUT,
        )
        .saving_with(saver(hold_pid(snapshot), &snapshot.registers)),
    )
}

/// The process a snapshot holds.
fn hold_pid(snapshot: &Snapshot) -> u32 {
    snapshot.hold.pid()
}

/// How a held snapshot writes its core (`SaveCore`): the stopped threads'
/// registers and thread pointers, `/proc`'s maps, auxiliary vector and
/// command line as they stand while held, memory through
/// `process_vm_readv`, and the snapshot's record.
fn saver(pid: u32, registers: &[(u32, libc::user_regs_struct)]) -> Saver {
    let fs_bases: HashMap<u64, u64> = registers
        .iter()
        .map(|(tid, r)| (u64::from(*tid), r.fs_base))
        .collect();
    Box::new(move |ins: &Inspector, path: &std::path::Path| {
        let (maps, auxv, cmdline) =
            gcore::proc_files(&pid.to_string()).map_err(|e| e.to_string())?;
        let extras = gcore::Extras {
            maps,
            auxv,
            cmdline,
            fs_bases: fs_bases.clone(),
            ..Default::default()
        };
        let process = ins.engine().mem().process().clone();
        gcore::save(&*process, &ins.crash, &extras, path).map_err(|e| e.to_string())
    })
}

/// `AT_ENTRY`: the program's entry point in the auxiliary vector.
const AT_ENTRY: u64 = 9;
/// ELF's `EM_X86_64`.
const EM_X86_64: u16 = 62;

/// Refuses what cannot or must not be stopped; the pid to stop (a thread
/// id given for a process is read as its process).
fn check(pid: u32) -> Result<u32, SnapshotError> {
    let stat = match procfs::stat(pid) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SnapshotError::NoProcess(pid));
        }
        Err(e) => return Err(SnapshotError::Io(format!("cannot read /proc/{pid}: {e}"))),
    };
    let status = procfs::status(pid).unwrap_or_default();
    let pid = if status.tgid != 0 { status.tgid } else { pid };
    if pid == std::process::id() {
        return Err(SnapshotError::Itself(pid));
    }
    if stat.kernel_thread() {
        return Err(SnapshotError::KernelThread {
            pid,
            name: stat.comm,
        });
    }
    match stat.state {
        'Z' => return Err(SnapshotError::Zombie(pid)),
        'X' => return Err(SnapshotError::Exited(pid)),
        _ => {}
    }
    if status.tracer != 0 {
        return Err(SnapshotError::AlreadyTraced {
            pid,
            tracer: status.tracer,
            name: procfs::stat(status.tracer)
                .map(|s| s.comm)
                .unwrap_or_default(),
        });
    }
    match procfs::exe_machine(pid) {
        Some((2, EM_X86_64)) | None => {}
        Some((1, machine)) => {
            return Err(SnapshotError::NotX86_64 {
                pid,
                what: format!("a 32-bit program (ELF32, {})", machine_name(machine)),
            });
        }
        Some((_, machine)) => {
            return Err(SnapshotError::NotX86_64 {
                pid,
                what: format!("a program for {}", machine_name(machine)),
            });
        }
    }
    Ok(pid)
}

/// ELF `e_machine` values a user may meet.
fn machine_name(machine: u16) -> String {
    match machine {
        3 => "i386".into(),
        40 => "ARM".into(),
        62 => "x86-64".into(),
        183 => "AArch64".into(),
        243 => "RISC-V".into(),
        m => format!("machine {m}"),
    }
}

/// The file mappings (start, end, path), the loaded objects and every
/// mapping of `pid`.
type Placed = (Vec<(u64, u64, String)>, Vec<Object>, Vec<procfs::Mapping>);

/// The loaded objects, placed as the core host places them: each ELF file
/// the process maps (and the vDSO), by the headers in its memory.
fn place(pid: u32) -> Result<Placed, SnapshotError> {
    let maps = procfs::maps(pid).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SnapshotError::Exited(pid),
        std::io::ErrorKind::PermissionDenied => SnapshotError::not_permitted(pid),
        _ => SnapshotError::Maps(pid, e.to_string()),
    })?;
    let entry = procfs::auxv(pid)
        .ok()
        .and_then(|a| a.iter().find(|(k, _)| *k == AT_ENTRY).map(|(_, v)| *v));
    let files: Vec<FileMapping> = maps
        .iter()
        .filter(|m| m.path.starts_with('/') || m.path == "[vdso]")
        .map(|m| FileMapping {
            start: m.start,
            end: m.end,
            offset: m.offset,
            path: m.path.clone(),
            data: None,
        })
        .collect();
    let read = |addr: u64, buf: &mut [u8]| memory::read(pid, addr, buf);
    let mut objects = crate::hosts::coredump::objects::objects(&files, &read, &read, entry);
    // A program rebuilt while it runs: its old file is still there.
    if let Some(main) = objects.first_mut()
        && main.main
        && maps.iter().any(|m| m.deleted && m.path == main.path)
    {
        main.path = format!("/proc/{pid}/exe");
    }
    let key = files
        .into_iter()
        .map(|f| (f.start, f.end, f.path))
        .collect();
    Ok((key, objects, maps))
}
