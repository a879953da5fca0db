//! A panic inside a test itself: `crash_of` hands back a session on it,
//! `show_locals` prints its locals under the test's failure. The tests
//! named `fixture_*` are what the others run again in a child process of
//! this binary (with `PMDB_TEST_FIXTURES` set); alone they do nothing.

use std::process::Command;

use pmdb_test::{Error, crash_of, show_locals};

/// The helper that asserts.
fn check_total(prices: &[u32], expected: u32) {
    let got: u32 = prices.iter().sum();
    assert_eq!(got, expected, "total of {} prices", prices.len());
}

#[test]
fn a_panic_in_the_test_is_handed_back_held_where_it_panicked() -> Result<(), Error> {
    let crash = crash_of(|| {
        let prices = vec![3, 4];
        let expected = 8;
        check_total(&prices, expected);
    })?;
    assert_eq!(
        crash.info.message,
        "assertion `left == right` failed: total of 2 prices\n  left: 7\n right: 8"
    );
    assert_eq!(
        crash.info.thread_name,
        "a_panic_in_the_test_is_handed_back_held_where_it_panicked"
    );
    assert_eq!(crash.info.line, Some(13));
    let helper = crash.crashed_frame()?;
    assert_eq!(helper.info.function, "inside::check_total");
    assert_eq!(helper.local("got")?.fetch::<u32>()?, 7);
    assert_eq!(helper.local("expected")?.fetch::<u32>()?, 8);
    assert_eq!(helper.eval("prices")?.preview(), "[3, 4]");
    // The body, the closure that called the helper.
    let traceback = crash.traceback()?;
    let body = traceback.user_frames().nth(1).unwrap();
    assert_eq!(
        body.info.function,
        "inside::a_panic_in_the_test_is_handed_back_held_where_it_panicked::{{closure}}"
    );
    assert_eq!(body.local("prices")?.fetch::<Vec<u32>>()?, [3, 4]);
    // The copy is held at its panic until dropped, then killed.
    let pid = crash.pid();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    assert_eq!(stat.rsplit_once(") ").unwrap().1.chars().next(), Some('t'));
    drop(crash);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    Ok(())
}

#[test]
fn a_body_that_does_not_panic_is_no_crash() {
    match crash_of(|| {
        check_total(&[1, 2], 3);
    }) {
        Err(Error::NoPanic { test, exit }) => {
            assert_eq!(test, "a_body_that_does_not_panic_is_no_crash");
            assert_eq!(exit, "exit status 0");
        }
        Err(other) => panic!("expected NoPanic, got {other}"),
        Ok(c) => panic!("expected NoPanic, got {}", c.info.message),
    }
}

#[test]
fn fixture_failing_test_with_locals() {
    if std::env::var_os("PMDB_TEST_FIXTURES").is_none() {
        return;
    }
    show_locals(|| {
        let prices = vec![3, 4];
        let expected = 8;
        check_total(&prices, expected);
    });
}

#[test]
fn fixture_passing_test_with_locals() {
    if std::env::var_os("PMDB_TEST_FIXTURES").is_none() {
        return;
    }
    show_locals(|| check_total(&[1, 2], 3));
}

/// This binary run on one fixture test: (exit code, stdout).
fn fixture(test: &str) -> (i32, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--test-threads=1"])
        .env("PMDB_TEST_FIXTURES", "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn show_locals_prints_the_failing_tests_locals_under_its_failure() {
    let (code, out) = fixture("fixture_failing_test_with_locals");
    assert_eq!(code, 101, "{out}");
    let section = out
        .split("---- fixture_failing_test_with_locals stdout ----\n")
        .nth(1)
        .and_then(|s| s.split("\nfailures:\n").next())
        .unwrap_or_else(|| panic!("no section in:\n{out}"));
    assert_eq!(
        section,
        "thread 'fixture_failing_test_with_locals' panicked at pmdb-test/tests/inside.rs:13:5:\n\
         assertion `left == right` failed: total of 2 prices\n  left: 7\n right: 8\n\
         ---- locals (pmdb) ----\n\
         \x20 #8   inside::check_total at tests/inside.rs:13\n\
         \x20       prices: &[u32] = [3, 4]\n\
         \x20       expected: u32 = 8\n\
         \x20       got: u32 = 7\n\
         \x20       left_val: &u32 = 7\n\
         \x20       right_val: &u32 = 8\n\
         \x20       kind: AssertKind = Eq\n\
         \x20 #9   inside::fixture_failing_test_with_locals::{{closure}} at tests/inside.rs:76\n\
         \x20       prices: Vec<u32> = [3, 4]\n\
         \x20       expected: u32 = 8\n\n"
    );
}

#[test]
fn show_locals_on_a_passing_body_passes_silently() {
    let (code, out) = fixture("fixture_passing_test_with_locals");
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("locals (pmdb)"), "{out}");
}
