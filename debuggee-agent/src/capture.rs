//! Crash capture for panics: a panic hook that records the message, payload
//! type, location and thread, captures the crashed thread's machine frames
//! while it stands, then hands the crash to the configured mode. Whatever the
//! agent does, the usual panic output and exit status follow.

use std::panic::PanicHookInfo;
use std::sync::Mutex;

use wire::{CrashInfo, CrashKind};

use crate::config::{Config, Mode};
use crate::inspect::{Crash, Inspector};
use crate::server::{self, Verdict};

/// One machine frame: instruction pointer, stack pointer, and whatever
/// other registers are known for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFrame {
    pub ip: u64,
    pub sp: u64,
    /// `ip` is the faulting instruction itself, not a return address.
    pub exact: bool,
    pub regs: crate::unwind::Regs,
}

/// Most machine frames captured per thread.
const MAX_FRAMES: usize = 1024;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

/// Installs the panic hook in front of the current one.
pub fn install(config: Config) {
    let previous: Hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| on_panic(&config, info, &previous)));
}

/// One crash is served at a time; a second panicking thread waits its turn.
static SERVING: Mutex<()> = Mutex::new(());
/// Crashes that happened while another was being served, waiting their turn.
static LATER: Mutex<Vec<Crash>> = Mutex::new(Vec::new());

/// The crashes recorded while another was being served.
pub(crate) fn later_crashes() -> Vec<Crash> {
    let mut out = LATER.lock().unwrap_or_else(|p| p.into_inner()).clone();
    out.extend(crate::signals::late_crashes());
    out
}

fn on_panic(config: &Config, info: &PanicHookInfo<'_>, previous: &Hook) {
    let thread = std::thread::current();
    if thread.name().is_some_and(|n| n.starts_with("pmdb-agent")) {
        // A bug inside the agent: contained by its caller, reported briefly.
        eprintln!("pmdb: internal error in the agent: {info}");
        return;
    }
    let frames = capture_frames();
    let crash = Crash {
        info: record(info, thread.name().unwrap_or("<unnamed>")),
        frames,
        others: Vec::new(),
    };
    if config.mode == Mode::Off {
        return previous(info);
    }
    crate::signals::note_panic_served();
    let verdict = handle(config, crash);
    previous(info);
    if verdict == Some(Verdict::Kill) {
        std::process::exit(101);
    }
}

/// Reports or serves a crash as the mode says; in wait mode, returns how
/// serving ended (`None` when the agent could not serve).
pub(crate) fn handle(config: &Config, crash: Crash) -> Option<Verdict> {
    match config.mode {
        Mode::Off => None,
        Mode::Report => {
            let done = std::thread::Builder::new()
                .name("pmdb-agent-report".into())
                .spawn(move || crate::report::print(&Inspector::new(crash)))
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
                    LATER
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(crash.clone());
                    SERVING.lock().unwrap_or_else(|p| p.into_inner())
                }
            };
            let tid = crash.info.thread;
            let verdict = wait_for_debugger(config, crash);
            LATER
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|c| c.info.thread != tid);
            verdict
        }
    }
}

/// Opens the socket, says how to attach, and serves until a verdict.
fn wait_for_debugger(config: &Config, crash: Crash) -> Option<Verdict> {
    let pid = crash.info.pid;
    let bound = match server::bind(&config.dir, pid) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("pmdb: cannot wait for a debugger: {e}");
            return None;
        }
    };
    eprintln!(
        "pmdb: thread '{}' {}; inspect it with `pmdb attach {pid}` (socket {}, waiting {} s)",
        crash.info.thread_name,
        match crash.info.kind {
            wire::CrashKind::Panic => "panicked".to_string(),
            wire::CrashKind::Signal => format!("crashed: {}", crash.info.message),
        },
        bound.path.display(),
        config.wait.as_secs_f64()
    );
    let (wait, client_timeout) = (config.wait, config.client_timeout);
    let mut crash = crash;
    // After the attach line: a frozen thread may hold stderr's lock.
    crash.others = crate::freeze::stop_others(crash.info.thread);
    let served = std::thread::Builder::new()
        .name("pmdb-agent".into())
        .spawn(move || server::serve(bound, Inspector::new(crash), wait, client_timeout))
        .map(|h| h.join());
    crate::freeze::release();
    match served {
        Ok(Ok(v)) => {
            if v == Verdict::TimedOut {
                eprintln!("pmdb: no debugger for {} s; going on", wait.as_secs_f64());
            }
            Some(v)
        }
        _ => {
            eprintln!("pmdb: the agent failed while serving; going on");
            None
        }
    }
}

/// The calling thread's machine frames, unwound with our own CFI evaluation
/// from the registers here, so callee-saved registers are known per frame.
pub(crate) fn capture_frames() -> Vec<RawFrame> {
    let regs = crate::unwind::capture_registers();
    crate::unwind::unwind(regs, MAX_FRAMES)
        .into_iter()
        .map(|r| RawFrame {
            ip: r[crate::unwind::RIP].unwrap_or(0),
            sp: r[crate::unwind::RSP].unwrap_or(0),
            exact: false,
            regs: r,
        })
        .collect()
}

fn record(info: &PanicHookInfo<'_>, thread_name: &str) -> CrashInfo {
    let payload = info.payload();
    let (message, payload_type) = if let Some(s) = payload.downcast_ref::<&str>() {
        (s.to_string(), "&str")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        (s.clone(), "String")
    } else {
        ("Box<dyn Any>".to_string(), "Box<dyn Any>")
    };
    let location = info.location();
    CrashInfo {
        kind: CrashKind::Panic,
        message,
        payload_type: Some(payload_type.to_string()),
        file: location.map(|l| l.file().to_string()),
        line: location.map(|l| l.line()),
        column: location.map(|l| l.column()),
        thread: current_tid(),
        thread_name: thread_name.to_string(),
        pid: std::process::id(),
        program: program_name(),
        time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    }
}

/// The kernel's id of the calling thread, from `/proc/thread-self`.
pub(crate) fn current_tid() -> u64 {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name()?.to_str()?.parse().ok())
        .unwrap_or(0)
}

pub(crate) fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "<unknown>".into())
}
