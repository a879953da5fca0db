//! Issue 21, point 3: where ptrace is refused, the agent takes the
//! snapshot. `demo hang` (which links the agent) runs on, traced by a real
//! `strace -f -p PID`, so pmdb cannot seize it; `pmdb report PID` asks its
//! agent (real-time signal 40), which freezes its threads and serves the
//! snapshot on its socket until pmdb detaches. The program notices
//! nothing: every thread goes on, its output, stderr and exit status are
//! its own. A program without the agent gets one line; `PMDB_SNAPSHOT=off`
//! keeps the agent from answering; a stray signal 40 does nothing. An
//! editor's DAP attach by pid to the traced program goes through the agent too.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};
use tests::live::{Live, tgid, threads_of, wait_until};
use tests::{TempDir, bin, line_containing, pmdb};

const SOURCE: &str = "demo/src/hang.rs";

/// `demo hang`, run with a private socket directory and its stderr kept.
struct Hung {
    child: Child,
    pid: u32,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    dir: TempDir,
}

impl Hung {
    fn start(env: &[(&str, &str)]) -> Hung {
        let dir = TempDir::new("live-agent");
        let stderr = File::create(dir.0.join("stderr")).unwrap();
        let mut cmd = Command::new(bin("demo"));
        cmd.arg("hang")
            .env("PMDB_DIR", dir.0.join("sockets"))
            .env_remove(wire::snapshot::SWITCH)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn demo hang");
        let pid = child.id();
        let mut hung = Hung {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
            pid,
            dir,
        };
        assert_eq!(hung.line(), format!("ready {pid}"));
        hung
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }

    fn sockets(&self) -> std::path::PathBuf {
        self.dir.0.join("sockets")
    }

    /// `pmdb ARGS…` with the program's socket directory.
    fn pmdb(&self, args: &[&str]) -> (std::process::ExitStatus, String, String) {
        pmdb(args, &[("PMDB_DIR", self.sockets().as_os_str())])
    }

    /// Sends `quit`: the program's last line, its exit code, its stderr.
    fn quit(mut self) -> (String, Option<i32>, String) {
        let mut stdin = self.stdin.take().unwrap();
        writeln!(stdin, "quit").unwrap();
        drop(stdin);
        let last = self.line();
        let rest = self.line();
        assert_eq!(rest, "", "more output after the last line");
        let status = self.child.wait().unwrap();
        assert_eq!(status.signal(), None);
        let stderr = std::fs::read_to_string(self.dir.0.join("stderr")).unwrap();
        (last, status.code(), stderr)
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real `strace -f -p PID`, attached to every thread.
struct Strace(Child);

impl Strace {
    fn attach(pid: u32) -> Strace {
        let child = Command::new("strace")
            .args(["-f", "-qq", "-o", "/dev/null", "-p", &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run strace");
        let tracer = child.id();
        wait_until(|| {
            let t = threads_of(pid);
            !t.is_empty() && t.iter().all(|&(_, _, by)| tgid(by) == Some(tracer))
        });
        Strace(child)
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Ends strace (SIGTERM: it detaches) and waits until `pid` is untraced.
    fn detach(mut self, pid: u32) {
        // SAFETY: kill with the pid of a child we started.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        self.0.wait().unwrap();
        wait_until(|| threads_of(pid).iter().all(|&(_, _, by)| by == 0));
    }
}

impl Drop for Strace {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// After the agent served a snapshot of `hung` under `strace`: its socket
/// goes, strace still traces every thread (each stops under strace at its
/// system calls, so a passing `t` is strace's); then strace goes, no thread
/// is left stopped, and the program ends as it would have.
fn let_go_under(hung: Hung, strace: Strace) {
    let pid = hung.pid;
    let socket = wire::socket::socket_path(&hung.sockets(), pid);
    wait_until(|| !socket.exists());
    for (tid, _, by) in threads_of(pid) {
        assert_eq!(tgid(by), Some(strace.pid()), "thread {tid}");
    }
    strace.detach(pid);
    tests::live::assert_untouched(pid);
    assert_eq!(
        hung.quit(),
        ("bye: the waiter got order 7".into(), Some(3), String::new())
    );
}

/// A local as (name, type, value).
fn locals(frame: &Value) -> Vec<(String, String, String)> {
    frame["locals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().into(),
                l["type"].as_str().unwrap().into(),
                l["value"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn user_frames(thread: &Value) -> Vec<&Value> {
    thread["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["runtime"] == false)
        .collect()
}

#[test]
fn a_program_traced_by_strace_is_snapshotted_by_its_agent_and_goes_on_unchanged() {
    let hung = Hung::start(&[]);
    let pid = hung.pid;
    let strace = Strace::attach(pid);
    let (status, stdout, stderr) =
        hung.pmdb(&["report", &pid.to_string(), "--json", "--depth", "1"]);
    assert!(status.success(), "{stderr}");
    let mut lines = stderr.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "pmdb: pid {pid} is already traced by pid {} (strace); detach that debugger or tracer first; pid {pid}'s agent serves the snapshot instead",
            strace.pid()
        )
    );
    let paused = lines
        .next()
        .and_then(|l| l.strip_prefix(&format!("pmdb: paused {pid} for ")))
        .and_then(|l| l.strip_suffix(" ms (by its agent)"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(paused.parse::<f64>().unwrap() > 0.0);
    assert_eq!(lines.next(), None);

    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        r["crash"],
        json!({
            "column": null, "file": null, "kind": "snapshot", "line": null,
            "message": format!("live snapshot of pid {pid} (demo) by its agent, 2 threads"),
            "taken_by": "agent", "thread": "main",
        }),
        "threads: {:?}",
        r["threads"]
            .as_array()
            .map(|t| t.iter().map(|t| t["name"].clone()).collect::<Vec<_>>())
    );
    let threads: Vec<(&str, &str, &str)> = r["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap(),
                t["state"].as_str().unwrap(),
                t["syscall"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        threads,
        [("main", "blocked", "read"), ("waiter", "blocked", "futex")]
    );
    let waiter = &r["threads"][1];
    let frames = user_frames(waiter);
    assert_eq!(frames[0]["function"], "demo::hang::wait_for_order");
    assert_eq!(
        frames[0]["line"],
        line_containing(SOURCE, "let order = orders.recv()")
    );
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        locals(frames[0]),
        [
            s(
                "orders",
                "&Receiver<u32>",
                "Receiver { inner: Receiver { flavor: List(..) } }"
            ),
            s("desk", "&str", "\"order desk\""),
            s(
                "tid",
                "&Sender<u64>",
                "Sender { inner: Sender { flavor: List(..) } }"
            ),
            s("served", "u32", "41"),
        ]
    );
    assert_eq!(
        waiter["waits_on"]["reached_as"],
        "`orders` in demo::hang::wait_for_order"
    );
    assert_eq!(
        user_frames(&r["threads"][0])[0]["function"],
        "demo::hang::run"
    );

    // Let go, every thread running on under strace alone.
    let_go_under(hung, strace);
}

#[test]
fn with_snapshots_off_the_agent_does_not_answer_and_pmdb_says_so() {
    let hung = Hung::start(&[(wire::snapshot::SWITCH, "off")]);
    let pid = hung.pid;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(!wire::snapshot::catches_request(&status));
    let strace = Strace::attach(pid);
    let (status, stdout, stderr) = hung.pmdb(&["report", &pid.to_string()]);
    assert_eq!((status.code(), stdout.as_str()), (Some(2), ""));
    assert_eq!(
        stderr,
        format!(
            "pmdb: pid {pid} is already traced by pid {} (strace); detach that debugger or tracer first; and its agent cannot serve a snapshot: it links the agent, but the agent does not answer requests (PMDB_SNAPSHOT=off, PMDB_MODE=off, or the program handles signal 40 itself)\n",
            strace.pid()
        )
    );
    strace.detach(pid);
    assert_eq!(
        hung.quit(),
        ("bye: the waiter got order 7".into(), Some(3), String::new())
    );
}

#[test]
fn a_stray_signal_40_is_ignored_by_the_agent() {
    let hung = Hung::start(&[]);
    let pid = hung.pid;
    // From kill(2), not pmdb's sigqueue with its value: not a request.
    // SAFETY: kill with the pid of a child we started.
    assert_eq!(unsafe { libc::kill(pid as i32, wire::snapshot::SIGNAL) }, 0);
    let pending = |pid: u32| {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("ShdPnd:"))
            .map(|m| u64::from_str_radix(m.trim(), 16).unwrap())
            .unwrap()
    };
    // Delivered (no longer pending) and handled: the program lives on.
    wait_until(|| pending(pid) & (1 << 39) == 0);
    assert!(!wire::socket::socket_path(&hung.sockets(), pid).exists());
    assert_eq!(
        hung.quit(),
        ("bye: the waiter got order 7".into(), Some(3), String::new())
    );
}

#[test]
fn a_traced_program_without_the_agent_gets_one_line() {
    let live = Live::start(&bin("demo-live"), &[]);
    let pid = live.pid;
    assert!(!engine::hosts::launch::links_agent(Path::new(&bin(
        "demo-live"
    ))));
    let strace = Strace::attach(pid);
    let (status, stdout, stderr) = pmdb(&["report", &pid.to_string()], &[]);
    assert_eq!((status.code(), stdout.as_str()), (Some(2), ""));
    assert_eq!(
        stderr,
        format!(
            "pmdb: pid {pid} is already traced by pid {} (strace); detach that debugger or tracer first\n",
            strace.pid()
        )
    );
    strace.detach(pid);
    live.assert_untouched();
}

#[test]
fn a_program_traced_by_strace_is_saved_by_its_agent_and_goes_on_unchanged() {
    let hung = Hung::start(&[]);
    let pid = hung.pid;
    let strace = Strace::attach(pid);
    let core = hung.dir.0.join("hang.core");
    let (status, stdout, stderr) =
        hung.pmdb(&["save", &pid.to_string(), "-o", core.to_str().unwrap()]);
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout, "");
    let mut lines = stderr.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "pmdb: pid {pid} is already traced by pid {} (strace); detach that debugger or tracer first; pid {pid}'s agent serves the snapshot instead",
            strace.pid()
        )
    );
    assert!(
        lines
            .next()
            .and_then(|l| l.strip_prefix(&format!("pmdb: paused {pid} for ")))
            .is_some_and(|l| l.ends_with(" ms (by its agent)")),
        "{stderr}"
    );
    let len = std::fs::metadata(&core).unwrap().len();
    assert_eq!(
        lines.next(),
        Some(
            format!(
                "pmdb: saved a core of pid {pid} to {} ({len} bytes, 2 threads)",
                core.display()
            )
            .as_str()
        )
    );
    assert_eq!(lines.next(), None);

    // The agent's snapshot, read back from its core.
    let r = tests::report_json(&["--core", core.to_str().unwrap()], &[]);
    assert_eq!(
        r["crash"]["message"],
        format!("live snapshot of pid {pid} (demo) by its agent, 2 threads")
    );
    assert_eq!(r["crash"]["taken_by"], "agent");
    let waiter = &r["threads"][1];
    assert_eq!(waiter["name"], "waiter");
    let frames = user_frames(waiter);
    assert_eq!(frames[0]["function"], "demo::hang::wait_for_order");
    assert_eq!(
        frames[0]["line"],
        line_containing(SOURCE, "let order = orders.recv()")
    );
    assert_eq!(
        locals(frames[0])[3],
        ("served".to_string(), "u32".to_string(), "41".to_string())
    );

    // The program goes on as if nothing happened.
    let socket = wire::socket::socket_path(&hung.sockets(), pid);
    wait_until(|| !socket.exists());
    strace.detach(pid);
    tests::live::assert_untouched(pid);
    assert_eq!(
        hung.quit(),
        ("bye: the waiter got order 7".into(), Some(3), String::new())
    );
}

/// An editor's DAP attach by pid to the same traced program: the adapter
/// says in its output why the agent serves, the stopped event says how the
/// snapshot was taken, the threads, frames and locals are the agent's; on
/// disconnect every thread goes on, still traced by strace only.
#[test]
fn a_dap_attach_by_pid_to_a_traced_program_goes_through_its_agent() {
    let hung = Hung::start(&[]);
    let pid = hung.pid;
    let strace = Strace::attach(pid);
    let mut editor = tests::dap::DapClient::start(&bin("pmdb"));
    editor.request("initialize", json!({"adapterID": "pmdb"}));
    editor.request("attach", json!({"pid": pid, "pmdbDir": hung.sockets()}));
    editor.event("initialized");
    editor.request("configurationDone", Value::Null);
    let said: Vec<Value> = (0..2)
        .map(|_| editor.event("output")["body"]["output"].clone())
        .collect();
    assert_eq!(
        said,
        [
            format!(
                "pmdb: pid {pid} is already traced by pid {} (strace); detach that debugger or tracer first; pid {pid}'s agent serves the snapshot instead\n",
                strace.pid()
            ),
            format!(
                "pmdb: holding pid {pid}: every thread frozen by its agent until you disconnect, which lets it run on as it was\n"
            ),
        ]
    );
    let stopped = editor.event("stopped");
    assert_eq!(
        stopped["body"],
        json!({
            "allThreadsStopped": true, "reason": "pause", "text": "snapshot", "threadId": pid,
            "description": format!("live snapshot of pid {pid} (demo) by its agent, 2 threads"),
        })
    );
    let threads = editor.request("threads", json!({}));
    let waiter = threads["threads"][1]["id"].clone();
    assert_eq!(
        threads["threads"],
        json!([
            {"id": pid, "name": "main (blocked in read)"},
            {"id": waiter, "name": "waiter (blocked in futex)"},
        ])
    );
    let frames = editor.request("stackTrace", json!({"threadId": waiter, "levels": 20}));
    let at = frames["stackFrames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["presentationHint"] != "subtle")
        .unwrap()
        .clone();
    assert_eq!(
        (at["name"].as_str(), at["line"].as_u64()),
        (
            Some("demo::hang::wait_for_order"),
            Some(line_containing(SOURCE, "let order = orders.recv()") as u64)
        )
    );
    let scopes = editor.request("scopes", json!({"frameId": at["id"]}));
    let locals = editor.request(
        "variables",
        json!({"variablesReference": scopes["scopes"][0]["variablesReference"]}),
    );
    let shown: Vec<(&str, &str)> = locals["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        shown,
        [
            (
                "orders",
                "Receiver { inner: Receiver { flavor: List(..) } }"
            ),
            ("desk", "\"order desk\""),
            ("tid", "Sender { inner: Sender { flavor: List(..) } }"),
            ("served", "41"),
        ]
    );

    // Disconnect: the agent lets every thread go on; strace still traces
    // each, then goes; the program ends as it would have.
    editor.request("disconnect", json!({}));
    let_go_under(hung, strace);
}
