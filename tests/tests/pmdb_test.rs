//! `pmdb test` (issue 22) on `tests/data/failing-tests`: `cargo test`'s
//! output and exit status unchanged, the locals of each test that failed
//! by a panic under its section, nothing for passing tests or expected
//! panics, one line for a failed doc test (why it has no locals), `--json`
//! with one entry per failed test, and `--release` (no debug info: frames
//! by symbol, and why there are no locals); and `pmdb test --nextest`
//! under the real `cargo nextest run`, each test a process of its own.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use tests::{TempDir, bin, target_dir};

/// The crate of failing tests.
fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/failing-tests")
}

/// `PROGRAM ARGS…` in the crate, built into the workspace's target dir,
/// one test at a time (so the harness's order is its sorted order).
fn in_crate(program: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let target = target_dir().join("failing-tests");
    let out = Command::new(program)
        .args(args)
        .args(["--no-fail-fast", "--", "--test-threads=1"])
        .current_dir(crate_dir())
        .env("CARGO_TARGET_DIR", target)
        .env("RUST_BACKTRACE", "0")
        .env_remove("CARGO_TERM_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What differs between two runs: thread ids, timings, rustdoc's
/// scratch directory.
fn steady(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = match (l.find("/rustdoctest"), l.find("/doctest_bundle")) {
                (Some(a), Some(b)) if a < b => format!("{}/rustdoctestX{}", &l[..a], &l[b..]),
                _ => l.to_string(),
            };
            if l.starts_with("all doctests ran in ") {
                return "all doctests ran in T".to_string();
            }
            let l = match (l.find("' ("), l.find(") panicked at ")) {
                (Some(a), Some(b)) if l.starts_with("thread '") && a < b => {
                    format!("{}' (TID{}", &l[..a], &l[b..])
                }
                _ => l.to_string(),
            };
            match l.find("; finished in ") {
                Some(at) => format!("{}; finished in T", &l[..at]),
                None => l,
            }
        })
        .map(|l| l + "\n")
        .collect()
}

/// `text` without pmdb's blocks (each from its `locals (pmdb)` title to the
/// blank line that ends it).
fn without_blocks(text: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        if line.starts_with("---- ") && line.trim_end().ends_with(" locals (pmdb) ----") {
            skipping = true;
            continue;
        }
        if skipping {
            if line == "\n" {
                skipping = false;
            }
            continue;
        }
        out.push_str(line);
    }
    out
}

/// pmdb's block for `test`, as printed.
fn block<'a>(text: &'a str, test: &str) -> &'a str {
    let title = format!("---- {test} locals (pmdb) ----\n");
    let start = text
        .find(&title)
        .unwrap_or_else(|| panic!("no block for {test} in:\n{text}"));
    let rest = &text[start..];
    &rest[..rest.find("\n\n").map_or(rest.len(), |e| e + 1)]
}

#[test]
fn failing_tests_show_their_locals_and_nothing_else_changes() {
    let cargo = PathBuf::from(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let (plain_code, plain_out, _) = in_crate(&cargo, &["test"]);
    let dir = TempDir::new("pmdb-test");
    let json = dir.0.join("failures.json");
    let (code, out, err) = in_crate(&bin("pmdb"), &["test", "--json", json.to_str().unwrap()]);
    assert_eq!(plain_code, 101);
    assert_eq!(code, plain_code, "{err}");
    assert_eq!(steady(&without_blocks(&out)), steady(&plain_out));
    assert_eq!(
        block(&out, "tests::assert_eq_on_locals"),
        "---- tests::assert_eq_on_locals locals (pmdb) ----\n\
         \x20 #8   failing_tests::tests::check_total at src/lib.rs:29\n\
         \x20       prices: &[u32] = [3, 4]\n\
         \x20       expected: u32 = 8\n\
         \x20       got: u32 = 7\n\
         \x20       left_val: &u32 = 7\n\
         \x20       right_val: &u32 = 8\n\
         \x20       kind: AssertKind = Eq\n\
         \x20 #9   failing_tests::tests::assert_eq_on_locals at src/lib.rs:36\n\
         \x20       prices: Vec<u32> = [3, 4]\n\
         \x20       expected: u32 = 8\n"
    );
    assert_eq!(
        block(&out, "tests::unwrap_on_err"),
        "---- tests::unwrap_on_err locals (pmdb) ----\n\
         \x20 #8   failing_tests::tests::unwrap_on_err at src/lib.rs:43\n\
         \x20       input: &str = \"12x\"\n\
         \x20       parsed: Result<u32, String> = Err(\"invalid digit found in string\")\n"
    );
    assert_eq!(
        block(&out, "tests::should_panic_with_another_message"),
        "---- tests::should_panic_with_another_message locals (pmdb) ----\n\
         \x20 #6   failing_tests::tests::should_panic_with_another_message at src/lib.rs:60\n\
         \x20       size: i32 = 3\n"
    );
    assert_eq!(
        block(&out, "src/lib.rs - total (line 14)"),
        "---- src/lib.rs - total (line 14) locals (pmdb) ----\n\
         \x20 no locals: rustdoc runs each doc test in a process of its own, built without debug info\n"
    );
    assert_eq!(
        block(&out, "budget_is_kept"),
        "---- budget_is_kept locals (pmdb) ----\n\
         \x20 #6   integration::budget_is_kept at tests/integration.rs:7\n\
         \x20       budget: u32 = 5\n\
         \x20       spent: u32 = 7\n"
    );
    // Passing tests (the doc test that passes among them) and the panic
    // that was expected: nothing.
    assert_eq!(out.matches("locals (pmdb)").count(), 5, "{out}");

    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let tests: Vec<&str> = entries
        .iter()
        .map(|e| e["test"].as_str().unwrap())
        .collect();
    assert_eq!(
        tests,
        [
            "tests::assert_eq_on_locals",
            "tests::should_panic_with_another_message",
            "tests::unwrap_on_err",
            "budget_is_kept",
        ]
    );
    assert_eq!(entries[3]["crash"]["message"], "spent 7 of 5");
    let frame = entries[3]["threads"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == "integration::budget_is_kept")
        .unwrap();
    assert_eq!(frame["locals"][1]["name"], "spent");
    assert_eq!(frame["locals"][1]["value"], "7");
}

#[test]
fn with_release_frames_come_by_symbol_and_each_block_says_why_no_locals() {
    let cargo = PathBuf::from(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let args = ["test", "--release", "--lib", "--test", "integration"];
    let (plain_code, plain_out, _) = in_crate(&cargo, &args);
    let (code, out, err) = in_crate(&bin("pmdb"), &args);
    assert_eq!(plain_code, 101);
    assert_eq!(code, plain_code, "{err}");
    assert_eq!(steady(&without_blocks(&out)), steady(&plain_out));
    // rustc inlines the helper into the test function, and the other
    // tests' functions into libtest's closure.
    assert_eq!(
        block(&out, "tests::assert_eq_on_locals"),
        "---- tests::assert_eq_on_locals locals (pmdb) ----\n\
         \x20 #8   failing_tests::tests::assert_eq_on_locals\n\
         \x20       <no debug info>\n"
    );
    let none = "  no locals: the test binary has no debug info (`debug = true` in its profile gives them)\n";
    for test in [
        "tests::should_panic_with_another_message",
        "tests::unwrap_on_err",
        "budget_is_kept",
    ] {
        assert_eq!(
            block(&out, test),
            format!("---- {test} locals (pmdb) ----\n{none}")
        );
    }
    assert_eq!(out.matches("locals (pmdb)").count(), 4, "{out}");
}

#[test]
fn a_passing_run_is_cargo_tests_own() {
    let cargo = PathBuf::from(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let (plain_code, plain_out, _) = in_crate(&cargo, &["test", "passes"]);
    let (code, out, err) = in_crate(&bin("pmdb"), &["test", "passes"]);
    assert_eq!(plain_code, 0);
    assert_eq!(code, 0, "{err}");
    assert_eq!(steady(&out), steady(&plain_out));
}

/// `PROGRAM ARGS…` in the crate as `in_crate` runs it, for nextest: one
/// test at a time (so its order is the sorted one); nextest writes
/// everything to stderr.
fn nextest_in_crate(program: &std::path::Path, args: &[&str]) -> (i32, String) {
    let target = target_dir().join("failing-tests");
    let out = Command::new(program)
        .args(args)
        .args(["--no-fail-fast", "--test-threads", "1"])
        .current_dir(crate_dir())
        .env("CARGO_TARGET_DIR", target)
        .env("RUST_BACKTRACE", "0")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("NEXTEST_PROFILE")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// nextest's report as `steady` reads it: from its first rule on (what
/// cargo printed before, building or waiting for a lock another test
/// holds, left out), its indent of each test's output taken off (so
/// pmdb's blocks start their lines), its run id and timings made steady.
fn nextest_steady(text: &str) -> String {
    let lines: String = text
        .lines()
        .skip_while(|l| !l.starts_with("────"))
        .map(|l| {
            let l = l.strip_prefix("    ").unwrap_or(l);
            let l = match (l.find(" run ID "), l.find(" with nextest profile")) {
                (Some(a), Some(b)) if a < b => format!("{} run ID ID{}", &l[..a], &l[b..]),
                _ => l.to_string(),
            };
            // `[   0.014s]`, a test's or the run's time.
            match (l.find('['), l.find("s] ")) {
                (Some(a), Some(b)) if a < b && l[a + 1..b].trim().parse::<f64>().is_ok() => {
                    format!("{}[T]{}", &l[..a], &l[b + 2..])
                }
                _ => l,
            }
        })
        .map(|l| l + "\n")
        .collect();
    steady(&lines)
}

#[test]
fn nextest_runs_each_test_alone_and_shows_its_locals() {
    let cargo = PathBuf::from(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let (plain_code, plain) = nextest_in_crate(&cargo, &["nextest", "run"]);
    let dir = TempDir::new("pmdb-nextest");
    let json = dir.0.join("failures.json");
    let pmdb = bin("pmdb");
    let (code, out) = nextest_in_crate(
        &pmdb,
        &["test", "--json", json.to_str().unwrap(), "--nextest"],
    );
    // nextest's own exit status for failed tests.
    assert_eq!(plain_code, 100, "{plain}");
    assert_eq!(code, plain_code, "{out}");
    // The one line nextest adds: the runner it was given.
    let runner = format!(
        "info: using target runner `{} test-runner --` defined by environment variable \
         `CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER`\n",
        pmdb.display()
    );
    assert_eq!(out.matches(&runner).count(), 1, "{out}");
    let out = nextest_steady(&out.replacen(&runner, "", 1));
    assert_eq!(without_blocks(&out), nextest_steady(&plain));
    assert!(
        out.contains("FAIL [T] (1/7) failing-tests tests::assert_eq_on_locals\n"),
        "{out}"
    );
    // The same blocks as under `cargo test`: each test alone in its
    // process, where the harness printed no section for it (nextest runs
    // it with --nocapture), the block goes before its `test result:` line.
    assert_eq!(
        block(&out, "tests::assert_eq_on_locals"),
        "---- tests::assert_eq_on_locals locals (pmdb) ----\n\
         \x20 #8   failing_tests::tests::check_total at src/lib.rs:29\n\
         \x20       prices: &[u32] = [3, 4]\n\
         \x20       expected: u32 = 8\n\
         \x20       got: u32 = 7\n\
         \x20       left_val: &u32 = 7\n\
         \x20       right_val: &u32 = 8\n\
         \x20       kind: AssertKind = Eq\n\
         \x20 #9   failing_tests::tests::assert_eq_on_locals at src/lib.rs:36\n\
         \x20       prices: Vec<u32> = [3, 4]\n\
         \x20       expected: u32 = 8\n"
    );
    let placed = format!(
        "failures:\n    tests::assert_eq_on_locals\n\n{}\ntest result: FAILED.",
        block(&out, "tests::assert_eq_on_locals")
    );
    assert!(out.contains(&placed), "{out}");
    assert_eq!(
        block(&out, "tests::unwrap_on_err"),
        "---- tests::unwrap_on_err locals (pmdb) ----\n\
         \x20 #8   failing_tests::tests::unwrap_on_err at src/lib.rs:43\n\
         \x20       input: &str = \"12x\"\n\
         \x20       parsed: Result<u32, String> = Err(\"invalid digit found in string\")\n"
    );
    assert_eq!(
        block(&out, "tests::should_panic_with_another_message"),
        "---- tests::should_panic_with_another_message locals (pmdb) ----\n\
         \x20 #6   failing_tests::tests::should_panic_with_another_message at src/lib.rs:60\n\
         \x20       size: i32 = 3\n"
    );
    assert_eq!(
        block(&out, "budget_is_kept"),
        "---- budget_is_kept locals (pmdb) ----\n\
         \x20 #6   integration::budget_is_kept at tests/integration.rs:7\n\
         \x20       budget: u32 = 5\n\
         \x20       spent: u32 = 7\n"
    );
    // Passing tests and the expected panic: nothing.
    assert_eq!(out.matches("locals (pmdb)").count(), 4, "{out}");

    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let tests: Vec<&str> = entries
        .iter()
        .map(|e| e["test"].as_str().unwrap())
        .collect();
    assert_eq!(
        tests,
        [
            "tests::assert_eq_on_locals",
            "tests::should_panic_with_another_message",
            "tests::unwrap_on_err",
            "budget_is_kept",
        ]
    );
    assert_eq!(entries[3]["crash"]["message"], "spent 7 of 5");
    let frame = entries[0]["threads"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == "failing_tests::tests::check_total")
        .unwrap();
    assert_eq!(frame["locals"][2]["name"], "got");
    assert_eq!(frame["locals"][2]["value"], "7");
}

#[test]
fn nextest_and_the_tui_do_not_go_together() {
    let out = Command::new(bin("pmdb"))
        .args(["test", "--nextest", "--tui"])
        .current_dir(crate_dir())
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "pmdb: --tui does not work with --nextest: nextest captures each test's terminal \
         (run `pmdb test --tui` instead)\n"
    );
}
