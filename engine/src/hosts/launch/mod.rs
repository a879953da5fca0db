//! The launcher: `pmdb run -- CMD` and `pmdb test` for any program, with or
//! without the agent. pmdb starts the program as its child under ptrace
//! from its first instruction (`spawn`), puts breakpoints on std's panic
//! entry (`entry`), and lets it run, passing every signal on unchanged,
//! until a thread panics or takes a fatal signal. Then every thread of the
//! process is stopped and the stop is described to the engine like a
//! crash (`process`, `panic`: message, location, caught or not), served
//! in-process as a core is. Going on resumes the program exactly where it
//! stopped; a program that never panics runs to its end untouched.
//!
//! Decisions:
//! - New threads are traced (`PTRACE_O_TRACECLONE`); the program's own
//!   children are not, unless asked (`follow_fork`): a forked child gets
//!   its copy of the breakpoints taken out and is let go at once.
//!   `vfork` children (what `posix_spawn` makes) share the parent's memory
//!   until they exec, so they are left alone.
//! - A program that calls `execve` stays traced; the breakpoints are put in
//!   the new program.
//! - `PTRACE_O_EXITKILL`: the program pmdb started dies with pmdb, so
//!   however pmdb ends (a crash, `SIGKILL`) the program is never left
//!   stopped, traced by nobody, or running on with nobody to report it.
//!   Programs a child forked are never traced, so they outlive pmdb.
//! - Every ptrace request comes from the thread that called
//!   [`Tracee::start`]: a [`Tracee`] stays on that thread. The engine
//!   reads memory from any thread.

mod entry;
mod panic;
mod process;
mod spawn;
mod sys;
mod trace;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use crate::crash::serve::{Server, Verdict};
use crate::memory::process::Crash;
use crate::{Engine, Inspector};

pub use self::entry::links_agent;
pub use self::panic::caught as caught_by_program;
pub use self::spawn::{Kind, resolve};
pub use self::trace::Tracee;

/// Which panics stop the program.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StopOn {
    /// Those the program does not catch itself: where it would die, or a
    /// thread dies with its message printed. The default.
    #[default]
    Uncaught,
    /// Only those a `catch_unwind` of the program's own catches.
    Caught,
    /// Every panic.
    All,
}

/// How to run the program.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub stop_on: StopOn,
    /// Trace the program's children too (each stops at its own panics).
    pub follow_fork: bool,
    /// More roots of separate debug files, laid out like `/usr/lib/debug`.
    pub debug_dirs: Vec<std::path::PathBuf>,
    /// Environment variables set for the program (the rest is pmdb's).
    pub env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
    /// Frames in shared objects (libc) named by their symbol tables only,
    /// their DWARF never read ([`Engine::with_libraries_by_symbol`]).
    pub libraries_by_symbol: bool,
}

/// How the program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal { signal: i32, core: bool },
}

impl Exit {
    /// The shell's number for it: the code, or 128 + the signal.
    pub fn shell_code(&self) -> i32 {
        match *self {
            Exit::Code(c) => c,
            Exit::Signal { signal, .. } => 128 + signal,
        }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Exit::Code(c) => write!(f, "exit status {c}"),
            Exit::Signal { signal, core } => write!(
                f,
                "killed by {}{}",
                crate::crash::signal::name(signal),
                if core { " (core dumped)" } else { "" }
            ),
        }
    }
}

/// What the program did next.
// One event per stop or exit: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// It stopped at a panic or a fatal signal; every thread is held until
    /// [`Tracee::resume`] (or the next [`Tracee::run_on`]) or [`Tracee::kill`].
    Stopped(Stop),
    /// It ended.
    Exited(Exit),
}

/// The program stopped: its engine and its crash, as for a core.
pub struct Stop {
    pub engine: Arc<Engine>,
    pub crash: Crash,
    /// For a panic: whether a `catch_unwind` of the program's own catches it.
    pub caught: bool,
}

/// How long an idle client of a stopped program is served: the program is
/// held meanwhile, as under gdb.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

impl Stop {
    /// Serves the stop over the in-memory transport on a thread of its own;
    /// the receiver says how the client ended it (resume, kill, or nothing
    /// when it just closed).
    pub fn serve(&self) -> Result<(wire::Session, mpsc::Receiver<Option<Verdict>>), wire::Error> {
        self.serve_crash(self.crash.clone())
    }

    /// As [`Stop::serve`], with only the thread that stopped.
    pub fn serve_crashed_thread(
        &self,
    ) -> Result<(wire::Session, mpsc::Receiver<Option<Verdict>>), wire::Error> {
        let mut crash = self.crash.clone();
        crash.threads.truncate(1);
        self.serve_crash(crash)
    }

    fn serve_crash(
        &self,
        crash: Crash,
    ) -> Result<(wire::Session, mpsc::Receiver<Option<Verdict>>), wire::Error> {
        let server = Server::new(Inspector::new(self.engine.clone(), crash), CLIENT_TIMEOUT)
            .without_source("pmdb reads the program's source files itself");
        let (client, mut end) = wire::MemoryTransport::pair();
        let (tell, verdict) = mpsc::channel();
        std::thread::Builder::new()
            .name("pmdb-launched".into())
            .spawn(move || {
                server.converse(&mut end);
                let _ = tell.send(server.verdict());
            })
            .map_err(wire::Error::Io)?;
        Ok((wire::Session::over(Box::new(client))?, verdict))
    }
}

/// Why a program could not be started or followed; each one line.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("{0}: command not found")]
    NotFound(String),
    #[error("cannot run {0}: no such file")]
    NoFile(String),
    #[error("cannot run {0}: it is a directory")]
    Directory(String),
    #[error("cannot run {0}: it is not executable (no x bit in its mode; chmod +x it)")]
    NotExecutable(String),
    #[error(
        "{path} is a script ({line}), not a program: run the program it starts, or add --follow-fork to follow what it runs"
    )]
    Script { path: String, line: String },
    #[error("cannot run {path}: it is not an ELF executable (it starts with {start})")]
    NotElf { path: String, start: String },
    #[error("cannot run {path}: it is {what}; pmdb runs x86-64 programs only")]
    WrongMachine { path: String, what: String },
    #[error("an argument holds a NUL byte: {0:?}")]
    NulInArgument(String),
    #[error("cannot run {path}: {error}")]
    Exec { path: String, error: std::io::Error },
    #[error("cannot trace {path}: {error} (is ptrace allowed here? see kernel.yama.ptrace_scope)")]
    Trace { path: String, error: std::io::Error },
    #[error("{what} failed: {error}")]
    Ptrace {
        what: &'static str,
        error: std::io::Error,
    },
}
