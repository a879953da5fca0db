//! The layouts of the Linux x86-64 core notes: `NT_PRSTATUS`
//! (`struct elf_prstatus`), `NT_PRPSINFO` (`struct elf_prpsinfo`),
//! `NT_SIGINFO` (`siginfo_t`), `NT_FILE` and `NT_AUXV`; encoding, and
//! decoding that checks every length against the note it reads.

use crate::{CoreError, CoreThread, MappedFile, PsInfo, Regs, SigInfo, ThreadRegs};

pub const NT_PRSTATUS: u32 = 1;
pub const NT_PRPSINFO: u32 = 3;
pub const NT_AUXV: u32 = 6;
pub const NT_SIGINFO: u32 = 0x5349_4749;
pub const NT_FILE: u32 = 0x4649_4c45;

/// `sizeof(struct elf_prstatus)` on x86-64.
pub const PRSTATUS_SIZE: usize = 336;
/// Offset of `pr_reg` (a `user_regs_struct`) in `elf_prstatus`.
const PR_REG: usize = 112;
/// Registers in `user_regs_struct`.
const USER_REGS: usize = 27;
/// `sizeof(struct elf_prpsinfo)` on x86-64.
pub const PRPSINFO_SIZE: usize = 136;
/// `sizeof(siginfo_t)`.
pub const SIGINFO_SIZE: usize = 128;
/// The page size `NT_FILE` offsets count in.
pub const PAGE: u64 = 4096;

/// For each DWARF register 0..=16, its index in `user_regs_struct`
/// (r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip
/// cs eflags rsp ss fs_base gs_base ds es fs gs).
const DWARF_TO_USER: [usize; 17] = [10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16];
const USER_CS: usize = 17;
const USER_SS: usize = 20;
const USER_FS_BASE: usize = 21;
/// The selectors every 64-bit Linux user process runs with.
const CS_USER64: u64 = 0x33;
const SS_USER: u64 = 0x2b;

/// Appends one note (4-byte aligned name and descriptor, as in Linux cores).
pub fn push_note(out: &mut Vec<u8>, name: &str, ty: u32, desc: &[u8]) {
    let namesz = name.len() + 1;
    out.extend_from_slice(&(namesz as u32).to_le_bytes());
    out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
    out.extend_from_slice(desc);
    pad4(out);
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}
/// A string into a fixed field, cut to leave room for the NUL.
fn put_str(b: &mut [u8], at: usize, len: usize, s: &str) {
    let n = s.len().min(len - 1);
    b[at..at + n].copy_from_slice(&s.as_bytes()[..n]);
}

fn get_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn get_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}
/// A NUL-terminated string from a fixed field (the whole field if no NUL).
fn get_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Ids of the writing process, filled in where the core is of the process
/// itself (as the agent writes it).
pub struct ProcIds {
    pub ppid: u32,
    pub pgrp: u32,
    pub sid: u32,
    pub uid: u32,
    pub gid: u32,
}

/// The ids of this process when `pid` is this process, else zeros.
pub fn proc_ids(pid: u32) -> ProcIds {
    // SAFETY: these libc calls take no pointers and cannot fail.
    let own = unsafe { libc::getpid() } as u32 == pid;
    if !own {
        return ProcIds {
            ppid: 0,
            pgrp: 0,
            sid: 0,
            uid: 0,
            gid: 0,
        };
    }
    // SAFETY: as above: no arguments but plain integers, no failure mode
    // for the calling process itself.
    unsafe {
        ProcIds {
            ppid: libc::getppid() as u32,
            pgrp: libc::getpgid(0) as u32,
            sid: libc::getsid(0) as u32,
            uid: libc::getuid(),
            gid: libc::getgid(),
        }
    }
}

/// `struct elf_prstatus` of one thread. Registers the thread does not know
/// are 0, except cs and ss, which hold the user selectors.
pub fn prstatus(t: &ThreadRegs, ids: &ProcIds) -> Vec<u8> {
    let mut b = vec![0u8; PRSTATUS_SIZE];
    put_u32(&mut b, 0, t.signal); // pr_info.si_signo
    put_u16(&mut b, 12, t.signal as u16); // pr_cursig
    put_u32(&mut b, 32, t.tid); // pr_pid
    put_u32(&mut b, 36, ids.ppid);
    put_u32(&mut b, 40, ids.pgrp);
    put_u32(&mut b, 44, ids.sid);
    let mut user = [0u64; USER_REGS];
    for (dwarf, &u) in DWARF_TO_USER.iter().enumerate() {
        user[u] = t.regs[dwarf].unwrap_or(0);
    }
    user[USER_CS] = CS_USER64;
    user[USER_SS] = SS_USER;
    user[USER_FS_BASE] = t.fs_base;
    for (i, v) in user.iter().enumerate() {
        put_u64(&mut b, PR_REG + 8 * i, *v);
    }
    b
}

/// Decodes `elf_prstatus`; `None` if the note is too short for `pr_reg`.
pub fn parse_prstatus(d: &[u8]) -> Option<CoreThread> {
    if d.len() < PR_REG + 8 * USER_REGS {
        return None;
    }
    let user = |i: usize| get_u64(d, PR_REG + 8 * i).unwrap_or(0);
    let mut regs: Regs = [None; 17];
    for (dwarf, &u) in DWARF_TO_USER.iter().enumerate() {
        regs[dwarf] = Some(user(u));
    }
    Some(CoreThread {
        tid: get_u32(d, 32)?,
        signal: u32::from(u16::from_le_bytes([d[12], d[13]])),
        regs,
        fs_base: user(USER_FS_BASE),
    })
}

/// `struct elf_prpsinfo`: state R, the short name and the arguments.
pub fn prpsinfo(p: &PsInfo, ids: &ProcIds) -> Vec<u8> {
    let mut b = vec![0u8; PRPSINFO_SIZE];
    b[1] = b'R'; // pr_sname
    put_u32(&mut b, 16, ids.uid);
    put_u32(&mut b, 20, ids.gid);
    put_u32(&mut b, 24, p.pid);
    put_u32(&mut b, 28, ids.ppid);
    put_u32(&mut b, 32, ids.pgrp);
    put_u32(&mut b, 36, ids.sid);
    put_str(&mut b, 40, 16, &p.fname);
    put_str(&mut b, 56, 80, &p.args);
    b
}

pub fn parse_prpsinfo(d: &[u8]) -> Option<PsInfo> {
    if d.len() < PRPSINFO_SIZE {
        return None;
    }
    Some(PsInfo {
        pid: get_u32(d, 24)?,
        fname: get_str(&d[40..56]),
        args: get_str(&d[56..136]).trim_end().to_string(),
    })
}

/// `siginfo_t`: signo, errno 0, code, and the address at the union's start
/// (`si_addr` for SIGSEGV, SIGBUS, SIGILL and SIGFPE).
pub fn siginfo(s: &SigInfo) -> Vec<u8> {
    let mut b = vec![0u8; SIGINFO_SIZE];
    put_u32(&mut b, 0, s.signo as u32);
    put_u32(&mut b, 8, s.code as u32);
    put_u64(&mut b, 16, s.addr);
    b
}

pub fn parse_siginfo(d: &[u8]) -> Option<SigInfo> {
    Some(SigInfo {
        signo: get_u32(d, 0)? as i32,
        code: get_u32(d, 8)? as i32,
        addr: get_u64(d, 16)?,
    })
}

/// `NT_FILE`: count, page size, (start, end, offset in pages) triples, then
/// the NUL-terminated paths.
pub fn nt_file(files: &[MappedFile]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&(files.len() as u64).to_le_bytes());
    b.extend_from_slice(&PAGE.to_le_bytes());
    for f in files {
        for v in [f.start, f.end, f.offset / PAGE] {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    for f in files {
        b.extend_from_slice(f.path.as_bytes());
        b.push(0);
    }
    b
}

pub fn parse_nt_file(d: &[u8]) -> Result<Vec<MappedFile>, CoreError> {
    let bad = |why: &str| CoreError::Corrupt(format!("the NT_FILE note {why}"));
    let count = get_u64(d, 0).ok_or_else(|| bad("is shorter than its header"))?;
    let page = get_u64(d, 8).ok_or_else(|| bad("is shorter than its header"))?;
    // Each entry takes 24 bytes, so the note's length bounds the count.
    let table_len = count
        .checked_mul(24)
        .filter(|&n| n <= (d.len() - 16) as u64)
        .ok_or_else(|| bad(&format!("claims {count} files in {} bytes", d.len())))?
        as usize;
    let mut names = d[16 + table_len..].split(|&c| c == 0);
    let mut files = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let at = 16 + 24 * i;
        let (start, end, pages) = (
            get_u64(d, at).unwrap_or(0),
            get_u64(d, at + 8).unwrap_or(0),
            get_u64(d, at + 16).unwrap_or(0),
        );
        let name = names
            .next()
            .ok_or_else(|| bad(&format!("has {count} entries but fewer paths")))?;
        files.push(MappedFile {
            start,
            end,
            offset: pages
                .checked_mul(page)
                .ok_or_else(|| bad("has an offset past 2^64"))?,
            path: String::from_utf8_lossy(name).into_owned(),
        });
    }
    Ok(files)
}

/// `NT_AUXV`: (type, value) pairs up to `AT_NULL`.
pub fn parse_auxv(d: &[u8]) -> Vec<(u64, u64)> {
    d.chunks_exact(16)
        .map(|c| (get_u64(c, 0).unwrap_or(0), get_u64(c, 8).unwrap_or(0)))
        .take_while(|&(ty, _)| ty != 0)
        .collect()
}
