//! `pmdb run` on programs without the agent (issue 22): `demo-plain`
//! under ptrace, stopped at its panics and fatal signals, reported with
//! `--report`, its output and exit status unchanged; a statically linked
//! program (`tests/data/static_panic.rs`, one rustc call); and the
//! commands pmdb refuses, each in one line.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tests::{TempDir, bin, line_containing};

const SOURCE: &str = "demo/src/bin/demo-plain.rs";

/// A program's run: exit code, stdout, stderr.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn code_of(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap()
}

fn run(program: &Path, args: &[&str]) -> Ran {
    let out = Command::new(program)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    Ran {
        code: code_of(out.status),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Std's panic line names the thread id, which differs from run to run.
fn without_thread_ids(text: &str) -> String {
    text.lines()
        .map(|l| match (l.strip_prefix("thread '"), l.find("' (")) {
            (Some(_), Some(at)) => match l[at..].find(") panicked at ") {
                Some(end) => format!("{}' (TID{}", &l[..at], &l[at + end..]),
                None => l.to_string(),
            },
            _ => l.to_string(),
        })
        .map(|l| l + "\n")
        .collect()
}

/// `pmdb run --report --json --out FILE -- demo-plain SCENARIO` beside the
/// plain run: (plain, under pmdb, the reports).
fn reported(scenario: &str, extra: &[&str]) -> (Ran, Ran, Vec<Value>) {
    let demo = bin("demo-plain");
    let plain = run(&demo, &[scenario]);
    let dir = TempDir::new("run-plain");
    let out = dir.0.join("report.json");
    let mut args = vec!["run", "--report", "--json", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", demo.to_str().unwrap(), scenario]);
    let traced = run(&bin("pmdb"), &args);
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!("no report ({e}); pmdb said: {}", traced.stderr);
    });
    let reports: Vec<Value> = serde_json::from_str(&text).expect("the report is JSON");
    (plain, traced, reports)
}

/// A frame's locals as (name, type, value).
fn locals(report: &Value, thread: usize, function: &str) -> Vec<(String, String, String)> {
    let frames = report["threads"][thread]["frames"].as_array().unwrap();
    let frame = frames
        .iter()
        .find(|f| f["function"] == function)
        .unwrap_or_else(|| panic!("no frame {function} in {frames:#?}"));
    frame["locals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_string(),
                l["type"].as_str().unwrap().to_string(),
                l["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn triples(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// The output and status under pmdb are the program's own.
fn unchanged(plain: &Ran, traced: &Ran) {
    assert_eq!(traced.code, plain.code, "pmdb said: {}", traced.stderr);
    assert_eq!(traced.stdout, plain.stdout);
    assert_eq!(
        without_thread_ids(&traced.stderr),
        without_thread_ids(&plain.stderr)
    );
}

#[test]
fn a_panic_stops_before_unwinding_with_the_panicking_frames_locals() {
    let (plain, traced, reports) = reported("panic", &[]);
    unchanged(&plain, &traced);
    assert_eq!(plain.code, 101);
    assert_eq!(reports.len(), 1);
    let crash = &reports[0]["crash"];
    assert_eq!(crash["kind"], "panic");
    assert_eq!(crash["message"], "over budget: 445 > 300 (3 items)");
    assert_eq!(crash["thread"], "main");
    assert_eq!(crash["file"], SOURCE);
    assert_eq!(
        crash["line"],
        line_containing(SOURCE, "panic!(\"over budget")
    );
    assert_eq!(crash["column"], 9);
    assert_eq!(
        locals(&reports[0], 0, "demo_plain::checkout"),
        triples(&[
            ("prices", "&[u32]", "[120, 250, 75]"),
            ("budget", "u32", "300"),
            ("total", "u32", "445"),
            ("items", "usize", "3"),
        ])
    );
    // The innermost frame is std's raise: nothing has unwound.
    assert_eq!(
        reports[0]["threads"][0]["frames"][0]["function"],
        "__rustc::rust_panic"
    );
}

#[test]
fn a_segfault_stops_at_the_faulting_write() {
    let (plain, traced, reports) = reported("segv", &[]);
    unchanged(&plain, &traced);
    assert_eq!(plain.code, 128 + 11);
    assert_eq!(reports.len(), 1);
    let crash = &reports[0]["crash"];
    assert_eq!(crash["kind"], "signal");
    assert_eq!(crash["message"], "SIGSEGV (address not mapped) at 0x20");
    assert_eq!(crash["analysis"], "null pointer dereference at offset 0x20");
    assert_eq!(
        locals(&reports[0], 0, "demo_plain::poke"),
        triples(&[
            ("slot", "usize", "4"),
            ("base", "*mut u64", "0x0"),
            ("value", "u64", "57005"),
        ])
    );
}

#[test]
fn an_abort_stops_with_its_callers_locals() {
    let (plain, traced, reports) = reported("abort", &[]);
    unchanged(&plain, &traced);
    assert_eq!(plain.code, 128 + 6);
    assert_eq!(plain.stderr, "giving up after 3 attempts: no route\n");
    assert_eq!(reports[0]["crash"]["message"], "SIGABRT (aborted)");
    assert_eq!(
        locals(&reports[0], 0, "demo_plain::give_up"),
        triples(&[("reason", "&str", "\"no route\""), ("attempts", "i32", "3")])
    );
}

#[test]
fn a_caught_panic_is_skipped_unless_asked_for() {
    let values = |reports: &[Value]| -> Vec<String> {
        reports
            .iter()
            .map(|r| locals(r, 0, "demo_plain::checkout")[0].2.clone())
            .collect()
    };
    let (plain, traced, reports) = reported("caught", &[]);
    unchanged(&plain, &traced);
    assert_eq!(plain.stdout, "recovered: true\n");
    assert_eq!(plain.code, 101);
    assert_eq!(values(&reports), ["[500, 10]"]);
    let (_, traced, reports) = reported("caught", &["--stop-on", "all"]);
    assert_eq!(traced.code, 101);
    assert_eq!(values(&reports), ["[400]", "[500, 10]"]);
    let (_, traced, reports) = reported("caught", &["--stop-on", "caught"]);
    assert_eq!(traced.code, 101);
    assert_eq!(values(&reports), ["[400]"]);
}

#[test]
fn a_joined_threads_panic_stops_twice_in_the_thread_then_in_main() {
    let (plain, traced, reports) = reported("thread", &[]);
    unchanged(&plain, &traced);
    assert_eq!(plain.code, 101);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["crash"]["thread"], "worker");
    assert_eq!(
        reports[0]["crash"]["message"],
        "job 42 is over the limit 10"
    );
    assert_eq!(
        locals(&reports[0], 0, "demo_plain::work"),
        triples(&[("job", "u64", "42"), ("limit", "u64", "10")])
    );
    // Every thread is in the report: main waits in join.
    assert_eq!(reports[0]["threads"][1]["name"], "main");
    assert_eq!(reports[1]["crash"]["thread"], "main");
    assert_eq!(
        reports[1]["crash"]["message"],
        "called `Result::unwrap()` on an `Err` value: Any { .. }"
    );
}

#[test]
fn a_program_that_never_crashes_runs_untouched() {
    let (plain, traced, reports) = reported("ok", &[]);
    unchanged(&plain, &traced);
    assert_eq!(plain.code, 7);
    assert_eq!(plain.stdout, "out one\nout two\n");
    assert_eq!(plain.stderr, "err one\n");
    assert!(reports.is_empty());
}

#[test]
fn signals_reach_the_program_as_sent_and_it_dies_of_its_own() {
    let (plain, traced, reports) = reported("signals", &[]);
    unchanged(&plain, &traced);
    assert_eq!(plain.stdout, "handled 6\n");
    assert_eq!(plain.code, 128 + 15);
    assert!(reports.is_empty());
}

#[test]
fn a_forked_child_runs_untraced_without_pmdbs_breakpoints() {
    let (plain, traced, reports) = reported("fork", &[]);
    unchanged(&plain, &traced);
    // The child caught its own panic: an int3 left in it would have killed it.
    assert_eq!(plain.stdout, "child exited 42\n");
    assert!(reports.is_empty());
}

#[test]
fn with_follow_fork_a_childs_panic_stops_in_the_child() {
    // The child's panic is caught by its own catch_unwind: `all` shows it.
    let (plain, traced, reports) = reported("fork", &["--stop-on", "all", "--follow-fork"]);
    unchanged(&plain, &traced);
    assert_eq!(reports.len(), 1);
    assert_eq!(
        locals(&reports[0], 0, "demo_plain::checkout")[2],
        ("total".into(), "u32".into(), "18".into())
    );
    let (_, traced, reports) = reported("fork", &["--stop-on", "all"]);
    assert_eq!(traced.code, 0);
    assert!(reports.is_empty(), "the child was not to be traced");
}

#[test]
fn a_program_that_execs_is_followed_into_the_new_program() {
    let (plain, traced, reports) = reported("exec", &[]);
    unchanged(&plain, &traced);
    assert_eq!(plain.code, 101);
    assert_eq!(reports.len(), 1);
    assert_eq!(
        locals(&reports[0], 0, "demo_plain::checkout")[2],
        ("total".into(), "u32".into(), "445".into())
    );
}

#[test]
fn a_daemons_child_outlives_pmdb_and_is_named() {
    let demo = bin("demo-plain");
    let traced = run(
        &bin("pmdb"),
        &["run", "--report", "--", demo.to_str().unwrap(), "daemon"],
    );
    assert_eq!(traced.code, 0);
    let child: i32 = traced
        .stdout
        .strip_prefix("daemon ")
        .and_then(|s| s.trim().parse().ok())
        .expect("the daemon's pid");
    let alive = unsafe { libc::kill(child, 0) } == 0;
    unsafe { libc::kill(child, libc::SIGKILL) };
    assert!(alive, "the daemon died with pmdb");
    assert_eq!(
        traced.stderr,
        format!(
            "pmdb: {} ended (exit status 0); its child {child} runs on, not traced (--follow-fork traces children)\n",
            demo.display()
        )
    );
}

#[test]
fn a_text_report_goes_to_stderr_after_the_panic_message() {
    let demo = bin("demo-plain");
    let traced = run(
        &bin("pmdb"),
        &["run", "--report", "--", demo.to_str().unwrap(), "panic"],
    );
    assert_eq!(traced.code, 101);
    let line = line_containing(SOURCE, "panic!(\"over budget");
    let expected_start = format!(
        "\nthread 'main' (TID) panicked at {SOURCE}:{line}:9:\nover budget: 445 > 300 (3 items)\n\
         note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\
         panic in thread 'main' at {SOURCE}:{line}:9: over budget: 445 > 300 (3 items)\n\
         signature: panic {SOURCE}:{line} | demo_plain::checkout | demo_plain::main\n\nthread 'main' (crashed)\n"
    );
    let stderr = without_thread_ids(&traced.stderr);
    assert!(stderr.starts_with(&expected_start), "{stderr}");
    assert!(
        stderr.contains("        total: u32 = 445\n        items: usize = 3\n"),
        "{stderr}"
    );
}

/// `pmdb run -- CMD` refusing CMD: its exit status 2 and its one line.
fn refused(command: &str) -> String {
    let out = Command::new(bin("pmdb"))
        .args(["run", "--report", "--", command])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn commands_that_cannot_run_get_one_line_each() {
    let dir = TempDir::new("run-refused");
    let file = |name: &str, text: &str, mode: u32| -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.0.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    };
    assert_eq!(
        refused("pmdb-no-such-command"),
        "pmdb: pmdb-no-such-command: command not found\n"
    );
    let missing = dir.0.join("missing");
    assert_eq!(
        refused(missing.to_str().unwrap()),
        format!("pmdb: cannot run {}: no such file\n", missing.display())
    );
    assert_eq!(
        refused(dir.0.to_str().unwrap()),
        format!("pmdb: cannot run {}: it is a directory\n", dir.0.display())
    );
    let plain = file("data", "hello", 0o644);
    assert_eq!(
        refused(plain.to_str().unwrap()),
        format!(
            "pmdb: cannot run {}: it is not executable (no x bit in its mode; chmod +x it)\n",
            plain.display()
        )
    );
    let text = file("text", "hello", 0o755);
    assert_eq!(
        refused(text.to_str().unwrap()),
        format!(
            "pmdb: cannot run {}: it is not an ELF executable (it starts with 68 65 6c 6c 6f)\n",
            text.display()
        )
    );
    let script = file("script.sh", "#!/bin/sh\necho hi\n", 0o755);
    assert_eq!(
        refused(script.to_str().unwrap()),
        format!(
            "pmdb: {} is a script (#!/bin/sh), not a program: run the program it starts, or add --follow-fork to follow what it runs\n",
            script.display()
        )
    );
}

/// A copy of demo-plain with `objcopy` applied.
fn stripped_copy(dir: &TempDir, how: &str) -> PathBuf {
    let copy = dir.0.join(format!("demo-plain{how}"));
    let status = Command::new("objcopy")
        .args([
            how,
            bin("demo-plain").to_str().unwrap(),
            copy.to_str().unwrap(),
        ])
        .status()
        .expect("objcopy (binutils) runs");
    assert!(status.success());
    copy
}

#[test]
fn a_stripped_program_stops_at_signals_and_says_why_not_at_panics() {
    let dir = TempDir::new("run-stripped");
    let copy = stripped_copy(&dir, "--strip-all");
    let out = dir.0.join("r.json");
    let pmdb = bin("pmdb");
    let args = |scenario: &str| {
        vec![
            "run".to_string(),
            "--report".into(),
            "--json".into(),
            "--out".into(),
            out.to_str().unwrap().into(),
            "--".into(),
            copy.to_str().unwrap().into(),
            scenario.into(),
        ]
    };
    let a = args("panic");
    let traced = run(&pmdb, &a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(traced.code, 101);
    assert!(
        traced.stderr.starts_with(
            "pmdb: demo-plain--strip-all has no symbol table (stripped): pmdb stops at its fatal signals, not at its panics\n"
        ),
        "{}",
        traced.stderr
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "[\n]\n");
    let a = args("segv");
    let traced = run(&pmdb, &a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(traced.code, 139);
    let reports: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        reports[0]["crash"]["message"],
        "SIGSEGV (address not mapped) at 0x20"
    );
}

#[test]
fn without_debug_info_frames_come_by_symbol_and_locals_say_why_not() {
    let dir = TempDir::new("run-nodebug");
    let copy = stripped_copy(&dir, "--strip-debug");
    let out = dir.0.join("r.json");
    let traced = run(
        &bin("pmdb"),
        &[
            "run",
            "--report",
            "--json",
            "--out",
            out.to_str().unwrap(),
            "--",
            copy.to_str().unwrap(),
            "panic",
        ],
    );
    assert_eq!(traced.code, 101, "{}", traced.stderr);
    let reports: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        reports[0]["crash"]["message"],
        "over budget: 445 > 300 (3 items)"
    );
    let frames = reports[0]["threads"][0]["frames"].as_array().unwrap();
    let checkout = frames
        .iter()
        .find(|f| f["function"] == "demo_plain::checkout")
        .unwrap_or_else(|| panic!("{frames:#?}"));
    assert!(checkout["locals"].as_array().unwrap().is_empty());
    assert!(
        checkout["locals_error"]
            .as_str()
            .unwrap()
            .contains("no debug info"),
        "{checkout}"
    );
}

#[test]
fn a_static_program_stops_at_its_panic_with_its_locals() {
    let dir = TempDir::new("run-static");
    let program = dir.0.join("static_panic");
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/static_panic.rs");
    let built = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args([
            "--edition",
            "2024",
            "-g",
            "-C",
            "target-feature=+crt-static",
            "-o",
        ])
        .arg(&program)
        .arg(&source)
        .status()
        .expect("rustc runs");
    assert!(built.success());
    // Statically linked: no program interpreter.
    let headers = Command::new("readelf")
        .arg("-lW")
        .arg(&program)
        .output()
        .expect("readelf (binutils) runs");
    assert!(headers.status.success());
    let headers = String::from_utf8_lossy(&headers.stdout);
    assert!(!headers.contains("INTERP"), "{headers}");
    assert!(
        headers.contains("DYN (Position-Independent Executable file)"),
        "{headers}"
    );
    let plain = run(&program, &[]);
    let out = dir.0.join("r.json");
    let traced = run(
        &bin("pmdb"),
        &[
            "run",
            "--report",
            "--json",
            "--out",
            out.to_str().unwrap(),
            "--",
            program.to_str().unwrap(),
        ],
    );
    unchanged(&plain, &traced);
    assert_eq!(plain.code, 101);
    let reports: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["crash"]["message"], "over budget: 445 > 300");
    assert_eq!(
        locals(&reports[0], 0, "static_panic::checkout"),
        triples(&[
            ("items", "&[u32]", "[200, 245]"),
            ("budget", "u32", "300"),
            ("total", "u32", "445"),
        ])
    );
    assert_eq!(
        locals(&reports[0], 0, "static_panic::main"),
        triples(&[("items", "Vec<u32>", "[200, 245]")])
    );
}
