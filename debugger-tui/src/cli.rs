//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
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
    /// Run CMD with the agent waiting on a crash; open the TUI if it crashes.
    Run {
        /// The program and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
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
    /// Relay stdin and stdout to a crashed process's socket, byte for byte:
    /// the far end of `pmdb attach --ssh HOST` (a transport; it opens no port).
    Bridge {
        /// A pid or a socket path (without one: the one waiting process).
        target: Option<String>,
    },
}
