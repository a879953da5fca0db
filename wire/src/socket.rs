//! Where agents put their sockets and how the debugger finds them:
//! `<PMDB_DIR>/<pid>.sock`, `PMDB_DIR` defaulting to `$XDG_RUNTIME_DIR/pmdb`,
//! else `/tmp/pmdb-<uid>`.

use std::path::{Path, PathBuf};

use interprocess::local_socket::{GenericFilePath, Stream, ToFsName, prelude::*};

use crate::Error;

/// The socket directory for this process's environment.
pub fn socket_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PMDB_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return Path::new(&run).join("pmdb");
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    PathBuf::from(format!("/tmp/pmdb-{uid}"))
}

/// The socket of process `pid` in `dir`.
pub fn socket_path(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!("{pid}.sock"))
}

/// Sockets in `dir` whose process is still alive, as (pid, path), by pid.
pub fn waiting(dir: &Path) -> Vec<(u32, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(u32, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            let pid: u32 = path
                .file_name()?
                .to_str()?
                .strip_suffix(".sock")?
                .parse()
                .ok()?;
            Path::new(&format!("/proc/{pid}"))
                .exists()
                .then_some((pid, path))
        })
        .collect();
    found.sort();
    found
}

/// Connects to the agent socket at `path`.
pub fn connect(path: &Path) -> Result<Stream, Error> {
    let name = path.to_fs_name::<GenericFilePath>()?;
    Ok(Stream::connect(name)?)
}
