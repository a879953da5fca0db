//! `pmdb test-runner BIN ARGS…`: what cargo runs for each test binary
//! under `pmdb test` (cargo's target runner). The binary runs under ptrace;
//! at each panic its thread's user frames and their locals are walked and
//! kept, and the binary goes on. Its standard output passes through pmdb
//! (a pty when pmdb's own is a terminal, so the harness colours as usual),
//! where [`super::harness`] reads the verdicts and puts each failed test's
//! block under its section. The binary's exit status is the runner's.
//! rustdoc's doc-test binary gets what rustdoc gives it without a runner
//! (`RUSTDOC_DOCTEST_BIN_PATH`: each doc test in a process of its own, so
//! its output is as under plain `cargo test`); those processes are not
//! traced, and a failed doc test gets one line saying why it has no locals.
//! With `--tui` ([`super::TUI`]), the first failed test with a caught panic
//! is run again alone after the binary ended, and the TUI opens at its panic.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use engine::crash::report::{ReportThread, walk};
use engine::hosts::launch::{self, Event, Options, Tracee};

use super::harness::{self, Failures, Harness};

/// One panic caught in a test binary.
#[derive(Debug, Clone)]
struct Panic {
    thread: u64,
    /// The test it belongs to, from its frames.
    test: Option<String>,
    report: ReportThread,
    /// The report as JSON, for `--json` (`Null` without it).
    json: serde_json::Value,
}

/// Every panic caught so far, shared with the output reader.
#[derive(Default)]
struct Caught {
    all: Mutex<Vec<Panic>>,
    /// The binary is rustdoc's doc-test binary.
    doc: bool,
}

/// The panics of test `name` whose captured output named threads `tids`
/// (by thread id; by test name when it named none).
fn panics_of<'a>(all: &'a [Panic], name: &str, tids: &[u64]) -> Vec<&'a Panic> {
    match tids {
        [] => all
            .iter()
            .filter(|c| c.test.as_deref() == Some(name))
            .collect(),
        tids => all.iter().filter(|c| tids.contains(&c.thread)).collect(),
    }
}

/// What a failed doc test gets instead of locals.
pub const DOC_TEST_LINE: &str =
    "  no locals: rustdoc runs each doc test in a process of its own, built without debug info";

impl Failures for Caught {
    fn block(&self, name: &str, tids: &[u64]) -> Option<String> {
        let all = self.all.lock().unwrap_or_else(|p| p.into_inner());
        let mine = panics_of(&all, name, tids);
        if mine.is_empty() {
            return self
                .doc
                .then(|| format!("---- {name} locals (pmdb) ----\n{DOC_TEST_LINE}\n"));
        }
        Some(mine.iter().map(|c| block(name, c)).collect())
    }
}

/// Whether `path` is the binary rustdoc builds for doc tests
/// (`rust_out` in its `rustdoctestXXXX` directory).
fn is_doc_tests(path: &std::path::Path) -> bool {
    path.file_name().is_some_and(|n| n == "rust_out")
        && path
            .parent()
            .and_then(|d| d.file_name())
            .is_some_and(|d| d.to_string_lossy().starts_with("rustdoctest"))
}

/// The block under a failed test: its panic's user frames and locals
/// (the harness's closure around the test function left out), paths
/// relative to the current directory as the harness writes them.
fn block(name: &str, c: &Panic) -> String {
    use std::fmt::Write as _;
    let here = std::env::current_dir()
        .map(|d| format!("{}/", d.display()))
        .unwrap_or_default();
    let mut out = format!("---- {name} locals (pmdb) ----\n");
    // Without debug info nothing is known as runtime: std's and libtest's
    // frames are told by their names.
    let mut user: Vec<&engine::crash::report::ReportFrame> = c
        .report
        .frames
        .iter()
        .filter(|f| !(f.runtime || f.file.is_none() && of_the_toolchain(&f.function)))
        .collect();
    if user
        .last()
        .is_some_and(|f| f.locals.is_empty() && f.function.ends_with("::{{closure}}"))
    {
        user.pop();
    }
    if user.is_empty() {
        let why = if c
            .report
            .frames
            .iter()
            .any(|f| f.error.is_some() && f.file.is_none())
        {
            "  no locals: the test binary has no debug info (`debug = true` in its profile gives them)"
        } else {
            "  no frame of the test's own"
        };
        let _ = writeln!(out, "{why}");
    }
    for f in user {
        engine::crash::report::text_test_frame(&mut out, f, &here);
    }
    out
}

/// Whether `function` is std's, core's, alloc's or libtest's.
fn of_the_toolchain(function: &str) -> bool {
    let f = function.trim_start_matches('<');
    ["std::", "core::", "alloc::", "test::", "panic_unwind::"]
        .iter()
        .any(|c| f.starts_with(c))
}

/// Runs one test binary; returns its exit code.
pub fn run(command: &[OsString], depth: u32) -> anyhow::Result<i32> {
    let first = command.first().context("no test binary to run")?;
    let (path, _) = launch::resolve(first)?;
    // Only the test's own frames are shown: libc's are named by symbol.
    let mut options = Options {
        libraries_by_symbol: true,
        ..Options::default()
    };
    if launch::links_agent(&path) {
        options.env.push(("PMDB_MODE".into(), "off".into()));
    }
    let doc = is_doc_tests(&path);
    if doc && std::env::var_os(DOC_BIN).is_none() {
        // What rustdoc sets when no runner runs its binary.
        options.env.push((DOC_BIN.into(), path.clone().into()));
    }
    let caught = Arc::new(Caught {
        doc,
        ..Caught::default()
    });
    let (read_end, write_end) = output()?;
    let mut tracee = Tracee::start_writing_to(command, options.clone(), Some(write_end.as_fd()))?;
    drop(write_end);
    let reader = {
        let caught = caught.clone();
        std::thread::Builder::new()
            .name("pmdb-test-output".into())
            .spawn(move || pass_through(read_end, &*caught))?
    };
    let json = std::env::var_os(super::JSON_DIR).is_some();
    let exit = loop {
        match tracee.run_on()? {
            Event::Exited(exit) => break exit,
            Event::Stopped(stop) => {
                if let Ok(c) = capture(&stop, depth, json) {
                    caught.all.lock().unwrap_or_else(|p| p.into_inner()).push(c);
                }
                tracee.resume()?;
            }
        }
    };
    let harness = reader.join().unwrap_or_default();
    if let Some(dir) = std::env::var_os(super::JSON_DIR) {
        write_json(&std::path::PathBuf::from(dir), &path, &harness, &caught)?;
    }
    if let Some(marker) = std::env::var_os(super::TUI) {
        tui_on_first_failure(command, &harness, &caught, options, marker.as_ref())?;
    }
    Ok(exit.shell_code())
}

/// The variable rustdoc's doc-test binary reads to run each doc test in a
/// process of its own.
const DOC_BIN: &str = "RUSTDOC_DOCTEST_BIN_PATH";

/// `--tui`: the first failed test with a caught panic, run again alone (its
/// output dropped: it was shown already), and the TUI at its panic. Only
/// the runner that creates `marker` first opens it, so one TUI opens per
/// `pmdb test`. The run again is killed when the TUI ends.
fn tui_on_first_failure(
    command: &[OsString],
    harness: &Harness,
    caught: &Caught,
    options: Options,
    marker: &std::path::Path,
) -> anyhow::Result<()> {
    let name = {
        let all = caught.all.lock().unwrap_or_else(|p| p.into_inner());
        harness
            .failed
            .iter()
            .find(|n| !panics_of(&all, n, harness.threads_of(n).unwrap_or(&[])).is_empty())
            .cloned()
    };
    let Some(name) = name else {
        return Ok(());
    };
    if std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(marker)
        .is_err()
    {
        return Ok(());
    }
    let again = [
        command[0].clone(),
        name.clone().into(),
        "--exact".into(),
        "--test-threads=1".into(),
    ];
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
    let mut tracee = Tracee::start_writing_to(&again, options, Some(null.as_fd()))?;
    match tracee.run_on()? {
        Event::Exited(_) => {
            eprintln!("pmdb: {name} did not fail when run again alone: no TUI");
            Ok(())
        }
        Event::Stopped(stop) => {
            let (session, _) = stop.serve()?;
            let shown = crate::tui::inspect(session, &crate::source::SourceArgs::default());
            tracee.kill()?;
            shown
        }
    }
}

/// Walks the panicking thread of a stop (and with `json`, its report as
/// JSON too).
fn capture(stop: &launch::Stop, depth: u32, json: bool) -> anyhow::Result<Panic> {
    let (session, _) = stop.serve_crashed_thread()?;
    let crash = session.crash()?;
    let report = walk(&session, depth)?
        .into_iter()
        .next()
        .context("no thread")?;
    let json = if json {
        let mut out = Vec::new();
        crate::report::write_json(&session, depth, None, &mut out)?;
        serde_json::from_slice(&out)?
    } else {
        serde_json::Value::Null
    };
    let user: Vec<&str> = report
        .frames
        .iter()
        .rev()
        .filter(|f| !f.runtime)
        .map(|f| f.function.as_str())
        .collect();
    Ok(Panic {
        thread: crash.thread,
        test: harness::test_name(&user),
        report,
        json,
    })
}

/// Where the binary writes its standard output: a pty when ours is a
/// terminal, else a pipe. (read end, write end)
fn output() -> anyhow::Result<(OwnedFd, OwnedFd)> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal()
        && let Ok(pty) = super::pty::open()
    {
        return Ok((pty.master, pty.slave));
    }
    let (r, w) = std::io::pipe()?;
    Ok((r.into(), w.into()))
}

/// Copies the binary's output to ours, reading the harness's verdicts on
/// the way; returns what it read of them.
fn pass_through(from: OwnedFd, caught: &dyn Failures) -> Harness {
    let mut from = std::fs::File::from(from);
    let mut out = std::io::stdout();
    let mut harness = Harness::default();
    // The line being read, and how much of it is printed already.
    let mut line: Vec<u8> = Vec::new();
    let mut printed = 0usize;
    let mut buf = [0u8; 8192];
    loop {
        // A pty whose other end closed reads as an error (EIO): the end.
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            line.push(b);
            if b == b'\n' {
                let text = String::from_utf8_lossy(&line).into_owned();
                let before = harness.line(&text, caught);
                if printed == 0 {
                    let _ = out.write_all(before.as_bytes());
                }
                let _ = out.write_all(&line[printed..]);
                line.clear();
                printed = 0;
            }
        }
        // A line still open ("test x ... " before its verdict) is shown now,
        // unless it may be one pmdb writes before.
        if !line.is_empty() && !may_need_block(&line) {
            let _ = out.write_all(&line[printed..]);
            printed = line.len();
        }
        let _ = out.flush();
    }
    if !line.is_empty() {
        let _ = out.write_all(&line[printed..]);
    }
    let _ = out.flush();
    harness
}

/// Whether an unfinished line may become one a block goes before.
fn may_need_block(line: &[u8]) -> bool {
    let plain = harness::strip_ansi(&String::from_utf8_lossy(line));
    ["failures:", "successes:", "---- ", "test result:"]
        .iter()
        .any(|t| t.starts_with(&plain) || plain.starts_with(t))
}

/// This binary's failed tests with a caught panic, as the report's JSON
/// (one entry per test, with `test` and `binary`), in a file of `dir`.
fn write_json(
    dir: &std::path::Path,
    binary: &std::path::Path,
    harness: &Harness,
    caught: &Caught,
) -> anyhow::Result<()> {
    let all = caught.all.lock().unwrap_or_else(|p| p.into_inner());
    let mut entries = Vec::new();
    for name in &harness.failed {
        for c in panics_of(&all, name, harness.threads_of(name).unwrap_or(&[])) {
            let mut entry = c.json.clone();
            if let Some(m) = entry.as_object_mut() {
                m.insert("test".into(), name.clone().into());
                m.insert("binary".into(), binary.display().to_string().into());
            }
            entries.push(entry);
        }
    }
    let file = dir.join(format!("{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&entries)?)
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(())
}
