//! The source pane says which copy of the file it shows: the local file, or
//! — when there is none here — the crashed process's copy, or the lines a
//! small core carries.

mod common;

use debugger_tui::source::{SourceArgs, Sources};
use debugger_tui::tui::app::App;

fn screen(app: &App) -> Vec<String> {
    common::screen(app, 110, 30)
}

/// The source pane's part of each line (right of the traceback pane).
fn source_pane(s: &[String]) -> Vec<String> {
    s[2..8]
        .iter()
        .map(|l| l.chars().skip(44).collect::<String>())
        .collect()
}

#[test]
fn the_source_pane_names_the_local_file_or_the_crashed_processs_copy() {
    let demo = tests::crash("bank");
    let root = std::env::current_dir()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();

    let app = App::new(demo.session()).unwrap();
    let s = screen(&app);
    assert!(
        source_pane(&s)[0].starts_with("┌ bank.rs:63 · local file ─"),
        "{s:#?}"
    );

    let elsewhere = SourceArgs {
        substitute_path: vec![(root.display().to_string(), "/nonexistent".into())],
        ..SourceArgs::default()
    };
    // Not on this machine: the crashed process's own copy, and it says so.
    let app = App::with_sources(demo.session(), Sources::new(&elsewhere)).unwrap();
    let s = screen(&app);
    let pane = source_pane(&s);
    assert!(
        pane[0].starts_with("┌ bank.rs:63 · copy from the crashed process ─"),
        "{s:#?}"
    );
    assert!(pane[4].starts_with("│>   63         panic!("), "{s:#?}");
}

/// A small core away from the sources: the pane shows the lines the core
/// carries around the frame's line, numbered as in the file, and says
/// where they come from.
#[test]
fn the_source_pane_shows_the_lines_a_small_core_carries() {
    let dir = tests::TempDir::new("pane-core");
    let mut cmd = std::process::Command::new(tests::bin("demo"));
    cmd.arg("bank")
        .env("PMDB_MODE", "core")
        .env("PMDB_DIR", &dir.0)
        .env("RUST_BACKTRACE", "0");
    let (_, stderr, _) = tests::run_to_end(cmd, std::time::Duration::from_secs(60));
    let core = stderr
        .lines()
        .find_map(|l| l.strip_prefix("pmdb: saved the crash to "))
        .and_then(|l| l.split(" (open it with").next())
        .unwrap_or_else(|| panic!("{stderr}"))
        .to_string();
    let root = std::env::current_dir()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let elsewhere = SourceArgs {
        substitute_path: vec![(root.display().to_string(), "/nonexistent".into())],
        ..SourceArgs::default()
    };
    let session =
        engine::hosts::coredump::open_session(std::path::Path::new(&core), &Default::default())
            .unwrap();
    let app = App::with_sources(session, Sources::new(&elsewhere)).unwrap();
    let s = screen(&app);
    let pane = source_pane(&s);
    assert!(
        pane[0].starts_with("┌ bank.rs:63 · from the core (file not on this machine) ─"),
        "{s:#?}"
    );
    assert!(pane[4].starts_with("│>   63         panic!("), "{s:#?}");
}
