//! Running programs that never link the agent (`demo-live`, the tokio
//! live demo, C programs), for the tests of live snapshots through ptrace:
//! start one, wait for its `ready` line, talk to it over stdin/stdout, and
//! check from `/proc` that every thread is traced by whom it should be (or
//! by nobody, and not stopped).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running program that answers lines on stdin.
pub struct Live {
    child: Option<Child>,
    pub pid: u32,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Live {
    /// Starts `program args…` and waits for its `ready PID` line.
    pub fn start(program: &Path, args: &[&str]) -> Live {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
        let pid = child.id();
        let mut live = Live {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().expect("stdout")),
            child: Some(child),
            pid,
        };
        let line = live.line();
        assert_eq!(line, format!("ready {pid}"), "{}", program.display());
        live
    }

    /// The next line the program prints.
    pub fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read the program");
        line.trim_end().to_string()
    }

    /// Sends `line` and returns the program's one-line answer.
    pub fn ask(&mut self, line: &str) -> String {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").expect("write to the program");
        stdin.flush().expect("flush");
        self.line()
    }

    /// Sends `quit`; the program's last line and exit status.
    pub fn quit(mut self) -> (String, ExitStatus) {
        let mut stdin = self.stdin.take().expect("stdin open");
        let _ = writeln!(stdin, "quit");
        drop(stdin);
        let last = self.line();
        (last, self.wait())
    }

    /// Waits (at most 60 s) for the program to end.
    pub fn wait(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("not waited yet");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(s) = child.try_wait().expect("wait") {
                return s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the program did not end");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Each thread's (tid, state letter, TracerPid) from `/proc`.
    pub fn threads(&self) -> Vec<(u32, char, u32)> {
        threads_of(self.pid)
    }

    /// Asserts no thread is traced or stopped: the process runs as before.
    pub fn assert_untouched(&self) {
        assert_untouched(self.pid);
    }

    /// Waits (at most 60 s) until every thread is traced by a thread of
    /// process `tracer` and stopped under it (state `t`).
    pub fn wait_held_by(&self, tracer: u32) {
        wait_until(|| {
            let t = self.threads();
            !t.is_empty()
                && t.iter()
                    .all(|&(_, s, by)| s == 't' && tgid(by) == Some(tracer))
        });
    }

    /// Waits (at most 60 s) until every thread is in state `state`.
    pub fn wait_state(&self, state: char) {
        wait_until(|| {
            let t = self.threads();
            !t.is_empty() && t.iter().all(|&(_, s, _)| s == state)
        });
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Each thread of `pid`: (tid, state letter, TracerPid).
pub fn threads_of(pid: u32) -> Vec<(u32, char, u32)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut out: Vec<(u32, char, u32)> = dir
        .filter_map(|e| {
            let tid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let status = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?;
            let field = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().to_string())
            };
            let state = field("State:")?.chars().next()?;
            let tracer = field("TracerPid:")?.parse().ok()?;
            Some((tid, state, tracer))
        })
        .collect();
    out.sort_unstable();
    out
}

/// The process thread `tid` belongs to (`TracerPid` names a thread).
pub fn tgid(tid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))?
        .trim()
        .parse()
        .ok()
}

/// Asserts no thread of `pid` is traced or stopped.
pub fn assert_untouched(pid: u32) {
    let threads = threads_of(pid);
    assert!(!threads.is_empty(), "pid {pid} is gone");
    for (tid, state, tracer) in threads {
        assert_eq!(tracer, 0, "thread {tid} of {pid} is still traced");
        assert!(
            state != 't' && state != 'T',
            "thread {tid} of {pid} is left stopped ({state})"
        );
    }
}

/// Polls `ready` every millisecond until it holds (at most 60 s).
pub fn wait_until(mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "gave up waiting");
        std::thread::sleep(Duration::from_millis(1));
    }
}
