//! `pmdb run -- CMD ARGS…`: runs a program and opens the TUI where it
//! crashes. A program that links the agent runs as it always has: the
//! agent waits on its crash in a private socket directory. Any other
//! program runs under ptrace (`engine::hosts::launch`), stopped at a panic
//! before anything unwinds, or at a fatal signal. `--report` opens no TUI:
//! each stop's report goes to a file or stderr and the program goes on.
//! Either way pmdb ends with the program's own exit status.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use anyhow::Context;
use engine::crash::serve::Verdict;
use engine::hosts::launch::{self, Event, Exit, Options, StopOn, Tracee};

use crate::source::SourceArgs;

/// What `pmdb run` was asked.
#[derive(Debug, Clone, Default)]
pub struct RunArgs {
    /// The program and its arguments.
    pub command: Vec<OsString>,
    /// No TUI: a report at each stop, and the program goes on.
    pub report: bool,
    /// The report as JSON (an array, one object per stop).
    pub json: bool,
    /// Where the report goes (stderr without it).
    pub out: Option<PathBuf>,
    /// Levels of locals the report expands.
    pub depth: u32,
    pub stop_on: StopOn,
    pub follow_fork: bool,
    pub sources: SourceArgs,
}

/// Runs the program; returns the exit code pmdb should end with.
pub fn run(args: &RunArgs) -> anyhow::Result<i32> {
    let first = args.command.first().context("no command to run")?;
    let (path, kind) = launch::resolve(first)?;
    let agent = kind == launch::Kind::Elf && launch::links_agent(&path);
    if agent && !args.report {
        return run_with_agent(&args.command);
    }
    let mut options = Options {
        stop_on: args.stop_on,
        follow_fork: args.follow_fork,
        ..Options::default()
    };
    if agent {
        // The agent stays out of the way: pmdb reports from outside.
        options.env.push(("PMDB_MODE".into(), "off".into()));
    }
    run_traced(args, options)
}

/// The program under ptrace, stop after stop, until it ends.
fn run_traced(args: &RunArgs, options: Options) -> anyhow::Result<i32> {
    let mut tracee = Tracee::start(&args.command, options)?;
    for note in tracee.notes() {
        eprintln!("pmdb: {note}");
    }
    let program = args.command[0].to_string_lossy().into_owned();
    // The terminal's Ctrl-C and Ctrl-\ reach the program itself; pmdb
    // outlives them to report how it ended.
    let _signals = TerminalSignals::ignore();
    let mut reports: Vec<Vec<u8>> = Vec::new();
    let mut held = false;
    let result: anyhow::Result<Exit> = loop {
        let event = match tracee.run_on() {
            Ok(e) => e,
            Err(e) => break Err(e.into()),
        };
        let stop = match event {
            Event::Exited(exit) => {
                if held
                    && exit
                        == (Exit::Signal {
                            signal: 9,
                            core: false,
                        })
                {
                    eprintln!(
                        "pmdb: {program} (pid {}) was killed by SIGKILL while pmdb held it",
                        tracee.pid()
                    );
                }
                break Ok(exit);
            }
            Event::Stopped(stop) => stop,
        };
        held = true;
        if args.report {
            let (session, _) = stop.serve()?;
            if args.json {
                let mut one = Vec::new();
                crate::report::write_json(&session, args.depth, None, &mut one)?;
                reports.push(one);
            } else {
                let text = crate::report::as_text(&session, args.depth, None)?;
                match &args.out {
                    Some(_) => reports.push(text.into_bytes()),
                    None => eprint!("{text}"),
                }
            }
            drop(session);
            if args.out.is_some() {
                // Written at each stop: a run cut short leaves what it found.
                write_reports(args, &reports)?;
            }
            tracee.resume()?;
            continue;
        }
        let (session, verdict) = stop.serve()?;
        crate::tui::inspect(session, &args.sources)?;
        match verdict.recv_timeout(Duration::from_secs(10)) {
            Ok(Some(Verdict::Kill)) => break Ok(tracee.kill()?),
            _ => tracee.resume()?,
        }
    };
    let exit = result?;
    for child in tracee.children_running() {
        eprintln!(
            "pmdb: {program} ended ({exit}); its child {child} runs on, not traced (--follow-fork traces children)"
        );
    }
    if args.report {
        write_reports(args, &reports)?;
    }
    Ok(exit.shell_code())
}

/// The reports so far to `--out` (or, as JSON, to stderr).
fn write_reports(args: &RunArgs, reports: &[Vec<u8>]) -> anyhow::Result<()> {
    let mut all = Vec::new();
    if args.json {
        all.extend_from_slice(b"[");
        for (i, r) in reports.iter().enumerate() {
            all.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            all.extend_from_slice(r);
        }
        all.extend_from_slice(b"\n]\n");
    } else {
        for r in reports {
            all.extend_from_slice(r);
        }
    }
    match &args.out {
        Some(path) => std::fs::write(path, &all)
            .with_context(|| format!("cannot write the report to {}", path.display()))?,
        None if args.json => std::io::stderr().write_all(&all)?,
        None => {}
    }
    Ok(())
}

/// SIGINT and SIGQUIT ignored by pmdb for as long as it lives.
struct TerminalSignals {
    previous: [libc::sighandler_t; 2],
}

impl TerminalSignals {
    fn ignore() -> TerminalSignals {
        // SAFETY: signal(2) with SIG_IGN installs no handler code; the old
        // dispositions are put back on drop.
        let previous = unsafe {
            [
                libc::signal(libc::SIGINT, libc::SIG_IGN),
                libc::signal(libc::SIGQUIT, libc::SIG_IGN),
            ]
        };
        TerminalSignals { previous }
    }
}

impl Drop for TerminalSignals {
    fn drop(&mut self) {
        // SAFETY: puts back the dispositions `ignore` found.
        unsafe {
            libc::signal(libc::SIGINT, self.previous[0]);
            libc::signal(libc::SIGQUIT, self.previous[1]);
        }
    }
}

/// A program with the agent: it waits on its crash in a private socket
/// directory, and pmdb attaches there.
fn run_with_agent(command: &[OsString]) -> anyhow::Result<i32> {
    let dir = std::env::temp_dir().join(format!("pmdb-run-{}", std::process::id()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let result = run_in(command, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(command: &[OsString], dir: &std::path::Path) -> anyhow::Result<i32> {
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .env("PMDB_MODE", "wait")
        .env("PMDB_DIR", dir)
        .spawn()
        .with_context(|| format!("cannot run {}", command[0].to_string_lossy()))?;
    let socket = wire::socket::socket_path(dir, child.id());
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(exit_code(status));
        }
        if socket.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let attached = crate::tui::attach(socket);
    let status = child.wait()?;
    attached?;
    Ok(exit_code(status))
}

/// The shell's convention: the exit code, or 128 + the signal that killed it.
pub fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}
