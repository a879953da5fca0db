//! Where an object's DWARF is, looked for as gdb does: in the object itself,
//! then a separate debug file by build-id (`--debug-dir` roots, then
//! `/usr/lib/debug`, in the `.build-id/xx/rest.debug` layout), then the
//! debuginfod client's cache (`<cache>/<build-id>/debuginfo`), then the
//! object's `.gnu_debuglink` name beside it, in `.debug/`, and under the
//! debug roots. Where none of those has it, a `Fetcher` the front end
//! gave (`pmdb`'s debuginfod client) is asked by build-id, and what it
//! fetched is checked here (`check_fetched`) before anything reads it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// What a fetcher is asked for by build-id: debuginfod's three kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted<'a> {
    /// The separate debug file (`/buildid/ID/debuginfo`).
    DebugInfo,
    /// The object itself (`/buildid/ID/executable`).
    Executable,
    /// A source file its DWARF names (`/buildid/ID/source/PATH`).
    Source(&'a str),
}

/// Fetches files by build-id from elsewhere. The engine sees only this;
/// the client behind it (HTTP) lives in the `pmdb` binary, so no program
/// that links the agent builds one.
pub trait Fetch: Send + Sync {
    /// The local path of the fetched file, already checked with
    /// `check_fetched`; or why there is none, in one line.
    fn fetch(&self, build_id: &[u8], wanted: Wanted<'_>) -> Result<PathBuf, String>;
}

/// A fetcher, or none: what the hosts' options carry (compared by identity).
#[derive(Clone, Default)]
pub struct Fetcher(pub Option<Arc<dyn Fetch>>);

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Fetcher(Some)"
        } else {
            "Fetcher(None)"
        })
    }
}

impl PartialEq for Fetcher {
    fn eq(&self, other: &Fetcher) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Eq for Fetcher {}

impl Fetcher {
    /// Asks the fetcher, if there is one: `Ok(None)` when there is none.
    pub fn fetch(&self, build_id: &[u8], wanted: Wanted<'_>) -> Result<Option<PathBuf>, String> {
        match &self.0 {
            Some(f) => f.fetch(build_id, wanted).map(Some),
            None => Ok(None),
        }
    }
}

/// Why a fetched file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchedError {
    #[error("not an ELF file ({0} bytes)")]
    NotElf(usize),
    #[error("an ELF file without a build-id")]
    NoBuildId,
    #[error("the file has build-id {got}, not {asked}")]
    WrongBuildId { asked: String, got: String },
    #[error("no DWARF in it (no .debug_info)")]
    NoDwarf,
}

/// Checks a fetched debug file or executable: an ELF file with the build-id
/// asked for (and, for a debug file, DWARF). Bounded and panic-free on any
/// bytes (`fuzz/fuzz_targets/debuginfod_response.rs`).
pub fn check_fetched(data: &[u8], build_id: &[u8], wanted: Wanted<'_>) -> Result<(), FetchedError> {
    let file = object::File::parse(data).map_err(|_| FetchedError::NotElf(data.len()))?;
    if file.format() != object::BinaryFormat::Elf {
        return Err(FetchedError::NotElf(data.len()));
    }
    let got = file
        .build_id()
        .ok()
        .flatten()
        .ok_or(FetchedError::NoBuildId)?;
    if got != build_id {
        return Err(FetchedError::WrongBuildId {
            asked: hex(build_id),
            got: hex(got),
        });
    }
    let has_dwarf = file
        .section_by_name(".debug_info")
        .is_some_and(|s| s.size() > 0);
    if wanted == Wanted::DebugInfo && !has_dwarf {
        return Err(FetchedError::NoDwarf);
    }
    Ok(())
}

/// `find`, then the fetcher by build-id: the file holding the object's
/// DWARF, or `Err` with why the fetcher has none (`Err(None)`: nobody to
/// ask, or no build-id to ask by).
pub fn find_or_fetch(
    path: &Path,
    build_id: Option<&[u8]>,
    roots: &[PathBuf],
    fetcher: &Fetcher,
) -> Result<PathBuf, Option<String>> {
    if let Some(found) = find(path, build_id, roots) {
        return Ok(found);
    }
    let own;
    let id = match build_id {
        Some(id) => id,
        None => {
            own = map(path).and_then(|d| {
                object::File::parse(&*d)
                    .ok()
                    .and_then(|f| f.build_id().ok().flatten().map(<[u8]>::to_vec))
            });
            own.as_deref().ok_or(None)?
        }
    };
    match fetcher.fetch(id, Wanted::DebugInfo) {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(None),
        Err(why) => Err(Some(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::{FetchedError, Wanted, check_fetched, hex};
    use object::Object as _;

    /// This test binary: an ELF file with a build-id and DWARF.
    fn own() -> (Vec<u8>, Vec<u8>) {
        let data = std::fs::read("/proc/self/exe").unwrap();
        let id = object::File::parse(&*data)
            .unwrap()
            .build_id()
            .unwrap()
            .expect("the linker gives test binaries a build-id")
            .to_vec();
        (data, id)
    }

    #[test]
    fn a_fetched_file_is_taken_only_with_the_build_id_asked_for() {
        let (data, id) = own();
        assert_eq!(check_fetched(&data, &id, Wanted::DebugInfo), Ok(()));
        assert_eq!(check_fetched(&data, &id, Wanted::Executable), Ok(()));
        let mut other = id.clone();
        other[0] ^= 0xff;
        assert_eq!(
            check_fetched(&data, &other, Wanted::DebugInfo),
            Err(FetchedError::WrongBuildId {
                asked: hex(&other),
                got: hex(&id),
            })
        );
        let html = b"<html><body>404 Not Found</body></html>";
        assert_eq!(
            check_fetched(html, &id, Wanted::DebugInfo),
            Err(FetchedError::NotElf(html.len()))
        );
        assert_eq!(
            FetchedError::NotElf(5).to_string(),
            "not an ELF file (5 bytes)"
        );
    }

    #[test]
    fn truncated_and_garbled_answers_are_refused_without_a_panic() {
        let (data, id) = own();
        // Every cut short of the whole file that still parses is refused
        // unless its build-id note survived; none panics.
        let mut taken = 0;
        for len in (0..data.len()).step_by(data.len() / 997 + 1) {
            if check_fetched(&data[..len], &id, Wanted::Executable).is_ok() {
                taken += 1;
            }
        }
        // A prefix is taken only once the headers, the note and the section
        // table fit, which the section table (at the end) never does here.
        assert_eq!(taken, 0);
        let mut garbled = data[..4096.min(data.len())].to_vec();
        let mut x: u32 = 0x9e37_79b9;
        for b in garbled.iter_mut().skip(64) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b ^= x as u8;
        }
        assert!(check_fetched(&garbled, &id, Wanted::DebugInfo).is_err());
    }
}
