//! End to end: the agent's small cores (issue 24). `PMDB_MODE=core` keeps
//! each thread's stack and what the crash's report reads, not the whole
//! heap: under 1 MB for `demo bank`, its report (text and JSON) the live
//! one, a value it left out `<not in the core>`, gdb's `bt` through it, and
//! `PMDB_CORE=full` the whole-memory core as before.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tests::{TempDir, bin, blank_addresses, crash_program, pmdb, report_json, run_to_end};

/// The core the agent writes for `demo SCENARIO` without address
/// randomisation (so code and stack addresses are those of another such
/// run), with `env`.
fn agent_core(scenario: &str, dir: &Path, env: &[(&str, &str)]) -> PathBuf {
    let mut cmd = Command::new("setarch");
    cmd.args(["x86_64", "-R"])
        .arg(bin("demo"))
        .arg(scenario)
        .env("PMDB_MODE", "core")
        .env("PMDB_DIR", dir)
        .env("PMDB_WAIT", "3600")
        .env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (_, stderr, _) = run_to_end(cmd, Duration::from_secs(120));
    tests::saved_crash(&stderr)
}

/// `pmdb report ARGS` as text, addresses of five hex digits or more
/// blanked (the heap's differ between runs).
fn report_text(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> String {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    let (status, out, err) = pmdb(&all, env);
    assert!(status.success(), "pmdb {all:?}: {err}");
    blank_text(&out)
}

fn blank_text(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at]);
        let hex = rest[at + 2..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len() - at - 2);
        out.push_str(if hex >= 5 {
            "0x…"
        } else {
            &rest[at..at + 2 + hex]
        });
        rest = &rest[at + 2 + hex..];
    }
    out.push_str(rest);
    out
}

/// The JSON report without what differs between two runs: the pid, each
/// thread's id and the heap's addresses.
fn across_runs(mut r: Value) -> Value {
    r.as_object_mut().unwrap().remove("pid");
    for t in r["threads"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("id");
    }
    blank_addresses(r)
}

/// A frame's local by name, from a JSON report.
fn local<'a>(report: &'a Value, function: &str, name: &str) -> &'a Value {
    report["threads"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == function)
        .unwrap_or_else(|| panic!("no frame {function}"))["locals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no local {name} in {function}"))
}

#[test]
fn a_small_core_of_bank_is_under_a_megabyte_and_reads_as_the_live_crash() {
    let demo_bin = bin("demo");
    let live = crash_program(
        Path::new("setarch"),
        &["x86_64", "-R", demo_bin.to_str().unwrap(), "bank"],
        "bank",
        &[("PMDB_CORE", "small")],
    );
    let pid = live.pid.to_string();
    let env = [("PMDB_DIR", live.dir.0.as_os_str())];
    let live_text = report_text(&[&pid], &env);
    let live_json = report_json(&[&pid], &env);
    let live_default = {
        let (status, out, err) = pmdb(&["report", &pid, "--json"], &env);
        assert!(status.success(), "{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    // Another run, the agent writing its core: the same environment's
    // size (the same PMDB_DIR, PMDB_WAIT, PMDB_CORE).
    let small = agent_core("bank", &live.dir.0, &[("PMDB_CORE", "small")]);
    let len = std::fs::metadata(&small).unwrap().len();
    assert!(len <= 1 << 20, "the small core of demo bank is {len} bytes");
    let core = small.to_str().unwrap();

    assert_eq!(report_text(&["--core", core], &[]), live_text);
    let depth2 = report_json(&["--core", core], &[]);
    assert_eq!(across_runs(depth2), across_runs(live_json));
    let (status, out, err) = pmdb(&["report", "--core", core, "--json"], &[]);
    assert!(status.success(), "{err}");
    assert_eq!(
        across_runs(serde_json::from_str(&out).unwrap()),
        across_runs(live_default)
    );

    // The whole-memory core as before, with the same report.
    let full = agent_core("bank", &live.dir.0, &[("PMDB_CORE", "full")]);
    let full_len = std::fs::metadata(&full).unwrap().len();
    assert!(
        full_len > 3 * len,
        "the full core ({full_len} bytes) against the small ({len})"
    );
    assert_eq!(
        report_text(&["--core", full.to_str().unwrap()], &[]),
        report_text(&["--core", core], &[])
    );
}

/// What the report did not read is not in the core, and says so: the
/// 10M-element vector of `demo corrupt` keeps the elements its preview
/// shows, not its last one. A garbage pointer is still unreadable memory.
#[test]
fn a_value_left_out_of_the_core_says_not_in_the_core() {
    let work = TempDir::new("small-corrupt");
    let small = agent_core("corrupt", &work.0, &[]);
    let len = std::fs::metadata(&small).unwrap().len();
    assert!(
        len <= 1 << 20,
        "the small core of demo corrupt is {len} bytes"
    );
    let core = small.to_str().unwrap();
    let eval = |expr: &str| -> String {
        let (status, out, err) = pmdb(
            &["report", "--core", core, "--frame", "run", "--eval", expr],
            &[],
        );
        assert!(status.success(), "{err}");
        out.trim_end().to_string()
    };
    assert_eq!(eval("huge[3]"), "huge[3]: u64 = 3");
    assert_eq!(
        eval("huge[9999999]"),
        "huge[9999999]: u64 = <not in the core>"
    );
    let report = report_json(&["--core", core], &[]);
    assert_eq!(
        local(&report, "demo::corrupt::run", "garbage")["value"],
        "0xdead"
    );
    let full = agent_core("corrupt", &work.0.join("full"), &[("PMDB_CORE", "full")]);
    let (status, out, err) = pmdb(
        &[
            "report",
            "--core",
            full.to_str().unwrap(),
            "--frame",
            "run",
            "--eval",
            "huge[9999999]",
        ],
        &[],
    );
    assert!(status.success(), "{err}");
    assert_eq!(out.trim_end(), "huge[9999999]: u64 = 9999999");
}

/// gdb reads the small core: a valid ELF core whose stacks unwind.
#[test]
fn gdb_shows_the_frames_of_a_small_core() {
    let work = TempDir::new("small-gdb");
    let small = agent_core("bank", &work.0, &[]);
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-ex", "bt"])
        .arg(bin("demo"))
        .arg(&small)
        .output()
        .expect("gdb must be installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "demo::bank::withdraw",
        "demo::bank::transfer",
        "demo::bank::settle",
        "demo::main",
    ] {
        assert!(text.contains(f), "no {f} in gdb's bt:\n{text}");
    }
}

/// `pmdb open` of a small core away from the sources: `list` shows the
/// lines the core carries around each frame, and says where they come
/// from.
#[test]
fn pmdb_open_lists_the_lines_the_core_carries() {
    let work = TempDir::new("small-open");
    let small = agent_core("bank", &work.0, &[]);
    let root = std::env::current_dir()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let gone = format!("{}/demo=/nonexistent/demo", root.display());
    let (status, out, err) = pmdb(
        &[
            "open",
            small.to_str().unwrap(),
            "--batch",
            "--substitute-path",
            &gone,
            "-c",
            "list",
            "-c",
            "up",
            "-c",
            "up",
            "-c",
            "up",
            "-c",
            "list",
        ],
        &[],
    );
    assert!(status.success(), "{err}");
    let carried =
        "source: copy carried in the core (/nonexistent/demo/src/bank.rs is not on this machine)";
    assert_eq!(out.matches(carried).count(), 2, "{out}");
    assert!(out.contains(">   63         panic!("), "{out}");
    assert!(
        out.contains(">   42     settle(&mut bank, &batch);"),
        "{out}"
    );
}

/// Other scenarios holding collections, strings and maps stay small.
#[test]
fn small_cores_of_collections_stay_under_a_megabyte() {
    let work = TempDir::new("small-sizes");
    for scenario in ["values", "collections", "crates", "ledger", "threads"] {
        let core = agent_core(scenario, &work.0.join(scenario), &[]);
        let len = std::fs::metadata(&core).unwrap().len();
        assert!(
            len <= 1 << 20,
            "the small core of demo {scenario} is {len} bytes"
        );
    }
}

/// Two thousand parked threads: the small core keeps every stack and what
/// the report reads of each (the report's pages are bounded apart from
/// the deeper walk's), so its report has every thread and no value left
/// out; each distinct frame's lines are asked for once.
#[test]
fn a_small_core_of_two_thousand_threads_reports_every_one() {
    let work = TempDir::new("small-pool");
    let core = agent_core("pool", &work.0, &[]);
    let len = std::fs::metadata(&core).unwrap().len();
    assert!(
        len <= 64 << 20,
        "the small core of demo pool is {len} bytes"
    );
    let (status, out, err) = pmdb(&["report", "--core", core.to_str().unwrap()], &[]);
    assert!(status.success(), "{err}");
    assert_eq!(out.matches("\nthread '").count(), 2001, "{err}");
    assert!(!out.contains("<not in the core>"), "{out}");
}

/// The bytes of the source note in a core: the note's contents and where
/// they stand in the file.
fn source_note(core: &Path) -> (Vec<u8>, usize) {
    use engine::crash::carried::{NOTE_NAME, NOTE_TYPE};
    let parsed = corefile::Core::open(core).unwrap();
    let note = parsed
        .note(NOTE_NAME, NOTE_TYPE)
        .expect("a small core carries its frames' lines")
        .to_vec();
    let file = std::fs::read(core).unwrap();
    let at = file
        .windows(note.len())
        .position(|w| w == note)
        .expect("the note's bytes are in the file");
    (note, at)
}

/// Seeded, so a failure replays: 20,000 cuts and byte mutations of a real
/// small core's source note, decoded as the core host decodes it at open;
/// what decodes answers each frame's lines within the range asked, never
/// a panic.
#[test]
fn mutated_source_notes_decode_or_are_dropped() {
    use engine::crash::carried::CarriedSource;
    let work = TempDir::new("small-note-mutations");
    let small = agent_core("bank", &work.0, &[]);
    let (note, _) = source_note(&small);
    let carried = CarriedSource::from_bytes(&note).expect("the note decodes");
    let bank = carried
        .files
        .iter()
        .find(|f| f.path.ends_with("demo/src/bank.rs"))
        .unwrap_or_else(|| panic!("{carried:?}"));
    let paths: Vec<String> = carried.files.iter().map(|f| f.path.clone()).collect();
    let at = |l: u32| bank.lines[(l - bank.first_line) as usize].as_str();
    assert_eq!(at(63).trim(), "panic!(");
    let mut rng = fastrand::Rng::with_seed(0x504d_4453_5eed);
    let (mut decoded, mut dropped) = (0, 0);
    let started = std::time::Instant::now();
    for i in 0..20_000 {
        let mut m = note.clone();
        if i % 10 == 0 {
            m.truncate(rng.usize(..note.len()));
        } else {
            for _ in 0..1 + rng.usize(..4) {
                let at = rng.usize(..m.len());
                match rng.usize(..3) {
                    0 => m[at] ^= 1 << rng.usize(..8),
                    1 => m[at] = rng.u8(..),
                    // A length or line number at its extremes.
                    _ => m[at] = [0x00, 0x7f, 0xcc, 0xcd, 0xce, 0xdc, 0xdd, 0xff][rng.usize(..8)],
                }
            }
        }
        let Some(c) = CarriedSource::from_bytes(&m) else {
            dropped += 1;
            continue;
        };
        decoded += 1;
        for path in paths.iter().chain(c.files.iter().map(|f| &f.path).take(8)) {
            for (first, last) in [(1, u32::MAX), (58, 68), (0, 0), (u32::MAX, u32::MAX)] {
                if let Some(t) = c.lines(path, first, last) {
                    assert!(t.carried && !t.lines.is_empty());
                    assert!(t.first_line >= first);
                    assert!(u64::from(t.first_line) + t.lines.len() as u64 - 1 <= u64::from(last));
                }
            }
        }
    }
    eprintln!(
        "{decoded} mutations decoded, {dropped} dropped, in {:?}",
        started.elapsed()
    );
    assert!(
        decoded > 1000 && dropped > 1000,
        "{decoded} decoded, {dropped} dropped"
    );
}

/// A small core whose source note is garbled still opens: the report
/// prints every frame and its locals, each frame saying its source is not
/// available, and `pmdb open`'s `list` says the same in one line.
#[test]
fn a_garbled_source_note_leaves_the_report_without_source() {
    let work = TempDir::new("small-garbled");
    let small = agent_core("bank", &work.0, &[]);
    let (note, at) = source_note(&small);
    let mut file = std::fs::read(&small).unwrap();
    // 0xc1 is the one byte MessagePack never uses.
    file[at..at + note.len()].fill(0xc1);
    let garbled = work.0.join("garbled.core");
    std::fs::write(&garbled, &file).unwrap();
    let gone = format!(
        "{}/demo=/nonexistent/demo",
        tests::workspace_root().display()
    );
    let core = garbled.to_str().unwrap();
    let not_here = |file: &str| {
        format!(
            "source not available: /nonexistent/demo/src/{file} is not on this machine (No such file or directory (os error 2)), \
             and a core file carries no source text: give --source-dir DIR or --substitute-path FROM=TO"
        )
    };

    let (status, out, err) = pmdb(
        &[
            "report",
            "--core",
            core,
            "--source",
            "--substitute-path",
            &gone,
        ],
        &[],
    );
    assert_eq!((status.code(), err.as_str()), (Some(0), ""), "{out}");
    let bank = format!("\n        <{}>\n", not_here("bank.rs"));
    let main = format!("\n        <{}>\n", not_here("main.rs"));
    assert_eq!(out.matches(&bank).count(), 4, "{out}");
    assert_eq!(out.matches(&main).count(), 1, "{out}");
    assert!(
        out.contains(&format!("  #10  demo::bank::withdraw at {}/demo/src/bank.rs:63{bank}        account: &Account = Account {{ id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }}\n", tests::workspace_root().display())),
        "{out}"
    );

    let (status, out, err) = pmdb(
        &[
            "open",
            core,
            "--batch",
            "--substitute-path",
            &gone,
            "-c",
            "list",
        ],
        &[],
    );
    assert_eq!((status.code(), err.as_str()), (Some(0), ""), "{out}");
    assert_eq!(out, format!("(pmdb) list\n{}\n", not_here("bank.rs")));
}
