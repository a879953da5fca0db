//! The command line, as clap reads it.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use debugger_tui::core::CoreArgs;
use debugger_tui::remote::RemoteArgs;
use debugger_tui::source::SourceArgs;

/// A post-mortem debugger for Rust: inspect a crashed program where it stands.
#[derive(Parser)]
#[command(name = "pmdb", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run CMD and open the TUI where it panics or takes a fatal signal
    /// (any program: under ptrace, or through the agent it links).
    Run {
        /// No TUI: the crash report (every thread, locals to --depth) to
        /// --out or stderr, and the program goes on to its usual end.
        #[arg(long)]
        report: bool,
        /// With --report: JSON (an array, one report per stop).
        #[arg(long, requires = "report")]
        json: bool,
        /// With --report: the file the report goes to.
        #[arg(long, value_name = "FILE", requires = "report")]
        out: Option<PathBuf>,
        /// With --report: levels of locals to expand (1: locals only).
        #[arg(long, default_value_t = 1)]
        depth: u32,
        /// Which panics stop the program: those it does not catch itself
        /// (the default: where it would die, or a thread dies), those a
        /// catch_unwind of its own catches, or all.
        #[arg(long, value_enum, default_value_t = StopOnArg::Uncaught)]
        stop_on: StopOnArg,
        /// Trace the program's children too (each stops at its own panics).
        #[arg(long)]
        follow_fork: bool,
        #[command(flatten)]
        sources: SourceArgs,
        /// The program and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<OsString>,
    },
    /// Run `cargo test ARGS…` (same arguments, output and exit status) and
    /// print, under each test that failed by a panic, its frames' locals.
    /// pmdb's own options come first: `pmdb test --json f.json --release`.
    Test {
        /// Also write the failures as the report's JSON, one entry per test.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Levels of locals to expand (1: locals only).
        #[arg(long, default_value_t = 1)]
        depth: u32,
        /// Open the TUI on the first failing test's panic (that test run
        /// again alone once its binary has reported it failed).
        #[arg(long)]
        tui: bool,
        /// Run `cargo nextest run ARGS…` instead: each test in a process of
        /// its own, its locals under its output.
        #[arg(long)]
        nextest: bool,
        /// Arguments for `cargo test` (or `cargo nextest run`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// What cargo runs for each test binary under `pmdb test`.
    #[command(hide = true)]
    TestRunner {
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<OsString>,
    },
    /// Open the TUI on a crashed process: a pid, a socket path, or (without
    /// an argument) the one waiting process.
    Attach {
        target: Option<String>,
        /// No TUI: run commands (from -c, else stdin) and print their results.
        #[arg(long)]
        batch: bool,
        /// A command for batch mode (repeatable), e.g. -c bt -c 'p account.owner'.
        #[arg(short = 'c', long = "command", value_name = "CMD")]
        commands: Vec<String>,
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(flatten)]
        source: SourceArgs,
    },
    /// Group crash files (cores, JSON reports) by signature: one line per
    /// distinct crash with its count, first and last seen, message and an
    /// example file.
    Group {
        /// Directories (read recursively) or files.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// `{"groups": [{signature, count, files, message, first_seen, last_seen}…]}`.
        #[arg(long)]
        json: bool,
    },
    /// List crashed processes waiting for a debugger (with --ssh: those on
    /// that host; with --via: the one the command reaches).
    List {
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Open the TUI on a core file: pmdb's own (`PMDB_MODE=core`), gdb's
    /// `gcore`, the kernel's, or systemd-coredump's (zstd).
    Open {
        /// The core file.
        file: PathBuf,
        #[command(flatten)]
        core: CoreArgs,
        #[command(flatten)]
        sources: SourceArgs,
        /// No TUI: run commands (from -c, else stdin) and print their results.
        #[arg(long)]
        batch: bool,
        /// A command for batch mode (repeatable), e.g. -c bt -c 'p account.owner'.
        #[arg(short = 'c', long = "command", value_name = "CMD")]
        commands: Vec<String>,
    },
    /// Serve an editor over the Debug Adapter Protocol on stdin/stdout.
    Dap,
    /// Print every thread's traceback with locals, without a TUI.
    Report {
        /// A pid or a socket path (without one: the one waiting process).
        target: Option<String>,
        /// Report a core file instead of a waiting process.
        #[arg(long = "core", value_name = "FILE", conflicts_with_all = ["target", "ssh", "via"])]
        core_file: Option<PathBuf>,
        #[command(flatten)]
        core: CoreArgs,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Levels of locals to expand (1: locals only).
        #[arg(long, default_value_t = 1)]
        depth: u32,
        /// Print the value of an expression instead of the traceback
        /// (repeatable): `--eval 'postings.filter(|p| p.balance < 0).len()'`.
        /// Evaluated in the crashed frame, or in `--frame`.
        #[arg(long = "eval", value_name = "EXPR", allow_hyphen_values = true)]
        eval: Vec<String>,
        /// The frame `--eval` evaluates in: a function's name or a frame number.
        #[arg(long, value_name = "NAME|N", requires = "eval")]
        frame: Option<String>,
        /// Show the source lines around each frame's line (a local file
        /// when there is one, else the crashed process's copy; each says which).
        #[arg(long)]
        source: bool,
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(flatten)]
        sources: SourceArgs,
    },
    /// Write a minidump (Breakpad's format: Sentry, Socorro,
    /// minidump-stackwalk) of a waiting crash or a running process (a pid,
    /// a socket path, or the one waiting process), or of a core.
    Minidump {
        /// A pid or a socket path (without one: the one waiting process).
        target: Option<String>,
        /// Convert this core file instead.
        #[arg(long = "core", value_name = "FILE", conflicts_with = "target")]
        core_file: Option<PathBuf>,
        /// The minidump to write.
        #[arg(short = 'o', long = "out", value_name = "FILE.dmp")]
        out: PathBuf,
        #[command(flatten)]
        core: CoreArgs,
        #[command(flatten)]
        sources: SourceArgs,
    },
    /// Write a core of a process, as gdb's gcore does: a crash waiting for
    /// a debugger (it goes on waiting) or any running process (held only
    /// while it is written; the pause is said). pmdb and gdb both open it.
    Save {
        /// A pid or a socket path (without one: the one waiting process).
        target: Option<String>,
        /// The core to write (created, or overwritten, mode 0600).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Relay stdin and stdout to a crashed process's socket, byte for byte:
    /// the far end of `pmdb attach --ssh HOST` (a transport; it opens no port).
    Bridge {
        /// A pid or a socket path (without one: the one waiting process).
        target: Option<String>,
    },
}

/// `--stop-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StopOnArg {
    Uncaught,
    Caught,
    All,
}

impl From<StopOnArg> for engine::hosts::launch::StopOn {
    fn from(s: StopOnArg) -> Self {
        match s {
            StopOnArg::Uncaught => engine::hosts::launch::StopOn::Uncaught,
            StopOnArg::Caught => engine::hosts::launch::StopOn::Caught,
            StopOnArg::All => engine::hosts::launch::StopOn::All,
        }
    }
}
