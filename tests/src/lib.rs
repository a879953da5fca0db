//! Helpers for the end-to-end tests: start a demo scenario as a real process
//! with the agent in wait mode and a private socket directory, wait until it
//! has crashed and is serving, and clean up whatever happens.
//!
//! The programs they run are built by the tests themselves, the first time
//! one is asked for ([`fixtures`]).

pub mod bench;
pub mod dap;
pub mod fixtures;
pub mod live;
pub mod sshd;
pub mod tmux;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use fixtures::{Fixture, bin, target_dir, workspace_root};

/// A binary of another profile's build (`cargo build --workspace --profile
/// P --bin NAME`), built if this run has not built it yet.
pub fn profile_bin(profile: &str, name: &str) -> PathBuf {
    Fixture::Profile { profile, bin: name }.path()
}

/// A binary of the optimized-with-debug-info build (profile `release-debug`).
pub fn optimized_bin(name: &str) -> PathBuf {
    profile_bin("release-debug", name)
}

/// A fresh private directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "pmdb-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `demo-tokio-current`, `-older` or `-oldest` (`version`), built into
/// `target/outside` if this run has not built it yet.
pub fn tokio_demo(version: &str) -> PathBuf {
    fixtures::tokio(version).path()
}

/// The number (from 1) of the first line of the repository's `file` that
/// contains `text`: a test names a line by what it says, not by a number
/// that moves when the file does.
pub fn line_containing(file: &str, text: &str) -> u32 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file);
    let source = std::fs::read_to_string(&path).expect("read a demo's source");
    let index = source
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no line of {file} contains {text:?}"));
    index as u32 + 1
}

/// A demo process that crashed and waits for a debugger.
pub struct Crashed {
    child: Option<Child>,
    pub pid: u32,
    pub socket: PathBuf,
    pub dir: TempDir,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
    /// Directories the crash reads from, removed with it.
    keep: Vec<TempDir>,
}

/// Runs `demo <scenario>` in wait mode and returns once its socket is up.
pub fn crash(scenario: &str) -> Crashed {
    crash_with(scenario, &[])
}

/// As [`crash`], with extra environment variables.
pub fn crash_with(scenario: &str, env: &[(&str, &str)]) -> Crashed {
    crash_program(&bin("demo"), &[scenario], scenario, env)
}

/// `demo declared` with `views` as the one views file it reads (none of
/// the user's own): the crash, and the file's path (kept while the crash is).
pub fn crash_with_views(views: &str) -> (Crashed, PathBuf) {
    let dir = TempDir::new("views");
    let file = dir.0.join("views.toml");
    std::fs::write(&file, views).expect("write a views file");
    let mut crashed = crash_with(
        "declared",
        &[
            ("PMDB_VIEWS", file.to_str().unwrap()),
            ("XDG_CONFIG_HOME", dir.0.to_str().unwrap()),
        ],
    );
    crashed.keep.push(dir);
    (crashed, file)
}

/// As [`crash`], with the optimized build of the demo.
pub fn crash_optimized(scenario: &str) -> Crashed {
    crash_program(&fixtures::DEMO_OPTIMIZED.path(), &[scenario], scenario, &[])
}

/// As [`crash`], with the demo built with `panic = "abort"` (profile `panic-abort`).
pub fn crash_panic_abort(scenario: &str) -> Crashed {
    crash_program(
        &fixtures::DEMO_PANIC_ABORT.path(),
        &[scenario],
        scenario,
        &[],
    )
}

/// Runs `program args…` (a demo binary, or a wrapper that `exec`s one, so
/// the pid stays the same) in wait mode and returns once its socket is up.
pub fn crash_program(
    program: &Path,
    args: &[&str],
    scenario: &str,
    env: &[(&str, &str)],
) -> Crashed {
    let dir = TempDir::new(scenario);
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("PMDB_MODE", "wait")
        .env("PMDB_DIR", &dir.0)
        // Longer than any test: the demo is killed when `Crashed` drops.
        // A shorter wait failed tests whose next step built `pmdb` first
        // (one test alone on a fresh clone), or ran on a loaded machine,
        // when the agent gave up on an idle minute and went on.
        .env("PMDB_WAIT", "3600")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn demo");
    let pid = child.id();
    let stderr = Arc::new(Mutex::new(String::new()));
    let pipe = child.stderr.take().expect("stderr pipe");
    let sink = stderr.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    let sockets = env
        .iter()
        .find(|(k, _)| *k == "PMDB_DIR")
        .map_or_else(|| dir.0.clone(), |(_, v)| PathBuf::from(v));
    let socket = sockets.join(format!("{pid}.sock"));
    let mut crashed = Crashed {
        child: Some(child),
        pid,
        socket,
        dir,
        stderr,
        reader: Some(reader),
        keep: Vec::new(),
    };
    // A guard against a demo that never serves, not a measure of how soon
    // it does: ten minutes, far past any loaded machine's start.
    let deadline = Instant::now() + Duration::from_secs(600);
    while !crashed.socket.exists() {
        if let Some(status) = crashed.child.as_mut().unwrap().try_wait().unwrap() {
            panic!(
                "demo {scenario} ended ({status}) without serving:\n{}",
                crashed.stderr()
            );
        }
        assert!(
            Instant::now() < deadline,
            "demo {scenario} did not open its socket:\n{}",
            crashed.stderr()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    crashed
}

impl Crashed {
    /// A client session over the real socket.
    pub fn session(&self) -> wire::Session {
        wire::Session::connect(self.socket.as_path()).expect("connect to the agent")
    }

    /// What the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for the process to end; its exit status and all of stderr.
    pub fn wait(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the demo did not end:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        (status, self.stderr())
    }
}

impl Drop for Crashed {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The file the agent says it saved a crash to (`pmdb: saved the crash to
/// PATH (open it with …)` on its stderr), or a panic showing that stderr.
pub fn saved_crash(stderr: &str) -> PathBuf {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("pmdb: saved the crash to "))
        .and_then(|l| l.split(" (open it with").next())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no saved crash named on stderr:\n{stderr}"))
}

/// Runs `demo SCENARIO` with the agent writing a minidump; its path.
pub fn agent_minidump(scenario: &str, dir: &Path) -> PathBuf {
    let mut cmd = Command::new(bin("demo"));
    cmd.arg(scenario)
        .env("PMDB_MODE", "minidump")
        .env("PMDB_DIR", dir)
        .env("RUST_BACKTRACE", "0");
    let (_, stderr, _) = run_to_end(cmd, Duration::from_secs(60));
    let saved = saved_crash(&stderr);
    assert!(
        saved.extension().is_some_and(|e| e == "dmp"),
        "{}",
        saved.display()
    );
    saved
}

/// Runs `cmd` to its end, failing the test after `limit`; (status, stderr,
/// how long it ran).
pub fn run_to_end(mut cmd: Command, limit: Duration) -> (ExitStatus, String, Duration) {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut pipe = child.stderr.take().expect("stderr pipe");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut pipe, &mut s);
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}: {}", reader.join().unwrap());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    (status, reader.join().unwrap(), took)
}

/// Runs `pmdb` with `args`; (status, stdout, stderr).
pub fn pmdb(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> (ExitStatus, String, String) {
    let mut cmd = Command::new(bin("pmdb"));
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run pmdb");
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `pmdb report ARGS… --json --depth 2`, which must succeed, as JSON.
pub fn report_json(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> serde_json::Value {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", "--depth", "2"]);
    let (status, stdout, stderr) = pmdb(&all, env);
    assert!(status.success(), "pmdb {all:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

/// `value` with every address of five hex digits or more blanked to `0x…`:
/// what differs between two runs or two builds of the same program.
pub fn blank_addresses(value: serde_json::Value) -> serde_json::Value {
    let text = serde_json::to_string(&value).unwrap();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("0x") {
        out.push_str(&rest[..i + 2]);
        rest = &rest[i + 2..];
        let hex = rest.chars().take_while(char::is_ascii_hexdigit).count();
        out.push_str(if hex >= 5 { "…" } else { &rest[..hex] });
        rest = &rest[hex..];
    }
    out.push_str(rest);
    serde_json::from_str(&out).unwrap()
}
