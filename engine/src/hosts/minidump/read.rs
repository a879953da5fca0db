//! A minidump as the engine reads it, through rust-minidump's reader (bounded
//! and panic-free on untrusted bytes): the memory the dump holds (stacks,
//! mostly), each module's file here placed at the module's base by its
//! program headers (code, unwind tables, read-only data), and nothing else
//! (`<not in the minidump>`). The crash is pmdb's record where the dump
//! carries it, else the exception and each thread's context, as any
//! writer (Breakpad, Crashpad, the `minidump-writer` crate) leaves them.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use minidump::{
    Minidump, MinidumpException, MinidumpModuleList, MinidumpSystemInfo, MinidumpThreadList,
    MinidumpThreadNames, Module,
};
use wire::CrashKind;

use crate::crash::engine::Engine;
use crate::crash::inspect::Inspector;
use crate::crash::record::CrashRecord;
use crate::crash::serve::Server;
use crate::hosts::coredump::memory::FileMapping;
use crate::hosts::coredump::{OpenError, Options};
use crate::memory::process::{Crash, LaterCrash, Object, Process, ReadError, Regs, Stack, Thread};

use super::RECORD_STREAM;

/// A minidump, as the engine reads it.
pub struct MinidumpProcess {
    /// (start, bytes), by address.
    memory: Vec<(u64, Vec<u8>)>,
    files: Vec<FileMapping>,
    objects: Vec<Object>,
}

impl MinidumpProcess {
    /// The bytes the dump holds at `addr`: how many it could copy.
    fn copy_dumped(&self, addr: u64, buf: &mut [u8]) -> usize {
        let i = self.memory.partition_point(|(s, _)| *s <= addr);
        let Some((start, bytes)) = i.checked_sub(1).and_then(|i| self.memory.get(i)) else {
            return 0;
        };
        let off = (addr - start) as usize;
        let Some(src) = bytes.get(off..) else {
            return 0;
        };
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        n
    }
}

impl Process for MinidumpProcess {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = addr
                .checked_add(done as u64)
                .ok_or(ReadError::Unreadable(addr))?;
            let mut got = self.copy_dumped(at, &mut buf[done..]);
            if got == 0 {
                let page_end = ((at | 0xfff) + 1).min(addr.saturating_add(buf.len() as u64));
                let want = (page_end - at) as usize;
                got = self
                    .files
                    .iter()
                    .find(|f| f.start <= at && at < f.end)
                    .map_or(0, |f| f.copy(at, &mut buf[done..done + want]));
            }
            if got == 0 {
                return Err(ReadError::NotSaved(at, "minidump"));
            }
            done += got;
        }
        Ok(())
    }

    fn objects(&self) -> Vec<Object> {
        self.objects.clone()
    }
}

fn bad(e: impl std::fmt::Display) -> OpenError {
    OpenError::Minidump(e.to_string())
}

/// Opens the minidump at `path`: its engine and its crash.
pub fn open(path: &Path, options: &Options) -> Result<(Arc<Engine>, Crash), OpenError> {
    // Mapped where every file the engine reads is (its `unsafe` is there).
    let data =
        crate::dwarf::debug_files::map(path).ok_or_else(|| match std::fs::File::open(path) {
            Err(e) => bad(format!("cannot read it: {e}")),
            Ok(_) => bad("cannot map it"),
        })?;
    open_bytes(&data, path, options)
}

/// Opens a minidump held in memory (what [`open`] mapped, a fuzz target's
/// input, a test's mutation); `path` only names it (its time is the
/// crash's).
pub fn open_bytes(
    bytes: &[u8],
    path: &Path,
    options: &Options,
) -> Result<(Arc<Engine>, Crash), OpenError> {
    let dump = Minidump::read(bytes).map_err(|e| truncated(bytes).unwrap_or_else(|| bad(e)))?;
    let bad = |e: String| truncated(bytes).unwrap_or_else(|| bad(e));
    let sys: MinidumpSystemInfo = dump
        .get_stream()
        .map_err(|e| bad(format!("its system info: {e}")))?;
    if sys.cpu != minidump::system_info::Cpu::X86_64 {
        return Err(OpenError::Minidump(format!(
            "the minidump is for {}; pmdb reads x86-64 ones",
            sys.cpu
        )));
    }
    let threads: MinidumpThreadList = dump
        .get_stream()
        .map_err(|e| bad(format!("its thread list: {e}")))?;
    let modules: MinidumpModuleList = dump.get_stream().unwrap_or_default();
    let mut memory: Vec<(u64, Vec<u8>)> = Vec::new();
    if let Some(list) = dump.get_memory() {
        for m in list.iter() {
            memory.push((m.base_address(), m.bytes().to_vec()));
        }
    }
    memory.sort_by_key(|(s, _)| *s);
    memory.dedup_by_key(|(s, _)| *s);

    let entry = dump
        .get_raw_stream(corefile::minidump::stream::LINUX_AUXV)
        .ok()
        .and_then(|a| {
            a.chunks_exact(16).find_map(|p| {
                let k = u64::from_le_bytes(p[..8].try_into().ok()?);
                let v = u64::from_le_bytes(p[8..].try_into().ok()?);
                (k == 9/* AT_ENTRY */).then_some(v)
            })
        });
    let mut files = Vec::new();
    let mut dumped_ids = Vec::new();
    for m in modules.iter() {
        let named = m.code_file().into_owned();
        let local = match (&options.exe, files.is_empty()) {
            (Some(exe), true) => exe.to_string_lossy().into_owned(),
            _ => options.substituted(&named),
        };
        let build_id = m
            .code_identifier()
            .and_then(|c| hex_bytes(c.as_str()))
            .filter(|b| !b.is_empty());
        dumped_ids.push((local.clone(), build_id));
        files.extend(place(&local, m.base_address()));
    }
    if files.is_empty() {
        let first = modules.iter().next().map(|m| m.code_file().into_owned());
        return Err(match first {
            Some(p) => OpenError::MissingExecutable(p),
            None => OpenError::NoExecutable,
        });
    }
    let mut process = MinidumpProcess {
        memory,
        files,
        objects: Vec::new(),
    };
    let objects = {
        let read = |a: u64, b: &mut [u8]| process.read_into(a, b);
        crate::hosts::coredump::objects::objects(&process.files, &read, &read, entry)
    };
    let objects: Vec<Object> = objects
        .into_iter()
        .map(|mut o| {
            let dumped = dumped_ids
                .iter()
                .find(|(p, _)| *p == o.path)
                .and_then(|(_, id)| id.clone());
            if let (Some(dumped), Some(here)) = (&dumped, &o.build_id)
                && dumped != here
            {
                return Err(OpenError::BuildId {
                    core: crate::dwarf::debug_files::hex(dumped),
                    path: o.path.clone(),
                    file: crate::dwarf::debug_files::hex(here),
                });
            }
            if dumped.is_some() {
                o.build_id = dumped;
            }
            Ok(o)
        })
        .collect::<Result<_, _>>()?;
    if !objects.first().is_some_and(|o| o.main) {
        return Err(OpenError::NoExecutable);
    }
    process.objects = objects;
    let process = Arc::new(process);
    let engine = Arc::new(
        Engine::new(process.clone())
            .with_debug_roots(options.debug_dirs.clone())
            .with_fetcher(options.fetcher.clone()),
    );
    let (crash, _later) = crash_of(&dump, &sys, &threads, &engine, path);
    Ok((engine, crash))
}

/// Opens the minidump at `path` and serves it in-process.
pub fn open_session(path: &Path, options: &Options) -> Result<wire::Session, OpenError> {
    let (engine, crash) = open(path, options)?;
    let server = Server::new(Inspector::new(engine, crash), Duration::from_secs(3600))
        .without_source("a minidump carries no source text")
        .without_saving("a minidump holds only stacks: pmdb writes no core from it");
    crate::crash::serve::in_process(server).map_err(|e| OpenError::Serve(e.to_string()))
}

/// Why a dump that does not read is cut short, when it is: its header,
/// stream directory or a stream runs past the end of `bytes`.
fn truncated(bytes: &[u8]) -> Option<OpenError> {
    let have = bytes.len() as u64;
    let u32_at = |at: u64| -> Option<u64> {
        let at = usize::try_from(at).ok()?;
        let b = bytes.get(at..at.checked_add(4)?)?;
        Some(u64::from(u32::from_le_bytes(b.try_into().ok()?)))
    };
    let short =
        |what: &'static str, needed: u64| OpenError::MinidumpTruncated { what, needed, have };
    if have < 32 {
        return Some(short("its header needs", 32));
    }
    let (count, dir) = (u32_at(8)?, u32_at(12)?);
    let dir_end = dir + 12 * count;
    if dir_end > have {
        return Some(short("its stream directory needs", dir_end));
    }
    let needed = (0..count)
        .filter_map(|i| {
            let entry = dir + 12 * i;
            Some(u32_at(entry + 8)? + u32_at(entry + 4)?)
        })
        .max()?;
    (needed > have).then(|| short("its streams need", needed))
}

/// `s` in hex as bytes.
fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The file at `path` placed at `base` as the loader would: one mapping per
/// `PT_LOAD`, its file bytes at their page-aligned addresses.
fn place(path: &str, base: u64) -> Vec<FileMapping> {
    use object::{Object as _, ObjectSegment};
    let Some(data) = crate::dwarf::debug_files::map(Path::new(path)) else {
        return Vec::new();
    };
    let data = Arc::new(data);
    let Ok(file) = object::File::parse(&**data) else {
        return Vec::new();
    };
    let segments: Vec<(u64, u64, u64)> = file
        .segments()
        .map(|s| {
            let (off, size) = s.file_range();
            (s.address(), off, size)
        })
        .collect();
    let Some(first) = segments.iter().map(|s| s.0).min() else {
        return Vec::new();
    };
    let bias = base.wrapping_sub(first & !0xfff);
    segments
        .iter()
        .map(|&(vaddr, off, size)| {
            let start = bias.wrapping_add(vaddr & !0xfff);
            FileMapping {
                start,
                end: bias.wrapping_add(vaddr).wrapping_add(size),
                offset: off & !0xfff,
                path: path.to_string(),
                data: Some(data.clone()),
            }
        })
        .collect()
}

/// The registers of a minidump context, in DWARF numbering.
fn regs_of(ctx: &minidump::MinidumpContext) -> Regs {
    const NAMES: [&str; 17] = [
        "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "rip",
    ];
    let mut regs = Regs::NONE;
    for (i, name) in NAMES.into_iter().enumerate() {
        regs.set(i, ctx.get_register(name));
    }
    regs
}

/// The crash a minidump records.
fn crash_of(
    dump: &Minidump<'_, &[u8]>,
    sys: &MinidumpSystemInfo,
    threads: &MinidumpThreadList,
    engine: &Engine,
    path: &Path,
) -> (Crash, Vec<LaterCrash>) {
    if let Ok(bytes) = dump.get_raw_stream(RECORD_STREAM)
        && let Ok(r) = CrashRecord::from_bytes(bytes)
    {
        return r.into_crash();
    }
    let exception: Option<MinidumpException> = dump.get_stream().ok();
    let names: Option<MinidumpThreadNames> = dump.get_stream().ok();
    let pid = dump
        .get_raw_stream(corefile::minidump::stream::LINUX_PROC_STATUS)
        .ok()
        .and_then(|s| {
            String::from_utf8_lossy(s)
                .lines()
                .find_map(|l| l.strip_prefix("Pid:")?.trim().parse::<u32>().ok())
        })
        .unwrap_or(0);
    let crashed = exception.as_ref().map(|e| e.thread_id);
    let mut list: Vec<Thread> = threads
        .threads
        .iter()
        .map(|t| {
            let tid = t.raw.thread_id;
            let ctx = match (&exception, crashed) {
                (Some(e), Some(c)) if c == tid => e
                    .context(sys, None)
                    .or_else(|| t.context(sys, None))
                    .map(|c| regs_of(&c)),
                _ => t.context(sys, None).map(|c| regs_of(&c)),
            };
            let name = names
                .as_ref()
                .and_then(|n| n.get_name(tid).map(|s| s.into_owned()))
                .unwrap_or_else(|| match tid == pid {
                    true => "main".into(),
                    false => "<unnamed>".into(),
                });
            Thread {
                id: u64::from(tid),
                name,
                stack: match ctx {
                    Some(r) => Stack::Regs(Box::new(r)),
                    None => Stack::Unwound(Vec::new()),
                },
            }
        })
        .collect();
    if let Some(c) = crashed
        && let Some(i) = list.iter().position(|t| t.id == u64::from(c))
    {
        let t = list.remove(i);
        list.insert(0, t);
    }
    let (kind, message) = match &exception {
        Some(e) => {
            let r = &e.raw.exception_record;
            let code = r.exception_code;
            if code == corefile::minidump::DUMP_REQUESTED {
                (
                    CrashKind::Snapshot,
                    "no crash: a minidump written on request".to_string(),
                )
            } else {
                (
                    CrashKind::Signal,
                    crate::crash::signal::describe(
                        code as i32,
                        r.exception_flags as i32,
                        r.exception_address,
                    ),
                )
            }
        }
        None => (
            CrashKind::Snapshot,
            "no exception in the minidump".to_string(),
        ),
    };
    let frames = match list.first().map(|t| &t.stack) {
        Some(Stack::Regs(regs)) => engine.tables().raw_frames(**regs, 64),
        _ => Vec::new(),
    };
    let program = engine
        .executable()
        .map(|o| o.file_name().to_string())
        .unwrap_or_else(|| "<unknown>".into());
    let first = list.first();
    let said = crate::hosts::file_crash::Said {
        kind,
        message,
        pid,
        program,
        analysis: None,
    };
    let info = said.into_info(engine, path, first, &frames);
    (
        Crash {
            info,
            threads: list,
        },
        Vec::new(),
    )
}
