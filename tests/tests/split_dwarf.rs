//! End to end: a program built with rustc's `-C split-debuginfo=packed`
//! (profile `panic-abort`, which packs its DWARF too: skeleton units in the
//! executable, the rest in `demo.dwp` beside it) shows the same frames and
//! values as the ordinary build, live and from the agent's core.

use serde_json::{Value, json};
use tests::{TempDir, bin, blank_addresses, crash_program, report_json, run_to_end};

/// The crashed thread's user frames, each with its locals two levels deep;
/// addresses (which differ between two builds) blanked.
fn user_frames(r: &Value) -> Value {
    let frames: Vec<Value> = r["threads"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["runtime"] == json!(false))
        .map(|f| json!({"function": f["function"], "file": f["file"], "line": f["line"], "locals": f["locals"]}))
        .collect();
    blank_addresses(json!({"crash": r["crash"], "frames": frames}))
}

fn live(program: &std::path::Path, scenario: &str) -> Value {
    let demo = crash_program(program, &[scenario], scenario, &[]);
    let r = report_json(
        &[&demo.pid.to_string()],
        &[("PMDB_DIR", demo.dir.0.as_os_str())],
    );
    user_frames(&r)
}

#[test]
fn a_packed_dwp_shows_what_the_ordinary_build_shows() {
    let split = tests::fixtures::DEMO_SPLIT_DWARF.path();
    assert!(
        split.with_extension("dwp").exists(),
        "{} has no .dwp beside it",
        split.display()
    );
    // Each compared crash object carries its `signature`: two builds of the
    // same source must give the same one.
    for scenario in ["bank", "values", "collections", "segv"] {
        let want = live(&bin("demo"), scenario);
        assert!(!want["frames"].as_array().unwrap().is_empty());
        assert_eq!(live(&split, scenario), want, "{scenario}");
    }
    // From the agent's own core of the split build.
    let work = TempDir::new("split-core");
    let mut cmd = std::process::Command::new(&split);
    cmd.arg("bank")
        .env("PMDB_MODE", "core")
        .env("PMDB_DIR", &work.0)
        .env("RUST_BACKTRACE", "0");
    let (status, stderr, _) = run_to_end(cmd, std::time::Duration::from_secs(60));
    // The build is also the panic = "abort" one: the panic ends in SIGABRT.
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGABRT),
        "{stderr}"
    );
    let core = std::fs::read_dir(&work.0)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "core"))
        .unwrap_or_else(|| panic!("no core: {stderr}"));
    let from_core = user_frames(&report_json(&["--core", core.to_str().unwrap()], &[]));
    assert_eq!(from_core, live(&bin("demo"), "bank"));
}
