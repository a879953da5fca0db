//! A crash caught in the program's own integration test, as a user of
//! `pmdb-test` writes one: run the binary, let it crash, ask it questions.

use std::process::Command;

use pmdb_test::{Crashed, Error};

fn demo(scenario: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    command.arg(scenario);
    command
}

#[test]
fn the_bad_line_is_in_the_parse_frame() -> Result<(), Error> {
    let crash = Crashed::run(&mut demo("config"))?;
    assert_eq!(crash.info()?.message, "bad line 2: \"x\"");
    let parse = crash.frame("parse")?;
    assert_eq!(parse.local("line")?.fetch::<String>()?, "x");
    assert_eq!(parse.local("number")?.fetch::<u64>()?, 2);
    assert_eq!(crash.crashed_frame()?.info.function, "demo::config::parse");
    let load = crash.frame("load")?;
    assert_eq!(load.eval("settings")?.preview(), "{\"name\": \"demo\"}");
    Ok(())
}

#[test]
fn a_normal_end_is_an_error() {
    match Crashed::run(&mut demo("ok")) {
        Err(Error::Ended { status, .. }) => assert_eq!(status.code(), Some(0)),
        Err(other) => panic!("expected Ended, got {other}"),
        Ok(_) => panic!("expected Ended, got a crash"),
    }
}

#[test]
fn resuming_ends_the_program_as_without_pmdb() -> Result<(), Error> {
    let crash = Crashed::run(&mut demo("config"))?;
    let pid = crash.pid();
    let (status, stderr) = crash.resume()?;
    assert_eq!(status.code(), Some(101));
    assert!(
        stderr.contains("panicked at demo/src/config.rs:26:17:\nbad line 2: \"x\""),
        "{stderr}"
    );
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    Ok(())
}

#[test]
fn dropping_kills_and_reaps() -> Result<(), Error> {
    let crash = Crashed::run(&mut demo("config"))?;
    let pid = crash.pid();
    drop(crash);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    Ok(())
}
