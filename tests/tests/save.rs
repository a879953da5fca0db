//! Issue 21, point 6: `pmdb save PID -o FILE` writes a core of a process,
//! as gdb's `gcore` does. A live `demo-hang mutex` (no agent) is held
//! only while its core is written and goes on exactly as it was; gdb's
//! `thread apply all bt` of that core shows its threads where they stood,
//! and `pmdb report --core` gives the live report's deadlock. A crash
//! waiting for a debugger is saved by its agent, reads back as the live
//! crash does, and goes on waiting. `save FILE` in batch mode does the
//! same; a path pmdb cannot write and a pid that does not exist each get
//! one line, and the process is never stopped.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use tests::live::{assert_untouched, threads_of, wait_until};
use tests::{TempDir, bin, line_containing, pmdb, report_json};

/// `demo-hang SCENARIO`, once it said `ready` and every thread sleeps in
/// `futex(2)`; killed on drop.
struct Hung(Child);

impl Hung {
    fn start(scenario: &str) -> Hung {
        let mut child = Command::new(bin("demo-hang"))
            .arg(scenario)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start demo-hang");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "ready\n");
        let hung = Hung(child);
        hung.wait_asleep();
        hung
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Until every thread is inside `futex(2)` (202), where it stays.
    fn wait_asleep(&self) {
        let pid = self.pid();
        wait_until(|| {
            threads_of(pid).iter().all(|&(tid, _, _)| {
                std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall"))
                    .is_ok_and(|s| s.split_whitespace().next() == Some("202"))
            })
        });
    }

    /// Each thread's id and kernel name (`comm`).
    fn names(&self) -> Vec<(u32, String)> {
        let pid = self.pid();
        threads_of(pid)
            .into_iter()
            .map(|(tid, _, _)| {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"));
                (tid, comm.unwrap().trim_end().to_string())
            })
            .collect()
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One frame of gdb's `bt`: its function and its text after the name
/// (arguments and place).
type GdbFrame = (String, String);

/// gdb's `thread apply all bt` of `core`: each thread's LWP and frames.
fn gdb_threads(exe: &Path, core: &Path) -> Vec<(u32, Vec<GdbFrame>)> {
    let out = Command::new("gdb")
        .args(["-nx", "-batch", "-ex", "set pagination off", "-c"])
        .arg(core)
        .arg(exe)
        .args(["-ex", "thread apply all bt"])
        .output()
        .expect("gdb must be installed");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut threads: Vec<(u32, Vec<GdbFrame>)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Thread ") {
            let lwp = rest
                .split_once("(LWP ")
                .and_then(|(_, l)| l.split_once(')'))
                .and_then(|(l, _)| l.parse().ok())
                .unwrap_or_else(|| panic!("no LWP in {line:?}"));
            threads.push((lwp, Vec::new()));
        } else if line.starts_with('#')
            && let Some((_, frames)) = threads.last_mut()
        {
            frames.push(gdb_frame(line));
        }
    }
    assert!(!threads.is_empty(), "gdb printed no threads:\n{text}");
    threads.sort_by_key(|t| t.0);
    threads
}

/// `#N  [0xADDR in ]FUNCTION (ARGS) at FILE:LINE`: the function (up to
/// the first ` (` outside its generic arguments) and the rest.
fn gdb_frame(line: &str) -> GdbFrame {
    let rest = line.split_once(' ').map_or("", |(_, r)| r).trim_start();
    let rest = match rest.split_once(" in ") {
        Some((addr, r)) if addr.starts_with("0x") => r,
        _ => rest,
    };
    let mut depth = 0i32;
    let bytes = rest.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'<' => depth += 1,
            b'>' => depth -= 1,
            b' ' if depth == 0 && bytes.get(i + 1) == Some(&b'(') => {
                return (rest[..i].to_string(), rest[i + 1..].to_string());
            }
            _ => {}
        }
    }
    (rest.to_string(), String::new())
}

/// The frames of the demo's own functions, in order.
fn own(frames: &[GdbFrame], prefix: &str) -> Vec<String> {
    frames
        .iter()
        .filter(|(f, _)| f.starts_with(prefix))
        .map(|(f, _)| f.clone())
        .collect()
}

/// The frame of `function` (its arguments and place).
fn frame<'a>(frames: &'a [GdbFrame], function: &str) -> &'a str {
    frames
        .iter()
        .find(|(f, _)| f == function)
        .map(|(_, rest)| rest.as_str())
        .unwrap_or_else(|| panic!("no frame {function} in {frames:#?}"))
}

/// The line numbers of `file` where `text` is.
fn at(file: &str, text: &str) -> String {
    format!("{file}:{}", line_containing(file, text))
}

#[test]
fn a_live_deadlock_saved_reads_the_same_in_gdb_and_pmdb_and_goes_on() {
    let hung = Hung::start("mutex");
    let pid = hung.pid();
    let target = pid.to_string();
    let live = report_json(&[&target], &[]);
    let before = hung.names();
    let dir = TempDir::new("save-live");
    let core = dir.0.join("mutex.core");
    let (status, stdout, stderr) = pmdb(&["save", &target, "-o", core.to_str().unwrap()], &[]);
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout, "");
    let mut lines = stderr.lines();
    let paused = lines
        .next()
        .and_then(|l| l.strip_prefix(&format!("pmdb: paused {pid} for ")))
        .and_then(|l| l.strip_suffix(" ms"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(paused.parse::<f64>().unwrap() > 0.0, "{stderr}");
    let len = std::fs::metadata(&core).unwrap().len();
    assert_eq!(
        lines.next(),
        Some(
            format!(
                "pmdb: saved a core of pid {pid} to {} ({len} bytes, 3 threads)",
                core.display()
            )
            .as_str()
        )
    );
    assert_eq!(lines.next(), None);
    let mode = std::fs::metadata(&core).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Left as it was: the same threads, untraced, asleep where they were.
    assert_untouched(pid);
    assert_eq!(hung.names(), before);
    hung.wait_asleep();

    // pmdb reads the core as the live process: the same deadlock, to the
    // address (the same process), said first.
    let saved = report_json(&["--core", core.to_str().unwrap()], &[]);
    assert_eq!(saved["deadlocks"], live["deadlocks"]);
    assert_eq!(
        saved["deadlocks"][0]["threads"],
        json!(["teller-1", "teller-2"])
    );
    assert_eq!(
        saved["crash"],
        json!({
            "column": null, "file": null, "kind": "snapshot", "line": null,
            "message": format!("live snapshot of pid {pid} (demo-hang) by ptrace, 3 threads"),
            "taken_by": "ptrace", "thread": "main",
        })
    );
    let names = |r: &Value| -> Vec<String> {
        r["threads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&saved), ["main", "teller-1", "teller-2"]);
    assert_eq!(names(&saved), names(&live));

    // gdb reads it as it reads its own gcore: every thread, and each
    // teller inside `transfer`, waiting in the lock of its `to`.
    let threads = gdb_threads(&bin("demo-hang"), &core);
    let lwps: Vec<u32> = threads.iter().map(|t| t.0).collect();
    assert_eq!(lwps, before.iter().map(|t| t.0).collect::<Vec<_>>());
    let source = "demo/src/bin/demo-hang/std_locks.rs";
    let lock = "std::sync::poison::mutex::Mutex<demo_hang::std_locks::Account>::lock<demo_hang::std_locks::Account>";
    let waited = |name: &str| -> String {
        let lock = saved["deadlocks"][0]["locks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["waited_by"] == name)
            .unwrap();
        lock["address"].as_str().unwrap().to_string()
    };
    for ((tid, name), (lwp, frames)) in before.iter().zip(&threads) {
        assert_eq!(tid, lwp);
        match name.as_str() {
            "demo-hang" => {
                assert_eq!(
                    own(frames, "demo_hang::"),
                    ["demo_hang::std_locks::mutex", "demo_hang::main"]
                );
                assert!(
                    frame(frames, "demo_hang::std_locks::mutex")
                        .ends_with(&at(source, "stuck: main joins teller-1")),
                    "{frames:#?}"
                );
            }
            teller => {
                let (closure, amount) = match teller {
                    "teller-1" => ("{closure#0}", 10),
                    "teller-2" => ("{closure#1}", 20),
                    other => panic!("thread {other}"),
                };
                assert_eq!(
                    own(frames, "demo_hang::"),
                    [
                        "demo_hang::std_locks::transfer".to_string(),
                        format!("demo_hang::std_locks::mutex::{closure}"),
                        format!(
                            "demo_hang::place::spawn::{{closure#0}}<(), demo_hang::std_locks::mutex::{}>",
                            closure.replace("closure#", "closure_env#")
                        ),
                    ]
                );
                let i = frames
                    .iter()
                    .position(|(f, _)| f == "demo_hang::std_locks::transfer")
                    .unwrap();
                assert_eq!(frames[i - 1].0, lock, "{frames:#?}");
                let transfer = &frames[i].1;
                assert!(
                    transfer.contains(&format!(
                        ", to={}, amount={amount}) at {}",
                        waited(teller),
                        at(source, "stuck: transfer")
                    )),
                    "{transfer}"
                );
            }
        }
    }
}

#[test]
fn a_waiting_crash_is_saved_by_its_agent_and_goes_on_waiting() {
    let demo = tests::crash("threads");
    let pid = demo.pid;
    let env = [("PMDB_DIR", demo.dir.0.as_os_str())];
    let live = report_json(&[&pid.to_string()], &env);
    let work = TempDir::new("save-crash");
    let core = work.0.join("threads.core");
    let (status, stdout, stderr) = pmdb(
        &["save", &pid.to_string(), "-o", core.to_str().unwrap()],
        &env,
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout, "");
    let len = std::fs::metadata(&core).unwrap().len();
    assert_eq!(
        stderr,
        format!(
            "pmdb: saved a core of pid {pid} to {} ({len} bytes, 4 threads)\n",
            core.display()
        )
    );
    // The core is the crash, value for value; the crash still waits.
    assert_eq!(report_json(&["--core", core.to_str().unwrap()], &[]), live);
    assert!(demo.socket.exists());
    assert_eq!(report_json(&[&pid.to_string()], &env), live);

    // gdb unwinds the panicking thread from where it panicked.
    let checker: u32 = threads_of(pid)
        .into_iter()
        .map(|t| t.0)
        .find(|tid| {
            std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
                .is_ok_and(|c| c.trim_end() == "checker")
        })
        .expect("a checker thread");
    let threads = gdb_threads(&bin("demo"), &core);
    let (_, frames) = threads.iter().find(|t| t.0 == checker).unwrap();
    assert_eq!(
        own(frames, "demo::"),
        ["demo::threads::check", "demo::threads::run::{closure#1}"]
    );
    assert_eq!(
        frame(frames, "demo::threads::check"),
        format!(
            "(limit=3) at {}",
            at("demo/src/threads.rs", "panic!(\"checker saw")
        )
    );
}

#[test]
fn save_in_batch_mode_writes_the_held_process_and_a_core_says_it_is_one() {
    let hung = Hung::start("mutex");
    let pid = hung.pid();
    let dir = TempDir::new("save-batch");
    let core = dir.0.join("batch.core");
    let (status, stdout, stderr) = pmdb(
        &[
            "attach",
            &pid.to_string(),
            "--batch",
            "-c",
            &format!("save {}", core.display()),
        ],
        &[],
    );
    assert!(status.success(), "{stderr}");
    let len = std::fs::metadata(&core).unwrap().len();
    assert_eq!(
        stdout,
        format!(
            "(pmdb) save {path}\nsaved a core of pid {pid} to {path} ({len} bytes, 3 threads)\n",
            path = core.display()
        )
    );
    assert_untouched(pid);
    let saved = report_json(&["--core", core.to_str().unwrap()], &[]);
    assert_eq!(
        saved["deadlocks"][0]["threads"],
        json!(["teller-1", "teller-2"])
    );

    // A core file is a core already.
    let (status, stdout, stderr) = pmdb(
        &[
            "open",
            core.to_str().unwrap(),
            "--batch",
            "-c",
            &format!("save {}", dir.0.join("again").display()),
        ],
        &[],
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "(pmdb) save {}\nerror: this is a core file already: copy the file to keep it\n",
            dir.0.join("again").display()
        )
    );
    assert!(!dir.0.join("again").exists());
}

#[test]
fn an_unwritable_path_or_no_such_pid_gets_one_line_and_the_process_is_untouched() {
    let hung = Hung::start("mutex");
    let pid = hung.pid().to_string();
    let dir = TempDir::new("save-bad");
    let refused = |target: &str, out: &str| {
        let (status, stdout, stderr) = pmdb(&["save", target, "-o", out], &[]);
        assert_eq!((status.code(), stdout.as_str()), (Some(2), ""), "{stderr}");
        stderr
    };
    let missing = dir.0.join("no-such-dir").join("core");
    assert_eq!(
        refused(&pid, missing.to_str().unwrap()),
        format!(
            "pmdb: cannot write {}: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
    assert_eq!(
        refused(&pid, dir.0.to_str().unwrap()),
        format!(
            "pmdb: cannot write {}: Is a directory (os error 21)\n",
            dir.0.display()
        )
    );
    // Never stopped: no pause was said, and nothing is left traced.
    assert_untouched(hung.pid());

    // No process: one line, and no file left behind.
    let core = dir.0.join("core");
    let mut gone = Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    assert_eq!(
        refused(&gone_pid.to_string(), core.to_str().unwrap()),
        format!("pmdb: no process has pid {gone_pid}\n")
    );
    assert!(!core.exists());
}
