//! Minidumps, the crash file Sentry, Socorro and rust-minidump read: written
//! from any process the engine reads (the agent's own, a ptrace snapshot, a
//! core) and, with the `minidump` feature, read back as a process of its
//! own ([`open`]): the stacks the dump holds, the code and read-only data
//! from the module files here, nothing else (`<not in the minidump>`).
//!
//! What a dump pmdb writes holds (`spec`):
//! - every thread's registers (where it stands: for a panicking thread its
//!   first intact frame) and its used stack, from 128 bytes below the
//!   lowest stack pointer known (the red zone) to the top of its stack
//!   mapping, at most [`STACK_MAX`] bytes;
//! - every loaded object, with its GNU build-id as an ELF CodeView record
//!   (from which rust-minidump and Sentry compute the debug id);
//! - the exception: the fatal signal (number, `si_code`, address), or for a
//!   panic or a snapshot Breakpad's "dump requested" code;
//! - pmdb's crash record ([`RECORD_STREAM`]: message, payload type,
//!   location, every thread's frames) and the same in words
//!   ([`TEXT_STREAM`]);
//! - `/proc`'s maps, status, cmdline, environ and auxv, `/proc/cpuinfo` and
//!   `/etc/lsb-release` in Breakpad's Linux streams, where known.

#[cfg(feature = "minidump")]
mod read;

use std::collections::HashMap;

use corefile::SigInfo;
use corefile::minidump::{self, MdException, MdModule, MdThread, MinidumpSpec, stream};

use crate::crash::record::CrashRecord;
use crate::memory::process::{Crash, LaterCrash, Process, RSP, Stack, Thread};

#[cfg(feature = "minidump")]
pub use self::read::{MinidumpProcess, open, open_bytes, open_session};

/// pmdb's crash record, MessagePack (the type reads "PMDB").
pub const RECORD_STREAM: u32 = crate::crash::record::NOTE_TYPE;
/// The crash in words, UTF-8: `thread 'NAME' panicked at FILE:LINE:COL:`
/// then the message, or the signal's description.
pub const TEXT_STREAM: u32 = 0x4244_4d51;
/// The most stack kept per thread: its innermost 1 MiB.
pub const STACK_MAX: u64 = 1 << 20;
/// Below the stack pointer, the bytes a leaf function may use unannounced.
pub(crate) const RED_ZONE: u64 = 128;
const PAGE: u64 = 4096;

/// What is known of the process besides its memory and crash.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// The fatal signal, if the crash is one.
    pub signal: Option<SigInfo>,
    /// `/proc/PID/maps`, where the process could be asked (it bounds each
    /// stack).
    pub maps: Option<String>,
    /// Each thread's thread pointer (`fs_base`), by tid.
    pub fs_bases: HashMap<u64, u64>,
    /// Breakpad's Linux streams: (type, bytes).
    pub proc_streams: Vec<(u32, Vec<u8>)>,
    /// Crashes recorded while this one was served.
    pub later: Vec<LaterCrash>,
}

/// The `/proc` files of process `pid` ("self" for this one) as Breakpad's
/// streams, and its maps.
pub fn proc_files(pid: &str) -> (Option<String>, Vec<(u32, Vec<u8>)>) {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok();
    let mut streams = Vec::new();
    if let Some(m) = &maps {
        streams.push((stream::LINUX_MAPS, m.clone().into_bytes()));
    }
    for (ty, path) in [
        (stream::LINUX_PROC_STATUS, format!("/proc/{pid}/status")),
        (stream::LINUX_CMD_LINE, format!("/proc/{pid}/cmdline")),
        (stream::LINUX_ENVIRON, format!("/proc/{pid}/environ")),
        (stream::LINUX_AUXV, format!("/proc/{pid}/auxv")),
        (stream::LINUX_CPU_INFO, "/proc/cpuinfo".to_string()),
        (stream::LINUX_LSB_RELEASE, "/etc/lsb-release".to_string()),
    ] {
        if let Ok(bytes) = std::fs::read(&path) {
            streams.push((ty, bytes));
        }
    }
    (maps, streams)
}

/// The lowest stack pointer known of a thread.
pub(crate) fn lowest_sp(t: &Thread) -> Option<u64> {
    match &t.stack {
        Stack::Regs(r) => r.get(RSP),
        Stack::Unwound(frames) => frames.iter().map(|f| f.sp).filter(|&s| s != 0).min(),
    }
}

/// The end of the mapping holding `addr`, from `/proc/PID/maps` text.
fn mapping_end(maps: &str, addr: u64) -> Option<u64> {
    maps.lines().find_map(|l| {
        let range = l.split_whitespace().next()?;
        let (s, e) = range.split_once('-')?;
        let (s, e) = (
            u64::from_str_radix(s, 16).ok()?,
            u64::from_str_radix(e, 16).ok()?,
        );
        (s <= addr && addr < e).then_some(e)
    })
}

/// The thread's used stack: from below its lowest stack pointer up to the
/// end of its mapping (or as far as memory reads), at most [`STACK_MAX`].
fn stack_of(process: &dyn Process, t: &Thread, maps: Option<&str>) -> (u64, Vec<u8>) {
    let Some(sp) = lowest_sp(t) else {
        return (0, Vec::new());
    };
    let start = sp.saturating_sub(RED_ZONE);
    let limit = start.saturating_add(STACK_MAX);
    let end = maps
        .and_then(|m| mapping_end(m, sp))
        .unwrap_or(limit)
        .min(limit);
    let mut bytes = Vec::new();
    let mut at = start;
    while at < end {
        let next = ((at / PAGE) + 1).saturating_mul(PAGE).min(end);
        let mut buf = vec![0u8; (next - at) as usize];
        if process.read_into(at, &mut buf).is_err() {
            break;
        }
        bytes.extend_from_slice(&buf);
        at = next;
    }
    (start, bytes)
}

/// The minidump of `crash` in `process`.
pub fn spec(process: &dyn Process, crash: &Crash, extras: &Extras) -> MinidumpSpec {
    let maps = extras.maps.as_deref();
    let threads = crash
        .threads
        .iter()
        .map(|t| {
            let (stack_start, stack) = stack_of(process, t, maps);
            let name = t
                .name
                .split_once(" (not frozen: ")
                .map_or(t.name.as_str(), |(n, _)| n);
            MdThread {
                tid: t.id as u32,
                regs: t.standing_regs().to_array(),
                fs_base: extras.fs_bases.get(&t.id).copied().unwrap_or(0),
                name: name.to_string(),
                stack_start,
                stack,
            }
        })
        .collect();
    let modules = process
        .objects()
        .iter()
        .filter_map(|o| {
            let base = o.segments.iter().map(|s| s.0).min()? & !(PAGE - 1);
            let end = o.segments.iter().map(|s| s.1).max()?;
            Some(MdModule {
                base,
                size: end.saturating_sub(base).div_ceil(PAGE) * PAGE,
                path: o.path.clone(),
                build_id: o.build_id.clone(),
            })
        })
        .collect();
    let exception = Some(match extras.signal {
        Some(s) => MdException {
            tid: crash.info.thread as u32,
            code: s.signo as u32,
            flags: s.code as u32,
            address: s.addr,
        },
        None => MdException {
            tid: crash.info.thread as u32,
            code: minidump::DUMP_REQUESTED,
            flags: 0,
            address: 0,
        },
    });
    let record = CrashRecord::of(crash, &extras.later)
        .with_signal(extras.signal.map(|s| (s.signo, s.code, s.addr)));
    let mut streams = extras.proc_streams.clone();
    streams.push((RECORD_STREAM, record.to_bytes()));
    streams.push((TEXT_STREAM, in_words(crash).into_bytes()));
    MinidumpSpec {
        threads,
        modules,
        exception,
        memory: Vec::new(),
        streams,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get().min(255) as u8),
        os_version: os_version(),
        time: crash.info.time.min(u64::from(u32::MAX)) as u32,
    }
}

/// The crash as std prints a panic, or the signal's description.
fn in_words(crash: &Crash) -> String {
    let i = &crash.info;
    match (i.kind, &i.file, i.line) {
        (wire::CrashKind::Panic, Some(file), Some(line)) => format!(
            "thread '{}' panicked at {file}:{line}:{}:\n{}\n",
            i.thread_name,
            i.column.unwrap_or(0),
            i.message
        ),
        _ => format!("thread '{}': {}\n", i.thread_name, i.message),
    }
}

/// The kernel's release and version, as `uname -r -v` prints them.
fn os_version() -> String {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_string());
    match (
        read("/proc/sys/kernel/osrelease"),
        read("/proc/sys/kernel/version"),
    ) {
        (Ok(r), Ok(v)) => format!("{r} {v}"),
        (Ok(r), Err(_)) => r,
        _ => String::new(),
    }
}

/// Writes the minidump of `spec` to a new file at `path` (mode 0600);
/// returns its length.
pub fn write_file(path: &std::path::Path, spec: &MinidumpSpec) -> std::io::Result<u64> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let bytes = minidump::write_minidump(spec);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(&bytes)?;
    Ok(bytes.len() as u64)
}
