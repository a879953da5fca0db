//! End to end: why a hung process is stuck. Each `demo-hang` scenario (a
//! program that never links the agent) and `demo-tokio-hang` run until
//! they print `ready`; gdb's `gcore` snapshots them, and `pmdb report
//! --core … --json` must name every wait exactly: the lock, how the frames
//! reach it, who holds it, and the deadlocks, said first in the text.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use tests::{TempDir, bin, blank_addresses, pmdb, report_json};

/// A hung program, killed on drop.
struct Hung {
    child: Child,
}

impl Hung {
    /// Starts `program args…` and returns once it printed `ready`.
    fn start(program: &Path, args: &[&str]) -> Hung {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the hung demo");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let hung = Hung { child };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line == "ready" => hung,
            other => panic!(
                "{} {args:?} did not say ready: {other:?}",
                program.display()
            ),
        }
    }

    /// gdb's `gcore` of it, in `dir`.
    fn gcore(&self, dir: &Path) -> PathBuf {
        let pid = self.child.id();
        let out = Command::new("gcore")
            .arg("-o")
            .arg(dir.join("core"))
            .arg(pid.to_string())
            .output()
            .expect("gcore (package gdb) must be installed");
        assert!(
            out.status.success(),
            "gcore: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir.join(format!("core.{pid}"))
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The JSON report and the text report of a gcore of `program args…`.
fn reports(program: &Path, args: &[&str]) -> (Value, String) {
    let hung = Hung::start(program, args);
    let dir = TempDir::new("waits");
    let core = hung.gcore(&dir.0);
    drop(hung);
    let core = core.to_str().unwrap();
    let json = report_json(&["--core", core], &[]);
    let (status, text, stderr) = pmdb(&["report", "--core", core, "--depth", "0"], &[]);
    assert!(status.success(), "pmdb report: {stderr}");
    (json, text)
}

/// Each waiting thread's `waits_on`, addresses blanked, by thread name.
fn thread_waits(r: &Value) -> Vec<(String, Value)> {
    r["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t.get("waits_on").is_some())
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                blank_addresses(t["waits_on"].clone()),
            )
        })
        .collect()
}

/// `text` with every address of five hex digits or more blanked.
fn blank(text: &str) -> String {
    blank_addresses(Value::String(text.to_string()))
        .as_str()
        .unwrap()
        .to_string()
}

/// The paragraph the text report opens with, addresses blanked.
fn opening(text: &str) -> String {
    blank(text.split("\n\n").next().unwrap())
}

fn wait(
    kind: &str,
    what: &str,
    reached_as: Option<&str>,
    held_by: &[&str],
    guards: &[Option<&str>],
    text: &str,
) -> Value {
    json!({
        "address": if what == "JoinHandle" { Value::Null } else { json!("0x…") },
        "detail": null,
        "guards": guards,
        "held_by": held_by,
        "kind": kind,
        "no_holder": null,
        "reached_as": reached_as,
        "text": text,
        "what": what,
    })
}

fn hang() -> PathBuf {
    bin("demo-hang")
}

#[test]
fn two_tellers_deadlocked_in_transfer_are_said_first() {
    let (r, text) = reports(&hang(), &["mutex"]);
    let transfer = "`to` in demo_hang::std_locks::transfer";
    let source = "`source` in demo_hang::std_locks::transfer";
    assert_eq!(
        blank_addresses(r["deadlocks"].clone()),
        json!([{
            "locks": [
                {"address": "0x…", "held_by": "teller-2", "reached_as": transfer, "waited_by": "teller-1", "what": "Mutex<Account>"},
                {"address": "0x…", "held_by": "teller-1", "reached_as": transfer, "waited_by": "teller-2", "what": "Mutex<Account>"},
            ],
            "text": [
                format!("thread 'teller-1' waits for Mutex<Account> at 0x… ({transfer}), held by thread 'teller-2' ({source})"),
                format!("thread 'teller-2' waits for Mutex<Account> at 0x… ({transfer}), held by thread 'teller-1' ({source})"),
            ],
            "threads": ["teller-1", "teller-2"],
        }])
    );
    // Each waits for the account the other holds: two different locks,
    // the same ones their own waits name.
    let locks = r["deadlocks"][0]["locks"].as_array().unwrap();
    assert_ne!(locks[0]["address"], locks[1]["address"]);
    let waits: Vec<&Value> = r["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"].as_str().unwrap().starts_with("teller"))
        .map(|t| &t["waits_on"]["address"])
        .collect();
    assert_eq!(waits, [&locks[0]["address"], &locks[1]["address"]]);
    assert_eq!(
        thread_waits(&r),
        [
            (
                "main".to_string(),
                wait(
                    "join",
                    "JoinHandle",
                    None,
                    &["teller-1"],
                    &[None],
                    "waits to join thread 'teller-1'"
                )
            ),
            (
                "teller-1".to_string(),
                wait(
                    "mutex",
                    "Mutex<Account>",
                    Some(transfer),
                    &["teller-2"],
                    &[Some(source)],
                    &format!(
                        "waits for Mutex<Account> at 0x… ({transfer}), held by thread 'teller-2' ({source})"
                    )
                )
            ),
            (
                "teller-2".to_string(),
                wait(
                    "mutex",
                    "Mutex<Account>",
                    Some(transfer),
                    &["teller-1"],
                    &[Some(source)],
                    &format!(
                        "waits for Mutex<Account> at 0x… ({transfer}), held by thread 'teller-1' ({source})"
                    )
                )
            ),
        ]
    );
    assert_eq!(
        opening(&text),
        format!(
            "Found one deadlock:\n  thread 'teller-1' waits for Mutex<Account> at 0x… ({transfer}), held by thread 'teller-2' ({source})\n  thread 'teller-2' waits for Mutex<Account> at 0x… ({transfer}), held by thread 'teller-1' ({source})"
        )
    );
}

/// Each waiting thread's sentence, addresses blanked.
fn lines(r: &Value) -> Vec<(String, String)> {
    thread_waits(r)
        .into_iter()
        .map(|(name, w)| (name, w["text"].as_str().unwrap().to_string()))
        .collect()
}

fn pairs(want: &[(&str, &str)]) -> Vec<(String, String)> {
    want.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_static_queue_held_across_a_receive() {
    let (r, text) = reports(&hang(), &["static"]);
    assert_eq!(r["deadlocks"], json!([]));
    assert_eq!(
        lines(&r),
        pairs(&[
            ("main", "waits to join thread 'consumer'"),
            (
                "producer",
                "waits to receive on mpsc::Receiver<Job> at 0x… (`jobs` in demo_hang::std_locks::produce): 1 sender alive"
            ),
            (
                "consumer",
                "waits for Mutex<Vec<Job>> at 0x… (static demo_hang::std_locks::QUEUE), held by thread 'producer' (`queue` in demo_hang::std_locks::produce)"
            ),
        ])
    );
    assert!(!text.contains("deadlock"), "{text}");
}

#[test]
fn a_reader_and_a_writer_deadlocked_on_an_rwlock_and_a_mutex() {
    let (r, text) = reports(&hang(), &["rwlock"]);
    let reload = "waits for Mutex<Stats> at 0x… (`self.stats` in demo_hang::std_locks::Service::reload), held by thread 'reporter' (`stats` in demo_hang::std_locks::Service::report)";
    let report = "waits to write RwLock<Config> at 0x… (`self.config` in demo_hang::std_locks::Service::report), held by thread 'reloader' (`config` in demo_hang::std_locks::Service::reload)";
    assert_eq!(
        lines(&r),
        pairs(&[
            ("main", "waits to join thread 'reloader'"),
            ("reloader", reload),
            ("reporter", report),
        ])
    );
    assert_eq!(
        r["deadlocks"][0]["threads"],
        json!(["reloader", "reporter"])
    );
    assert_eq!(
        opening(&text),
        format!("Found one deadlock:\n  thread 'reloader' {reload}\n  thread 'reporter' {report}")
    );
}

#[test]
fn a_condvar_wait_names_its_mutex_and_no_holder() {
    let (r, _) = reports(&hang(), &["condvar"]);
    assert_eq!(r["deadlocks"], json!([]));
    assert_eq!(
        lines(&r),
        pairs(&[
            ("main", "waits to join thread 'waiter'"),
            (
                "waiter",
                "waits on Condvar at 0x… (`gate.changed` in demo_hang::std_locks::wait_open), with its Mutex<bool> at 0x…, for a notification"
            ),
        ])
    );
}

#[test]
fn a_oncelock_initialiser_deadlocked_with_a_mutex() {
    let (r, text) = reports(&hang(), &["once"]);
    let user = "waits for OnceLock<Settings> at 0x… (static demo_hang::std_locks::SETTINGS) to be initialised by thread 'loader' (running its initialiser)";
    let loader = "waits for Mutex<Vec<&str>> at 0x… (static demo_hang::std_locks::REGISTRY), held by thread 'user' (`registry` in demo_hang::std_locks::register)";
    assert_eq!(
        lines(&r),
        pairs(&[
            ("main", "waits to join thread 'user'"),
            ("user", user),
            ("loader", loader),
        ])
    );
    assert_eq!(
        opening(&text),
        format!("Found one deadlock:\n  thread 'user' {user}\n  thread 'loader' {loader}")
    );
}

#[test]
fn a_parent_joining_a_child_that_waits_for_its_lock() {
    let (r, text) = reports(&hang(), &["join"]);
    let child = "waits for Mutex<Vec<u32>> at 0x… (static demo_hang::std_locks::PLAN), held by thread 'parent' (`plan` in demo_hang::std_locks::parent)";
    assert_eq!(
        lines(&r),
        pairs(&[
            ("main", "waits to join thread 'parent'"),
            ("parent", "waits to join thread 'child'"),
            ("child", child),
        ])
    );
    assert_eq!(
        opening(&text),
        format!(
            "Found one deadlock:\n  thread 'parent' waits to join thread 'child'\n  thread 'child' {child}"
        )
    );
}

#[test]
fn a_lock_whose_guard_was_forgotten_is_held_by_no_frame() {
    let (r, text) = reports(&hang(), &["forgotten"]);
    assert_eq!(r["deadlocks"], json!([]));
    let auditor = &thread_waits(&r)[1];
    assert_eq!(auditor.0, "auditor");
    assert_eq!(auditor.1["held_by"], json!([]));
    assert_eq!(
        auditor.1["no_holder"],
        "held by no frame (the guard may have been forgotten, moved, or optimized out)"
    );
    assert_eq!(
        auditor.1["text"],
        "waits for Mutex<u64> at 0x… (static demo_hang::std_locks::LEDGER), held by no frame (the guard may have been forgotten, moved, or optimized out)"
    );
    assert!(!text.contains("deadlock"), "{text}");
}

#[test]
fn a_parking_lot_deadlock() {
    let (r, text) = reports(&hang(), &["parking-lot"]);
    let restock = "waits to write parking_lot::RwLock<BTreeMap<u32, usize>> at 0x… (`self.index` in demo_hang::parking::Inventory::restock), held by thread 'lookup' (`index` in demo_hang::parking::Inventory::lookup)";
    let lookup = "waits for parking_lot::Mutex<Vec<Item>> at 0x… (`self.items` in demo_hang::parking::Inventory::lookup), held by thread 'restock' (`items` in demo_hang::parking::Inventory::restock)";
    assert_eq!(
        lines(&r),
        pairs(&[
            ("main", "waits to join thread 'restock'"),
            ("restock", restock),
            ("lookup", lookup),
        ])
    );
    assert_eq!(
        blank_addresses(r["deadlocks"][0]["locks"].clone()),
        json!([
            {"address": "0x…", "held_by": "lookup", "reached_as": "`self.index` in demo_hang::parking::Inventory::restock", "waited_by": "restock", "what": "parking_lot::RwLock<BTreeMap<u32, usize>>"},
            {"address": "0x…", "held_by": "restock", "reached_as": "`self.items` in demo_hang::parking::Inventory::lookup", "waited_by": "lookup", "what": "parking_lot::Mutex<Vec<Item>>"},
        ])
    );
    assert_eq!(
        opening(&text),
        format!("Found one deadlock:\n  thread 'restock' {restock}\n  thread 'lookup' {lookup}")
    );
}

#[test]
fn tokio_tasks_stuck_on_every_kind_of_await_and_two_deadlocks() {
    let (r, text) = reports(&tests::fixtures::TOKIO_HANG.path(), &[]);
    // Each task by its outermost future.
    let mut tasks: Vec<(String, String)> = r["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t.get("waits_on").is_some())
        .map(|t| {
            let frames = t["frames"].as_array().unwrap();
            let outer = frames.last().unwrap()["function"].as_str().unwrap();
            (
                outer.to_string(),
                blank(t["waits_on"]["text"].as_str().unwrap()),
            )
        })
        .collect();
    tasks.sort();
    let id = |name: &str| -> u64 {
        r["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["frames"].as_array().unwrap().last().unwrap()["function"] == name)
            .unwrap()["id"]
            .as_u64()
            .unwrap()
    };
    let task = |name: &str| {
        format!(
            "task {} (demo_tokio_hang::{name})",
            id(&format!("demo_tokio_hang::{name}"))
        )
    };
    let expected = vec![
        ("acceptor", "awaits I/O readiness (readable) on `listener` in demo_tokio_hang::acceptor".to_string()),
        ("inbox", "awaits a message on tokio::sync::mpsc::Receiver<String> at 0x… (`messages` in demo_tokio_hang::inbox): 1 sender alive".to_string()),
        ("joiner", format!("awaits {}: JoinHandle<usize> `left` in demo_tokio_hang::joiner", task("left"))),
        ("left", format!("awaits tokio::sync::Mutex<Ledger> at 0x… (`b` in demo_tokio_hang::left), held by {} (`first` in demo_tokio_hang::right)", task("right"))),
        ("permit", "awaits a permit of tokio::sync::Semaphore at 0x… (`slots` in demo_tokio_hang::permit)".to_string()),
        ("reader", "awaits a notification of tokio::sync::Notify at 0x… (`changed` in demo_tokio_hang::reader)".to_string()),
        ("reply", "awaits a value on tokio::sync::oneshot::Receiver<u64> at 0x… (`answer` in demo_tokio_hang::reply)".to_string()),
        ("right", format!("awaits tokio::sync::Mutex<Ledger> at 0x… (`a` in demo_tokio_hang::right), held by {} (`first` in demo_tokio_hang::left)", task("left"))),
        ("swap", "awaits tokio::sync::Mutex<Ledger> at 0x… (`d` in demo_tokio_hang::swap), held by thread 'blocker' (`held` in demo_tokio_hang::blocker)".to_string()),
        ("ticker", "sleeps (tokio::time::sleep): its deadline is 3600 s after the runtime started (the snapshot does not say when it was taken)".to_string()),
        ("writer", format!("awaits writing tokio::sync::RwLock<Vec<u32>> at 0x… (`table` in demo_tokio_hang::writer), held by {} (`rows` in demo_tokio_hang::reader)", task("reader"))),
    ];
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(f, t)| (format!("demo_tokio_hang::{f}"), t))
        .collect();
    assert_eq!(tasks, expected);
    let blocker = format!(
        "waits for tokio::sync::Mutex<Ledger> at 0x… (`c` in demo_tokio_hang::blocker), held by {} (`mine` in demo_tokio_hang::swap)",
        task("swap")
    );
    assert_eq!(lines(&r), pairs(&[("blocker", &blocker)]));
    // A task and a thread deadlocked across the two worlds, and two tasks.
    assert_eq!(
        r["deadlocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["threads"].clone())
            .collect::<Vec<_>>(),
        [
            json!(["blocker", format!("task {}", id("demo_tokio_hang::swap"))]),
            json!([
                format!("task {}", id("demo_tokio_hang::left")),
                format!("task {}", id("demo_tokio_hang::right"))
            ]),
        ]
    );
    let left = &expected[3].1;
    let right = &expected[7].1;
    let swap = &expected[8].1;
    assert_eq!(
        opening(&text),
        format!(
            "Found 2 deadlocks:\n  deadlock 1:\n    thread 'blocker' {blocker}\n    {} {swap}\n  deadlock 2:\n    {} {left}\n    {} {right}",
            task("swap"),
            task("left"),
            task("right")
        )
    );
}

#[test]
fn the_editor_is_told_of_the_deadlock_when_it_stops() {
    let hung = Hung::start(&hang(), &["mutex"]);
    let dir = TempDir::new("waits-dap");
    let core = hung.gcore(&dir.0);
    drop(hung);
    let mut editor = tests::dap::DapClient::start(&bin("pmdb"));
    editor.request("initialize", json!({"adapterID": "pmdb"}));
    editor.request("attach", json!({"core": core}));
    editor.event("initialized");
    editor.request("configurationDone", Value::Null);
    let stopped = editor.event("stopped");
    let transfer = "`to` in demo_hang::std_locks::transfer";
    let source = "`source` in demo_hang::std_locks::transfer";
    assert_eq!(
        blank(stopped["body"]["description"].as_str().unwrap()),
        format!(
            "Deadlock: thread 'teller-1' waits for Mutex<Account> at 0x… ({transfer}), held by thread 'teller-2' ({source}); thread 'teller-2' waits for Mutex<Account> at 0x… ({transfer}), held by thread 'teller-1' ({source})"
        )
    );
}

#[test]
fn the_tuis_first_screen_says_the_deadlock_first() {
    let hung = Hung::start(&hang(), &["mutex"]);
    let dir = TempDir::new("waits-tui");
    let core = hung.gcore(&dir.0);
    drop(hung);
    let t = tests::tmux::Tmux::start(&format!(
        "{} open {}",
        bin("pmdb").display(),
        core.display()
    ));
    let screen = t.wait_for("Found one deadlock:");
    let lines: Vec<&str> = screen.lines().collect();
    // The header's second line, where a crash's message stands otherwise.
    assert!(
        lines[1].starts_with("Deadlock: thread 'teller-1' waits for Mutex<Account> at 0x"),
        "{screen}"
    );
    // The output area opens with the deadlock paragraph.
    let at = lines
        .iter()
        .position(|l| l.contains("Found one deadlock:"))
        .unwrap();
    assert!(
        lines[at + 1].contains("thread 'teller-1' waits for Mutex<Account> at 0x"),
        "{screen}"
    );
    assert!(
        lines[at + 2].contains("thread 'teller-2' waits for Mutex<Account> at 0x"),
        "{screen}"
    );
}
