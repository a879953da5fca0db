//! Issue 13: a crash on another machine. A private sshd on 127.0.0.1 stands
//! in for the other machine; `pmdb report`, `list` and the TUI reach the
//! demo's crash through `ssh … pmdb bridge`, `--via` carries a session over a
//! plain `pmdb bridge` child, and a bridge killed mid-request costs the
//! client one clear error while the crash stays served.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::sshd::Sshd;
use tests::tmux::{Tmux, walk_the_bank_crash};
use tests::{bin, crash, pmdb};

/// The environment a client needs for the test sshd: its ssh config, and
/// the pmdb to run there (`extra` is shell text put before it, e.g. `PMDB_DIR=…`).
fn ssh_env(sshd: &Sshd, extra: &str) -> Vec<(&'static str, std::ffi::OsString)> {
    vec![
        ("PMDB_SSH", sshd.ssh_env().into()),
        (
            "PMDB_REMOTE",
            format!("{extra}{}", bin("pmdb").display()).into(),
        ),
    ]
}

fn run(args: &[&str], env: &[(&'static str, std::ffi::OsString)]) -> (i32, String, String) {
    let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let (status, out, err) = pmdb(args, &env);
    (status.code().unwrap_or(-1), out, err)
}

#[test]
fn report_over_ssh_shows_the_demo_crash_and_leaves_it_served() {
    let sshd = Sshd::start();
    let demo = crash("bank");
    let socket = demo.socket.to_str().unwrap();
    let dest = sshd.dest();
    let (code, out, err) = run(&["report", "--ssh", &dest, socket], &ssh_env(&sshd, ""));
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "panic in thread 'main' at demo/src/bank.rs:63:9: insufficient funds: bob has 75 but round 1 needs 500"
    );
    let withdraw = lines
        .iter()
        .position(|l| l.contains(" demo::bank::withdraw at ") && l.ends_with("demo/src/bank.rs:63"))
        .unwrap_or_else(|| panic!("no withdraw frame in:\n{out}"));
    assert_eq!(
        lines[withdraw + 1..withdraw + 5],
        [
            "        account: &Account = Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }",
            "        amount: i64 = 500",
            "        memo: &str = \"round 1\"",
            "        limit: i64 = 75",
        ]
    );
    // The crash is still there for the next debugger.
    assert_eq!(
        demo.session().crash().unwrap().message,
        "insufficient funds: bob has 75 but round 1 needs 500"
    );
}

#[test]
fn report_source_says_which_copy_it_shows() {
    let sshd = Sshd::start();
    let demo = crash("bank");
    let socket = demo.socket.to_str().unwrap();
    let dest = sshd.dest();
    let root = std::env::current_dir()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let env = ssh_env(&sshd, "");
    // This machine has the source: the local file is shown, and named.
    let (code, out, err) = run(&["report", "--ssh", &dest, "--source", socket], &env);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let bank = root.join("demo/src/bank.rs");
    let at = out
        .find("demo::bank::withdraw at ")
        .unwrap_or_else(|| panic!("{out}"));
    let frame: Vec<&str> = out[at..].lines().skip(1).take(6).collect();
    assert_eq!(
        frame,
        [
            format!("        source: local file {}", bank.display()).as_str(),
            "          61 |     let limit = account.balance + account.overdraft.unwrap_or(0);",
            "          62 |     if amount > limit {",
            "      >   63 |         panic!(",
            "          64 |             \"insufficient funds: {} has {} but {memo} needs {amount}\",",
            "          65 |             account.owner, limit",
        ]
    );
    // Not here (the path substituted to nowhere): the crashed process's copy
    // travels over ssh with the crash, and the report says so.
    let from = format!("{}=/nonexistent", root.display());
    let (code, out, _) = run(
        &[
            "report",
            "--ssh",
            &dest,
            "--source",
            "--substitute-path",
            &from,
            socket,
        ],
        &env,
    );
    assert_eq!(code, 0);
    let at = out.find("demo::bank::withdraw at ").unwrap();
    let frame: Vec<&str> = out[at..].lines().skip(1).take(6).collect();
    assert_eq!(
        frame,
        [
            "        source: copy served by the crashed process",
            "          61 |     let limit = account.balance + account.overdraft.unwrap_or(0);",
            "          62 |     if amount > limit {",
            "      >   63 |         panic!(",
            "          64 |             \"insufficient funds: {} has {} but {memo} needs {amount}\",",
            "          65 |             account.owner, limit",
        ]
    );
}

#[test]
fn list_and_report_over_ssh_find_what_waits_there() {
    let sshd = Sshd::start();
    let demo = crash("bank");
    let dir = format!("PMDB_DIR={} ", demo.dir.0.display());
    let (code, out, err) = run(&["list", "--ssh", &sshd.dest()], &ssh_env(&sshd, &dir));
    assert_eq!((code, err.as_str()), (0, ""));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "     PID  PROGRAM             AGE  CRASH");
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(
        lines[2],
        "          signature: panic demo/src/bank.rs:63 | demo::bank::withdraw | demo::bank::transfer | demo::bank::settle"
    );
    assert!(
        lines[1].starts_with(&format!("{:>8}  demo             ", demo.pid)),
        "{out}"
    );
    assert!(
        lines[1].ends_with("s  insufficient funds: bob has 75 but round 1 needs 500"),
        "{out}"
    );
    // Without a target, the remote bridge takes the one process waiting there.
    let (code, out, err) = run(&["report", "--ssh", &sshd.dest()], &ssh_env(&sshd, &dir));
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.contains("        memo: &str = \"round 1\"\n"), "{out}");
}

#[test]
fn ssh_failures_are_one_clear_error() {
    let sshd = Sshd::start();
    let demo = crash("bank");
    let socket = demo.socket.to_str().unwrap();
    let dest = sshd.dest();
    // A key the server does not know.
    let mut env = ssh_env(&sshd, "");
    env[0].1 = sshd.stranger_env().into();
    let (code, out, err) = run(&["report", "--ssh", &dest, socket], &env);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("pmdb: cannot attach: ssh -F "), "{err}");
    let refused = format!(
        ": {}@127.0.0.1: Permission denied (publickey). (exit status 255)\n",
        tests::sshd::user_name()
    );
    assert!(err.ends_with(&refused), "{err}");
    // No pmdb at the far end.
    let env = vec![
        ("PMDB_SSH", sshd.ssh_env().into()),
        ("PMDB_REMOTE", "/nonexistent/pmdb".into()),
    ];
    let (code, _, err) = run(&["report", "--ssh", &dest, socket], &env);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.ends_with("/nonexistent/pmdb: No such file or directory (exit status 127)\n"),
        "{err}"
    );
    // No such crash there: the remote bridge says so.
    let (code, _, err) = run(
        &["report", "--ssh", &dest, "/nonexistent/1.sock"],
        &ssh_env(&sshd, ""),
    );
    assert_eq!(code, 2);
    assert!(
        err.ends_with(": pmdb: cannot reach the agent at /nonexistent/1.sock: No such file or directory (os error 2) (exit status 2)\n"),
        "{err}"
    );
    // None of it disturbed the crash.
    assert_eq!(demo.session().threads().unwrap().len(), 1);
}

#[test]
fn via_a_plain_bridge_child_counts_its_round_trips() {
    let demo = crash("bank");
    let s = wire::Session::via_command(&[
        bin("pmdb").as_os_str(),
        OsStr::new("bridge"),
        demo.socket.as_os_str(),
    ])
    .unwrap();
    assert_eq!(s.hello().pid, demo.pid);
    assert_eq!(s.round_trips(), 1);
    let screen = s.first_screen().unwrap();
    // Crash, threads, the crashed thread's traceback and its crashed
    // frame's locals: one pipelined round trip after the hello.
    assert_eq!(s.round_trips(), 2);
    assert_eq!(
        screen.crash.message,
        "insufficient funds: bob has 75 but round 1 needs 500"
    );
    assert_eq!(
        screen.traceback.frames[screen.frame].info.function,
        "demo::bank::withdraw"
    );
    let locals = screen.locals.unwrap();
    let names: Vec<&str> = locals.iter().map(|v| v.name()).collect();
    assert_eq!(names, ["account", "amount", "memo", "limit"]);
    // Expanding a value: exactly one round trip.
    let kids = locals[0].children(0, 100).unwrap();
    assert_eq!(s.round_trips(), 3);
    assert_eq!(kids[0].name(), "*");
    // Pipelined: three requests, one round trip.
    let replies = s
        .pipeline(vec![
            wire::Request::Crash,
            wire::Request::Threads,
            wire::Request::Stats,
        ])
        .unwrap();
    assert_eq!(s.round_trips(), 4);
    assert_eq!(replies.len(), 3);
    assert!(matches!(replies[1], Ok(wire::Response::Threads(ref t)) if t.len() == 1));
    // The --via option of the binary takes the same path.
    let via = format!("{} bridge {}", bin("pmdb").display(), demo.socket.display());
    let (code, out, err) = run(&["report", "--via", &via], &[]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.contains("        limit: i64 = 75\n"), "{out}");
}

#[test]
fn a_bridge_killed_mid_request_gives_one_error_and_the_crash_stays_served() {
    let demo = crash("bank");
    let transport = wire::ChildTransport::spawn(&[
        bin("pmdb").as_os_str(),
        OsStr::new("bridge"),
        demo.socket.as_os_str(),
    ])
    .unwrap();
    let bridge = transport.id();
    let s = wire::Session::over(Box::new(transport)).unwrap();
    let frame = s.first_screen().unwrap().traceback.frames[10].clone();
    // Ask and ask; kill the bridge while requests are in flight.
    let asking = std::thread::spawn(move || {
        let started = Instant::now();
        loop {
            if let Err(e) = frame.locals() {
                return e;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "never failed");
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill(2) on the pid of a child this test spawned.
    assert_eq!(unsafe { libc::kill(bridge as i32, libc::SIGKILL) }, 0);
    let e = asking.join().unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "{} bridge {}: ended (signal: 9 (SIGKILL)) after: the peer closed the connection",
            bin("pmdb").display(),
            demo.socket.display()
        )
    );
    // The next request says the same; the crash waits for the next debugger.
    assert_eq!(s.crash().unwrap_err().to_string(), e.to_string());
    let next = demo.session();
    assert_eq!(
        next.traceback(next.crash().unwrap().thread).unwrap().frames[10]
            .info
            .function,
        "demo::bank::withdraw"
    );
}

#[test]
fn the_bridge_ends_cleanly_when_either_side_closes() {
    let demo = crash("bank");
    let hello = wire::frame::encode(&wire::Envelope {
        id: 1,
        body: wire::Request::Hello {
            version: wire::PROTOCOL_VERSION,
            client: "test".into(),
        },
    })
    .unwrap();
    let mut framed = (hello.len() as u32).to_be_bytes().to_vec();
    framed.extend(&hello);
    let spawn = || {
        Command::new(bin("pmdb"))
            .arg("bridge")
            .arg(&demo.socket)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Our side closes: the hello is still answered, then the bridge ends, 0.
    let mut child = spawn();
    child.stdin.take().unwrap().write_all(&framed).unwrap();
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let reply: wire::Envelope<wire::Response> = wire::frame::decode(&out[4..]).unwrap();
    assert_eq!(reply.id, 1);
    assert!(matches!(reply.body, wire::Response::Hello(ref h) if h.pid == demo.pid));
    assert_eq!(child.wait().unwrap().code(), Some(0));
    // The agent's side closes (the program resumes and ends) while our
    // stdin stays open: the bridge ends, 0, all the same.
    let mut child = spawn();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&framed).unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut reply = vec![0u8; out.len()];
    stdout.read_exact(&mut reply).unwrap();
    assert_eq!(reply, out);
    demo.session().resume().unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"");
    assert_eq!(child.wait().unwrap().code(), Some(0));
    drop(stdin);
    let (status, _) = demo.wait();
    assert_eq!(status.code(), Some(101));
}

#[test]
fn the_tui_over_ssh_in_a_real_terminal() {
    let sshd = Sshd::start();
    let demo = crash("bank");
    let root = std::env::current_dir()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let cmd = format!(
        "cd {root} && PMDB_SSH='{ssh}' PMDB_REMOTE={pmdb} {pmdb} attach --ssh {dest} {socket}; echo EXIT=$?; sleep 60",
        root = root.display(),
        ssh = sshd.ssh_env(),
        pmdb = bin("pmdb").display(),
        dest = sshd.dest(),
        socket = demo.socket.display(),
    );
    let t = Tmux::start(&cmd);
    let first = walk_the_bank_crash(&t);
    assert!(first.contains("bank.rs:63 · local file"), "{first}");
    t.keys(&["q"]);
    t.wait_for("(r)esume the program, (k)ill it, or (c)ancel?");
    t.keys(&["r"]);
    let s = t.wait_for("EXIT=");
    assert!(s.contains("EXIT=0"), "{s}");
    let (status, stderr) = demo.wait();
    assert_eq!(status.code(), Some(101));
    assert!(
        stderr.contains("insufficient funds: bob has 75 but round 1 needs 500"),
        "{stderr}"
    );
}

#[test]
fn list_and_batch_commands_over_via() {
    let demo = crash("bank");
    let via = format!("{} bridge {}", bin("pmdb").display(), demo.socket.display());
    let (code, out, err) = run(&["list", "--via", &via], &[]);
    assert_eq!((code, err.as_str()), (0, ""));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(
        lines[2],
        "          signature: panic demo/src/bank.rs:63 | demo::bank::withdraw | demo::bank::transfer | demo::bank::settle"
    );
    assert_eq!(lines[0], "     PID  PROGRAM             AGE  CRASH");
    assert!(
        lines[1].starts_with(&format!("{:>8}  demo             ", demo.pid)),
        "{out}"
    );
    assert!(
        lines[1].ends_with("s  insufficient funds: bob has 75 but round 1 needs 500"),
        "{out}"
    );
    // Batch commands: `list` names the copy it shows.
    let root = std::env::current_dir()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let (code, out, err) = run(
        &[
            "attach",
            "--via",
            &via,
            "-c",
            "p account.owner",
            "-c",
            "list",
        ],
        &[],
    );
    assert_eq!((code, err.as_str()), (0, ""));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "(pmdb) p account.owner",
            "account.owner: String = \"bob\"",
            "(pmdb) list",
            format!(
                "source: local file {}",
                root.join("demo/src/bank.rs").display()
            )
            .as_str(),
        ]
    );
    assert!(lines.contains(&">   63         panic!("), "{out}");
}
