//! Issue 14, every tokio task: `demo-tokio-current` (tokio 1.54.1) and
//! `demo-tokio-older` (tokio 1.40.0), the same program — 24 orders parked
//! in `reserve` at `gate.await`, a ticker asleep, `poke` woken but not yet
//! run, and `checker` panicking while it runs. Every task is listed with its
//! id, state, await lines and the locals held across each await, value for
//! value, through `Session::tasks()` and `pmdb report --json`.
//!
//! Build the demos first (`.ci/run` does):
//! `cargo build --manifest-path demo-tokio/current/Cargo.toml --target-dir target/tokio-demos`
//! and the same for `demo-tokio/older`.

use std::path::PathBuf;

use tests::crash_program;

/// `scenario.rs` lines: the awaits each task is parked at.
const ORDER_AWAIT: u32 = 59;
const RESERVE_AWAIT: u32 = 66;
const TICKER_AWAIT: u32 = 72;
const POKE_AWAIT: u32 = 77;

fn demo(version: &str) -> PathBuf {
    tests::tokio_demo(version)
}

fn check_tasks(version: &str) {
    let program = demo(version);
    let krate = format!("demo_tokio_{version}");
    let crashed = crash_program(&program, &[], "tokio", &[]);
    let s = crashed.session();
    let crash = s.crash().unwrap();
    assert_eq!(crash.message, "checker: 24 orders waiting, limit 12");

    // The future being polled on the crashed thread: an async fn's body
    // lists each argument once (DWARF has each twice).
    let tb = s.traceback(crash.thread).unwrap();
    let body = tb
        .frames
        .iter()
        .find(|f| f.info.function == format!("{krate}::checker::{{{{closure}}}}"))
        .unwrap();
    let names: Vec<String> = body
        .locals()
        .unwrap()
        .iter()
        .map(|v| v.name().to_string())
        .collect();
    assert_eq!(names, ["_task_context", "orders", "poke", "limit"]);

    let list = s.tasks().unwrap();
    assert_eq!(list.unavailable, None);
    let mut tasks = list.tasks;
    tasks.sort_by_key(|t| t.id);
    // 24 orders, the ticker, poke, checker: ids 1..=27 in spawn order.
    let ids: Vec<u64> = tasks.iter().map(|t| t.id).collect();
    assert_eq!(ids, (1..=27).collect::<Vec<u64>>());

    for (k, t) in tasks[..24].iter().enumerate() {
        let id = k as u64;
        assert_eq!(t.state, "idle", "order {id}");
        let functions: Vec<&str> = t.frames.iter().map(|f| f.info.function.as_str()).collect();
        assert_eq!(
            functions,
            [
                "Receiver<u64>".to_string(),
                format!("{krate}::reserve"),
                format!("{krate}::order")
            ],
            "order {id}"
        );
        let lines: Vec<Option<u32>> = t.frames.iter().map(|f| f.info.line).collect();
        assert_eq!(lines, [None, Some(RESERVE_AWAIT), Some(ORDER_AWAIT)]);
        assert!(
            t.frames[1]
                .info
                .file
                .as_deref()
                .unwrap()
                .ends_with("demo-tokio/scenario.rs")
                || t.frames[1]
                    .info
                    .file
                    .as_deref()
                    .unwrap()
                    .ends_with("/../scenario.rs")
        );
        let reserve_locals = t.frames[1].locals().unwrap();
        let reserve: Vec<(&str, &str)> = reserve_locals
            .iter()
            .map(|v| (v.name(), v.preview()))
            .collect();
        let shelf = (id % 4).to_string();
        let id_text = id.to_string();
        assert_eq!(
            &reserve[..2],
            [("shelf", shelf.as_str()), ("id", id_text.as_str())]
        );
        assert_eq!(reserve[2].0, "gate");
        let order_locals = t.frames[2].locals().unwrap();
        let order: Vec<(&str, &str)> = order_locals
            .iter()
            .map(|v| (v.name(), v.preview()))
            .collect();
        let name = format!("\"order-{id}\"");
        let qty = (id * 10).to_string();
        assert_eq!(
            &order[..3],
            [
                ("id", id_text.as_str()),
                ("name", name.as_str()),
                ("qty", qty.as_str())
            ]
        );
        // Each local once, however many variants hold it.
        let mut names: Vec<&str> = order.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), order.len());
        let qty: u64 = t.frames[2].local("qty").unwrap().fetch().unwrap();
        assert_eq!(qty, id * 10);
    }

    let ticker = &tasks[24];
    assert_eq!(ticker.state, "idle");
    let f = ticker.frame_named("ticker").unwrap();
    assert_eq!(f.info.function, format!("{krate}::ticker"));
    assert_eq!(f.info.line, Some(TICKER_AWAIT));
    assert_eq!(f.local("every").unwrap().preview(), "3600");
    assert_eq!(ticker.frames[0].info.function, "Sleep");

    let poke = &tasks[25];
    assert_eq!(poke.state, "notified");
    let f = poke.frame_named("poke").unwrap();
    assert_eq!(f.info.line, Some(POKE_AWAIT));
    assert_eq!(
        f.locals()
            .unwrap()
            .iter()
            .map(|v| v.name().to_string())
            .collect::<Vec<_>>(),
        ["rx"]
    );

    let checker = &tasks[26];
    assert_eq!(checker.state, "running");
    let f = checker.frame_named("checker").unwrap();
    // Panicking in its first poll: not suspended at any await yet.
    assert_eq!(f.info.line, None);
    assert_eq!(f.local("orders").unwrap().preview(), "24");

    // The same tasks in `pmdb report --json`.
    let (status, out, err) = tests::pmdb(
        &["report", &crashed.pid.to_string(), "--json", "--depth", "1"],
        &[("PMDB_DIR", crashed.dir.0.as_os_str())],
    );
    assert!(status.success(), "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tasks = json["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 27);
    let t5 = tasks.iter().find(|t| t["id"] == 5).unwrap();
    assert_eq!(t5["state"], "idle");
    let frames = t5["frames"].as_array().unwrap();
    assert_eq!(frames[1]["function"], format!("{krate}::reserve"));
    assert_eq!(frames[1]["line"], RESERVE_AWAIT);
    assert_eq!(frames[2]["line"], ORDER_AWAIT);
    let locals: Vec<(&str, &str)> = frames[2]["locals"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|l| (l["name"].as_str().unwrap(), l["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        locals,
        [("id", "4"), ("name", "\"order-4\""), ("qty", "40")]
    );
    assert!(json.get("tasks_unavailable").is_none());
}

#[test]
fn every_task_of_tokio_current() {
    check_tasks("current");
}

#[test]
fn every_task_of_tokio_older() {
    check_tasks("older");
}

#[test]
fn a_program_without_tokio_has_no_tasks() {
    let crashed = tests::crash("bank");
    let list = crashed.session().tasks().unwrap();
    assert_eq!(list.tasks.len(), 0);
    assert_eq!(list.unavailable, None);
}

#[test]
fn batch_lists_tasks_filtered() {
    let crashed = crash_program(&demo("current"), &[], "tokio", &[]);
    let (status, out, err) = tests::pmdb(
        &[
            "attach",
            crashed.socket.to_str().unwrap(),
            "--batch",
            "-c",
            "tasks \"order-7\"",
        ],
        &[],
    );
    assert!(status.success(), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "(pmdb) tasks \"order-7\"");
    assert_eq!(lines[1], "1 of 27 tasks");
    assert_eq!(lines[2], "task 8 (idle)");
    assert_eq!(lines[3], "  Receiver<u64>");
    assert!(lines[4].starts_with("  demo_tokio_current::reserve at "));
    assert!(lines[4].ends_with("scenario.rs:66"), "{}", lines[4]);
    assert_eq!(lines[5], "      shelf: u64 = 3");
    assert_eq!(lines[6], "      id: u64 = 7");
    assert!(lines[7].starts_with("      gate: Receiver<u64> = "));
    assert!(lines[8].ends_with("scenario.rs:59"), "{}", lines[8]);
    assert_eq!(
        &lines[9..12],
        [
            "      id: u64 = 7",
            "      name: String = \"order-7\"",
            "      qty: u64 = 70"
        ]
    );
}
