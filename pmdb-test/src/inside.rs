//! Crashes inside a test itself: [`show_locals`] prints the locals of a
//! panic in the test's own code, [`crash_of`] hands back a [`Session`] on
//! it for scripted checks.
//!
//! A process cannot trace itself, so the test runs once more: its binary
//! again with only this test (`NAME --exact`, the name libtest gives the
//! test's thread), under pmdb's launcher (ptrace, stopped at the panic
//! before anything unwinds, as `pmdb run` does), with [`INSIDE`] naming the
//! test. There the body runs and panics; here the copy is inspected, then
//! killed. The body runs once, in the copy; its output there is dropped
//! (pmdb shows the panic here).

use std::ffi::OsString;
use std::os::fd::AsFd;

use engine::hosts::launch::{self, Event, Options, Tracee};
use wire::{CrashInfo, Frame, Session, Traceback};

use crate::Error;

/// Set in the copy of the test binary: the test whose body runs there.
pub const INSIDE: &str = "PMDB_TEST_INSIDE";

/// Runs `body`; if it panics, the test fails with the same message and
/// prints, under it, the locals of each frame of the test's own at the
/// panic (the test function, the helper that asserted, …). A body that
/// does not panic passes. pmdb's own failures (no ptrace here, …) fail the
/// test with their reason.
///
/// ```no_run
/// #[test]
/// fn totals_add_up() {
///     pmdb_test::show_locals(|| {
///         let prices = vec![3, 4];
///         assert_eq!(prices.iter().sum::<u32>(), 8);
///     });
/// }
/// ```
pub fn show_locals(body: impl FnOnce()) {
    if in_the_copy() {
        body();
        return;
    }
    let crash = match crash_of_copy() {
        Ok(c) => c,
        Err(Error::NoPanic { .. }) => return,
        Err(e) => panic!("pmdb-test: {e}"),
    };
    let text = match crash.locals_text() {
        Ok(t) => t,
        Err(e) => format!("pmdb-test: the locals could not be read: {e}\n"),
    };
    let info = crash.info.clone();
    drop(crash);
    let at = match (&info.file, info.line, info.column) {
        (Some(f), Some(l), Some(c)) => format!(" at {f}:{l}:{c}"),
        _ => String::new(),
    };
    // As libtest captures it: the test's output, then its failure.
    print!(
        "thread '{}' panicked{at}:\n{}\n{text}",
        info.thread_name, info.message
    );
    // No second panic line: the payload alone, which `should_panic`
    // matches as it would the original.
    std::panic::resume_unwind(Box::new(info.message));
}

/// Runs `body` in a copy of this test under pmdb and hands back its
/// panic, held where it panicked: ask it for frames and locals as of any
/// [`Session`]. In the copy, where `body` runs, this never returns: a body
/// that does not panic ends the copy, and here that is [`Error::NoPanic`].
///
/// ```no_run
/// #[test]
/// fn the_helper_saw_seven() -> Result<(), pmdb_test::Error> {
///     let crash = pmdb_test::crash_of(|| {
///         let prices = vec![3, 4];
///         assert_eq!(prices.iter().sum::<u32>(), 8);
///     })?;
///     let got: Vec<u32> = crash.crashed_frame()?.local("prices")?.fetch()?;
///     assert_eq!(got, [3, 4]);
///     Ok(())
/// }
/// ```
pub fn crash_of(body: impl FnOnce()) -> Result<Inside, Error> {
    if in_the_copy() {
        body();
        // The body did not panic: the copy ends as a passing test would.
        std::process::exit(0);
    }
    crash_of_copy()
}

/// A panic in a copy of the test, held by pmdb where it panicked. Derefs
/// to its [`Session`]; dropping it kills the copy.
pub struct Inside {
    // Dropped first: the session before the process it reads.
    session: Session,
    /// The crash record: message, location, thread.
    pub info: CrashInfo,
    tracee: Tracee,
}

impl Inside {
    /// The panicking thread's traceback, innermost frame first.
    pub fn traceback(&self) -> Result<Traceback, Error> {
        Ok(self.session.traceback(self.info.thread)?)
    }

    /// The innermost frame of the panicking thread whose function's last
    /// path segment is `function`.
    pub fn frame(&self, function: &str) -> Result<Frame, Error> {
        Ok(self.traceback()?.frame_named(function)?)
    }

    /// The innermost frame of the test's own (not std's panic machinery).
    pub fn crashed_frame(&self) -> Result<Frame, Error> {
        self.traceback()?
            .user_frames()
            .next()
            .cloned()
            .ok_or_else(|| wire::Error::NotFound("no frame of the test's own".into()).into())
    }

    /// The copy's pid.
    pub fn pid(&self) -> u32 {
        self.tracee.pid()
    }

    /// Each frame of the body with its locals, as [`show_locals`] prints
    /// them (those of the test function around it left out).
    pub fn locals_text(&self) -> Result<String, Error> {
        let here = std::env::current_dir()
            .map(|d| format!("{}/", d.display()))
            .unwrap_or_default();
        let threads = engine::crash::report::walk(&self.session, 1)?;
        let thread = threads
            .iter()
            .find(|t| t.id == self.info.thread)
            .ok_or_else(|| wire::Error::NotFound("the panicking thread".into()))?;
        // The body's frames: up to pmdb-test's own call of it.
        let user: Vec<_> = thread
            .frames
            .iter()
            .take_while(|f| !f.function.starts_with("pmdb_test::"))
            .filter(|f| !f.runtime)
            .collect();
        let mut out = String::from("---- locals (pmdb) ----\n");
        for f in user {
            engine::crash::report::text_test_frame(&mut out, f, &here);
        }
        Ok(out)
    }
}

impl std::ops::Deref for Inside {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let _ = self.tracee.kill();
    }
}

/// Whether this process is the copy, running this thread's test.
fn in_the_copy() -> bool {
    let name = std::thread::current().name().map(str::to_string);
    std::env::var(INSIDE).ok().is_some_and(|t| Some(t) == name)
}

/// The copy of this test, run under the launcher up to its panic.
fn crash_of_copy() -> Result<Inside, Error> {
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .ok_or(Error::NotInATest)?
        .to_string();
    let exe = std::env::current_exe().map_err(wire::Error::Io)?;
    let mut options = Options::default();
    options.env.push((INSIDE.into(), test.clone().into()));
    if launch::links_agent(&exe) {
        options.env.push(("PMDB_MODE".into(), "off".into()));
    }
    let command: [OsString; 4] = [
        exe.into(),
        test.clone().into(),
        "--exact".into(),
        "--test-threads=1".into(),
    ];
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .map_err(wire::Error::Io)?;
    let mut tracee = Tracee::start_writing_to(&command, options, Some(null.as_fd()))?;
    match tracee.run_on()? {
        Event::Exited(exit) => Err(Error::NoPanic {
            test,
            exit: exit.to_string(),
        }),
        Event::Stopped(stop) => {
            let (session, _) = stop.serve_crashed_thread()?;
            let info = session.crash()?;
            Ok(Inside {
                session,
                info,
                tracee,
            })
        }
    }
}
