//! What `Crashed::run` says when there is no crash to hand back.

use std::process::Command;
use std::time::{Duration, Instant};

use pmdb_test::{Crashed, Error};

#[test]
fn a_program_that_cannot_start_is_a_spawn_error() {
    match Crashed::run(&mut Command::new("/nonexistent/pmdb-test-program")) {
        Err(Error::Spawn { program, source }) => {
            assert_eq!(program, "/nonexistent/pmdb-test-program");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        Err(other) => panic!("expected Spawn, got {other}"),
        Ok(_) => panic!("expected Spawn, got a crash"),
    }
}

#[test]
fn a_program_that_ends_is_an_error_with_its_status_and_stderr() {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo gone >&2; exit 3"]);
    match Crashed::run(&mut cmd) {
        Err(Error::Ended { status, stderr, .. }) => {
            assert_eq!(status.code(), Some(3));
            assert_eq!(stderr, "gone\n");
        }
        Err(other) => panic!("expected Ended, got {other}"),
        Ok(_) => panic!("expected Ended, got a crash"),
    }
}

#[test]
fn a_program_that_neither_crashes_nor_ends_times_out_and_is_killed() {
    let started = Instant::now();
    let mut cmd = Command::new("sleep");
    cmd.arg("120");
    match Crashed::run_within(&mut cmd, Duration::from_millis(300)) {
        Err(Error::TimedOut {
            program, timeout, ..
        }) => {
            assert_eq!(program, "sleep");
            assert_eq!(timeout, Duration::from_millis(300));
        }
        Err(other) => panic!("expected TimedOut, got {other}"),
        Ok(_) => panic!("expected TimedOut, got a crash"),
    }
    // Killed and reaped, not waited out (the sleep lasts two minutes).
    assert!(started.elapsed() < Duration::from_secs(60));
}
