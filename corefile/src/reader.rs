//! Reading a core: ELF header and program headers checked against the file's
//! length, notes decoded into threads, process info, signal and mapped
//! files, and memory served from the `PT_LOAD` segments' file bytes.

use std::path::Path;

use crate::{CoreError, MappedFile, PsInfo, Regs, SigInfo};

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
    pub signal: u32,
    /// All `Some`: every register `pr_reg` holds.
    pub regs: Regs,
    pub fs_base: u64,
}

/// An opened core file.
pub struct Core {
    threads: Vec<CoreThread>,
    mapped_files: Vec<MappedFile>,
    psinfo: Option<PsInfo>,
    siginfo: Option<SigInfo>,
}

impl Core {
    /// Opens a core file, plain or zstd-compressed (detected by its magic).
    pub fn open(path: &Path) -> Result<Core, CoreError> {
        let _ = path;
        Err(CoreError::Corrupt("not implemented yet".into()))
    }

    /// Reads a core held in memory (plain ELF only).
    pub fn parse(bytes: Vec<u8>) -> Result<Core, CoreError> {
        let _ = bytes;
        Err(CoreError::Corrupt("not implemented yet".into()))
    }

    /// The threads in note order (the kernel puts the crashing thread first).
    pub fn threads(&self) -> &[CoreThread] {
        &self.threads
    }

    pub fn siginfo(&self) -> Option<SigInfo> {
        self.siginfo
    }

    pub fn psinfo(&self) -> Option<&PsInfo> {
        self.psinfo.as_ref()
    }

    /// The `NT_FILE` entries.
    pub fn mapped_files(&self) -> &[MappedFile] {
        &self.mapped_files
    }

    /// The first note with this owner name and type.
    pub fn note(&self, name: &str, ty: u32) -> Option<&[u8]> {
        let _ = (name, ty);
        None
    }

    /// `NT_AUXV` as (type, value) pairs, if the core has it.
    pub fn auxv(&self) -> Option<Vec<(u64, u64)>> {
        None
    }

    /// Fills `buf` with the memory at `addr`, from segments' file bytes only.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), Unreadable> {
        let _ = buf;
        Err(Unreadable { addr })
    }

    /// The `PT_LOAD` segments: (vaddr, memsz, filesz), in address order.
    pub fn segments(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        std::iter::empty()
    }
}
