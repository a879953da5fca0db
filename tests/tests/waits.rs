//! End to end: why a hung process is stuck. Each `demo-hang` scenario (a
//! program that never links the agent) and `demo-tokio-hang` run until
//! they print `ready`; gdb's `gcore` snapshots them, and `pmdb report
//! --core … --json` must name every wait exactly: the lock, how the frames
//! reach it, who holds it, and the deadlocks, said first in the text.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::{TempDir, bin, blank_addresses, pmdb, report_json};

/// A hung program, killed on drop.
struct Hung {
    child: Child,
    /// Its stdout, line by line.
    lines: mpsc::Receiver<String>,
}

impl Hung {
    /// Starts `program args…` and returns once it printed `ready`.
    fn start(program: &Path, args: &[&str]) -> Hung {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
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
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line == "ready" => Hung { child, lines: rx },
            other => panic!(
                "{} {args:?} did not say ready: {other:?}",
                program.display()
            ),
        }
    }

    /// Sends `line` to its stdin and returns the line it answers.
    fn ask(&mut self, line: &str) -> String {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{line}").expect("write to the demo");
        stdin.flush().expect("flush");
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the demo answers")
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

/// Where a report reads the hung process from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A gcore of it, read after it is gone.
    Core,
    /// The running process itself (`pmdb report PID`, through ptrace).
    Live,
}

/// The JSON report and the text report of `program args…`, from a gcore
/// of it or from the running process. A live report must leave every
/// thread untraced and where it was: asleep in the kernel, not stopped.
fn reports(program: &Path, args: &[&str]) -> (Value, String) {
    let (json, text, _) = reports_from(Source::Core, program, args);
    (json, text)
}

/// The reports, and for a live one how long it was from before the
/// program started until the JSON report was back: every deadline the
/// program set and every snapshot pmdb took fall inside that window.
fn reports_from(from: Source, program: &Path, args: &[&str]) -> (Value, String, Duration) {
    let started = Instant::now();
    let hung = Hung::start(program, args);
    if from == Source::Live {
        let pid = hung.child.id();
        // `ready` is said just before main itself goes to sleep for good.
        asleep_in(pid, &[FUTEX, EPOLL_WAIT]);
        let before = tests::live::threads_of(pid);
        let target = pid.to_string();
        let json = report_json(&[&target], &[]);
        let window = started.elapsed();
        let (status, text, stderr) = pmdb(&["report", &target, "--depth", "0"], &[]);
        assert!(status.success(), "pmdb report {pid}: {stderr}");
        assert!(
            stderr.starts_with(&format!("pmdb: paused {pid} for ")),
            "{stderr}"
        );
        tests::live::assert_untouched(pid);
        // The same threads, each back in its system call (epoll_wait is
        // not restarted after a stop: tokio calls it again).
        let tids = |t: Vec<(u32, char, u32)>| t.into_iter().map(|t| t.0).collect::<Vec<_>>();
        assert_eq!(tids(tests::live::threads_of(pid)), tids(before));
        asleep_in(pid, &[FUTEX, EPOLL_WAIT]);
        return (json, text, window);
    }
    let dir = TempDir::new("waits");
    let core = hung.gcore(&dir.0);
    drop(hung);
    let core = core.to_str().unwrap();
    let json = report_json(&["--core", core], &[]);
    let (status, text, stderr) = pmdb(&["report", "--core", core, "--depth", "0"], &[]);
    assert!(status.success(), "pmdb report: {stderr}");
    (json, text, Duration::ZERO)
}

/// x86-64's `futex(2)`, `epoll_wait(2)` and `read(2)`.
const FUTEX: u64 = 202;
const EPOLL_WAIT: u64 = 232;
const READ: u64 = 0;

/// Waits until every thread of `pid` is inside one of the system `calls`
/// (`/proc/PID/task/TID/syscall`): where a hung demo's threads stay.
fn asleep_in(pid: u32, calls: &[u64]) {
    tests::live::wait_until(|| {
        tests::live::threads_of(pid).iter().all(|&(tid, _, _)| {
            std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
                .is_some_and(|nr| calls.contains(&nr))
        })
    });
}

/// Each thread's (name, state, system call) in report order.
fn states(r: &Value) -> Vec<(String, String, Option<String>)> {
    r["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["state"].as_str().unwrap_or("-").to_string(),
                t["syscall"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Threads `names`, each blocked in `futex`.
fn in_futex(names: &[&str]) -> Vec<(String, String, Option<String>)> {
    names
        .iter()
        .map(|n| {
            (
                n.to_string(),
                "blocked".to_string(),
                Some("futex".to_string()),
            )
        })
        .collect()
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
    two_tellers_deadlocked_in_transfer_are_said_first_in(Source::Core);
}

fn two_tellers_deadlocked_in_transfer_are_said_first_in(from: Source) -> Value {
    let (r, text, _) = reports_from(from, &hang(), &["mutex"]);
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
    r
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
    a_parking_lot_deadlock_in(Source::Core);
}

fn a_parking_lot_deadlock_in(from: Source) -> Value {
    let (r, text, _) = reports_from(from, &hang(), &["parking-lot"]);
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
    r
}

#[test]
fn tokio_tasks_stuck_on_every_kind_of_await_and_two_deadlocks() {
    tokio_tasks_stuck_on_every_kind_of_await_and_two_deadlocks_in(Source::Core);
}

fn tokio_tasks_stuck_on_every_kind_of_await_and_two_deadlocks_in(from: Source) -> Value {
    let (r, text, window) = reports_from(from, &tests::fixtures::TOKIO_HANG.path(), &[]);
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
        ("ticker", match from {
            Source::Core => "sleeps (tokio::time::sleep): its deadline is 3600 s after the runtime started (the snapshot does not say when it was taken)".to_string(),
            Source::Live => ticker_left(&tasks, window),
        }),
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
    r
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

// The same hangs read from the running process through ptrace (`pmdb
// report PID`), which never linked the agent: the same waits and
// deadlocks, each thread's state, and the process left as it was.

#[test]
fn two_tellers_deadlocked_live() {
    let r = two_tellers_deadlocked_in_transfer_are_said_first_in(Source::Live);
    assert_eq!(states(&r), in_futex(&["main", "teller-1", "teller-2"]));
    assert_eq!(r["crash"]["kind"], "snapshot");
    assert_eq!(r["crash"]["taken_by"], "ptrace");
}

#[test]
fn a_parking_lot_deadlock_live() {
    let r = a_parking_lot_deadlock_in(Source::Live);
    assert_eq!(states(&r), in_futex(&["main", "restock", "lookup"]));
}

#[test]
fn tokio_tasks_stuck_live() {
    let r = tokio_tasks_stuck_on_every_kind_of_await_and_two_deadlocks_in(Source::Live);
    // The runtime's thread waits for I/O or a timer; `blocker` for its lock.
    assert_eq!(
        states(&r),
        [
            (
                "main".to_string(),
                "blocked".to_string(),
                Some("epoll_wait".to_string())
            ),
            (
                "blocker".to_string(),
                "blocked".to_string(),
                Some("futex".to_string())
            ),
        ]
    );
}

/// The ticker's one-hour `sleep` seen live: the time left is what the
/// sleep's deadline (set after `window` began) leaves at the snapshot
/// (taken before it ended), so between 3600 s less the window and 3600 s;
/// shown in whole seconds, rounded down. Returns its line.
fn ticker_left(tasks: &[(String, String)], window: Duration) -> String {
    let line = &tasks
        .iter()
        .find(|(f, _)| f == "demo_tokio_hang::ticker")
        .expect("the ticker task")
        .1;
    let left: u64 = line
        .strip_prefix("sleeps (tokio::time::sleep): ")
        .and_then(|l| l.strip_suffix(" s left"))
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap_or_else(|_| panic!("{line}"));
    let least = 3600 - window.as_secs() - 1;
    assert!(
        (least..=3599).contains(&left),
        "{left} s left, not in {least}..=3599 (the window was {window:?})"
    );
    line.clone()
}

#[test]
fn a_busy_thread_keeps_running_after_the_report() {
    let mut hung = Hung::start(&hang(), &["busy"]);
    let pid = hung.child.id();
    // `ready` is said just before main reads its stdin.
    tests::live::wait_until(|| {
        std::fs::read_to_string(format!("/proc/{pid}/syscall"))
            .is_ok_and(|s| s.split_whitespace().next() == Some(&READ.to_string()))
    });
    let r = report_json(&[&pid.to_string()], &[]);
    tests::live::assert_untouched(pid);
    assert_eq!(
        states(&r),
        [
            (
                "main".to_string(),
                "blocked".to_string(),
                Some("read".to_string())
            ),
            ("spinner".to_string(), "running".to_string(), None),
        ]
    );
    // Counted on after the report, and still counting (asked again until
    // the spinner, on a busy machine, has had the CPU again).
    let after: u64 = hung.ask("count").parse().unwrap();
    tests::live::wait_until(|| hung.ask("count").parse::<u64>().unwrap() > after);
}

#[test]
fn a_release_build_deadlock_live() {
    let (r, text, _) = reports_from(Source::Live, &tests::optimized_bin("demo-hang"), &["mutex"]);
    assert_eq!(states(&r), in_futex(&["main", "teller-1", "teller-2"]));
    // Optimised, the lock is known by its futex word and the frames that
    // reach it; its value's type (`Account`) is not named.
    let transfer = "`to` in demo_hang::std_locks::transfer";
    let source = "`source` in demo_hang::std_locks::transfer";
    let said = [
        format!(
            "thread 'teller-1' waits for Mutex at 0x… ({transfer}), held by thread 'teller-2' ({source})"
        ),
        format!(
            "thread 'teller-2' waits for Mutex at 0x… ({transfer}), held by thread 'teller-1' ({source})"
        ),
    ];
    assert_eq!(
        blank_addresses(r["deadlocks"].clone()),
        json!([{
            "locks": [
                {"address": "0x…", "held_by": "teller-2", "reached_as": transfer, "waited_by": "teller-1", "what": "Mutex"},
                {"address": "0x…", "held_by": "teller-1", "reached_as": transfer, "waited_by": "teller-2", "what": "Mutex"},
            ],
            "text": said,
            "threads": ["teller-1", "teller-2"],
        }])
    );
    assert_eq!(
        opening(&text),
        format!("Found one deadlock:\n  {}\n  {}", said[0], said[1])
    );
}
