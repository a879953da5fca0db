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
            },
            ThreadRegs {
                tid: tid() + 100_000,
                regs: regs(0x2000),
                signal: 0,
            },
            ThreadRegs {
                tid: tid() + 100_001,
                regs: third,
                signal: 0,
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
