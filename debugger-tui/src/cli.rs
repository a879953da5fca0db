//! The command line, as clap reads it.

use clap::{Parser, Subcommand};

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
    },
    /// List crashed processes waiting for a debugger.
    List,
    /// Serve an editor over the Debug Adapter Protocol on stdin/stdout.
    Dap,
    /// Print every thread's traceback with locals, without a TUI.
    Report {
        /// A pid or a socket path.
        target: String,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Levels of locals to expand (1: locals only).
        #[arg(long, default_value_t = 1)]
        depth: u32,
    },
}
