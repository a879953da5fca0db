//! Linux x86-64 ELF core files, the format only: [`write()`] a core of a
//! process from its registers, maps and a memory reader, and [`Core::open`]
//! any core (ours, gdb's `gcore`, the kernel's, systemd-coredump's zstd) to
//! read back its threads, notes, mapped files and memory.
//!
//! The crate knows nothing of pmdb's protocol or engine: it is the file
//! format, bounded and panic-free on any input.
//!
//! # What each writer puts in a core
//!
//! Seen on x86-64 Linux (kernel 6.x, gdb 13.1), cores of a `sleep`:
//!
//! - **The kernel** (default `coredump_filter` 0x33): a `PT_LOAD` for every
//!   mapping. Anonymous memory and any private mapping with copied-on-write
//!   pages (`.data`, RELRO) are dumped whole; other file mappings have
//!   `p_filesz` 0, except the first page of an ELF file (header, program
//!   headers, build-id note). `[vsyscall]` is dumped, `[vvar]` is not. Every
//!   thread's `NT_PRSTATUS` has `pr_cursig` = the fatal signal, the crashing
//!   thread first; then `NT_PRPSINFO` (the whole command line, cut at 80
//!   bytes), `NT_SIGINFO`, `NT_AUXV`, `NT_FILE`, and `NT_FPREGSET` and
//!   `NT_X86_XSTATE` per thread.
//! - **gdb's `gcore`**: `PT_LOAD`s only for what it dumps (none at all for
//!   code), and dumps the read-only first segment of each ELF file whole.
//!   `NT_PRPSINFO` comes first and holds `argv[0]` only; `pr_cursig` is 0 and
//!   `NT_SIGINFO` says SIGSTOP (code 128): the stop gdb attached with, not a
//!   crash. An `NT_GDB_TDESC` note follows; `p_align` is 1.
//! - **[`write()`]**: a `PT_LOAD` per region given; writable and anonymous
//!   memory, RELRO and ELF header pages dumped, as the kernel does — or,
//!   with [`CoreSpec::kept`], only those ranges and the ELF header pages,
//!   each region cut into dumped pieces and pieces without bytes; no
//!   floating-point notes. Pages of zeros are holes.
//! - **systemd-coredump**: the kernel's core, piped, compressed as one zstd
//!   frame without a content size (`coredumpctl dump` gives it back plain).
//!
//! So: the crashed thread is the first `NT_PRSTATUS`; a core's
//! `NT_SIGINFO` is the crash's only where the kernel or pmdb wrote it; and
//! read-only file-backed memory is never to be expected in a core, whoever
//! wrote it ([`Core::read`] says [`Unreadable`]; read the mapped file).

mod header;
mod maps;
pub mod minidump;
mod notes;
mod reader;
mod writer;
mod zst;

pub use maps::{dump_plan, regions_from_maps, should_dump};
pub use notes::{NT_AUXV, NT_FILE, NT_PRPSINFO, NT_PRSTATUS, NT_SIGINFO};
pub use reader::{Core, CoreThread, Unreadable};
pub use writer::{merge_ranges, write};

/// Registers in DWARF x86-64 numbering: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi,
/// 5 rdi, 6 rbp, 7 rsp, 8..=15 r8..r15, 16 rip.
pub type Regs = [Option<u64>; 17];

/// One thread to write: its id, registers, the signal it stands in
/// (`pr_cursig`; 0 for none) and its thread pointer (`fs_base`, where its
/// thread-local storage starts; 0 when unknown). The crashed thread comes
/// first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRegs {
    pub tid: u32,
    pub regs: Regs,
    pub signal: u32,
    pub fs_base: u64,
}

/// The signal that ended the process (`NT_SIGINFO`): number, `si_code` and
/// the faulting address (`si_addr`, 0 where the signal has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: i32,
    pub code: i32,
    pub addr: u64,
}

/// The process (`NT_PRPSINFO`): pid, the program's short name (at most 15
/// bytes are kept) and its command line (at most 79 bytes are kept).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PsInfo {
    pub pid: u32,
    pub fname: String,
    pub args: String,
}

/// One `NT_FILE` entry: a file mapped at `start..end` from byte `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedFile {
    pub start: u64,
    pub end: u64,
    /// In bytes (the note stores pages; the reader multiplies).
    pub offset: u64,
    pub path: String,
}

/// One mapping of the process, as `/proc/PID/maps` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    /// The mapped file and the byte offset of `start` in it; `None` for
    /// anonymous memory and for pseudo-files such as `[stack]` or `[heap]`.
    pub file: Option<(String, u64)>,
}

/// An ELF note: owner name (e.g. "CORE", "LINUX"), type and descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub name: String,
    pub ty: u32,
    pub desc: Vec<u8>,
}

/// How [`write()`] stores the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// A plain ELF file; pages of zeros are holes.
    #[default]
    None,
    /// One zstd frame holding the whole ELF file (what systemd-coredump
    /// writes; `zstd -d` gives the plain core back).
    Zstd,
}

/// Everything [`write()`] needs besides the memory itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreSpec {
    pub pid: u32,
    /// The crashed thread first.
    pub threads: Vec<ThreadRegs>,
    pub siginfo: Option<SigInfo>,
    pub psinfo: PsInfo,
    pub regions: Vec<Region>,
    /// Only these address ranges' bytes (rounded out to whole pages) go in
    /// the core, besides each ELF file's first page; `None`: every region
    /// [`dump_plan`] names, whole. A small core of a crash is the stacks
    /// and what its report reads.
    pub kept: Option<Vec<(u64, u64)>>,
    /// Written after the standard notes, in order. `NT_AUXV` (name "CORE",
    /// type 6, the bytes of `/proc/self/auxv`) belongs here: gdb needs it to
    /// place a position-independent executable.
    pub extra_notes: Vec<Note>,
}

/// What [`write()`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteStats {
    /// The length of the output file: the ELF file's apparent size, or the
    /// compressed size with [`Compression::Zstd`].
    pub bytes_written: u64,
    /// Memory bytes stored in `PT_LOAD` segments (the sum of `p_filesz`,
    /// holes included).
    pub bytes_dumped: u64,
    /// `PT_LOAD` segments written: one per region, or per piece of one
    /// cut by [`CoreSpec::kept`].
    pub segments: usize,
}

/// Why a core could not be written or read. Each message is one line, fit to
/// be shown as `pmdb: <error>`.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("core file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a core file: not an ELF file")]
    NotElf,
    #[error("not a core file: ELF type is {elf_type}{}", not_core_hint(elf_type))]
    NotCore { elf_type: String },
    #[error("the core is for {machine}; pmdb reads x86-64 cores")]
    WrongArch { machine: String },
    #[error("the core is truncated: {what} needs {needed} bytes, the file has {have}")]
    Truncated {
        what: String,
        needed: u64,
        have: u64,
    },
    #[error("the core is corrupt: {0}")]
    Corrupt(String),
    #[error("zstd: {0}")]
    Zstd(String),
}

fn not_core_hint(elf_type: &str) -> &'static str {
    match elf_type {
        "EXEC" | "DYN" => " (an executable or shared library?)",
        "REL" => " (an object file?)",
        _ => "",
    }
}
