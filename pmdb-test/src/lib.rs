//! Crashes in your own tests.
//!
//! A panic inside a test itself: [`show_locals`] around the test's body
//! prints the locals of each frame of the test's own when it panics, and
//! [`crash_of`] hands back a [`Session`] on the panic for scripted checks
//! (see [`inside`]).
//!
//! A program the test starts: [`Crashed::run`] runs a program that links `debuggee-agent` with the agent
//! in wait mode and a private socket directory, waits until it crashes (its
//! normal end is an [`Error::Ended`]), and hands back a connected
//! [`wire::Session`] to inspect the frozen process by script. Dropping the
//! [`Crashed`] kills and reaps the program and removes the directory.
//!
//! ```no_run
//! use std::process::Command;
//! use pmdb_test::Crashed;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In an integration test: `Command::new(env!("CARGO_BIN_EXE_app"))`.
//! let crash = Crashed::run(Command::new("target/debug/app").arg("bad"))?;
//! assert_eq!(crash.info()?.message, "bad line 2: \"x\"");
//! let line: String = crash.frame("parse")?.local("line")?.fetch()?;
//! assert_eq!(line, "x");
//! # Ok(())
//! # }
//! ```

use std::io::{BufRead, BufReader};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub mod inside;

pub use inside::{Inside, crash_of, show_locals};
pub use wire::{CrashInfo, Frame, RemoteValue, Session, Traceback};

/// How long [`Crashed::run`] waits for the crash.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a crashed program could not be handed back.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The private socket directory could not be made.
    #[error("cannot create the socket directory {dir}: {source}")]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    /// The program could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    /// The program ended without crashing (or crashed without the agent).
    #[error("{program} ended ({status}) without a crash to inspect; its stderr:\n{stderr}")]
    Ended {
        program: String,
        status: ExitStatus,
        stderr: String,
    },
    /// The program neither crashed nor ended in time.
    #[error("{program} did not crash within {timeout:?}; its stderr so far:\n{stderr}")]
    TimedOut {
        program: String,
        timeout: Duration,
        stderr: String,
    },
    /// Talking to the agent failed, or what was asked for is not there.
    #[error(transparent)]
    Wire(#[from] wire::Error),
    /// The copy of the test could not be started or followed under ptrace.
    #[error(transparent)]
    Launch(#[from] engine::hosts::launch::LaunchError),
    /// The body ran in a copy of the test and did not panic.
    #[error("{test} did not panic when run again under pmdb ({exit})")]
    NoPanic { test: String, exit: String },
    /// [`crash_of`] and [`show_locals`] run on a test's own thread, which
    /// libtest names after the test.
    #[error("not on a test's thread (libtest names each test's thread after it)")]
    NotInATest,
}

/// A program that crashed and waits, frozen, for questions.
///
/// It derefs to its [`Session`]; on drop the program is killed and reaped.
pub struct Crashed {
    child: Child,
    session: Session,
    dir: PathBuf,
    stderr: Arc<Mutex<String>>,
}

impl Crashed {
    /// Runs `command` with the agent in wait mode, in a private socket
    /// directory, and waits up to [`DEFAULT_TIMEOUT`] for it to crash.
    ///
    /// The program's stderr is captured (see [`Crashed::stderr`]) and its
    /// stdin is closed; its stdout is as `command` says.
    pub fn run(command: &mut Command) -> Result<Crashed, Error> {
        Crashed::run_within(command, DEFAULT_TIMEOUT)
    }

    /// As [`Crashed::run`], waiting at most `timeout` for the crash.
    pub fn run_within(command: &mut Command, timeout: Duration) -> Result<Crashed, Error> {
        let program = command.get_program().to_string_lossy().into_owned();
        let dir = private_dir()?;
        let keeps_wait = command
            .get_envs()
            .any(|(k, v)| k == "PMDB_WAIT" && v.is_some());
        command
            .env("PMDB_MODE", "wait")
            .env("PMDB_DIR", &dir)
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        if !keeps_wait {
            // Longer than any test: the drop ends the program, not the agent.
            command.env("PMDB_WAIT", "3600");
        }
        let mut child = match command.spawn() {
            Ok(c) => c,
            Err(source) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(Error::Spawn { program, source });
            }
        };
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                    s.push_str(&line);
                    s.push('\n');
                }
            });
        }
        let socket = wire::socket::socket_path(&dir, child.id());
        let mut waiting = Waiting {
            child: Some(child),
            dir: dir.clone(),
        };
        let session = waiting.session(&socket, &program, timeout, &stderr)?;
        let child = waiting.child.take().expect("the child is still ours");
        Ok(Crashed {
            child,
            session,
            dir,
            stderr,
        })
    }

    /// The session with the crashed program.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The crashed program's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the program wrote to stderr so far (its panic message comes
    /// after the crash is let go, so it is not there yet).
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The crash record: message, location, crashed thread, signal.
    pub fn info(&self) -> Result<CrashInfo, Error> {
        Ok(self.session.crash()?)
    }

    /// The crashed thread's traceback, innermost frame first.
    pub fn traceback(&self) -> Result<Traceback, Error> {
        let thread = self.session.crash()?.thread;
        Ok(self.session.traceback(thread)?)
    }

    /// The innermost frame of the crashed thread whose function's last path
    /// segment is `function` (`parse` names `app::config::parse`).
    pub fn frame(&self, function: &str) -> Result<Frame, Error> {
        Ok(self.traceback()?.frame_named(function)?)
    }

    /// The innermost frame of the crashed thread that is not runtime
    /// machinery (panic handling, std's entry points): where it crashed.
    pub fn crashed_frame(&self) -> Result<Frame, Error> {
        let traceback = self.traceback()?;
        traceback
            .user_frames()
            .next()
            .cloned()
            .ok_or_else(|| wire::Error::NotFound("no frame of the program's own".into()).into())
    }

    /// Lets the program go on to its usual end (its panic output and exit
    /// status) and waits for it.
    pub fn resume(mut self) -> Result<(ExitStatus, String), Error> {
        self.session.resume()?;
        let status = self.child.wait().map_err(wire::Error::Io)?;
        drained(&self.stderr);
        Ok((status, self.stderr()))
    }
}

impl std::ops::Deref for Crashed {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

impl Drop for Crashed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A started program not yet crashed: killed, reaped and cleaned up if it
/// never gets that far.
struct Waiting {
    child: Option<Child>,
    dir: PathBuf,
}

impl Waiting {
    fn session(
        &mut self,
        socket: &Path,
        program: &str,
        timeout: Duration,
        stderr: &Arc<Mutex<String>>,
    ) -> Result<Session, Error> {
        let stderr_now = || stderr.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let child = self.child.as_mut().expect("the child is still ours");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().map_err(wire::Error::Io)? {
                // Let the reader drain what the program said last.
                drained(stderr);
                return Err(Error::Ended {
                    program: program.to_string(),
                    status,
                    stderr: stderr_now(),
                });
            }
            if socket.exists() {
                match Session::connect(socket) {
                    Ok(s) => return Ok(s),
                    // Bound but not yet listening: try again shortly.
                    Err(wire::Error::Io(_)) if Instant::now() < deadline => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if Instant::now() >= deadline {
                return Err(Error::TimedOut {
                    program: program.to_string(),
                    timeout,
                    stderr: stderr_now(),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Waits (up to 5 s) for the stderr reader to see the end of the pipe,
/// which it does once the program, and whatever inherited its stderr, ended.
fn drained(stderr: &Arc<Mutex<String>>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && Arc::strong_count(stderr) > 1 {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A fresh directory only this user can enter, for the agent's socket.
fn private_dir() -> Result<PathBuf, Error> {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pmdb-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|source| Error::Dir {
            dir: dir.clone(),
            source,
        })?;
    Ok(dir)
}
