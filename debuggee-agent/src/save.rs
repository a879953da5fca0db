//! Saving a crash as an ELF core, so it outlives its process
//! (`PMDB_MODE=core`, or a wait that ran out with no debugger): each
//! thread's registers as the freeze captured them, its used stack and
//! what the crash's report reads (`engine::hosts::small_core`; with
//! `PMDB_CORE=full` every writable and anonymous mapping), the mapped
//! files, pmdb's crash record and the frames' source lines in notes of
//! their own, written to `<PMDB_DIR>/<program>.<pid>.core` (mode 0600).

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use corefile::{Compression, SigInfo};
use engine::Crash;
use engine::hosts::{gcore, small_core};

use crate::config::CoreSize;

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
    #[error("cannot write {path}: {source}")]
    WriteMinidump {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Core(gcore::SaveError),
}

/// Writes `crash` as a core in `dir`; returns the file's path.
pub fn save(
    dir: &Path,
    crash: &Crash,
    signal: Option<SigInfo>,
    compression: Compression,
    size: CoreSize,
) -> Result<PathBuf, SaveError> {
    private_dir(dir)?;
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
    let extras = self_extras(crash, signal)?;
    let reached = match size {
        CoreSize::Full => None,
        CoreSize::Small => Some(small_core::reach(
            Arc::new(crate::live::LiveProcess),
            crash,
            true,
        )),
    };
    let spec = match reached {
        Some(r) if !r.without_debug_info => small_core::spec(crash, &extras, &r).0,
        _ => gcore::spec(crash, &extras),
    };
    gcore::write(
        &crate::live::LiveProcess,
        &spec,
        &mut file,
        &path,
        compression,
    )
    .map_err(|e| {
        let _ = std::fs::remove_file(&path);
        SaveError::Core(e)
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
    private_dir(dir)?;
    let path = dir.join(format!("{}.{}.dmp", crash.info.program, crash.info.pid));
    let (maps, proc_streams) = minidump::proc_files("self");
    let extras = minidump::Extras {
        signal,
        maps,
        fs_bases: thread_pointers(crash).collect(),
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

/// This process as a core describes it: `/proc/self`'s maps, auxiliary
/// vector and command line, each frozen thread's thread pointer, the
/// crashes recorded meanwhile.
fn self_extras(crash: &Crash, signal: Option<SigInfo>) -> Result<gcore::Extras, SaveError> {
    let (maps, auxv, cmdline) = gcore::proc_files("self").map_err(SaveError::Core)?;
    Ok(gcore::Extras {
        signal,
        maps,
        fs_bases: thread_pointers(crash).collect(),
        auxv,
        cmdline,
        later: crate::state::later(),
    })
}

/// How the served crash or snapshot writes its core on a debugger's
/// request (`pmdb save`, `save FILE`): this process, as
/// `PMDB_MODE=core` saves it, to the path asked.
pub fn saver(signal: Option<SigInfo>) -> engine::crash::serve::Saver {
    Box::new(move |ins: &engine::Inspector, path: &Path| {
        let extras = self_extras(&ins.crash, signal).map_err(|e| e.to_string())?;
        gcore::save(&crate::live::LiveProcess, &ins.crash, &extras, path).map_err(|e| e.to_string())
    })
}

/// `dir`, made if missing, readable by our user only (a crash's memory
/// goes in it).
fn private_dir(dir: &Path) -> Result<(), SaveError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| SaveError::Dir {
            dir: dir.to_path_buf(),
            source,
        })
}

/// Each frozen thread's thread pointer (`fs_base`), as the dumps record it.
fn thread_pointers(crash: &Crash) -> impl Iterator<Item = (u64, u64)> + '_ {
    crash
        .threads
        .iter()
        .filter_map(|t| Some((t.id, crate::freeze::thread_pointer(t.id)?)))
}
