//! Issue 14 and 25, every tokio task: `demo-tokio-current` (tokio 1.54.1),
//! `demo-tokio-older` (tokio 1.40.0), `demo-tokio-mid` (tokio 1.20.6) and
//! `demo-tokio-oldest` (tokio 1.0.3),
//! the same program — 24 orders parked in `reserve` at `gate.await`, a
//! ticker asleep, `poke` woken but not yet run, and `checker` panicking
//! while it runs. Every task is listed with its id, state, await lines and
//! the locals held across each await, value for value, through
//! `Session::tasks()` and `pmdb report --json`; the same with a
//! multi-thread runtime no thread is in `block_on` for (`multi`), and with
//! a runtime nobody entered (`held`). tokio 1.0 keeps its tasks elsewhere
//! (a list per worker core or per `block_on`, a task joining it when first
//! polled) and has no task ids: pmdb numbers them in the order the runtime
//! first ran them. The tests build the demos into `target/outside` the
//! first time they need them (`tests::fixtures`).

use serde_json::json;
use tests::crash_program;

/// `scenario.rs` lines: the awaits each task is parked at.
fn await_line(text: &str) -> u32 {
    tests::line_containing("demo-tokio/scenario.rs", text)
}
fn order_await() -> u32 {
    await_line("let got = reserve(id, gate).await")
}
fn reserve_await() -> u32 {
    await_line("let got = gate.await")
}
fn ticker_await() -> u32 {
    await_line("tokio::time::sleep(")
}
fn poke_await() -> u32 {
    await_line("rx.await")
}
/// `serve`'s await on the checker, and `main`'s on `serve` (with `multi`).
fn serve_await() -> u32 {
    await_line("let _ = checker.await")
}
fn main_await() -> u32 {
    await_line("serve(orders).await;")
}

/// One of the 24 orders: parked in `reserve` at `gate.await`, holding its
/// id, name and quantity, value for value.
fn check_order(t: &wire::Task, id: u64, krate: &str) {
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
    assert_eq!(lines, [None, Some(reserve_await()), Some(order_await())]);
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

/// The ticker asleep, `poke` woken but not run, `checker` running.
fn check_last_three(krate: &str, ticker: &wire::Task, poke: &wire::Task, checker: &wire::Task) {
    assert_eq!(ticker.state, "idle");
    let f = ticker.frame_named("ticker").unwrap();
    assert_eq!(f.info.function, format!("{krate}::ticker"));
    assert_eq!(f.info.line, Some(ticker_await()));
    assert_eq!(f.local("every").unwrap().preview(), "3600");
    assert_eq!(ticker.frames[0].info.function, "Sleep");

    assert_eq!(poke.state, "notified");
    let f = poke.frame_named("poke").unwrap();
    assert_eq!(f.info.line, Some(poke_await()));
    assert_eq!(
        f.locals()
            .unwrap()
            .iter()
            .map(|v| v.name().to_string())
            .collect::<Vec<_>>(),
        ["rx"]
    );

    assert_eq!(checker.state, "running");
    let f = checker.frame_named("checker").unwrap();
    // Panicking in its first poll: not suspended at any await yet.
    assert_eq!(f.info.line, None);
    assert_eq!(f.local("orders").unwrap().preview(), "24");
}

fn check_tasks(version: &str) {
    let krate = format!("demo_tokio_{version}");
    let crashed = crash_program(&tests::tokio_demo(version), &[], "tokio", &[]);
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
        check_order(t, k as u64, &krate);
    }
    check_last_three(&krate, &tasks[24], &tasks[25], &tasks[26]);

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
    // Shaped as a thread's frames.
    let keys: Vec<&str> = frames[1]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["file", "function", "index", "line", "locals", "runtime"]
    );
    assert_eq!(
        (&frames[1]["index"], &frames[1]["runtime"]),
        (&json!(1), &json!(false))
    );
    assert_eq!(frames[1]["function"], format!("{krate}::reserve"));
    assert_eq!(frames[1]["line"], reserve_await());
    assert_eq!(frames[2]["line"], order_await());
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

/// A multi-thread runtime and no thread in `block_on`: the runtime is
/// found from its worker (in `enter_runtime`), and `serve` is a task too.
fn check_tasks_without_block_on(version: &str) {
    let krate = format!("demo_tokio_{version}");
    let crashed = crash_program(&tests::tokio_demo(version), &["24", "multi"], "tokio", &[]);
    let s = crashed.session();
    let crash = s.crash().unwrap();
    assert_eq!(crash.message, "checker: 24 orders waiting, limit 12");
    // tokio renamed its worker threads after 1.40.
    let worker = match version {
        "current" => "tokio-rt-worker",
        _ => "tokio-runtime-worker",
    };
    assert_eq!(crash.thread_name, worker);
    for t in s.threads().unwrap() {
        let tb = s.traceback(t.id).unwrap();
        assert!(
            !tb.frames
                .iter()
                .any(|f| f.info.function.contains("block_on")),
            "thread {} is in block_on",
            t.name
        );
    }

    let list = s.tasks().unwrap();
    assert_eq!(list.unavailable, None);
    let mut tasks = list.tasks;
    tasks.sort_by_key(|t| t.id);
    let ids: Vec<u64> = tasks.iter().map(|t| t.id).collect();
    // (serve, the 24 orders, ticker, poke, checker) by position in `tasks`.
    let (serve, orders, ticker, poke, checker) = if version == "oldest" {
        // No task ids: numbered in the order the worker first ran them,
        // `poke` second (spawned last, it went to the worker's LIFO slot)
        // and the blocking task that runs the worker not among them.
        assert_eq!(ids, (1..=28).collect::<Vec<u64>>());
        (0, 2..26, 26, 1, 27)
    } else {
        // Task 1 is the worker itself (a blocking task, not in the owned
        // list); then serve, the 24 orders, ticker, poke and checker.
        assert_eq!(ids, (2..=29).collect::<Vec<u64>>());
        (0, 1..25, 25, 26, 27)
    };

    let serve = &tasks[serve];
    assert_eq!(serve.state, "idle");
    let frames: Vec<(&str, Option<u32>)> = serve
        .frames
        .iter()
        .map(|f| (f.info.function.as_str(), f.info.line))
        .collect();
    assert_eq!(
        frames,
        [
            ("JoinHandle<()>", None),
            (format!("{krate}::serve").as_str(), Some(serve_await())),
            (
                format!("{krate}::main::{{async_block#2}}").as_str(),
                Some(main_await())
            ),
        ]
    );
    assert_eq!(serve.frames[1].local("orders").unwrap().preview(), "24");
    for (k, t) in tasks[orders].iter().enumerate() {
        check_order(t, k as u64, &krate);
    }
    check_last_three(&krate, &tasks[ticker], &tasks[poke], &tasks[checker]);
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
fn every_task_of_a_multi_thread_runtime_without_block_on_current() {
    check_tasks_without_block_on("current");
}

#[test]
fn every_task_of_a_multi_thread_runtime_without_block_on_older() {
    check_tasks_without_block_on("older");
}

#[test]
fn every_task_of_tokio_mid() {
    check_tasks("mid");
}

#[test]
fn every_task_of_a_multi_thread_runtime_without_block_on_mid() {
    check_tasks_without_block_on("mid");
}

#[test]
fn every_task_of_tokio_oldest() {
    check_tasks("oldest");
}

#[test]
fn every_task_of_a_multi_thread_runtime_without_block_on_oldest() {
    check_tasks_without_block_on("oldest");
}

/// No thread inside any runtime: the runtime the crashed thread holds in
/// a local is found, and its one task, spawned but never polled.
fn check_held_runtime(version: &str) {
    let krate = format!("demo_tokio_{version}");
    let crashed = crash_program(&tests::tokio_demo(version), &["24", "held"], "tokio", &[]);
    let s = crashed.session();
    assert_eq!(
        s.crash().unwrap().message,
        "startup failed with 24 orders queued"
    );
    let list = s.tasks().unwrap();
    assert_eq!(list.unavailable, None);
    assert_eq!(list.tasks.len(), 1);
    let serve = &list.tasks[0];
    assert_eq!((serve.id, serve.state.as_str()), (1, "notified"));
    let frames: Vec<(&str, Option<u32>)> = serve
        .frames
        .iter()
        .map(|f| (f.info.function.as_str(), f.info.line))
        .collect();
    assert_eq!(frames, [(format!("{krate}::serve").as_str(), None)]);
    let locals: Vec<(String, String)> = serve.frames[0]
        .locals()
        .unwrap()
        .iter()
        .map(|v| (v.name().to_string(), v.preview().to_string()))
        .collect();
    assert_eq!(locals, [("orders".to_string(), "24".to_string())]);
}

#[test]
fn a_runtime_no_thread_is_in_is_found_from_the_crashed_threads_locals() {
    check_held_runtime("current");
    check_held_runtime("older");
    check_held_runtime("mid");
    // tokio 1.0 binds a task to its scheduler when it first runs it: the
    // never-polled `serve` is found in the runtime's remote run queue.
    check_held_runtime("oldest");
}

/// A task pmdb cannot make sense of refuses the whole list in one line,
/// never a list with wrong tasks: the real crashed process's running task
/// gets its header's vtable pointer overwritten (through `/proc/PID/mem`)
/// with the header's own address, so its `poll` is no function at all.
#[test]
fn a_task_layout_pmdb_cannot_read_is_said_in_one_line() {
    let crashed = crash_program(&tests::tokio_demo("current"), &[], "tokio", &[]);
    let s = crashed.session();
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    let poll = tb
        .frames
        .iter()
        .find(|f| f.info.function == "tokio::runtime::task::raw::poll")
        .unwrap();
    let header: u64 = poll.eval("ptr.pointer as usize").unwrap().fetch().unwrap();
    let vtable: u64 = poll
        .eval("&(*ptr.pointer).vtable as usize")
        .unwrap()
        .fetch()
        .unwrap();
    assert!(vtable > header && vtable < header + 64, "{vtable:#x}");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut mem = std::fs::OpenOptions::new()
            .write(true)
            .open(format!("/proc/{}/mem", crashed.pid))
            .unwrap();
        mem.seek(SeekFrom::Start(vtable)).unwrap();
        mem.write_all(&header.to_le_bytes()).unwrap();
    }
    let line = "tasks unavailable: tokio 1.x layout not recognised \
                (the task's poll function has no DWARF)";
    let list = s.tasks().unwrap();
    assert_eq!(list.unavailable.as_deref(), Some(line));
    assert_eq!(list.tasks.len(), 0);

    let (status, out, err) = tests::pmdb(
        &["report", &crashed.pid.to_string(), "--depth", "0"],
        &[("PMDB_DIR", crashed.dir.0.as_os_str())],
    );
    assert!(status.success(), "{err}");
    let said: Vec<&str> = out.lines().filter(|l| l.contains("tasks")).collect();
    assert_eq!(said, [line]);
    let json = tests::report_json(
        &[&crashed.pid.to_string()],
        &[("PMDB_DIR", crashed.dir.0.as_os_str())],
    );
    assert_eq!(json["tasks"], serde_json::json!([]));
    assert_eq!(json["tasks_unavailable"], line);
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
    let crashed = crash_program(&tests::tokio_demo("current"), &[], "tokio", &[]);
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
    assert!(
        lines[4].ends_with(&format!("scenario.rs:{}", reserve_await())),
        "{}",
        lines[4]
    );
    assert_eq!(lines[5], "      shelf: u64 = 3");
    assert_eq!(lines[6], "      id: u64 = 7");
    assert!(lines[7].starts_with("      gate: Receiver<u64> = "));
    assert!(
        lines[8].ends_with(&format!("scenario.rs:{}", order_await())),
        "{}",
        lines[8]
    );
    assert_eq!(
        &lines[9..12],
        [
            "      id: u64 = 7",
            "      name: String = \"order-7\"",
            "      qty: u64 = 70"
        ]
    );
}
