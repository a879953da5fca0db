//! A core's crash record: pmdb's own note (the agent's cores), else the
//! agent's static in the core's memory (a `gcore` of a frozen crash), else
//! the kernel's `NT_SIGINFO` and each thread's registers.

use std::path::Path;

use corefile::Core;
use wire::{CrashInfo, CrashKind};

use crate::Engine;
use crate::process::{Crash, Regs, Stack, Thread};
use crate::record::{self, CrashRecord};

/// The crash a core records.
pub fn of_core(core: &Core, engine: &Engine, path: &Path) -> Crash {
    if let Some(note) = core.note(record::NOTE_NAME, record::NOTE_TYPE)
        && let Ok(r) = CrashRecord::from_bytes(note)
    {
        return r.into_crash();
    }
    if let Some(r) = from_static(engine) {
        return r.into_crash();
    }
    from_signal(core, engine, path)
}

/// The record the agent keeps in memory while it serves a crash.
fn from_static(engine: &Engine) -> Option<CrashRecord> {
    let exe = engine.executable()?;
    let data = std::fs::read(&exe.path).ok()?;
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
    let threads: Vec<Thread> = core
        .threads()
        .iter()
        .map(|t| Thread {
            id: u64::from(t.tid),
            name: if t.tid == pid {
                "main".into()
            } else {
                "<unnamed>".into()
            },
            stack: Stack::Regs(Box::new(t.regs as Regs)),
        })
        .collect();
    let (message, sig) = match core.siginfo() {
        Some(s) => (crate::signal::describe(s.signo, s.code, s.addr), s.signo),
        None => {
            let sig = core.threads().first().map_or(0, |t| t.signal as i32);
            (
                format!(
                    "{} (no signal information in the core)",
                    crate::signal::name(sig)
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
    let location = crate::traceback::user_location(engine, &frames);
    let (file, line, column) = match location {
        Some((f, l, c)) => (Some(f), Some(l), c),
        None => (None, None, None),
    };
    let _ = sig;
    let time = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    Crash {
        info: CrashInfo {
            kind: CrashKind::Signal,
            message,
            payload_type: None,
            file,
            line,
            column,
            thread: first.map_or(0, |t| t.id),
            thread_name: first.map_or_else(String::new, |t| t.name.clone()),
            pid,
            program,
            time,
        },
        threads,
    }
}
