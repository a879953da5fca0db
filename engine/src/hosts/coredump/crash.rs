//! A core's crash record: pmdb's own note (the agent's cores), else the
//! agent's static in the core's memory (a `gcore` of a frozen crash), else
//! the kernel's `NT_SIGINFO` and each thread's registers.

use std::path::Path;

use corefile::Core;
use wire::CrashKind;

use crate::crash::engine::Engine;
use crate::crash::record::{self, CrashRecord};
use crate::memory::process::{Crash, LaterCrash, Regs, Stack, Thread};

/// The crash a core records, and the crashes recorded while it was served.
pub fn of_core(core: &Core, engine: &Engine, path: &Path) -> (Crash, Vec<LaterCrash>) {
    if let Some(note) = core.note(record::NOTE_NAME, record::NOTE_TYPE)
        && let Ok(r) = CrashRecord::from_bytes(note)
    {
        return r.into_crash();
    }
    if let Some(r) = from_static(engine) {
        return r.into_crash();
    }
    (from_signal(core, engine, path), Vec::new())
}

/// The record the agent keeps in memory while it serves a crash.
pub(super) fn from_static(engine: &Engine) -> Option<CrashRecord> {
    let exe = engine.executable()?;
    let data = crate::dwarf::debug_files::map(std::path::Path::new(&exe.path))?;
    let file = object::File::parse(&*data).ok()?;
    let sym = object::Object::symbols(&file)
        .find(|s| object::ObjectSymbol::name(s) == Ok(record::STATIC_SYMBOL))?;
    let at = object::ObjectSymbol::address(&sym).wrapping_add(exe.bias);
    let mem = engine.mem();
    if mem.read_word(at).ok()? != record::STATIC_MAGIC {
        return None;
    }
    let (ptr, len) = (mem.read_word(at + 8).ok()?, mem.read_word(at + 16).ok()?);
    if len == 0 || len > record::MAX_RECORD {
        return None;
    }
    let bytes = mem.read_large(ptr, len).ok()?;
    CrashRecord::from_bytes(&bytes).ok()
}

/// The signal gdb's `gcore` records for the process it stopped.
const SIGSTOP: i32 = 19;

/// The crash as the kernel recorded it: the signal, and every thread's
/// registers, the one that took the signal first.
fn from_signal(core: &Core, engine: &Engine, path: &Path) -> Crash {
    let psinfo = core.psinfo();
    let pid = psinfo.map_or_else(|| core.threads().first().map_or(0, |t| t.tid), |p| p.pid);
    let program = psinfo
        .map(|p| p.fname.clone())
        .filter(|f| !f.is_empty())
        .or_else(|| engine.executable().map(|o| o.file_name().to_string()))
        .unwrap_or_else(|| "<unknown>".into());
    // The core names no thread; their own memory may.
    let pointers: Vec<(u64, u64)> = core
        .threads()
        .iter()
        .filter(|t| t.tid != pid)
        .map(|t| (u64::from(t.tid), t.fs_base))
        .collect();
    let mut names = super::names::from_memory(engine, &pointers);
    let threads: Vec<Thread> = core
        .threads()
        .iter()
        .map(|t| Thread {
            id: u64::from(t.tid),
            name: if t.tid == pid {
                "main".into()
            } else {
                names
                    .remove(&u64::from(t.tid))
                    .unwrap_or_else(|| "<unnamed>".into())
            },
            stack: Stack::Regs(Box::new(Regs::from(t.regs))),
        })
        .collect();
    let (message, sig) = match core.siginfo() {
        // gcore of a running process records the stop it attached with.
        Some(s) if s.signo == SIGSTOP => (
            "no crash: a snapshot of a running process (SIGSTOP, as gcore records it)".to_string(),
            s.signo,
        ),
        Some(s) => (
            crate::crash::signal::describe(s.signo, s.code, s.addr),
            s.signo,
        ),
        None => {
            let sig = core.threads().first().map_or(0, |t| t.signal as i32);
            (
                format!(
                    "{} (no signal information in the core)",
                    crate::crash::signal::name(sig)
                ),
                sig,
            )
        }
    };
    let first = threads.first();
    let frames = match first.map(|t| &t.stack) {
        Some(Stack::Regs(regs)) => engine.tables().raw_frames(**regs, 64),
        _ => Vec::new(),
    };
    let panicked = sig == crate::crash::signal::SIGABRT && panicked(engine, &frames);
    let (kind, message) = if panicked {
        (
            CrashKind::Panic,
            "a panic (its message is not in a core of a program without the agent; link \
             debuggee-agent and set PMDB_MODE=core to keep it)"
                .to_string(),
        )
    } else {
        (CrashKind::Signal, message)
    };
    let analysis = match (kind, core.siginfo(), first.map(|t| &t.stack)) {
        (CrashKind::Signal, Some(s), Some(Stack::Regs(regs))) => crate::crash::triage::analyse(
            crate::crash::triage::Fault {
                signo: s.signo,
                code: s.code,
                addr: s.addr,
            },
            regs,
            &core.regions(),
        ),
        _ => None,
    };
    let said = crate::hosts::file_crash::Said {
        kind,
        message,
        pid,
        program,
        analysis,
    };
    let info = said.into_info(engine, path, first, &frames);
    Crash { info, threads }
}

/// Whether a thread's frames pass through Rust's panic machinery (an abort
/// after a panic, as `panic = "abort"` builds do).
fn panicked(engine: &Engine, frames: &[crate::memory::process::RawFrame]) -> bool {
    let Ok(dbg) = engine.debug_info() else {
        return false;
    };
    crate::crash::traceback::symbolize(engine, dbg, 0, frames)
        .iter()
        .any(|f| {
            let name = f.info.function.as_str();
            name == "core::panicking::panic_fmt"
                || name.ends_with("rust_begin_unwind")
                || name.starts_with("std::panicking::begin_panic")
        })
}
