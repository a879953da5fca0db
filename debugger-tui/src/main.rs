//! `pmdb`: the post-mortem debugger for Rust programs that link
//! `debuggee-agent`. `pmdb run -- CMD` runs a program and opens the TUI when
//! it crashes; `pmdb attach` opens it on a crashed process that is waiting;
//! `pmdb list` shows those; `pmdb report` prints a crash without a terminal UI;
//! `pmdb dap` serves an editor over the Debug Adapter Protocol.

mod cli;

use debugger_tui::{list, report, run, target, tui};

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Run { command } => run::run(&command),
        cli::Command::Attach {
            target,
            batch,
            commands,
        } => target::resolve(target.as_deref()).and_then(|socket| {
            if batch || !commands.is_empty() {
                let session = wire::Session::connect(socket.as_path())
                    .map_err(|e| anyhow::anyhow!("cannot attach to {}: {e}", socket.display()))?;
                let commands = if commands.is_empty() {
                    std::io::stdin().lines().collect::<Result<Vec<_>, _>>()?
                } else {
                    commands
                };
                debugger_tui::commands::batch(session, commands).map(|()| 0)
            } else {
                tui::attach(socket).map(|()| 0)
            }
        }),
        cli::Command::Open {
            file,
            core,
            batch,
            commands,
        } => debugger_tui::core::open(&file, &core).and_then(|session| {
            if batch || !commands.is_empty() {
                let commands = if commands.is_empty() {
                    std::io::stdin().lines().collect::<Result<Vec<_>, _>>()?
                } else {
                    commands
                };
                debugger_tui::commands::batch(session, commands).map(|()| 0)
            } else {
                tui::attach_session(session).map(|()| 0)
            }
        }),
        cli::Command::List => list::list().map(|()| 0),
        cli::Command::Dap => debugger_tui::dap::run().map(|()| 0),
        cli::Command::Report {
            target,
            core_file,
            core,
            json,
            depth,
        } => match (core_file, target) {
            (Some(file), _) => debugger_tui::core::open(&file, &core)
                .and_then(|s| report::print_report(&s, json, depth))
                .map(|()| 0),
            (None, Some(target)) => report::report(&target, json, depth).map(|()| 0),
            (None, None) => Err(anyhow::anyhow!("give a pid, a socket path or --core FILE")),
        },
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("pmdb: {e:#}");
            std::process::exit(2);
        }
    }
}
