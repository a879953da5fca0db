//! Writing a minidump (the Breakpad/Crashpad format that Sentry, Socorro and
//! rust-minidump read) for Linux x86-64: header, stream directory, then the
//! streams — system info, threads with their AMD64 context and stack memory,
//! thread names, modules with an ELF CodeView record (the build-id), the
//! memory list, the exception, the Linux `/proc` streams as Breakpad names
//! them, and any stream of the caller's own (pmdb's crash record).
//!
//! Only the format: what goes in comes from the caller, already read.

use crate::Regs;

/// `MINIDUMP_STREAM_TYPE` values written here.
pub mod stream {
    pub const THREAD_LIST: u32 = 3;
    pub const MODULE_LIST: u32 = 4;
    pub const MEMORY_LIST: u32 = 5;
    pub const EXCEPTION: u32 = 6;
    pub const SYSTEM_INFO: u32 = 7;
    pub const THREAD_NAME_LIST: u32 = 24;
    pub const LINUX_CPU_INFO: u32 = 0x4767_0003;
    pub const LINUX_PROC_STATUS: u32 = 0x4767_0004;
    pub const LINUX_LSB_RELEASE: u32 = 0x4767_0005;
    pub const LINUX_CMD_LINE: u32 = 0x4767_0006;
    pub const LINUX_ENVIRON: u32 = 0x4767_0007;
    pub const LINUX_AUXV: u32 = 0x4767_0008;
    pub const LINUX_MAPS: u32 = 0x4767_0009;
}

/// The exception code Breakpad writes for a dump taken without a crash
/// (`MD_EXCEPTION_CODE_LIN_DUMP_REQUESTED`): a panic or a snapshot.
pub const DUMP_REQUESTED: u32 = 0xffff_ffff;

/// One thread: id, registers (DWARF numbering), thread pointer (`fs_base`,
/// written as the thread's TEB as Crashpad does on Linux), name, and the
/// bytes of its stack from `stack_start` up.
#[derive(Debug, Clone, Default)]
pub struct MdThread {
    pub tid: u32,
    pub regs: Regs,
    pub fs_base: u64,
    pub name: String,
    pub stack_start: u64,
    pub stack: Vec<u8>,
}

/// One loaded object: where it starts, how long its image is, its path as
/// the process saw it, and its GNU build-id.
#[derive(Debug, Clone, Default)]
pub struct MdModule {
    pub base: u64,
    pub size: u64,
    pub path: String,
    pub build_id: Option<Vec<u8>>,
}

/// The exception record: the thread it happened in, the code (the signal
/// number, or [`DUMP_REQUESTED`]), flags (`si_code`) and address
/// (`si_addr`).
#[derive(Debug, Clone, Copy, Default)]
pub struct MdException {
    pub tid: u32,
    pub code: u32,
    pub flags: u32,
    pub address: u64,
}

/// Everything a minidump is written from. `threads[i]` with the exception's
/// tid gives the exception its context.
#[derive(Debug, Clone, Default)]
pub struct MinidumpSpec {
    pub threads: Vec<MdThread>,
    pub modules: Vec<MdModule>,
    pub exception: Option<MdException>,
    /// More memory than the stacks: (address, bytes).
    pub memory: Vec<(u64, Vec<u8>)>,
    /// Streams given whole: (type, bytes) — `/proc` files, pmdb's record.
    pub streams: Vec<(u32, Vec<u8>)>,
    pub cpus: u8,
    /// The kernel's version line (`uname -r -v`), the CSD version.
    pub os_version: String,
    pub time: u32,
}

const CONTEXT_SIZE: usize = 1232;
/// `CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS`.
const CONTEXT_FLAGS: u32 = 0x0010_0000 | 1 | 2 | 4;
/// "LEpB": a CodeView record that holds an ELF build-id.
const CV_ELF: u32 = 0x4270_454c;

/// The little-endian bytes of a minidump under construction; offsets into
/// it are RVAs.
struct Out(Vec<u8>);

impl Out {
    fn rva(&self) -> u32 {
        self.0.len() as u32
    }
    fn align(&mut self, to: usize) {
        while !self.0.len().is_multiple_of(to) {
            self.0.push(0);
        }
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32(&mut self, at: usize, v: u32) {
        self.0[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    /// Appends `bytes` (4-aligned) and returns its location (size, rva).
    fn blob(&mut self, bytes: &[u8]) -> (u32, u32) {
        self.align(4);
        let rva = self.rva();
        self.0.extend_from_slice(bytes);
        (bytes.len() as u32, rva)
    }
    /// A `MINIDUMP_STRING` (byte length, UTF-16LE, a terminating NUL).
    fn string(&mut self, s: &str) -> u32 {
        self.align(4);
        let rva = self.rva();
        let units: Vec<u16> = s.encode_utf16().collect();
        self.u32((units.len() * 2) as u32);
        for u in units {
            self.u16(u);
        }
        self.u16(0);
        rva
    }
}

/// The AMD64 context of a thread (`CONTEXT_AMD64`), from DWARF registers.
fn context(regs: &Regs) -> Vec<u8> {
    let mut c = vec![0u8; CONTEXT_SIZE];
    let put = |c: &mut Vec<u8>, at: usize, v: u64| c[at..at + 8].copy_from_slice(&v.to_le_bytes());
    c[48..52].copy_from_slice(&CONTEXT_FLAGS.to_le_bytes());
    // cs and ss as Linux user mode has them.
    c[56..58].copy_from_slice(&0x33u16.to_le_bytes());
    c[66..68].copy_from_slice(&0x2bu16.to_le_bytes());
    // rax rcx rdx rbx rsp rbp rsi rdi r8..r15 rip, by DWARF number.
    const ORDER: [usize; 17] = [0, 2, 1, 3, 7, 6, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    for (i, &dwarf) in ORDER.iter().enumerate() {
        put(&mut c, 120 + i * 8, regs[dwarf].unwrap_or(0));
    }
    c
}

/// The registers a `CONTEXT_AMD64` holds, in DWARF numbering; `None` if
/// `c` is too short to be one.
pub fn regs_of_context(c: &[u8]) -> Option<Regs> {
    const ORDER: [usize; 17] = [0, 2, 1, 3, 7, 6, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    let c = c.get(..256)?;
    let mut regs: Regs = [None; 17];
    for (i, &dwarf) in ORDER.iter().enumerate() {
        let at = 120 + i * 8;
        regs[dwarf] = Some(u64::from_le_bytes(c[at..at + 8].try_into().ok()?));
    }
    Some(regs)
}

/// The minidump of `spec`, as bytes.
pub fn write_minidump(spec: &MinidumpSpec) -> Vec<u8> {
    let mut streams: Vec<(u32, u32, u32)> = Vec::new();
    let count = 6 + u32::from(spec.exception.is_some()) + spec.streams.len() as u32;
    let mut o = Out(Vec::with_capacity(1 << 16));
    // Header.
    o.u32(0x504d_444d); // "MDMP"
    o.u32(0xa793);
    o.u32(count);
    o.u32(32); // the directory follows the header
    o.u32(0);
    o.u32(spec.time);
    o.u64(0);
    let dir = o.rva() as usize;
    o.0.resize(dir + count as usize * 12, 0);

    // System info.
    let csd = o.string(&spec.os_version);
    o.align(4);
    let at = o.rva();
    o.u16(9); // PROCESSOR_ARCHITECTURE_AMD64
    o.u16(6);
    o.u16(0);
    o.0.push(spec.cpus.max(1));
    o.0.push(1); // VER_NT_WORKSTATION
    o.u32(0);
    o.u32(0);
    o.u32(0);
    o.u32(0x8201); // MD_OS_LINUX
    o.u32(csd);
    o.u16(0);
    o.u16(0);
    o.0.extend_from_slice(&[0u8; 24]);
    streams.push((stream::SYSTEM_INFO, o.rva() - at, at));

    // Stacks and contexts first, so the thread list can point at them.
    let mut placed: Vec<((u32, u32), (u32, u32))> = Vec::new();
    for t in &spec.threads {
        let ctx = o.blob(&context(&t.regs));
        o.align(16);
        let stack = o.blob(&t.stack);
        placed.push((ctx, stack));
    }
    let mut memory: Vec<(u64, (u32, u32))> = spec
        .threads
        .iter()
        .zip(&placed)
        .filter(|(t, _)| !t.stack.is_empty())
        .map(|(t, p)| (t.stack_start, p.1))
        .collect();
    for (addr, bytes) in &spec.memory {
        o.align(16);
        let loc = o.blob(bytes);
        memory.push((*addr, loc));
    }

    // Thread list.
    o.align(4);
    let at = o.rva();
    o.u32(spec.threads.len() as u32);
    for (t, (ctx, stack)) in spec.threads.iter().zip(&placed) {
        o.u32(t.tid);
        o.u32(0); // suspend count
        o.u32(0); // priority class
        o.u32(0); // priority
        o.u64(t.fs_base); // teb
        o.u64(t.stack_start);
        o.u32(stack.0);
        o.u32(stack.1);
        o.u32(ctx.0);
        o.u32(ctx.1);
    }
    streams.push((stream::THREAD_LIST, o.rva() - at, at));

    // Thread names.
    let names: Vec<u32> = spec.threads.iter().map(|t| o.string(&t.name)).collect();
    o.align(4);
    let at = o.rva();
    o.u32(spec.threads.len() as u32);
    for (t, name) in spec.threads.iter().zip(names) {
        o.u32(t.tid);
        o.u64(u64::from(name));
    }
    streams.push((stream::THREAD_NAME_LIST, o.rva() - at, at));

    // Modules: names and CodeView records, then the list.
    let mut extra: Vec<(u32, (u32, u32))> = Vec::new();
    for m in &spec.modules {
        let name = o.string(&m.path);
        let mut cv = CV_ELF.to_le_bytes().to_vec();
        cv.extend_from_slice(m.build_id.as_deref().unwrap_or_default());
        let cv = if m.build_id.is_some() {
            o.blob(&cv)
        } else {
            (0, 0)
        };
        extra.push((name, cv));
    }
    o.align(4);
    let at = o.rva();
    o.u32(spec.modules.len() as u32);
    for (m, (name, cv)) in spec.modules.iter().zip(&extra) {
        o.u64(m.base);
        o.u32(m.size.min(u64::from(u32::MAX)) as u32);
        o.u32(0); // checksum
        o.u32(0); // time stamp
        o.u32(*name);
        // VS_FIXEDFILEINFO: its signature, the rest zero.
        o.u32(0xfeef_04bd);
        o.0.extend_from_slice(&[0u8; 48]);
        o.u32(cv.0);
        o.u32(cv.1);
        o.u64(0); // misc record
        o.u64(0);
        o.u64(0);
    }
    streams.push((stream::MODULE_LIST, o.rva() - at, at));

    // Memory list.
    let at = o.rva();
    o.u32(memory.len() as u32);
    for (addr, (size, rva)) in &memory {
        o.u64(*addr);
        o.u32(*size);
        o.u32(*rva);
    }
    streams.push((stream::MEMORY_LIST, o.rva() - at, at));

    // Exception.
    if let Some(e) = &spec.exception {
        let ctx = spec
            .threads
            .iter()
            .zip(&placed)
            .find(|(t, _)| t.tid == e.tid)
            .map_or((0, 0), |(_, p)| p.0);
        let at = o.rva();
        o.u32(e.tid);
        o.u32(0);
        o.u32(e.code);
        o.u32(e.flags);
        o.u64(0);
        o.u64(e.address);
        o.u32(0);
        o.u32(0);
        o.0.extend_from_slice(&[0u8; 15 * 8]);
        o.u32(ctx.0);
        o.u32(ctx.1);
        streams.push((stream::EXCEPTION, o.rva() - at, at));
    }

    for (ty, bytes) in &spec.streams {
        let (size, rva) = o.blob(bytes);
        streams.push((*ty, size, rva));
    }
    // The dump's end: a pad so a reader never sees a stream cut short.
    o.align(4);

    for (i, (ty, size, rva)) in streams.iter().enumerate() {
        let at = dir + i * 12;
        o.put_u32(at, *ty);
        o.put_u32(at + 4, *size);
        o.put_u32(at + 8, *rva);
    }
    o.0
}

/// The debug id Breakpad and Sentry give an ELF module: the first 16 bytes
/// of its build-id (zero-padded) read as a GUID — the first three fields
/// little-endian — and an age of 0, in upper-case hex.
pub fn debug_id(build_id: &[u8]) -> String {
    let mut g = [0u8; 16];
    let n = build_id.len().min(16);
    g[..n].copy_from_slice(&build_id[..n]);
    g[..4].reverse();
    g[4..6].reverse();
    g[6..8].reverse();
    let mut s: String = g.iter().map(|b| format!("{b:02X}")).collect();
    s.push('0');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_id_swaps_the_guid_fields_as_breakpad_does() {
        let id: Vec<u8> = (0u8..20).collect();
        assert_eq!(debug_id(&id), "030201000504070608090A0B0C0D0E0F0");
        assert_eq!(debug_id(&[0xab]), "000000AB0000000000000000000000000");
    }

    #[test]
    fn a_context_keeps_every_register() {
        let mut regs: Regs = [None; 17];
        for (i, r) in regs.iter_mut().enumerate() {
            *r = Some(0x1000 + i as u64);
        }
        let c = context(&regs);
        assert_eq!(c.len(), CONTEXT_SIZE);
        assert_eq!(regs_of_context(&c), Some(regs));
        assert_eq!(regs_of_context(&c[..100]), None);
    }
}
