//! Issue 14, threads at scale: `demo pool 2000` — 2,000 parked workers and
//! a panicking main thread. Every worker is frozen and listed, each with its
//! own traceback and locals, value for value; `pmdb report --json` lists
//! them all.

use tests::{bin, crash_program};

const WORKERS: usize = 2_000;

/// The line of `serve_slot`'s `park()`, where every worker stands.
fn park_line() -> u32 {
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/src/pool.rs"))
            .expect("demo/src/pool.rs");
    let start = source
        .lines()
        .position(|l| l.starts_with("fn serve_slot"))
        .expect("serve_slot");
    let k = source
        .lines()
        .skip(start)
        .position(|l| l.trim() == "std::thread::park();")
        .expect("park");
    (start + k + 1) as u32
}

#[test]
fn two_thousand_threads_frozen_listed_and_read_value_for_value() {
    let demo = crash_program(&bin("demo"), &["pool", "2000"], "pool", &[]);
    let s = demo.session();
    let crash = s.crash().unwrap();
    assert_eq!(crash.message, "2000 of 2000 workers busy: pool exhausted");
    assert_eq!(crash.thread_name, "main");

    let threads = s.threads().unwrap();
    assert_eq!(threads.len(), WORKERS + 1);
    assert_eq!(
        (threads[0].name.as_str(), threads[0].crashed),
        ("main", true)
    );
    let mut names: Vec<&str> = threads[1..].iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    let mut expected: Vec<String> = (0..WORKERS).map(|i| format!("pool-{i}")).collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert!(threads[1..].iter().all(|t| !t.crashed));

    let ids: Vec<u64> = threads[1..].iter().map(|t| t.id).collect();
    let tracebacks: Vec<wire::Traceback> = s
        .tracebacks(&ids)
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let frames: Vec<wire::Frame> = tracebacks
        .iter()
        .map(|tb| tb.frame_named("serve_slot").unwrap().clone())
        .collect();
    for f in &frames {
        assert_eq!(f.info.function, "demo::pool::serve_slot");
        assert!(
            f.info
                .file
                .as_deref()
                .unwrap()
                .ends_with("demo/src/pool.rs")
        );
        assert_eq!(f.info.line, Some(park_line()));
    }
    let locals = s.locals_of(&frames).unwrap();
    for (t, vals) in threads[1..].iter().zip(locals) {
        let vals = vals.unwrap();
        let index: usize = t.name.strip_prefix("pool-").unwrap().parse().unwrap();
        let shown: Vec<(&str, &str)> = vals.iter().map(|v| (v.name(), v.preview())).collect();
        let label = if index.is_multiple_of(2) {
            "\"even\""
        } else {
            "\"odd\""
        };
        assert_eq!(
            shown,
            [
                ("index", index.to_string().as_str()),
                ("slot", index.to_string().as_str()),
                ("label", label)
            ],
            "thread {}",
            t.name
        );
    }
}

#[test]
fn report_json_lists_every_thread_of_a_pool() {
    let demo = crash_program(&bin("demo"), &["pool", "2000"], "pool", &[]);
    let (status, out, err) = tests::pmdb(
        &["report", &demo.pid.to_string(), "--json", "--depth", "1"],
        &[("PMDB_DIR", demo.dir.0.as_os_str())],
    );
    assert!(status.success(), "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let threads = json["threads"].as_array().unwrap();
    assert_eq!(threads.len(), WORKERS + 1);
    let pool_7 = threads.iter().find(|t| t["name"] == "pool-7").unwrap();
    let frame = pool_7["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == "demo::pool::serve_slot")
        .unwrap();
    assert_eq!(frame["line"], park_line());
    let locals: Vec<(&str, &str)> = frame["locals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap(), l["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        locals,
        [("index", "7"), ("slot", "7"), ("label", "\"odd\"")]
    );
}

#[test]
fn batch_groups_identical_tracebacks_and_filters_threads_by_name() {
    let demo = crash_program(&bin("demo"), &["pool", "2000"], "pool", &[]);
    let (status, out, err) = tests::pmdb(
        &[
            "attach",
            demo.socket.to_str().unwrap(),
            "--batch",
            "-c",
            "stacks pool",
            "-c",
            "threads pool-199",
        ],
        &[],
    );
    assert!(status.success(), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "(pmdb) stacks pool");
    assert!(
        lines[1].starts_with("2,000 threads × the same stack: pool-"),
        "{}",
        lines[1]
    );
    // One group: its frames, then the next command.
    let frames: Vec<&str> = lines[2..]
        .iter()
        .take_while(|l| l.starts_with("    #"))
        .copied()
        .collect();
    assert_eq!(lines[2 + frames.len()], "(pmdb) threads pool-199");
    let serve = frames
        .iter()
        .find(|l| l.contains("demo::pool::serve_slot"))
        .unwrap();
    assert!(
        serve.ends_with(&format!("demo/src/pool.rs:{}", park_line())),
        "{serve}"
    );
    let mut listed: Vec<&str> = lines[3 + frames.len()..]
        .iter()
        .map(|l| {
            l.trim_start_matches(['*', ' '])
                .split_whitespace()
                .nth(1)
                .unwrap()
        })
        .collect();
    listed.sort_unstable();
    let mut expected = vec!["pool-199".to_string()];
    expected.extend((0..10).map(|i| format!("pool-199{i}")));
    expected.sort_unstable();
    assert_eq!(listed, expected);
}

#[test]
fn a_thread_that_cannot_be_frozen_is_listed_as_such() {
    let demo = crash_program(&bin("demo"), &["pool", "3", "deaf"], "pool", &[]);
    let s = demo.session();
    let mut names: Vec<String> = s.threads().unwrap().into_iter().map(|t| t.name).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "deaf (not frozen: did not answer)",
            "main",
            "pool-0",
            "pool-1",
            "pool-2"
        ]
    );
    assert!(
        demo.stderr()
            .contains("pmdb: 1 threads were not frozen and go on running (listed as such)\n"),
        "{}",
        demo.stderr()
    );
}
