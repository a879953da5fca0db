//! A core of any process the engine reads, as gdb's `gcore` writes one:
//! the agent's own process (`PMDB_MODE=core`, a waiting crash or a live
//! snapshot asked to save itself) and a ptrace snapshot (`pmdb save PID`,
//! `save FILE` in `pmdb attach PID`). The format is `corefile`'s; here a
//! [`Crash`] and what is known of its process become a [`CoreSpec`], and
//! its memory is read through [`Process::read_into`] (never the page
//! cache, which would keep every page of the core).
//!
//! What the core holds: each thread's registers where it stands (a
//! panicking thread's first intact frame, as for minidumps) with its
//! thread pointer, the writable and anonymous mappings and each ELF file's
//! first page (`corefile::dump_plan`; a small core, `small_core::spec`,
//! keeps less), `NT_FILE`, `NT_AUXV` (gdb places a
//! position-independent executable with it), the fatal signal if any, and
//! pmdb's crash record in a note of its own, so `pmdb open` shows the
//! crash or snapshot as it was served.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use corefile::{Compression, CoreSpec, NT_AUXV, Note, PsInfo, SigInfo, ThreadRegs, WriteStats};

use crate::crash::record::{CrashRecord, NOTE_NAME, NOTE_TYPE};
use crate::memory::process::{Crash, LaterCrash, Process};

/// What is known of the process besides its memory and crash.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// The fatal signal, if the crash is one (the crashed thread stands in
    /// it, as the kernel records it).
    pub signal: Option<SigInfo>,
    /// `/proc/PID/maps` as it stands while the process is held.
    pub maps: String,
    /// Each thread's thread pointer (`fs_base`), by tid.
    pub fs_bases: HashMap<u64, u64>,
    /// `/proc/PID/auxv`.
    pub auxv: Vec<u8>,
    /// The command line, arguments separated by spaces.
    pub cmdline: String,
    /// Crashes recorded while this one was served.
    pub later: Vec<LaterCrash>,
}

/// Why a core could not be written; each is one line naming the file
/// and why (the cause is in the line, not chained after it).
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("cannot write {}: {why}", path.display())]
    Create { path: PathBuf, why: std::io::Error },
    #[error("cannot read the process's memory map: {0}")]
    Maps(std::io::Error),
    #[error("cannot write {}: {why}", path.display())]
    Write {
        path: PathBuf,
        why: corefile::CoreError,
    },
}

/// The maps, auxiliary vector and command line of process `pid` ("self"
/// for this one), read from `/proc`.
pub fn proc_files(pid: &str) -> Result<(String, Vec<u8>, String), SaveError> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).map_err(SaveError::Maps)?;
    let auxv = std::fs::read(format!("/proc/{pid}/auxv")).unwrap_or_default();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| {
            String::from_utf8_lossy(&c)
                .replace('\0', " ")
                .trim_end()
                .to_string()
        })
        .unwrap_or_default();
    Ok((maps, auxv, cmdline))
}

/// The core of `crash` (the crashed thread first, as the record lists it),
/// every writable and anonymous mapping whole; `small_core::spec` keeps
/// less.
pub fn spec(crash: &Crash, extras: &Extras) -> CoreSpec {
    let threads = crash
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| ThreadRegs {
            tid: t.id as u32,
            regs: t.standing_regs().to_array(),
            // The crashed thread stands in the fatal signal (gdb reads the
            // process's signal there); the writer gives it to every thread.
            signal: match i {
                0 => extras.signal.map_or(0, |s| s.signo as u32),
                _ => 0,
            },
            fs_base: extras.fs_bases.get(&t.id).copied().unwrap_or(0),
        })
        .collect();
    CoreSpec {
        pid: crash.info.pid,
        threads,
        siginfo: extras.signal,
        psinfo: PsInfo {
            pid: crash.info.pid,
            fname: crash.info.program.clone(),
            args: extras.cmdline.clone(),
        },
        regions: corefile::regions_from_maps(&extras.maps),
        kept: None,
        extra_notes: vec![
            Note {
                name: "CORE".into(),
                ty: NT_AUXV,
                desc: extras.auxv.clone(),
            },
            Note {
                name: NOTE_NAME.into(),
                ty: NOTE_TYPE,
                desc: CrashRecord::of(crash, &extras.later).to_bytes(),
            },
        ],
    }
}

/// Opens `path` for a core: created, or an existing file truncated (as
/// gcore overwrites), mode 0600 when created.
pub fn create(path: &Path) -> Result<File, SaveError> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|why| SaveError::Create {
            path: path.to_path_buf(),
            why,
        })
}

/// Writes the core of `spec` into `file` (new or empty), reading the
/// memory of `process`; `path` names the file in errors.
pub fn write(
    process: &dyn Process,
    spec: &CoreSpec,
    file: &mut File,
    path: &Path,
    compression: Compression,
) -> Result<WriteStats, SaveError> {
    let mut read = |addr: u64, buf: &mut [u8]| process.read_into(addr, buf).is_ok();
    corefile::write(spec, &mut read, file, compression).map_err(|why| SaveError::Write {
        path: path.to_path_buf(),
        why,
    })
}

/// Writes the core of `crash` in `process` to `path` (plain ELF), as a
/// `SaveCore` request is answered.
pub fn save(
    process: &dyn Process,
    crash: &Crash,
    extras: &Extras,
    path: &Path,
) -> Result<wire::SavedCore, SaveError> {
    let mut file = create(path)?;
    let spec = spec(crash, extras);
    let stats = write(process, &spec, &mut file, path, Compression::None).inspect_err(|_| {
        let _ = std::fs::remove_file(path);
    })?;
    Ok(wire::SavedCore {
        path: path.display().to_string(),
        bytes: stats.bytes_written,
        threads: spec.threads.len() as u32,
        pid: crash.info.pid,
    })
}
