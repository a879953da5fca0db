//! Crash capture for panics: a panic hook that records the message, payload
//! type, location and thread, captures the crashed thread's machine frames
//! while it stands, then hands the crash to the configured mode. Whatever the
//! agent does, the usual panic output and exit status follow.

use std::panic::PanicHookInfo;

use engine::crash::serve::Verdict;
use engine::{Crash, Stack, Thread};
use wire::{CrashInfo, CrashKind};

use crate::config::{Config, Mode};

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

/// Installs the panic hook in front of the current one.
pub fn install(config: Config) {
    let previous: Hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| on_panic(&config, info, &previous)));
}

fn on_panic(config: &Config, info: &PanicHookInfo<'_>, previous: &Hook) {
    let thread = std::thread::current();
    if thread.name().is_some_and(|n| n.starts_with("pmdb-agent")) {
        // A bug inside the agent: contained by its caller, reported briefly.
        eprintln!("pmdb: internal error in the agent: {info}");
        return;
    }
    let frames = crate::live::capture_frames();
    let mut info_record = record(info);
    info_record.thread_name = thread.name().unwrap_or("<unnamed>").to_string();
    let crash = Crash {
        threads: vec![Thread {
            id: info_record.thread,
            name: info_record.thread_name.clone(),
            stack: Stack::Unwound(frames),
        }],
        info: info_record,
    };
    if config.mode == Mode::Off {
        return previous(info);
    }
    crate::state::note_panic_served();
    let verdict = crate::respond::handle(config, crash, None);
    previous(info);
    if verdict == Some(Verdict::Kill) {
        std::process::exit(101);
    }
}

fn record(info: &PanicHookInfo<'_>) -> CrashInfo {
    let payload = info.payload();
    let (message, payload_type) = if let Some(s) = payload.downcast_ref::<&str>() {
        (s.to_string(), "&str")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        (s.clone(), "String")
    } else {
        ("Box<dyn Any>".to_string(), "Box<dyn Any>")
    };
    let location = info
        .location()
        .map(|l| (l.file().to_string(), l.line(), Some(l.column())));
    crate::live::record(
        CrashKind::Panic,
        message,
        Some(payload_type.to_string()),
        location,
        crate::live::current_tid(),
    )
}
