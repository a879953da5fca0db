//! The live host: this process, described to the engine. Memory is read with
//! `process_vm_readv` on our own pid, so a garbage pointer is an error value,
//! never a fault; loaded objects come from the dynamic loader
//! (`dl_iterate_phdr`). One engine serves every crash of the process.

use std::ffi::CStr;
use std::sync::{Arc, OnceLock};

use engine::memory::process::{Object, RIP, RSP, RawFrame, ReadError};
use engine::{Engine, LaterCrash, Process};
use wire::{CrashInfo, CrashKind};

/// This process.
pub struct LiveProcess;

impl Process for LiveProcess {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let local = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        let remote = libc::iovec {
            iov_base: addr as *mut libc::c_void,
            iov_len: buf.len(),
        };
        // SAFETY: `local` describes `buf`, which we own mutably for the call;
        // the kernel validates `remote` and fails with EFAULT instead of faulting.
        let n = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
        if n == buf.len() as isize {
            Ok(())
        } else {
            Err(ReadError::Unreadable(addr))
        }
    }

    fn objects(&self) -> Vec<Object> {
        loaded()
    }

    fn cache_pages(&self) -> bool {
        true
    }

    fn later_crashes(&self) -> Vec<LaterCrash> {
        crate::state::later()
    }

    fn thread_state(&self, tid: u64) -> Option<wire::ThreadState> {
        crate::snapshot::thread_state(tid)
    }

    /// When the crash froze the process; a report printed without
    /// freezing it (`PMDB_MODE=report`) reads the clock as it goes.
    fn monotonic_now(&self) -> Option<std::time::Duration> {
        crate::state::frozen_at().or_else(engine::memory::process::monotonic_clock)
    }
}

/// The engine over this process, made on first use.
pub fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| Arc::new(Engine::new(Arc::new(LiveProcess))))
        .clone()
}

/// Most machine frames captured per thread.
pub const MAX_FRAMES: usize = 1024;

/// The calling thread's machine frames, unwound with our own CFI evaluation
/// from the registers here, so callee-saved registers are known per frame.
/// Frame 0 is this function itself (agent machinery, hidden as runtime).
#[inline(never)]
pub fn capture_frames() -> Vec<RawFrame> {
    let regs = crate::registers::capture();
    engine()
        .tables()
        .unwind(regs, MAX_FRAMES)
        .into_iter()
        .map(|r| RawFrame {
            ip: r.get(RIP).unwrap_or(0),
            sp: r.get(RSP).unwrap_or(0),
            exact: false,
            regs: r,
        })
        .collect()
}

/// A crash record of this process: the one place one is made.
pub fn record(
    kind: CrashKind,
    message: String,
    payload_type: Option<String>,
    location: Option<(String, u32, Option<u32>)>,
    thread: u64,
) -> CrashInfo {
    let (file, line, column) = match location {
        Some((f, l, c)) => (Some(f), Some(l), c),
        None => (None, None, None),
    };
    CrashInfo {
        kind,
        message,
        payload_type,
        file,
        line,
        column,
        thread,
        thread_name: thread_name(thread),
        pid: std::process::id(),
        program: program_name(),
        time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        taken_by: None,
        analysis: None,
    }
}

/// The kernel's id of the calling thread, from `/proc/thread-self`.
pub fn current_tid() -> u64 {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name()?.to_str()?.parse().ok())
        .unwrap_or(0)
}

/// The program's file name.
pub fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "<unknown>".into())
}

/// A thread's name: `main` for the main thread, else the kernel's `comm`.
pub fn thread_name(tid: u64) -> String {
    if tid == u64::from(std::process::id()) {
        return "main".into();
    }
    std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
        .map(|s| s.trim_end().to_string())
        .unwrap_or_else(|_| "<unnamed>".into())
}

/// Every loaded object, the executable first.
fn loaded() -> Vec<Object> {
    let mut out: Vec<Object> = Vec::new();
    // SAFETY: the callback only reads the `dl_phdr_info` the loader passes for
    // the duration of the call, and `data` is the `&mut Vec` we pass here.
    unsafe {
        libc::dl_iterate_phdr(Some(visit), (&mut out as *mut Vec<Object>).cast());
    }
    let exe = std::fs::read_link("/proc/self/exe")
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    for (i, o) in out.iter_mut().enumerate() {
        if i == 0 {
            o.main = true;
            o.path = exe.clone();
        }
    }
    out
}

unsafe extern "C" fn visit(
    info: *mut libc::dl_phdr_info,
    _size: usize,
    data: *mut libc::c_void,
) -> libc::c_int {
    // SAFETY: `dl_iterate_phdr` passes a valid `info` whose `dlpi_phdr` points
    // to `dlpi_phnum` program headers, and `data` is our `Vec<Object>`; a
    // `PT_NOTE` segment's bytes are mapped and readable (see below).
    unsafe {
        let out = &mut *(data as *mut Vec<Object>);
        let info = &*info;
        let path = if info.dlpi_name.is_null() {
            String::new()
        } else {
            CStr::from_ptr(info.dlpi_name)
                .to_string_lossy()
                .into_owned()
        };
        let bias = info.dlpi_addr;
        let phdrs = std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize);
        let mut segments = Vec::new();
        let mut eh_frame_hdr = None;
        let mut build_id = None;
        for ph in phdrs {
            let start = bias.wrapping_add(ph.p_vaddr);
            match ph.p_type {
                libc::PT_LOAD => {
                    segments.push((start, start + ph.p_memsz, ph.p_flags & libc::PF_X != 0))
                }
                libc::PT_GNU_EH_FRAME => eh_frame_hdr = Some((start, ph.p_memsz)),
                // A note segment lies in the object's first, read-only
                // load segment, mapped while the object is loaded (the
                // loader's lock is held during the callback).
                libc::PT_NOTE if build_id.is_none() => {
                    let notes = std::slice::from_raw_parts(start as *const u8, ph.p_memsz as usize);
                    build_id = engine::hosts::coredump::build_id_in_notes(notes);
                }
                _ => {}
            }
        }
        out.push(Object {
            path,
            main: false,
            bias,
            segments,
            eh_frame_hdr,
            build_id,
        });
    }
    0
}
