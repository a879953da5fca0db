//! `pmdb`: the post-mortem debugger for Rust programs that link
//! `debuggee-agent`. `pmdb run -- CMD` runs a program and opens the TUI when
//! it crashes; `pmdb attach` opens it on a crashed process that is waiting;
//! `pmdb list` shows those; `pmdb report` prints a crash without a terminal UI;
//! `pmdb save` writes a core of a crash or of any running process;
//! `pmdb bridge` carries a session from another machine (`--ssh`, `--via`);
//! `pmdb dap` serves an editor over the Debug Adapter Protocol.

mod cli;

use debugger_tui::remote::Endpoint;
use debugger_tui::{bridge, evaluate, list, report, run, tui};

use clap::Parser;

fn main() {
    // `pmdb test`'s arguments are cargo's, `--` included, after pmdb's own.
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if raw.get(1).is_some_and(|a| a == tui::guard::ARG) {
        tui::guard::serve();
    }
    if raw.get(1).is_some_and(|a| a == "test")
        && !raw
            .get(2)
            .is_some_and(|a| a == "--help" || a == "-h" || a == "help")
    {
        finish(test(&raw[2..]));
    }
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Run {
            report,
            json,
            out,
            depth,
            stop_on,
            follow_fork,
            sources,
            command,
        } => run::run(&run::RunArgs {
            command,
            report,
            json,
            out,
            depth,
            stop_on: stop_on.into(),
            follow_fork,
            sources,
        }),
        cli::Command::Test {
            json,
            depth,
            tui,
            nextest,
            args,
        } => debugger_tui::cargo_test::test(driver(nextest), &args, json.as_deref(), depth, tui),
        cli::Command::TestRunner { command } => {
            let depth = std::env::var(debugger_tui::cargo_test::DEPTH)
                .ok()
                .and_then(|d| d.parse().ok())
                .unwrap_or(1);
            debugger_tui::cargo_test::runner::run(&command, depth)
        }
        cli::Command::Attach {
            target,
            batch,
            commands,
            remote,
            source,
        } => Endpoint::new(&remote, target.as_deref())
            .and_then(|endpoint| inspect(&endpoint, &source, batch, commands)),
        cli::Command::Open {
            file,
            core,
            sources,
            batch,
            commands,
        } => inspect(
            &Endpoint::Core(file, core.options(&sources)),
            &sources,
            batch,
            commands,
        ),
        cli::Command::List { remote } => list::list(&remote),
        cli::Command::Group { dirs, json } => debugger_tui::group::run(&dirs, json),
        cli::Command::Dap => debugger_tui::dap::run().map(|()| 0),
        cli::Command::Report {
            target,
            core_file,
            core,
            json,
            depth,
            eval,
            frame,
            source,
            remote,
            sources,
        } => match core_file {
            Some(file) => Ok(Endpoint::Core(file, core.options(&sources))),
            None => Endpoint::new(&remote, target.as_deref()),
        }
        .and_then(|endpoint| {
            if !eval.is_empty() {
                return evaluate::report(&endpoint, json, depth, frame.as_deref(), &eval);
            }
            let show = source.then_some(&sources);
            report::report(&endpoint, json, depth, show).map(|()| 0)
        }),
        cli::Command::Minidump {
            target,
            core_file,
            out,
            core,
            sources,
        } => debugger_tui::minidump::write(
            target.as_deref(),
            core_file.as_deref(),
            &core.options(&sources),
            &out,
        )
        .map(|()| 0),
        cli::Command::Save {
            target,
            out,
            remote,
        } => Endpoint::new(&remote, target.as_deref())
            .and_then(|endpoint| debugger_tui::save::save(&endpoint, &out))
            .map(|()| 0),
        cli::Command::Bridge { target } => bridge::bridge(target.as_deref()).map(|()| 0),
    };
    finish(result)
}

/// Ends pmdb with `result`'s code, or its error as one line and 2.
fn finish(result: anyhow::Result<i32>) -> ! {
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("pmdb: {e:#}");
            std::process::exit(2);
        }
    }
}

/// `pmdb test [--json FILE] [--depth N] [--tui] [--nextest] [CARGO TEST
/// ARGS…]`: pmdb's options first, everything from the first other argument
/// on is cargo's (or nextest's), as given.
fn test(args: &[std::ffi::OsString]) -> anyhow::Result<i32> {
    let mut json = None;
    let mut depth = 1;
    let mut tui = false;
    let mut nextest = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        let value = || {
            args.get(i + 1)
                .ok_or_else(|| anyhow::anyhow!("pmdb test: {a} needs a value"))
        };
        match a.as_ref() {
            "--tui" => {
                tui = true;
                i += 1;
                continue;
            }
            "--nextest" => {
                nextest = true;
                i += 1;
                continue;
            }
            "--json" => json = Some(std::path::PathBuf::from(value()?)),
            "--depth" => {
                depth = value()?
                    .to_string_lossy()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("pmdb test: --depth takes a number"))?
            }
            _ => break,
        }
        i += 2;
    }
    debugger_tui::cargo_test::test(driver(nextest), &args[i..], json.as_deref(), depth, tui)
}

/// The runner `--nextest` names.
fn driver(nextest: bool) -> debugger_tui::cargo_test::Driver {
    if nextest {
        debugger_tui::cargo_test::Driver::Nextest
    } else {
        debugger_tui::cargo_test::Driver::CargoTest
    }
}

/// The TUI on `endpoint`, or with `--batch`/`-c` the commands (from -c,
/// else stdin) and their results printed.
fn inspect(
    endpoint: &Endpoint,
    sources: &debugger_tui::source::SourceArgs,
    batch: bool,
    commands: Vec<String>,
) -> anyhow::Result<i32> {
    if !batch && commands.is_empty() {
        return tui::attach_to(endpoint, sources).map(|()| 0);
    }
    let session = endpoint.connect()?;
    let commands = if commands.is_empty() {
        std::io::stdin().lines().collect::<Result<Vec<_>, _>>()?
    } else {
        commands
    };
    // A held process killed meanwhile has nothing left to read: said as
    // one line and a failure, before the commands (none is run) or after
    // them (their answers may be incomplete).
    let ended = || match endpoint {
        Endpoint::Live(pid) if engine::hosts::ptrace::ended(*pid) => Err(anyhow::Error::new(
            engine::hosts::ptrace::SnapshotError::EndedWhileHeld(*pid),
        )),
        _ => Ok(()),
    };
    ended()?;
    let ran = debugger_tui::commands::batch(session, sources, commands);
    ended()?;
    ran.map(|()| 0)
}
