//! Issue 7, end to end: who may attach, hostile input, load and faults, and
//! bounded reads — each on a real crashed demo process over its real socket,
//! with exact replies, stderr lines and exit statuses.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;
use tests::{TempDir, bin, crash, crash_program, crash_with, run_to_end};
use wire::{
    Envelope, ErrorKind, FrameId, PROTOCOL_VERSION, Request, Response, StreamTransport, Transport,
    frame,
};

const PANIC: &str =
    "panicked at demo/src/bank.rs:63:9:\ninsufficient funds: bob has 75 but round 1 needs 500\n";

/// A raw connection: frames in and out by hand.
struct Raw(StreamTransport<UnixStream>, UnixStream);

impl Raw {
    fn connect(socket: &Path) -> Raw {
        let s = UnixStream::connect(socket).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Raw(StreamTransport::new(s.try_clone().unwrap()), s)
    }
    fn send_bytes(&mut self, body: &[u8]) {
        self.0.send(body).unwrap();
    }
    fn send<T: Serialize>(&mut self, id: u64, body: T) {
        self.send_bytes(&frame::encode(&Envelope { id, body }).unwrap());
    }
    fn recv(&mut self) -> Envelope<Response> {
        frame::decode(&self.0.recv().expect("a reply")).expect("a decodable reply")
    }
    /// The next reply, which must be an error: (id, kind, message).
    fn error(&mut self) -> (u64, ErrorKind, String) {
        match self.recv() {
            Envelope {
                id,
                body: Response::Error(e),
            } => (id, e.kind, e.message),
            other => panic!("expected an error reply, got {other:?}"),
        }
    }
    fn hello(&mut self) {
        self.send(
            1,
            Request::Hello {
                version: PROTOCOL_VERSION,
                client: "raw".into(),
            },
        );
        assert!(matches!(self.recv().body, Response::Hello(_)));
    }
    /// True when the agent closed the connection.
    fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.1.read(&mut b), Ok(0))
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

// ---- Who may attach ------------------------------------------------------

#[test]
fn modes_are_private_whatever_the_umask_and_other_users_are_refused() {
    // Under umask 000 the agent still makes its directory 0700 and socket 0600.
    let parent = TempDir::new("umask");
    let dir = parent.0.join("sockets");
    let demo = crash_program(
        Path::new("/bin/sh"),
        &[
            "-c",
            "umask 000; exec \"$0\" bank",
            bin("demo").to_str().unwrap(),
        ],
        "umask",
        &[("PMDB_DIR", dir.to_str().unwrap())],
    );
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&demo.socket), 0o600);
    assert_eq!(std::fs::metadata(&dir).unwrap().uid(), 0);

    // Open everything up; uid 65534 can now reach the socket, and is refused
    // by its credentials.
    for p in [parent.0.as_path(), &dir, &demo.socket] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin("pmdb-raw-client"))
        .arg(&demo.socket)
        .arg("hello")
        .output()
        .expect("setpriv");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "Error(PermissionDenied): permission denied: process {} runs as uid 0; only that user or root may attach, not uid 65534\n",
            demo.pid
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());

    // The same user (root here) is served.
    let out = Command::new(bin("pmdb-raw-client"))
        .arg(&demo.socket)
        .arg("hello")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("Hello pid {}\n", demo.pid)
    );
    let s = demo.session();
    s.resume().unwrap();
    let (status, stderr) = demo.wait();
    assert_eq!(status.code(), Some(101));
    assert!(stderr.contains(PANIC), "{stderr}");
}

// ---- Bad input -----------------------------------------------------------

/// A request kind the agent has never heard of.
#[derive(Serialize)]
enum Unknown {
    Frobnicate { x: u32 },
}

#[test]
fn bad_frames_and_requests_get_typed_errors_and_others_are_served() {
    let demo = crash("bank");
    let bystander = demo.session();

    // A length over the agent's request maximum: one error, then closed.
    let mut r = Raw::connect(&demo.socket);
    r.1.write_all(&(1u32 << 20).to_be_bytes()).unwrap();
    assert_eq!(
        r.error(),
        (
            0,
            ErrorKind::BadRequest,
            "frame of 1048576 bytes exceeds the maximum of 65536".into()
        )
    );
    assert!(r.closed());

    // A truncated frame: the body never comes.
    let mut r = Raw::connect(&demo.socket);
    r.1.write_all(&[0, 0, 0, 100, 1, 2, 3]).unwrap();
    r.1.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(
        r.error(),
        (
            0,
            ErrorKind::BadRequest,
            "malformed message: truncated frame body".into()
        )
    );
    assert!(r.closed());

    // Undecodable messages get an error each, and the connection goes on.
    let mut r = Raw::connect(&demo.socket);
    r.send(3, Request::Crash);
    assert_eq!(
        r.error(),
        (
            3,
            ErrorKind::BadRequest,
            "the first request must be a hello".into()
        )
    );
    r.send(
        4,
        Request::Hello {
            version: 99,
            client: "future".into(),
        },
    );
    assert_eq!(
        r.error(),
        (
            4,
            ErrorKind::VersionMismatch,
            "protocol version mismatch: the agent speaks 1, the client 99".into()
        )
    );
    r.send_bytes(&[0xc1, 0xff, 0x00]);
    assert_eq!(
        r.error(),
        (
            0,
            ErrorKind::BadRequest,
            "malformed message: wrong msgpack marker Reserved".into()
        )
    );
    r.send(5, Unknown::Frobnicate { x: 1 });
    let (id, kind, message) = r.error();
    assert_eq!((id, kind), (0, ErrorKind::BadRequest));
    assert!(
        message.starts_with("malformed message: unknown variant `Frobnicate`, expected one of "),
        "{message}"
    );
    r.hello();

    // Forged handles, frames and threads.
    let crash = bystander.crash().unwrap();
    for (req, want) in [
        (
            Request::Children {
                value: 0,
                start: 0,
                count: 1,
            },
            (ErrorKind::UnknownHandle, "unknown handle 0".to_string()),
        ),
        (
            Request::Fetch { value: u64::MAX },
            (
                ErrorKind::UnknownHandle,
                format!("unknown handle {}", u64::MAX),
            ),
        ),
        (
            Request::Locals {
                frame: FrameId {
                    thread: crash.thread,
                    index: 4000,
                },
            },
            (ErrorKind::NotFound, "no frame 4000".into()),
        ),
        (
            Request::Traceback { thread: 1 },
            (ErrorKind::NotFound, "no thread 1".into()),
        ),
    ] {
        r.send(9, req);
        assert_eq!(r.error(), (9, want.0, want.1));
    }

    // Path expressions that do not parse, or lead nowhere.
    let tb = bystander.traceback(crash.thread).unwrap();
    let withdraw = tb.frame_named("withdraw").unwrap();
    for (expr, want) in [
        (
            "account..owner",
            "a range is only allowed inside `[ ]`: v[2..5] (column 8)",
        ),
        (
            "account[",
            "expected an expression, found the end (column 9)",
        ),
        ("", "expected an expression (column 1)"),
        ("*amount", "i64 is not a pointer (column 1)"),
        (
            "account.history[99999999999]",
            "index 99999999999 is out of bounds: the Vec<i64> has 1 elements (column 17)",
        ),
        (
            "memo[\"key\"]",
            "a string cannot be indexed; slice it: s[0..3] (column 6)",
        ),
    ] {
        let got = withdraw.eval(expr).unwrap_err().to_string();
        assert_eq!(got, want, "{expr}");
    }

    // Every client is still served.
    r.send(10, Request::Crash);
    assert!(matches!(r.recv().body, Response::Crash(_)));
    assert_eq!(withdraw.eval("amount").unwrap().preview(), "500");
    assert_eq!(demo.session().crash().unwrap().line, Some(63));
}

// ---- Load and faults -----------------------------------------------------

#[test]
fn fifty_clients_at_once() {
    let demo = crash("bank");
    let barrier = std::sync::Barrier::new(50);
    let owners: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let s = demo.session();
                    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
                    let f = tb.frame_named("withdraw").unwrap();
                    f.eval("account.owner").unwrap().preview().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(owners, vec!["\"bob\"".to_string(); 50]);
}

#[test]
fn one_connection_past_the_limit_is_told_so() {
    let demo = crash("bank");
    let held: Vec<Raw> = (0..64)
        .map(|_| {
            let mut r = Raw::connect(&demo.socket);
            r.hello();
            r
        })
        .collect();
    let mut extra = Raw::connect(&demo.socket);
    assert_eq!(
        extra.error(),
        (
            0,
            ErrorKind::Busy,
            "the agent already serves 64 connections; try again later".into()
        )
    );
    assert!(extra.closed());
    drop(held);
    // Slots come back as connections close.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match wire::Session::connect(demo.socket.as_path()) {
            Ok(s) => {
                assert_eq!(s.crash().unwrap().line, Some(63));
                break;
            }
            Err(e) => {
                assert_eq!(e.remote_kind(), Some(ErrorKind::Busy));
                assert!(Instant::now() < deadline, "slots never came back");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Starts `pmdb-raw-client SOCKET action` and waits for its `sent`.
fn raw_client_in_flight(socket: &Path, action: &str) -> std::process::Child {
    let mut child = Command::new(bin("pmdb-raw-client"))
        .arg(socket)
        .arg(action)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "sent\n");
    child
}

#[test]
fn clients_killed_mid_request_leave_the_agent_serving() {
    let demo = crash("bank");
    for action in ["partial", "unread"] {
        let mut client = raw_client_in_flight(&demo.socket, action);
        client.kill().unwrap();
        client.wait().unwrap();
    }
    let s = demo.session();
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    assert_eq!(
        tb.frame_named("withdraw")
            .unwrap()
            .eval("account.owner")
            .unwrap()
            .preview(),
        "\"bob\""
    );
    s.kill().unwrap();
    let (status, stderr) = demo.wait();
    assert_eq!(status.code(), Some(101));
    assert!(stderr.contains(PANIC), "{stderr}");
}

#[test]
fn a_silent_client_times_out_while_others_are_served() {
    let demo = crash_with("bank", &[("PMDB_CLIENT_TIMEOUT", "1")]);
    let started = Instant::now();
    let mut silent = Raw::connect(&demo.socket);
    // Another client is served all the while, a request every 150 ms.
    let busy = std::thread::scope(|scope| {
        let busy = scope.spawn(|| {
            let s = demo.session();
            (0..10)
                .map(|_| {
                    std::thread::sleep(Duration::from_millis(150));
                    s.crash().unwrap().line
                })
                .collect::<Vec<_>>()
        });
        assert_eq!(
            silent.error(),
            (
                0,
                ErrorKind::TimedOut,
                "no request for 1 s; the agent closed the connection".into()
            )
        );
        // Not before its second; how long after depends on the machine's
        // load, so no upper bound: a timeout that never comes fails at the
        // connection's read timeout.
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(900), "{took:?}");
        assert!(silent.closed());
        busy.join().unwrap()
    });
    assert_eq!(busy, vec![Some(63); 10]);
}

/// `demo bank` in wait mode with `env`, run to its end, which must come
/// well before its wait of a minute would.
fn bank_run(env: &[(&str, &std::ffi::OsStr)]) -> (i32, String) {
    let mut cmd = Command::new(bin("demo"));
    cmd.arg("bank")
        .env("PMDB_MODE", "wait")
        .env("PMDB_WAIT", "60")
        .env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (status, stderr, _) = run_to_end(cmd, Duration::from_secs(30));
    (status.code().unwrap(), stderr)
}

/// The lines of the usual panic output, with the thread id dropped.
fn usual_output(stderr: &str) -> String {
    let start = stderr.find("\nthread 'main' (").expect("panic output") + 1;
    let rest = &stderr[start..];
    let close = rest.find(") ").unwrap();
    format!("thread 'main' {}", &rest[close + 2..])
}

const USUAL: &str = "thread 'main' panicked at demo/src/bank.rs:63:9:\ninsufficient funds: bob has 75 but round 1 needs 500\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";

#[test]
fn an_unusable_socket_directory_falls_back_at_once() {
    let tmp = TempDir::new("unusable");
    let file = tmp.0.join("file");
    std::fs::write(&file, "not a directory").unwrap();
    let under_file = file.join("sub");
    // At once: it says it cannot wait, rather than waiting PMDB_WAIT's
    // minute (which `bank_run`'s limit would fail on).
    let (code, stderr) = bank_run(&[("PMDB_DIR", under_file.as_os_str())]);
    assert_eq!(code, 101);
    assert!(
        stderr.starts_with(&format!(
            "pmdb: cannot wait for a debugger: cannot create the socket directory {}: Not a directory (os error 20)\n",
            under_file.display()
        )),
        "{stderr}"
    );
    assert_eq!(usual_output(&stderr), USUAL);

    // A directory someone else owns is not ours to use.
    let theirs = tmp.0.join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let (code, stderr) = bank_run(&[("PMDB_DIR", theirs.as_os_str())]);
    assert_eq!(code, 101);
    assert!(
        stderr.starts_with(&format!(
            "pmdb: cannot wait for a debugger: cannot create the socket directory {}: owned by uid 65534, not by us (uid 0)\n",
            theirs.display()
        )),
        "{stderr}"
    );
    assert_eq!(usual_output(&stderr), USUAL);
    assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 0);
}

#[test]
fn a_socket_path_in_use_falls_back_and_is_left_alone() {
    let tmp = TempDir::new("inuse");
    // The wrapper shell becomes the demo (exec), so its pid is the demo's:
    // a live listener takes `<pid>.sock` before the demo starts.
    let mut child = Command::new("/bin/sh")
        .args([
            "-c",
            "read _; exec \"$0\" bank",
            bin("demo").to_str().unwrap(),
        ])
        .env("PMDB_MODE", "wait")
        .env("PMDB_DIR", &tmp.0)
        .env("PMDB_WAIT", "60")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let path = tmp.0.join(format!("{}.sock", child.id()));
    let listener = UnixListener::bind(&path).unwrap();
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // It fell back at once: had it waited, it would not say so first.
    assert_eq!(out.status.code(), Some(101));
    assert!(
        stderr.starts_with(&format!(
            "pmdb: cannot wait for a debugger: the socket {} is in use by another live agent\n",
            path.display()
        )),
        "{stderr}"
    );
    assert_eq!(usual_output(&stderr), USUAL);
    // The other agent's socket is untouched.
    assert!(path.exists());
    drop(listener);
}

#[test]
fn without_debug_info_the_traceback_comes_from_symbols() {
    let tmp = TempDir::new("stripped");
    let stripped = tmp.0.join("demo");
    let status = Command::new("objcopy")
        .arg("--strip-debug")
        .arg(bin("demo"))
        .arg(&stripped)
        .status()
        .unwrap();
    assert!(status.success());
    let demo = crash_program(&stripped, &["bank"], "stripped", &[]);
    let s = demo.session();
    let crash = s.crash().unwrap();
    assert_eq!(
        crash.message,
        "insufficient funds: bob has 75 but round 1 needs 500"
    );
    let tb = s.traceback(crash.thread).unwrap();
    let user: Vec<(&str, Option<&str>, Option<u32>)> = tb
        .user_frames()
        .map(|f| {
            (
                f.info.function.as_str(),
                f.info.file.as_deref(),
                f.info.line,
            )
        })
        .collect();
    assert_eq!(
        user,
        [
            ("demo::bank::withdraw", None, None),
            ("demo::bank::transfer", None, None),
            ("demo::bank::settle", None, None),
            ("demo::bank::run", None, None),
            ("demo::main", None, None),
        ]
    );
    let e = tb.frame_named("withdraw").unwrap().locals().unwrap_err();
    assert_eq!(e.remote_kind(), Some(ErrorKind::Unavailable));
    assert_eq!(e.to_string(), "<no debug info>");
    s.resume().unwrap();
    let (status, stderr) = demo.wait();
    assert_eq!(status.code(), Some(101));
    assert!(stderr.contains(PANIC), "{stderr}");
}

#[test]
fn pmdb_wait_ends_the_process_with_no_client() {
    let demo = crash_with("bank", &[("PMDB_WAIT", "1")]);
    let core = demo.dir.0.join(format!("demo.{}.core", demo.pid));
    // It ends (`wait` fails after 20 s, the default wait is 600 s), and
    // says why.
    let (status, stderr) = demo.wait();
    assert_eq!(status.code(), Some(101));
    // Nobody looked, so the crash was kept as a core before going on.
    assert!(
        stderr.contains(&format!(
            "pmdb: no debugger for 1 s; going on
pmdb: saved the crash to {0} (open it with `pmdb open {0}`)

thread 'main' (",
            core.display()
        )),
        "{stderr}"
    );
    assert_eq!(usual_output(&stderr), USUAL);
}

#[test]
fn pmdb_wait_ends_the_process_with_a_silent_client_connected() {
    let demo = crash_with("bank", &[("PMDB_WAIT", "1")]);
    let mut silent = Raw::connect(&demo.socket);
    // It ends (`wait` fails after 20 s, the default wait is 600 s), and
    // says why.
    let (status, stderr) = demo.wait();
    assert_eq!(status.code(), Some(101));
    assert!(
        stderr.contains("pmdb: no debugger for 1 s; going on\n"),
        "{stderr}"
    );
    assert_eq!(usual_output(&stderr), USUAL);
    // The process is gone, and the connection with it.
    assert!(silent.closed());
}

// ---- Bounded reads -------------------------------------------------------

#[test]
fn garbage_pointers_corrupt_lengths_and_cycles_stay_bounded() {
    let demo = crash("corrupt");
    let s = demo.session();
    let before = s.stats().unwrap().bytes_read;
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    let run = tb.frame_named("run").unwrap();

    // Ten million elements: a page is capped, a full transfer is refused.
    let huge = run.local("huge").unwrap();
    assert_eq!(huge.children(0, u64::MAX).unwrap().len(), 10_000);
    assert_eq!(huge.children(u64::MAX, u64::MAX).unwrap().len(), 0);
    let e = huge.fetch::<Vec<u64>>().unwrap_err();
    assert_eq!(e.remote_kind(), Some(ErrorKind::Unavailable));
    assert_eq!(
        e.to_string(),
        "value too large to fetch (10000000 elements)"
    );
    // A length of 2^60 reads nothing; a garbage pointer reads as a marker.
    // (`lying` is rebound: the Vec itself is the shadowed binding.)
    let lying = run
        .locals()
        .unwrap()
        .into_iter()
        .find(|v| v.name() == "lying" && v.info.shadowed)
        .unwrap();
    assert_eq!(lying.len(), None);
    assert_eq!(lying.children(0, u64::MAX).unwrap().len(), 0);
    assert_eq!(
        run.eval("*garbage").unwrap().preview(),
        "<unreadable memory at 0xdead>"
    );
    // A cycle expands lazily forever, and a full transfer stops.
    let deep = format!("a{}.value.id", ".value.next.0".repeat(50));
    assert_eq!(run.eval(&deep).unwrap().preview(), "1");
    let e = run
        .local("a")
        .unwrap()
        .fetch::<serde_json::Value>()
        .unwrap_err();
    assert_eq!(e.to_string(), "value nested too deeply to fetch (a cycle?)");

    // All of that read a bounded amount of memory.
    let read = s.stats().unwrap().bytes_read - before;
    assert!(read < 16 << 20, "{read} bytes read");
    assert_eq!(run.local("huge").unwrap().len(), Some(10_000_000));
}

/// Source text travels with the crash, but only the files its own line
/// tables name, bounded: never an arbitrary path.
#[test]
fn source_requests_serve_only_the_programs_own_files() {
    let demo = crash("bank");
    let s = demo.session();
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    let withdraw = tb.frame_named("withdraw").unwrap();
    let text = withdraw.source(63, 64).unwrap();
    assert_eq!(
        (text.first_line, text.lines.as_slice(), text.truncated),
        (
            63,
            [
                "        panic!(".to_string(),
                "            \"insufficient funds: {} has {} but {memo} needs {amount}\","
                    .to_string()
            ]
            .as_slice(),
            false
        )
    );
    // The panic's own location, relative as std spells it, is the same file.
    assert_eq!(
        s.source("demo/src/bank.rs", 63, 63).unwrap().lines,
        ["        panic!("]
    );
    for path in [
        "/etc/passwd",
        "../../../../etc/passwd",
        "demo/src/../../Cargo.toml",
        "",
    ] {
        let e = s.source(path, 1, 3).unwrap_err();
        assert_eq!(e.remote_kind(), Some(ErrorKind::NotFound), "{path}: {e}");
        assert_eq!(
            e.to_string(),
            format!("{path} is not a source file of this program")
        );
    }
    s.resume().unwrap();
    assert_eq!(demo.wait().0.code(), Some(101));
}
