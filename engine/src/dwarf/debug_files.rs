//! Where an object's DWARF is, looked for as gdb does: in the object itself,
//! then a separate debug file by build-id (`--debug-dir` roots, then
//! `/usr/lib/debug`, in the `.build-id/xx/rest.debug` layout), then the
//! debuginfod client's cache (`<cache>/<build-id>/debuginfo`), then the
//! object's `.gnu_debuglink` name beside it, in `.debug/`, and under the
//! debug roots.

use std::path::{Path, PathBuf};

use object::{Object as _, ObjectSection};

/// The standard root of separate debug files.
const SYSTEM_ROOT: &str = "/usr/lib/debug";

/// The file holding the DWARF of the object at `path`, if any. `build_id` is
/// the one the crashed process had, where known; otherwise the file's own.
pub fn find(path: &Path, build_id: Option<&[u8]>, roots: &[PathBuf]) -> Option<PathBuf> {
    let data = map(path);
    let file = data.as_deref().and_then(|d| object::File::parse(d).ok());
    if let Some(file) = &file
        && file
            .section_by_name(".debug_info")
            .is_some_and(|s| s.size() > 0)
    {
        return Some(path.to_path_buf());
    }
    let own_id = file
        .as_ref()
        .and_then(|f| f.build_id().ok().flatten().map(<[u8]>::to_vec));
    let id = build_id.map(<[u8]>::to_vec).or(own_id);
    let system = PathBuf::from(SYSTEM_ROOT);
    let all_roots: Vec<&Path> = roots
        .iter()
        .map(PathBuf::as_path)
        .chain([system.as_path()])
        .collect();
    if let Some(id) = &id {
        for root in &all_roots {
            if let Some(p) = build_id_path_in(root, id)
                && p.is_file()
            {
                return Some(p);
            }
        }
        for cache in debuginfod_caches() {
            let p = cache.join(hex(id)).join("debuginfo");
            if p.is_file() {
                return Some(p);
            }
        }
    }
    let link = file.as_ref().and_then(|f| f.gnu_debuglink().ok().flatten());
    if let Some((name, _crc)) = link {
        let name = String::from_utf8_lossy(name).into_owned();
        let dir = path.parent().unwrap_or(Path::new("/"));
        let mut candidates = vec![dir.join(&name), dir.join(".debug").join(&name)];
        for root in &all_roots {
            candidates.push(root.join(dir.strip_prefix("/").unwrap_or(dir)).join(&name));
            candidates.push(root.join(&name));
        }
        if let Some(found) = candidates.into_iter().find(|c| c.is_file() && c != path) {
            return Some(found);
        }
    }
    None
}

/// Maps a file read-only (an executable can be hundreds of megabytes; only
/// the pages a lookup touches are read).
pub fn map(path: &Path) -> Option<memmap2::Mmap> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: a read-only mapping of a file opened read-only; its bytes are
    // parsed as untrusted input and no reference outlives the mapping.
    unsafe { memmap2::Mmap::map(&file) }.ok()
}

/// Where a separate debug file with this build-id is installed
/// (`/usr/lib/debug/.build-id/xx/rest.debug`, as gdb looks for it).
pub fn build_id_path(id: &[u8]) -> Option<PathBuf> {
    build_id_path_in(Path::new(SYSTEM_ROOT), id)
}

/// The same under another root laid out like `/usr/lib/debug`.
pub fn build_id_path_in(root: &Path, id: &[u8]) -> Option<PathBuf> {
    if id.len() < 2 {
        return None;
    }
    let hex = hex(id);
    Some(root.join(format!(".build-id/{}/{}.debug", &hex[..2], &hex[2..])))
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The debuginfod client's cache directories, as the client chooses them.
fn debuginfod_caches() -> Vec<PathBuf> {
    if let Some(p) = std::env::var_os("DEBUGINFOD_CACHE_PATH") {
        return vec![PathBuf::from(p)];
    }
    let mut out = Vec::new();
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME") {
        out.push(PathBuf::from(x).join("debuginfod_client"));
    }
    if let Some(h) = std::env::var_os("HOME") {
        out.push(PathBuf::from(h).join(".cache/debuginfod_client"));
    }
    out
}
