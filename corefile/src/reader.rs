//! Reading a core: the ELF header and program headers checked against the
//! file's length, notes decoded into threads, process info, signal and
//! mapped files, and memory served from the `PT_LOAD` segments' file bytes.
//! Nothing here trusts a length in the file: every offset is checked, and
//! what is allocated is bounded by the file's own size.

use std::fs::File;
use std::path::Path;

use object::Endianness;
use object::elf::{FileHeader64, PT_LOAD, PT_NOTE};
use object::read::elf::{FileHeader, ProgramHeader};

use crate::header::{RawNote, check_ident, check_phdrs, read_notes};
use crate::notes::{self, NT_AUXV, NT_FILE, NT_PRPSINFO, NT_PRSTATUS, NT_SIGINFO};
use crate::{CoreError, MappedFile, PsInfo, Regs, SigInfo, zst};

/// An address the core holds no bytes for (in no segment, or in a segment's
/// part beyond its file size): read it from the mapped file on disk instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the core holds no bytes at {addr:#x}")]
pub struct Unreadable {
    pub addr: u64,
}

/// One thread of the core, from its `NT_PRSTATUS` note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreThread {
    pub tid: u32,
    /// `pr_cursig`: the signal the thread stands in, 0 for none.
    pub signal: u32,
    /// All `Some`: every register `pr_reg` holds.
    pub regs: Regs,
    pub fs_base: u64,
}

/// The core's bytes: the file mapped, or owned.
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// A `PT_LOAD` segment.
#[derive(Debug, Clone, Copy)]
struct Segment {
    vaddr: u64,
    memsz: u64,
    filesz: u64,
    offset: usize,
    /// `p_flags`: PF_X 1, PF_W 2, PF_R 4.
    flags: u32,
}

/// An opened core file.
pub struct Core {
    bytes: Bytes,
    segments: Vec<Segment>,
    notes: Vec<RawNote>,
    threads: Vec<CoreThread>,
    mapped_files: Vec<MappedFile>,
    psinfo: Option<PsInfo>,
    siginfo: Option<SigInfo>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("len", &self.bytes.len())
            .field("segments", &self.segments.len())
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl Core {
    /// Opens a core file, plain or zstd-compressed (one or more zstd frames,
    /// as systemd-coredump writes; detected by the magic). A compressed core
    /// is decompressed into an unnamed temporary file, up to 64 GiB.
    pub fn open(path: &Path) -> Result<Core, CoreError> {
        let file = File::open(path)?;
        if !file.metadata()?.is_file() {
            // A directory, a device or a pipe: never read on and on.
            return Err(CoreError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{} is not a regular file", path.display()),
            )));
        }
        let mut head = [0u8; 4];
        let n = std::os::unix::fs::FileExt::read_at(&file, &mut head, 0)?;
        let file = if zst::is_zstd(&head[..n]) {
            zst::decompress_to_temp(&file)?
        } else {
            file
        };
        let len = file.metadata()?.len();
        if len < 4096 {
            let mut v = Vec::with_capacity(len as usize);
            std::io::Read::read_to_end(&mut std::io::Read::take(&file, len), &mut v)?;
            return Self::from_bytes(Bytes::Owned(v));
        }
        // SAFETY: a private read-only mapping of a file we opened read-only
        // (or own, unnamed). As with any mapped file, another process
        // truncating the file while we read it would fault; cores are not
        // rewritten in place, and that is the price of opening gigabytes
        // without reading them.
        let map = unsafe { memmap2::MmapOptions::new().map_copy_read_only(&file)? };
        Self::from_bytes(Bytes::Mapped(map))
    }

    /// Reads a core held in memory (plain ELF only: zstd is for
    /// [`Core::open`]).
    pub fn parse(bytes: Vec<u8>) -> Result<Core, CoreError> {
        Self::from_bytes(Bytes::Owned(bytes))
    }

    fn from_bytes(bytes: Bytes) -> Result<Core, CoreError> {
        let data: &[u8] = &bytes;
        check_ident(data)?;
        let header = FileHeader64::<Endianness>::parse(data)
            .map_err(|e| CoreError::Corrupt(format!("ELF header: {e}")))?;
        let endian = header
            .endian()
            .map_err(|e| CoreError::Corrupt(format!("ELF header: {e}")))?;
        check_phdrs(header, endian, data)?;
        let phdrs = header
            .program_headers(endian, data)
            .map_err(|e| CoreError::Corrupt(format!("program headers: {e}")))?;

        let mut segments = Vec::new();
        let mut notes = Vec::new();
        for ph in phdrs {
            let ty = ph.p_type(endian);
            if ty != PT_LOAD && ty != PT_NOTE {
                continue;
            }
            let offset = ph.p_offset(endian);
            let filesz = ph.p_filesz(endian);
            let vaddr = ph.p_vaddr(endian);
            let memsz = ph.p_memsz(endian);
            let end = offset.checked_add(filesz).ok_or_else(|| {
                CoreError::Corrupt(format!(
                    "a segment's file range {offset:#x}+{filesz:#x} overflows"
                ))
            })?;
            if end > data.len() as u64 {
                let what = if ty == PT_NOTE {
                    "the notes segment".to_string()
                } else {
                    format!("the memory segment at {vaddr:#x}")
                };
                return Err(CoreError::Truncated {
                    what,
                    needed: end,
                    have: data.len() as u64,
                });
            }
            let range = offset as usize..end as usize;
            if ty == PT_NOTE {
                read_notes(&data[range.clone()], range.start, &mut notes)?;
            } else {
                if filesz > memsz {
                    return Err(CoreError::Corrupt(format!(
                        "the segment at {vaddr:#x} has {filesz:#x} file bytes for {memsz:#x} memory bytes"
                    )));
                }
                if vaddr.checked_add(memsz).is_none() {
                    return Err(CoreError::Corrupt(format!(
                        "the segment at {vaddr:#x} of {memsz:#x} bytes runs past 2^64"
                    )));
                }
                segments.push(Segment {
                    vaddr,
                    memsz,
                    filesz,
                    offset: range.start,
                    flags: ph.p_flags(endian),
                });
            }
        }
        segments.sort_by_key(|s| s.vaddr);

        let mut core = Core {
            segments,
            notes,
            threads: Vec::new(),
            mapped_files: Vec::new(),
            psinfo: None,
            siginfo: None,
            bytes: Bytes::Owned(Vec::new()),
        };
        for n in core.notes.iter().filter(|n| n.name == "CORE") {
            let desc = &data[n.desc.clone()];
            let short = |what: &str| {
                CoreError::Corrupt(format!(
                    "an {what} note is too short ({} bytes)",
                    desc.len()
                ))
            };
            match n.ty {
                NT_PRSTATUS => core
                    .threads
                    .push(notes::parse_prstatus(desc).ok_or_else(|| short("NT_PRSTATUS"))?),
                NT_PRPSINFO if core.psinfo.is_none() => {
                    core.psinfo =
                        Some(notes::parse_prpsinfo(desc).ok_or_else(|| short("NT_PRPSINFO"))?)
                }
                NT_SIGINFO if core.siginfo.is_none() => {
                    core.siginfo =
                        Some(notes::parse_siginfo(desc).ok_or_else(|| short("NT_SIGINFO"))?)
                }
                NT_FILE if core.mapped_files.is_empty() => {
                    core.mapped_files = notes::parse_nt_file(desc)?
                }
                _ => {}
            }
        }
        if core.threads.is_empty() {
            return Err(CoreError::Corrupt(
                "it has no thread (no NT_PRSTATUS note)".into(),
            ));
        }
        core.bytes = bytes;
        Ok(core)
    }

    /// The threads in note order (the kernel puts the crashing thread first).
    pub fn threads(&self) -> &[CoreThread] {
        &self.threads
    }

    /// `NT_SIGINFO`: the signal that ended the process.
    pub fn siginfo(&self) -> Option<SigInfo> {
        self.siginfo
    }

    /// `NT_PRPSINFO`: pid, short name and arguments.
    pub fn psinfo(&self) -> Option<&PsInfo> {
        self.psinfo.as_ref()
    }

    /// The `NT_FILE` entries, offsets in bytes.
    pub fn mapped_files(&self) -> &[MappedFile] {
        &self.mapped_files
    }

    /// The descriptor of the first note with this owner name and type.
    pub fn note(&self, name: &str, ty: u32) -> Option<&[u8]> {
        let n = self.notes.iter().find(|n| n.name == name && n.ty == ty)?;
        self.bytes.get(n.desc.clone())
    }

    /// `NT_AUXV` as (type, value) pairs up to `AT_NULL`, if the core has it.
    pub fn auxv(&self) -> Option<Vec<(u64, u64)>> {
        self.note("CORE", NT_AUXV).map(notes::parse_auxv)
    }

    /// Fills `buf` with the memory at `addr`, from the segments' file bytes
    /// only (several adjacent segments if need be). The first address the
    /// core has no bytes for is the error.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), Unreadable> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = addr.checked_add(done as u64).ok_or(Unreadable { addr })?;
            let bytes = self.bytes_at(at).ok_or(Unreadable { addr: at })?;
            let n = bytes.len().min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&bytes[..n]);
            done += n;
        }
        Ok(())
    }

    /// The file bytes from `addr` to the end of its segment's file part.
    fn bytes_at(&self, addr: u64) -> Option<&[u8]> {
        // The last segment starting at or below addr; segments may overlap
        // in a hand-made file, so look back for one whose file part holds it.
        let idx = self.segments.partition_point(|s| s.vaddr <= addr);
        self.segments[..idx].iter().rev().find_map(|s| {
            let off = addr - s.vaddr;
            if off >= s.filesz {
                return None;
            }
            let start = s.offset + off as usize;
            self.bytes.get(start..s.offset + s.filesz as usize)
        })
    }

    /// Whether `addr` lies in a readable `PT_LOAD` segment: memory the
    /// process had mapped there, whether or not the core holds its bytes.
    pub fn maps_readable(&self, addr: u64) -> bool {
        let idx = self.segments.partition_point(|s| s.vaddr <= addr);
        self.segments[..idx]
            .iter()
            .any(|s| s.flags & 4 != 0 && addr - s.vaddr < s.memsz)
    }

    /// The `PT_LOAD` segments: (vaddr, memsz, filesz), in address order.
    pub fn segments(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.segments.iter().map(|s| (s.vaddr, s.memsz, s.filesz))
    }

    /// The process's mappings as the core records them: each `PT_LOAD`
    /// segment with its permissions, named by `NT_FILE` where a file was
    /// mapped there.
    pub fn regions(&self) -> Vec<crate::Region> {
        self.segments
            .iter()
            .map(|s| {
                let end = s.vaddr.saturating_add(s.memsz);
                let file = self
                    .mapped_files()
                    .iter()
                    .find(|f| f.start <= s.vaddr && s.vaddr < f.end)
                    .map(|f| (f.path.clone(), f.offset + (s.vaddr - f.start)));
                crate::Region {
                    start: s.vaddr,
                    end,
                    read: s.flags & 4 != 0,
                    write: s.flags & 2 != 0,
                    exec: s.flags & 1 != 0,
                    file,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine shares one opened core between threads.
    #[test]
    fn core_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Core>();
    }
}
