//! What the agent does with a crash, as `PMDB_MODE` says: print a report,
//! save a core file, or open the socket, freeze the other threads and serve a debugger until
//! it says resume or kill (or `PMDB_WAIT` runs out). One crash is served at
//! a time; a crash in another thread meanwhile is recorded and waits.

use std::sync::Mutex;

use corefile::SigInfo;
use engine::crash::serve::Verdict;
use engine::{Crash, Inspector, LaterCrash, Stack};

use crate::config::{Config, Mode};
use crate::server;

/// One crash (or live snapshot) is served at a time; a second crashing
/// thread waits its turn.
static SERVING: Mutex<()> = Mutex::new(());

/// The turn to serve, if nothing is being served now.
pub fn try_turn() -> Option<std::sync::MutexGuard<'static, ()>> {
    match SERVING.try_lock() {
        Ok(turn) => Some(turn),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// Reports or serves a crash as the mode says; in wait mode, returns how
/// serving ended (`None` when the agent could not serve).
pub fn handle(config: &Config, crash: Crash, signal: Option<SigInfo>) -> Option<Verdict> {
    match config.mode {
        Mode::Off => None,
        Mode::Core => {
            let _turn = SERVING.lock().unwrap_or_else(|p| p.into_inner());
            let mut crash = crash;
            crash
                .threads
                .extend(crate::freeze::stop_others(crash.info.thread));
            save(config, &crash, signal);
            crate::freeze::release();
            None
        }
        Mode::Minidump => {
            let _turn = SERVING.lock().unwrap_or_else(|p| p.into_inner());
            let mut crash = crash;
            crash
                .threads
                .extend(crate::freeze::stop_others(crash.info.thread));
            let saved = crate::save::save_minidump(&config.dir, &crash, signal);
            crate::freeze::release();
            match saved {
                Ok(path) => crate::freeze::write_stderr(&format!(
                    "pmdb: saved the crash to {} (open it with `pmdb open {}`)\n",
                    path.display(),
                    path.display()
                )),
                Err(e) => {
                    crate::freeze::write_stderr(&format!("pmdb: could not save the crash: {e}\n"))
                }
            }
            None
        }
        Mode::Report => {
            let done = std::thread::Builder::new()
                .name("pmdb-agent-report".into())
                .spawn(move || crate::report::print(Inspector::new(crate::live::engine(), crash)))
                .map(|h| h.join());
            if !matches!(done, Ok(Ok(()))) {
                eprintln!("pmdb: could not print the crash report");
            }
            None
        }
        Mode::Wait => {
            let _turn = match SERVING.try_lock() {
                Ok(turn) => turn,
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {
                    // Another crash is being served: record this one so the
                    // debugger sees it now, then wait to serve it in turn.
                    let frames = match crash.threads.first().map(|t| &t.stack) {
                        Some(Stack::Unwound(f)) => f.clone(),
                        _ => Vec::new(),
                    };
                    crate::state::push_later(LaterCrash {
                        info: crash.info.clone(),
                        frames,
                    });
                    SERVING.lock().unwrap_or_else(|p| p.into_inner())
                }
            };
            let tid = crash.info.thread;
            let verdict = wait_for_debugger(config, crash, signal);
            crate::state::forget_later(tid);
            verdict
        }
    }
}

/// Opens the socket, says how to attach, and serves until a verdict.
fn wait_for_debugger(config: &Config, crash: Crash, signal: Option<SigInfo>) -> Option<Verdict> {
    let pid = crash.info.pid;
    let mut crash = crash;
    // Every thread frozen before the socket appears: a debugger that
    // attaches at once finds the heap still.
    crash
        .threads
        .extend(crate::freeze::stop_others(crash.info.thread));
    // Said before the socket appears, so whoever attaches has read it.
    let unfrozen = crash
        .threads
        .iter()
        .filter(|t| t.name.contains(" (not frozen: "))
        .count();
    if unfrozen > 0 {
        crate::freeze::write_stderr(&format!(
            "pmdb: {unfrozen} threads were not frozen and go on running (listed as such)\n"
        ));
    }
    let bound = match server::bind(&config.dir, pid) {
        Ok(b) => b,
        Err(e) => {
            crate::freeze::write_stderr(&format!("pmdb: cannot wait for a debugger: {e}\n"));
            crate::freeze::release();
            return None;
        }
    };
    // Written past stderr's lock: a frozen thread may hold it.
    crate::freeze::write_stderr(&format!(
        "pmdb: thread '{}' {}; inspect it with `pmdb attach {pid}` (socket {}, waiting {} s)\n",
        crash.info.thread_name,
        match crash.info.kind {
            wire::CrashKind::Panic => "panicked".to_string(),
            wire::CrashKind::Signal => format!("crashed: {}", crash.info.message),
            wire::CrashKind::Snapshot => format!("stopped: {}", crash.info.message),
        },
        bound.path.display(),
        config.wait.as_secs_f64()
    ));
    let (wait, client_timeout) = (config.wait, config.client_timeout);
    crate::keep::publish(&crash, signal);
    // Built inline, never a local of this frame, which lives while the
    // crash is served (see `server::Shared`).
    let shared = server::share(
        Inspector::new(crate::live::engine(), crash),
        client_timeout,
        crate::save::saver(signal),
    );
    let served = std::thread::Builder::new()
        .name("pmdb-agent".into())
        .spawn(move || server::serve(bound, shared, server::Until::Idle(wait), client_timeout))
        .map(|h| h.join());
    let result = match served {
        Ok(Ok((v, crash, attached))) => {
            if v == Verdict::TimedOut {
                crate::freeze::write_stderr(&format!(
                    "pmdb: no debugger for {} s; going on\n",
                    wait.as_secs_f64()
                ));
                if !attached {
                    // Nobody looked: keep the crash, so nothing is lost.
                    save(config, &crash, signal);
                }
            }
            Some(v)
        }
        _ => {
            crate::freeze::write_stderr("pmdb: the agent failed while serving; going on\n");
            None
        }
    };
    crate::freeze::release();
    result
}

/// Saves the crash as a core and says where, in one line.
fn save(config: &Config, crash: &Crash, signal: Option<SigInfo>) {
    match crate::save::save(&config.dir, crash, signal, config.compression, config.core) {
        Ok(path) => crate::freeze::write_stderr(&format!(
            "pmdb: saved the crash to {} (open it with `pmdb open {}`)\n",
            path.display(),
            path.display()
        )),
        Err(e) => crate::freeze::write_stderr(&format!("pmdb: could not save the crash: {e}\n")),
    }
}
