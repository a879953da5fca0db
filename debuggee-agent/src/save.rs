//! Saving a crash as an ELF core, so it outlives its process
//! (`PMDB_MODE=core`, or a wait that ran out with no debugger): each
//! thread's registers as the freeze captured them, the writable and
//! anonymous mappings, the mapped files, and pmdb's crash record in a note
//! of its own, written to `<PMDB_DIR>/<program>.<pid>.core` (mode 0600).

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use corefile::{Compression, CoreSpec, Note, PsInfo, SigInfo, ThreadRegs};
use engine::crash::record::{CrashRecord, NOTE_NAME, NOTE_TYPE};
use engine::{Crash, Process};

/// Why a crash could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("cannot create {dir}: {source}")]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read this process's mappings: {0}")]
    Maps(std::io::Error),
    #[error("cannot write {path}: {source}")]
    WriteMinidump {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: corefile::CoreError,
    },
}

/// `NT_AUXV`'s note type: gdb and pmdb place the executable with it.
const NT_AUXV: u32 = 6;

/// Writes `crash` as a core in `dir`; returns the file's path.
pub fn save(
    dir: &Path,
    crash: &Crash,
    signal: Option<SigInfo>,
    compression: Compression,
) -> Result<PathBuf, SaveError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| SaveError::Dir {
            dir: dir.to_path_buf(),
            source,
        })?;
    let suffix = match compression {
        Compression::Zstd => ".core.zst",
        Compression::None => ".core",
    };
    let path = dir.join(format!("{}.{}{suffix}", crash.info.program, crash.info.pid));
    let _ = std::fs::remove_file(&path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .read(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|source| SaveError::Create {
            path: path.clone(),
            source,
        })?;
    let maps = std::fs::read_to_string("/proc/self/maps").map_err(SaveError::Maps)?;
    let spec = CoreSpec {
        pid: crash.info.pid,
        threads: crash
            .threads
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut regs = registers(t);
                // The crashed thread stands in the fatal signal, as the
                // kernel records it (gdb reads the process's signal there).
                if i == 0 {
                    regs.signal = signal.map_or(0, |s| s.signo as u32);
                }
                regs
            })
            .collect(),
        siginfo: signal,
        psinfo: PsInfo {
            pid: crash.info.pid,
            fname: crash.info.program.clone(),
            args: std::fs::read("/proc/self/cmdline")
                .map(|c| {
                    String::from_utf8_lossy(&c)
                        .replace('\0', " ")
                        .trim_end()
                        .to_string()
                })
                .unwrap_or_default(),
        },
        regions: corefile::regions_from_maps(&maps),
        extra_notes: vec![
            Note {
                name: "CORE".into(),
                ty: NT_AUXV,
                desc: std::fs::read("/proc/self/auxv").unwrap_or_default(),
            },
            Note {
                name: NOTE_NAME.into(),
                ty: NOTE_TYPE,
                desc: CrashRecord::of(crash, &crate::state::later()).to_bytes(),
            },
        ],
    };
    let live = crate::live::LiveProcess;
    let mut read = |addr: u64, buf: &mut [u8]| live.read_into(addr, buf).is_ok();
    corefile::write(&spec, &mut read, &mut file, compression).map_err(|source| {
        let _ = std::fs::remove_file(&path);
        SaveError::Write {
            path: path.clone(),
            source,
        }
    })?;
    Ok(path)
}

/// Writes `crash` as a minidump in `dir` (`<program>.<pid>.dmp`, mode
/// 0600): threads and their stacks, modules, the exception, this
/// process's `/proc` files and pmdb's record; returns its path.
pub fn save_minidump(
    dir: &Path,
    crash: &Crash,
    signal: Option<SigInfo>,
) -> Result<PathBuf, SaveError> {
    use engine::hosts::minidump;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| SaveError::Dir {
            dir: dir.to_path_buf(),
            source,
        })?;
    let path = dir.join(format!("{}.{}.dmp", crash.info.program, crash.info.pid));
    let (maps, proc_streams) = minidump::proc_files("self");
    let extras = minidump::Extras {
        signal,
        maps,
        fs_bases: crash
            .threads
            .iter()
            .filter_map(|t| Some((t.id, crate::freeze::thread_pointer(t.id)?)))
            .collect(),
        proc_streams,
        later: crate::state::later(),
    };
    let spec = minidump::spec(&crate::live::LiveProcess, crash, &extras);
    minidump::write_file(&path, &spec).map_err(|source| SaveError::WriteMinidump {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// A thread's registers for its `NT_PRSTATUS`: where it stands, or for a
/// panicking thread (whose innermost captured frame has returned since) the
/// first frame whose stack is still intact, so gdb unwinds it too.
fn registers(t: &engine::Thread) -> ThreadRegs {
    ThreadRegs {
        tid: t.id as u32,
        regs: t.standing_regs().to_array(),
        signal: 0,
        fs_base: crate::freeze::thread_pointer(t.id).unwrap_or(0),
    }
}
