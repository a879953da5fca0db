//! A core's memory as the crashed process saw it: the bytes the core holds,
//! and for the rest of each file-backed mapping (code, read-only data,
//! unwind tables, which kernel cores and `gcore` leave out) the mapped
//! file's bytes on disk, as gdb reads them.

use std::sync::Arc;

use corefile::Core;

use crate::memory::process::ReadError;

/// One `NT_FILE` mapping with its file's bytes, where the file is here.
pub struct FileMapping {
    pub start: u64,
    pub end: u64,
    pub offset: u64,
    pub path: String,
    pub data: Option<Arc<memmap2::Mmap>>,
}

impl FileMapping {
    /// Copies what this mapping's file holds at `addr` into `buf`; returns
    /// how many bytes it could.
    pub(crate) fn copy(&self, addr: u64, buf: &mut [u8]) -> usize {
        let Some(data) = &self.data else { return 0 };
        if addr < self.start || addr >= self.end {
            return 0;
        }
        let Some(at) = (addr - self.start).checked_add(self.offset) else {
            return 0;
        };
        let in_map = (self.end - addr).min(buf.len() as u64) as usize;
        let Some(src) = data.get(at as usize..) else {
            return 0;
        };
        let n = in_map.min(src.len());
        buf[..n].copy_from_slice(&src[..n]);
        n
    }
}

/// Maps every file the core names that exists here, after `rename` (the
/// executable given with `--exe`, `--substitute-path`).
pub fn map_files(core: &Core, rename: &dyn Fn(&str) -> String) -> Vec<FileMapping> {
    let mut opened: std::collections::HashMap<String, Option<Arc<memmap2::Mmap>>> =
        Default::default();
    core.mapped_files()
        .iter()
        .map(|m| {
            let local = rename(&m.path);
            let data = opened
                .entry(local.clone())
                .or_insert_with(|| {
                    let file = std::fs::File::open(&local).ok()?;
                    // SAFETY: a read-only mapping of a file we opened
                    // read-only; its bytes are treated as untrusted input,
                    // and nothing here keeps references past a read.
                    unsafe { memmap2::Mmap::map(&file) }.ok().map(Arc::new)
                })
                .clone();
            FileMapping {
                start: m.start,
                end: m.end,
                offset: m.offset,
                path: local,
                data,
            }
        })
        .collect()
}

/// Fills `buf` from `addr`: the core's bytes first, the mapped files' where
/// the core has none. An address neither holds is `NotSaved` where a
/// readable segment of the core lists it (the process had it mapped; the
/// core left its bytes out), else `Unreadable`.
pub fn read(
    core: &Core,
    files: &[FileMapping],
    addr: u64,
    buf: &mut [u8],
) -> Result<(), ReadError> {
    let mut done = 0usize;
    while done < buf.len() {
        let at = addr
            .checked_add(done as u64)
            .ok_or(ReadError::Unreadable(addr))?;
        match core.read(at, &mut buf[done..]) {
            Ok(()) => return Ok(()),
            Err(e) if e.addr > at => {
                done += (e.addr - at) as usize;
                continue;
            }
            Err(_) => {}
        }
        // The core has nothing at `at`: the mapped file, up to the next page
        // (past it the core may hold bytes again).
        let page_end = ((at | 0xfff) + 1).min(addr.saturating_add(buf.len() as u64));
        let want = (page_end - at) as usize;
        let got = files
            .iter()
            .find(|f| f.start <= at && at < f.end)
            .map_or(0, |f| f.copy(at, &mut buf[done..done + want]));
        if got == 0 {
            // Mapped readable in the process but left out of the core (a
            // small core keeps what its report reads): said so, never zeros.
            return Err(match core.maps_readable(at) {
                true => ReadError::NotSaved(at, "core"),
                false => ReadError::Unreadable(at),
            });
        }
        done += got;
    }
    Ok(())
}
