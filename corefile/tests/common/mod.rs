//! Helpers shared by the integration tests: writing a core of the test
//! process itself, with made-up threads whose registers the tests know.

#![allow(dead_code)]

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use corefile::{Compression, CoreSpec, Note, PsInfo, Regs, SigInfo, ThreadRegs, WriteStats};

/// A fresh directory under the target dir's tmp, named for the test.
pub fn test_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("corefile-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Registers where register n holds `base + n`.
pub fn regs(base: u64) -> Regs {
    let mut r: Regs = [None; 17];
    for (i, v) in r.iter_mut().enumerate() {
        *v = Some(base + i as u64);
    }
    r
}

/// The process's short name, as the kernel would write it.
pub fn comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .unwrap()
        .trim_end()
        .to_string()
}

pub fn tid() -> u32 {
    // SAFETY: gettid takes no arguments and cannot fail.
    unsafe { libc::gettid() as u32 }
}

/// Our own extra note, as the agent would write its crash record.
pub fn pmdb_note() -> Note {
    Note {
        name: "PMDB".into(),
        ty: 0x504d_4442,
        desc: b"{\"message\":\"boom\"}".to_vec(),
    }
}

/// The spec of this process: three threads (the first is this one, with
/// `rip` given), siginfo SIGSEGV at 0x10, NT_AUXV and our note.
pub fn self_spec(rip: u64) -> CoreSpec {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let auxv = std::fs::read("/proc/self/auxv").unwrap();
    let mut first = regs(0x1000);
    first[16] = Some(rip);
    let mut third = regs(0x3000);
    third[5] = None; // unknown rdi: written as 0
    CoreSpec {
        pid: std::process::id(),
        threads: vec![
            ThreadRegs {
                tid: tid(),
                regs: first,
                signal: 11,
                fs_base: 0x7f00_0000_1000,
            },
            ThreadRegs {
                tid: tid() + 100_000,
                regs: regs(0x2000),
                signal: 0,
                fs_base: 0,
            },
            ThreadRegs {
                tid: tid() + 100_001,
                regs: third,
                signal: 0,
                fs_base: 0,
            },
        ],
        siginfo: Some(SigInfo {
            signo: 11,
            code: 1,
            addr: 0x10,
        }),
        psinfo: PsInfo {
            pid: std::process::id(),
            fname: comm(),
            args: "corefile-test --exact round trip".into(),
        },
        regions: corefile::regions_from_maps(&maps),
        kept: None,
        extra_notes: vec![
            Note {
                name: "CORE".into(),
                ty: corefile::NT_AUXV,
                desc: auxv,
            },
            pmdb_note(),
        ],
    }
}

/// Writes a core of this process to `path`, reading memory through
/// `/proc/self/mem` (fault-safe: an unreadable page is an error, not a
/// signal).
pub fn write_self_core(spec: &CoreSpec, path: &Path, compression: Compression) -> WriteStats {
    let mem = File::open("/proc/self/mem").unwrap();
    let mut read = |addr: u64, buf: &mut [u8]| mem.read_exact_at(buf, addr).is_ok();
    let mut out = File::create(path).unwrap();
    corefile::write(spec, &mut read, &mut out, compression).unwrap()
}

/// As [`write_self_core`], also counting the bytes the writer asked for.
pub fn write_self_core_counting(
    spec: &CoreSpec,
    path: &Path,
    compression: Compression,
) -> (WriteStats, u64) {
    let mem = File::open("/proc/self/mem").unwrap();
    let mut asked = 0u64;
    let mut read = |addr: u64, buf: &mut [u8]| {
        asked += buf.len() as u64;
        mem.read_exact_at(buf, addr).is_ok()
    };
    let mut out = File::create(path).unwrap();
    let stats = corefile::write(spec, &mut read, &mut out, compression).unwrap();
    (stats, asked)
}

/// A small core made up from scratch (no process memory): two threads,
/// siginfo, an anonymous region of known bytes, a file region whose first
/// page is an ELF header, an inaccessible region, auxv and our note. About
/// 20 KB: what the property test mutates.
pub fn small_core(dir: &Path) -> Vec<u8> {
    use corefile::Region;
    let region = |start: u64, pages: u64, r: bool, w: bool, file: Option<(&str, u64)>| Region {
        start,
        end: start + pages * 4096,
        read: r,
        write: w,
        exec: false,
        file: file.map(|(p, o)| (p.to_string(), o)),
    };
    let spec = CoreSpec {
        pid: 4242,
        threads: vec![
            ThreadRegs {
                tid: 4242,
                regs: regs(0x100),
                signal: 6,
                fs_base: 0,
            },
            ThreadRegs {
                tid: 4243,
                regs: regs(0x200),
                signal: 0,
                fs_base: 0,
            },
        ],
        siginfo: Some(SigInfo {
            signo: 6,
            code: -6,
            addr: 0,
        }),
        psinfo: PsInfo {
            pid: 4242,
            fname: "small".into(),
            args: "small --core".into(),
        },
        regions: vec![
            // Code: only its ELF header page is dumped.
            Region {
                exec: true,
                ..region(0x10000, 2, true, false, Some(("/bin/small", 0)))
            },
            region(0x12000, 1, true, true, Some(("/bin/small", 0x2000))),
            region(0x20000, 3, true, true, None),
            region(0x30000, 1, false, false, None),
        ],
        kept: None,
        extra_notes: vec![
            Note {
                name: "CORE".into(),
                ty: corefile::NT_AUXV,
                desc: [9u64, 0x10040, 3, 0x10040, 0, 0]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect(),
            },
            pmdb_note(),
        ],
    };
    let mut read = |addr: u64, buf: &mut [u8]| {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = ((addr + i as u64) % 251) as u8;
        }
        if addr == 0x10000 {
            buf[..4].copy_from_slice(b"\x7fELF");
        }
        true
    };
    let path = dir.join("small.core");
    let mut out = File::create(&path).unwrap();
    corefile::write(&spec, &mut read, &mut out, Compression::None).unwrap();
    std::fs::read(&path).unwrap()
}
