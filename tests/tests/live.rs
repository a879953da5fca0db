//! Issue 21, live snapshots through ptrace: `demo-live` (no agent linked:
//! 18 threads parked, a sleeper, a reader, a busy thread) read by `pmdb
//! report PID` and `pmdb attach PID` while it runs, and left exactly as it
//! was — every thread running again, untraced, its signals delivered, its
//! output and exit status its own — also when pmdb is killed while it holds
//! the process, or its terminal goes away.
//!
//! Needs `cargo build --workspace` and `cargo build -p demo --profile
//! release-debug`.

use std::process::{Command, Stdio};

use serde_json::Value;
use tests::live::{Live, assert_untouched, wait_until};
use tests::{bin, line_containing, optimized_bin, pmdb};

const SOURCE: &str = "demo/src/bin/demo-live.rs";

/// `pmdb report PID --json --depth D`, its stderr and exit status.
fn report(pid: u32, depth: &str) -> (Value, String) {
    let (status, stdout, stderr) = pmdb(
        &["report", &pid.to_string(), "--json", "--depth", depth],
        &[],
    );
    assert!(status.success(), "pmdb report {pid} failed: {stderr}");
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (json, stderr)
}

/// A local as (name, type, value).
type Local = (String, String, String);

/// The user frames of a thread: (function, line, locals).
fn user_frames(thread: &Value) -> Vec<(String, u64, Vec<Local>)> {
    thread["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["runtime"] == false)
        .map(|f| {
            (
                f["function"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["locals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| {
                        (
                            l["name"].as_str().unwrap().to_string(),
                            l["type"].as_str().unwrap().to_string(),
                            l["value"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn local(name: &str, ty: &str, value: &str) -> Local {
    (name.into(), ty.into(), value.into())
}

fn thread<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no thread {name}"))
}

/// The names, states and system calls of every thread, in report order.
fn states(report: &Value) -> Vec<(String, String, Option<String>)> {
    report["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["state"].as_str().unwrap().to_string(),
                t["syscall"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// What demo-live's 22 threads are doing, in report order.
fn expected_states() -> Vec<(String, String, Option<String>)> {
    let blocked = |name: &str, call: &str| (name.to_string(), "blocked".into(), Some(call.into()));
    let mut out = vec![blocked("main", "read")];
    out.extend((0..18).map(|i| blocked(&format!("parked-{i}"), "futex")));
    out.push(blocked("sleeper", "clock_nanosleep"));
    out.push(blocked("reader", "read"));
    out.push(("busy".into(), "running".into(), None));
    out
}

/// The busy counter in a report, and that the program's busy thread goes
/// on past it once pmdb is gone.
fn assert_busy_goes_on(live: &mut Live, report: &Value) {
    let frames = user_frames(thread(report, "busy"));
    let (function, line, locals) = &frames[0];
    assert_eq!(function, "demo_live::spin");
    let body = line_containing(SOURCE, "fn spin(counter: &AtomicU64)");
    assert!(
        (body + 1..=body + 4).contains(&(*line as u32)),
        "line {line}"
    );
    assert_eq!(locals.len(), 1);
    let (name, ty, value) = &locals[0];
    assert_eq!((name.as_str(), ty.as_str()), ("counter", "&AtomicU64"));
    let counted: u64 = value.parse().expect("a number");
    assert_eq!(
        live.ask(&format!("busy-past {counted}")),
        format!("busy passed {counted}")
    );
}

#[test]
fn a_report_of_a_running_program_names_each_thread_its_state_frames_and_locals() {
    let mut live = Live::start(&bin("demo-live"), &[]);
    let pid = live.pid;
    let (r, stderr) = report(pid, "1");
    // Let go before pmdb ended, and nothing left behind.
    assert_untouched(pid);
    let paused = stderr
        .strip_prefix(&format!("pmdb: paused {pid} for "))
        .and_then(|s| s.strip_suffix(" ms\n"))
        .unwrap_or_else(|| panic!("{stderr:?}"));
    assert!(paused.parse::<f64>().unwrap() > 0.0, "{paused}");
    assert_eq!(
        r["crash"],
        serde_json::json!({
            "column": null, "file": null, "kind": "snapshot", "line": null,
            "message": format!("live snapshot of pid {pid} (demo-live) by ptrace, 22 threads"),
            "taken_by": "ptrace", "thread": "main",
        })
    );
    assert_eq!(r["pid"], pid);
    assert_eq!(states(&r), expected_states());
    assert!(
        r["threads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["crashed"] == false)
    );

    let park = line_containing(SOURCE, "        std::thread::park();");
    let spawned = line_containing(SOURCE, "parked_worker(i, t)");
    for i in [0usize, 7, 17] {
        let frames = user_frames(thread(&r, &format!("parked-{i}")));
        assert_eq!(frames.len(), 2, "{frames:?}");
        assert_eq!(frames[0].0, "demo_live::parked_worker");
        assert_eq!(frames[0].1, u64::from(park));
        let locals: Vec<_> = frames[0]
            .2
            .iter()
            .filter(|l| l.0 != "tids")
            .cloned()
            .collect();
        assert_eq!(
            locals,
            [
                local("index", "usize", &i.to_string()),
                local("label", "String", &format!("\"worker {i}\"")),
            ]
        );
        assert_eq!(frames[1].0, "demo_live::main::{{closure}}");
        assert_eq!(frames[1].1, u64::from(spawned));
        assert_eq!(frames[1].2[0], local("i", "usize", &i.to_string()));
    }
    let sleeper = user_frames(thread(&r, "sleeper"));
    assert_eq!(sleeper[0].0, "demo_live::sleeper");
    assert_eq!(
        sleeper[0].1,
        u64::from(line_containing(SOURCE, "std::thread::sleep(nap);"))
    );
    assert_eq!(sleeper[0].2[0], local("seconds", "u64", "3600"));
    assert_eq!(sleeper[0].2[2], local("nap", "Duration", "3600s"));
    let reader = user_frames(thread(&r, "reader"));
    assert_eq!(reader[0].0, "demo_live::reader");
    assert_eq!(
        reader[0].1,
        u64::from(line_containing(SOURCE, "let got = pipe.read(&mut buf);"))
    );
    let main = user_frames(thread(&r, "main"));
    assert_eq!(main[0].0, "demo_live::main");
    assert_eq!(main[0].2[0], local("signals", "bool", "false"));
    assert_eq!(
        main[0].2[7],
        local("sender", "Option<JoinHandle<()>>", "None")
    );

    assert_busy_goes_on(&mut live, &r);
    assert_eq!(live.quit(), ("bye: usr1 0 rt 0/0".into(), exit(3)));
}

fn exit(code: i32) -> std::process::ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    std::process::ExitStatus::from_raw(code << 8)
}

#[test]
fn an_optimized_build_reports_the_same_threads_states_and_frames() {
    let live = Live::start(&optimized_bin("demo-live"), &[]);
    let (r, _) = report(live.pid, "1");
    assert_untouched(live.pid);
    assert_eq!(states(&r), expected_states());
    for (name, function) in [
        ("parked-4", "demo_live::parked_worker"),
        ("sleeper", "demo_live::sleeper"),
        ("reader", "demo_live::reader"),
        ("main", "demo_live::main"),
    ] {
        let frames = user_frames(thread(&r, name));
        assert_eq!(frames[0].0, function, "{name}: {frames:?}");
    }
    let parked = user_frames(thread(&r, "parked-4"));
    assert_eq!(parked[0].2[0], local("index", "usize", "4"));
    assert_eq!(live.quit(), ("bye: usr1 0 rt 0/0".into(), exit(3)));
}

#[test]
fn the_text_report_says_it_is_a_snapshot_and_what_each_thread_waits_in() {
    let live = Live::start(&bin("demo-live"), &[]);
    let pid = live.pid;
    let (status, stdout, _) = pmdb(&["report", &pid.to_string(), "--depth", "0"], &[]);
    assert!(status.success());
    assert_untouched(pid);
    let heads: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("thread ") || l.starts_with("live "))
        .collect();
    let mut expected = vec![
        format!("live snapshot of pid {pid} (demo-live) by ptrace, 22 threads"),
        "thread 'main' (blocked in read)".to_string(),
    ];
    expected.extend((0..18).map(|i| format!("thread 'parked-{i}' (blocked in futex)")));
    expected.push("thread 'sleeper' (blocked in clock_nanosleep)".into());
    expected.push("thread 'reader' (blocked in read)".into());
    expected.push("thread 'busy' (running)".into());
    assert_eq!(heads, expected);
    assert_eq!(live.quit(), ("bye: usr1 0 rt 0/0".into(), exit(3)));
}

/// `pmdb attach PID --batch` reading its commands from a pipe we hold
/// open: the process stays stopped until the pipe closes.
fn attach_holding(pid: u32) -> std::process::Child {
    Command::new(bin("pmdb"))
        .args(["attach", &pid.to_string(), "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pmdb attach")
}

fn kill(pid: u32, sig: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid as i32, sig) }, 0);
}

#[test]
fn attach_holds_every_thread_until_it_ends_and_a_signal_sent_meanwhile_arrives_after() {
    let mut live = Live::start(&bin("demo-live"), &[]);
    let mut pmdb = attach_holding(live.pid);
    live.wait_held_by(pmdb.id());
    // A signal while held stays pending, and is handled once let go.
    kill(live.pid, libc::SIGUSR1);
    {
        use std::io::Write;
        let mut stdin = pmdb.stdin.take().unwrap();
        writeln!(stdin, "threads").unwrap();
    }
    let out = pmdb.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "(pmdb) threads\n* 0 main  (blocked in read)\n  1 parked-0  (blocked in futex)\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("\n  21 busy  (running)\n"), "{stdout}");
    assert_untouched(live.pid);
    assert_eq!(live.ask("busy-past 0"), "busy passed 0");
    assert_eq!(live.quit(), ("bye: usr1 1 rt 0/0".into(), exit(3)));
}

#[test]
fn pmdb_killed_while_it_holds_the_process_leaves_it_running_with_its_signals() {
    let mut live = Live::start(&bin("demo-live"), &[]);
    let mut pmdb = attach_holding(live.pid);
    live.wait_held_by(pmdb.id());
    kill(live.pid, libc::SIGUSR1);
    kill(pmdb.id(), libc::SIGKILL);
    let _ = pmdb.wait();
    assert_untouched(live.pid);
    assert_eq!(live.ask("busy-past 0"), "busy passed 0");
    assert_eq!(live.quit(), ("bye: usr1 1 rt 0/0".into(), exit(3)));
}

#[test]
fn a_stop_sent_while_held_stops_the_process_after_and_a_term_ends_it_after() {
    let mut live = Live::start(&bin("demo-live"), &[]);
    let pmdb = attach_holding(live.pid);
    live.wait_held_by(pmdb.id());
    kill(live.pid, libc::SIGSTOP);
    drop(pmdb.wait_with_output().unwrap());
    // Stopped by its SIGSTOP, as without pmdb, and untraced.
    live.wait_state('T');
    assert!(live.threads().iter().all(|&(_, _, by)| by == 0));
    kill(live.pid, libc::SIGCONT);
    wait_until(|| live.threads().iter().all(|&(_, s, _)| s != 'T'));
    assert_eq!(live.ask("busy-past 0"), "busy passed 0");

    let pmdb = attach_holding(live.pid);
    live.wait_held_by(pmdb.id());
    kill(live.pid, libc::SIGTERM);
    drop(pmdb.wait_with_output().unwrap());
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(live.wait().signal(), Some(libc::SIGTERM));
}

#[test]
fn a_process_stopped_before_pmdb_came_is_reported_stopped_and_stays_stopped() {
    let mut live = Live::start(&bin("demo-live"), &[]);
    kill(live.pid, libc::SIGSTOP);
    live.wait_state('T');
    let (r, _) = report(live.pid, "0");
    let stopped: Vec<_> = states(&r).into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(stopped, vec!["stopped".to_string(); 22]);
    let text = pmdb(&["report", &live.pid.to_string(), "--depth", "0"], &[]).1;
    assert!(
        text.contains("\nthread 'busy' (stopped by SIGSTOP)\n"),
        "{text}"
    );
    // Still stopped by its own SIGSTOP, and untraced.
    live.wait_state('T');
    assert!(live.threads().iter().all(|&(_, _, by)| by == 0));
    kill(live.pid, libc::SIGCONT);
    wait_until(|| live.threads().iter().all(|&(_, s, _)| s != 'T'));
    assert_eq!(live.ask("busy-past 0"), "busy passed 0");
    assert_eq!(live.quit(), ("bye: usr1 0 rt 0/0".into(), exit(3)));
}

#[test]
fn no_signal_is_lost_when_snapshots_are_taken_while_signals_keep_coming() {
    let live = Live::start(&bin("demo-live"), &["signals"]);
    for _ in 0..5 {
        let (r, _) = report(live.pid, "0");
        assert_eq!(r["threads"].as_array().unwrap().len(), 23);
        assert_untouched(live.pid);
    }
    let (last, status) = live.quit();
    let counts = last.strip_prefix("bye: usr1 0 rt ").expect(&last);
    let (got, sent) = counts.split_once('/').unwrap();
    assert_eq!(got, sent, "{last}");
    assert!(sent.parse::<u64>().unwrap() > 0, "{last}");
    assert_eq!(status, exit(3));
}

// Bad input (issue 21 point 8): each case is one line on stderr, exit
// status 2, nothing on stdout, and the target left as it was.

/// `pmdb ARGS…` refused: its one line.
fn refused(pmdb_cmd: &mut Command) -> String {
    let out = pmdb_cmd.stdin(Stdio::null()).output().expect("run pmdb");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

fn report_cmd(pid: u32) -> Command {
    let mut cmd = Command::new(bin("pmdb"));
    cmd.args(["report", &pid.to_string()]);
    cmd
}

/// `/proc/PID/stat`'s state letter.
fn state_of(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    after.chars().next().unwrap()
}

/// The system call process `pid`'s main thread is in, if any.
fn syscall_of(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/syscall"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Waits until process `pid`'s main thread is inside system call `nr`.
fn in_syscall(pid: u32, nr: u64) {
    wait_until(|| syscall_of(pid) == Some(nr));
}

#[test]
fn a_pid_that_does_not_exist() {
    // Pids are below pid_max: this one never names a process.
    let max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        refused(&mut report_cmd(max)),
        format!("pmdb: no process has pid {max}\n")
    );
}

#[test]
fn a_kernel_thread() {
    // Linux's pid 2 is kthreadd, the parent of every kernel thread.
    let stat = std::fs::read_to_string("/proc/2/stat").unwrap();
    assert!(stat.starts_with("2 (kthreadd) "), "{stat}");
    assert_eq!(
        refused(&mut report_cmd(2)),
        "pmdb: pid 2 is a kernel thread (kthreadd), not a program pmdb can read\n"
    );
}

#[test]
fn pmdb_itself() {
    // The shell's pid becomes pmdb's own through exec.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "exec \"$0\" report $$"]).arg(bin("pmdb"));
    let line = refused(&mut cmd);
    let pid = line
        .strip_prefix("pmdb: pid ")
        .and_then(|l| l.strip_suffix(" is this pmdb itself; run another pmdb to look at it\n"))
        .unwrap_or_else(|| panic!("{line}"));
    pid.parse::<u32>().expect("a pid");
}

#[test]
fn a_zombie() {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    wait_until(|| state_of(pid) == 'Z');
    assert_eq!(
        refused(&mut report_cmd(pid)),
        format!(
            "pmdb: pid {pid} is a zombie: it has exited and waits for its parent to reap it, so nothing of it is left to read\n"
        )
    );
    // Still a zombie, its status still its parent's to reap.
    assert_eq!(state_of(pid), 'Z');
    assert!(child.wait().unwrap().success());
}

/// A command run as user and group 65534 (nobody), with no groups.
fn as_nobody(program: &std::path::Path) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(program);
    cmd
}

/// Another user's process, as a user may meet it: pmdb run by an ordinary
/// user (nobody) on a process of root's is refused, and says why. Root may
/// trace any process (CAP_SYS_PTRACE), as with `gdb -p`, so pmdb run as
/// root reads another user's process: see the next test.
#[test]
fn another_users_process_is_refused_to_an_ordinary_user() {
    let live = Live::start(&bin("demo-live"), &[]);
    let mut cmd = as_nobody(&bin("pmdb"));
    cmd.args(["report", &live.pid.to_string()]);
    assert_eq!(
        refused(&mut cmd),
        format!(
            "pmdb: cannot trace pid {}: it belongs to uid 0 and pmdb runs as uid 65534; run pmdb as that user, or as root\n",
            live.pid
        )
    );
    assert_untouched(live.pid);
    assert_eq!(live.quit(), ("bye: usr1 0 rt 0/0".into(), exit(3)));
}

#[test]
fn root_reads_another_users_process_and_leaves_it_running() {
    let mut sleeper = as_nobody(std::path::Path::new("sleep"))
        .arg("3600")
        .spawn()
        .unwrap();
    let pid = sleeper.id();
    // Asleep as nobody (setpriv has exec'd `sleep`).
    wait_until(|| {
        syscall_of(pid) == Some(libc::SYS_clock_nanosleep as u64)
            && std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p.ends_with("sleep"))
            && std::fs::read_to_string(format!("/proc/{pid}/status"))
                .unwrap()
                .contains("\nUid:\t65534\t")
    });
    let (r, _) = report(pid, "0");
    assert_eq!(
        states(&r),
        [(
            "main".into(),
            "blocked".into(),
            Some("clock_nanosleep".into())
        )]
    );
    assert_untouched(pid);
    assert_eq!(state_of(pid), 'S');
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
}

#[test]
fn a_process_killed_while_held_is_said_and_nothing_half_read_is_shown() {
    let mut live = Live::start(&bin("demo-live"), &[]);
    let mut held = attach_holding(live.pid);
    live.wait_held_by(held.id());
    // The snapshot is taken once pmdb reads its commands (its main thread
    // in read(2) on stdin); SIGKILL ends even a process held in ptrace
    // stops; then the commands.
    wait_until(|| {
        std::fs::read_to_string(format!("/proc/{}/syscall", held.id()))
            .is_ok_and(|s| s.starts_with("0 0x0 "))
    });
    kill(live.pid, libc::SIGKILL);
    wait_until(|| state_of(live.pid) == 'Z');
    {
        use std::io::Write;
        let mut stdin = held.stdin.take().unwrap();
        writeln!(stdin, "threads").unwrap();
        writeln!(stdin, "bt").unwrap();
    }
    let out = held.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(
        stderr,
        format!(
            "pmdb: pid {} ended while pmdb held it (SIGKILL reaches even a stopped process); what was read of it is incomplete, so nothing is shown\n",
            live.pid
        )
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(live.wait().signal(), Some(libc::SIGKILL));
}

/// `tests/data/c-hang.c` built with cc, with `flags`, in `dir`.
fn c_program(dir: &std::path::Path, name: &str, flags: &[&str]) -> std::path::PathBuf {
    c_program_of("c-hang.c", dir, name, flags)
}

/// `tests/data/SOURCE` built with cc, with `flags`, in `dir`.
fn c_program_of(
    source: &str,
    dir: &std::path::Path,
    name: &str,
    flags: &[&str],
) -> std::path::PathBuf {
    let out = dir.join(name);
    let source = tests::workspace_root().join("tests/data").join(source);
    let status = Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(source)
        .status()
        .expect("cc (package gcc) must be installed");
    assert!(status.success());
    out
}

/// The functions of a thread's frames, from `wait_here` outwards.
fn from_wait_here(thread: &Value) -> Vec<String> {
    let names: Vec<String> = thread["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["function"].as_str().unwrap_or("??").to_string())
        .collect();
    let at = names
        .iter()
        .position(|n| n == "wait_here")
        .unwrap_or_else(|| panic!("{names:?}"));
    names[at..].to_vec()
}

#[test]
fn a_c_program_lists_its_frames_by_symbol_with_or_without_dwarf() {
    let dir = tests::TempDir::new("c-hang");
    for (name, flags) in [
        ("with-dwarf", &["-g", "-O0"][..]),
        ("no-dwarf", &["-O0"][..]),
    ] {
        let program = c_program(&dir.0, name, flags);
        let live = Live::start(&program, &[]);
        // It says `ready` just before it reads its stdin.
        in_syscall(live.pid, 0);
        let (r, _) = report(live.pid, "0");
        assert_untouched(live.pid);
        assert_eq!(
            r["crash"]["message"],
            format!(
                "live snapshot of pid {} ({name}) by ptrace, 1 threads",
                live.pid
            )
        );
        assert_eq!(
            states(&r),
            [("main".into(), "blocked".into(), Some("read".into()))]
        );
        let main = thread(&r, "main");
        assert_eq!(
            from_wait_here(main)[..3],
            ["wait_here", "middle", "main"],
            "{name}"
        );
        let (last, status) = live.quit();
        assert_eq!((last.as_str(), status.success()), ("bye", true));
    }
}

/// `pmdb attach PID` in a terminal that goes away (the tmux session is
/// killed, so pmdb gets SIGHUP) while it holds the process: every thread
/// is let go, untraced and running, with a signal sent meanwhile handled.
#[test]
fn a_terminal_closed_while_attach_holds_the_process_leaves_it_running() {
    let mut live = Live::start(&bin("demo-live"), &[]);
    let t = tests::tmux::Tmux::start(&format!("{} attach {}", bin("pmdb").display(), live.pid));
    t.wait_for("HOLDING");
    // Held: every thread in a ptrace stop under one pmdb.
    let tracer = live.threads()[0].2;
    let pmdb_pid = tests::live::tgid(tracer).expect("the tracer is alive");
    live.wait_held_by(pmdb_pid);
    kill(live.pid, libc::SIGUSR1);
    drop(t);
    // pmdb ends on its SIGHUP; the kernel lets go of whatever it held.
    wait_until(|| !std::path::Path::new(&format!("/proc/{pmdb_pid}")).exists());
    assert_untouched(live.pid);
    assert_eq!(live.ask("busy-past 0"), "busy passed 0");
    assert_eq!(live.quit(), ("bye: usr1 1 rt 0/0".into(), exit(3)));
}

/// A process that starts another program (execve) while pmdb stops it:
/// `c-execs` execs itself for ever, and each snapshot of it either stops it
/// whole inside one image, or meets an execve half done (the kernel reports
/// `PTRACE_EVENT_EXEC` to a tracer that seized it mid-way, or its auxiliary
/// vector changed under pmdb) and says so in one line. Either way it is left
/// running, untraced. Snapshots are taken until the execve has been met
/// (about one in five here).
#[test]
fn a_process_that_execs_mid_snapshot_is_said_in_one_line_and_left_running() {
    let dir = tests::TempDir::new("c-execs");
    let program = c_program_of("c-execs.c", &dir.0, "c-execs", &["-O0"]);
    let live = Live::start(&program, &[]);
    let pid = live.pid;
    let execed = format!(
        "pmdb: pid {pid} started another program (execve) while pmdb was stopping it; nothing was read, ask again\n"
    );
    let (mut whole, mut met) = (0, 0);
    while met == 0 {
        assert!(whole < 500, "no execve met in {whole} snapshots");
        let out = report_cmd(pid)
            .args(["--depth", "0"])
            .stdin(Stdio::null())
            .output()
            .expect("run pmdb");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        match out.status.code() {
            Some(0) => {
                assert!(
                    stdout.starts_with(&format!(
                        "live snapshot of pid {pid} (c-execs) by ptrace, 1 threads\n"
                    )),
                    "{stdout}"
                );
                whole += 1;
            }
            Some(2) => {
                assert_eq!((stdout.as_ref(), stderr.as_ref()), ("", execed.as_str()));
                met += 1;
            }
            other => panic!("pmdb report ended with {other:?}: {stderr}"),
        }
        // Never left stopped or traced; it goes on exec'ing.
        assert_untouched(pid);
    }
}

/// A 32-bit program: one line saying pmdb reads x86-64 programs only, from
/// `report` and `attach`, and the program left running (it answers after).
/// `tests/data/hang32.c` is freestanding, so no 32-bit libc is needed to
/// build it (`gcc-multilib` costs CI some 12 s to install).
#[test]
fn a_32_bit_program_is_refused_in_one_line_and_left_running() {
    let dir = tests::TempDir::new("hang32");
    let program = c_program_of(
        "hang32.c",
        &dir.0,
        "hang32",
        &[
            "-m32",
            "-nostdlib",
            "-static",
            "-fno-pie",
            "-no-pie",
            "-fno-stack-protector",
            "-g",
            "-O0",
        ],
    );
    let live = Live::start(&program, &[]);
    // i386's read(2) is system call 3.
    in_syscall(live.pid, 3);
    let line = format!(
        "pmdb: pid {} runs a 32-bit program (ELF32, i386); pmdb reads x86-64 programs only\n",
        live.pid
    );
    assert_eq!(refused(&mut report_cmd(live.pid)), line);
    assert_untouched(live.pid);
    let mut attach = Command::new(bin("pmdb"));
    attach.args(["attach", &live.pid.to_string(), "--batch"]);
    assert_eq!(refused(&mut attach), line);
    assert_untouched(live.pid);
    let (last, status) = live.quit();
    assert_eq!((last.as_str(), status.success()), ("bye", true));
}
