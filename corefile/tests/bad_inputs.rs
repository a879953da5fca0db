//! Bad files: truncated cores, byte flips, non-ELF files, executables, cores
//! of other machines, zstd bombs. Each gets its one-line error, never a
//! panic; a bounded property test mutates a small real core 20,000 times.

mod common;

use common::*;
use corefile::{Core, CoreError};

/// Everything a caller may ask of a core, so that a mutation that parses is
/// also read through.
fn exercise(core: &Core) {
    let _ = core.threads().len();
    let _ = core.siginfo();
    let _ = core.psinfo();
    let _ = core.mapped_files().len();
    let _ = core.auxv();
    let _ = core.note("PMDB", 0x504d_4442);
    let mut buf = [0u8; 64];
    let segs: Vec<_> = core.segments().collect();
    for (vaddr, memsz, filesz) in segs {
        let _ = core.read(vaddr, &mut buf);
        let _ = core.read(vaddr.wrapping_add(filesz).wrapping_sub(8), &mut buf);
        let _ = core.read(vaddr.wrapping_add(memsz), &mut buf);
    }
    let _ = core.read(u64::MAX - 8, &mut buf);
}

#[test]
fn the_small_core_reads_back() {
    let bytes = small_core(&test_dir("small"));
    let core = Core::parse(bytes).unwrap();
    assert_eq!(core.threads().len(), 2);
    assert_eq!(core.threads()[1].tid, 4243);
    assert_eq!(core.threads()[1].regs[16], Some(0x210));
    assert_eq!(core.psinfo().unwrap().args, "small --core");
    assert_eq!(core.auxv(), Some(vec![(9, 0x10040), (3, 0x10040)]));
    assert_eq!(
        core.segments().collect::<Vec<_>>(),
        [
            (0x10000, 0x2000, 0x1000), // the ELF header page only
            (0x12000, 0x1000, 0x1000),
            (0x20000, 0x3000, 0x3000),
            (0x30000, 0x1000, 0),
        ]
    );
    let files = core.mapped_files();
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[1].start, files[1].offset, files[1].path.as_str()),
        (0x12000, 0x2000, "/bin/small")
    );
    let mut b = [0u8; 6];
    core.read(0x22ffa, &mut b).unwrap();
    let want: Vec<u8> = (0x22ffa..0x23000u64).map(|a| (a % 251) as u8).collect();
    assert_eq!(b[..], want[..]);
    // Across two adjacent segments.
    core.read(0x12ffd, &mut b[..3]).unwrap();
    assert_eq!(
        core.read(0x12ffd, &mut b),
        Err(corefile::Unreadable { addr: 0x13000 })
    );
    assert_eq!(
        core.read(0x11000, &mut b),
        Err(corefile::Unreadable { addr: 0x11000 })
    );
    assert_eq!(
        core.read(0x30000, &mut b),
        Err(corefile::Unreadable { addr: 0x30000 })
    );
}

#[test]
fn truncated_cores_say_so() {
    let bytes = small_core(&test_dir("truncated"));
    let len = bytes.len();
    let mut cuts: Vec<usize> = (0..len).step_by(61).collect();
    cuts.extend([1, 3, 4, 5, 19, 20, 63, 64, 65, len - 4096, len - 1]);
    for cut in cuts {
        let err = Core::parse(bytes[..cut].to_vec()).unwrap_err();
        match (&err, cut) {
            (CoreError::NotElf, 0..4) => {}
            (CoreError::Truncated { needed, have, .. }, _) => {
                assert_eq!(*have, cut as u64);
                assert!(*needed > *have, "{err}");
            }
            _ => panic!("cut at {cut}: {err:?}"),
        }
    }
    assert_eq!(
        Core::parse(bytes[..40].to_vec()).unwrap_err().to_string(),
        "the core is truncated: the ELF header needs 64 bytes, the file has 40"
    );
    let msg = Core::parse(bytes[..len - 1].to_vec())
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        format!(
            "the core is truncated: the memory segment at 0x20000 needs {len} bytes, the file has {}",
            len - 1
        )
    );
}

#[test]
fn not_cores_say_what_they_are() {
    let dir = test_dir("not-cores");
    let text = dir.join("notes.txt");
    std::fs::write(&text, "hello, this is not a core\n").unwrap();
    let err = Core::open(&text).unwrap_err();
    assert!(matches!(err, CoreError::NotElf));
    assert_eq!(err.to_string(), "not a core file: not an ELF file");
    let empty = dir.join("empty");
    std::fs::write(&empty, "").unwrap();
    assert!(matches!(Core::open(&empty), Err(CoreError::NotElf)));

    // An executable (this test, a PIE) and a position-dependent one if any.
    let err = Core::open(&std::env::current_exe().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a core file: ELF type is DYN (an executable or shared library?)"
    );
    let mut exec = small_core(&dir);
    exec[16] = 2;
    let err = Core::parse(exec).unwrap_err();
    assert!(matches!(&err, CoreError::NotCore { elf_type } if elf_type == "EXEC"));
    assert_eq!(
        err.to_string(),
        "not a core file: ELF type is EXEC (an executable or shared library?)"
    );

    let missing = Core::open(&dir.join("missing")).unwrap_err();
    assert!(matches!(missing, CoreError::Io(_)));
    assert_eq!(
        missing.to_string(),
        "core file: No such file or directory (os error 2)"
    );
    assert!(matches!(Core::open(&dir), Err(CoreError::Io(_))));
    // A device is not read on and on.
    assert_eq!(
        Core::open(std::path::Path::new("/dev/zero"))
            .unwrap_err()
            .to_string(),
        "core file: /dev/zero is not a regular file"
    );
}

#[test]
fn other_machines_are_refused() {
    let bytes = small_core(&test_dir("arch"));
    let mut arm = bytes.clone();
    arm[18..20].copy_from_slice(&183u16.to_le_bytes());
    let err = Core::parse(arm).unwrap_err();
    assert!(matches!(&err, CoreError::WrongArch { machine } if machine == "AArch64"));
    assert_eq!(
        err.to_string(),
        "the core is for AArch64; pmdb reads x86-64 cores"
    );
    let mut i386 = bytes.clone();
    i386[4] = 1;
    i386[18..20].copy_from_slice(&3u16.to_le_bytes());
    assert_eq!(
        Core::parse(i386).unwrap_err().to_string(),
        "the core is for 32-bit x86; pmdb reads x86-64 cores"
    );
    let mut s390 = bytes;
    s390[5] = 2;
    s390[16..18].copy_from_slice(&4u16.to_be_bytes());
    s390[18..20].copy_from_slice(&22u16.to_be_bytes());
    assert_eq!(
        Core::parse(s390).unwrap_err().to_string(),
        "the core is for big-endian S/390; pmdb reads x86-64 cores"
    );
}

#[test]
fn zstd_bombs_are_refused() {
    let dir = test_dir("zstd-bomb");
    // A frame header declaring 100 GiB: magic, descriptor (8-byte size,
    // window byte follows), window, size.
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x58];
    frame.extend_from_slice(&(100u64 << 30).to_le_bytes());
    let path = dir.join("bomb.core.zst");
    std::fs::write(&path, &frame).unwrap();
    let err = Core::open(&path).unwrap_err();
    assert!(matches!(err, CoreError::Zstd(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "zstd: the core decompresses to {} bytes or more; pmdb opens cores up to 64 GiB",
            100u64 << 30
        )
    );
    // zstd garbage.
    std::fs::write(&path, [0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff, 0xff]).unwrap();
    assert!(matches!(Core::open(&path), Err(CoreError::Zstd(_))));
    // A compressed non-core: decompresses, then is not ELF.
    std::fs::write(&path, zstd::encode_all(&b"just text"[..], 3).unwrap()).unwrap();
    assert!(matches!(Core::open(&path), Err(CoreError::NotElf)));
}

/// Seeded, so a failure replays.
#[test]
fn mutated_cores_never_panic() {
    let bytes = small_core(&test_dir("mutations"));
    // Most mutations go to the headers and notes, where the parsing is.
    let head = 4096.min(bytes.len());
    let mut rng = fastrand::Rng::with_seed(0x5eed_c0de_1234_5678);
    let (mut ok, mut errs) = (0, 0);
    let start = std::time::Instant::now();
    for _ in 0..20_000 {
        let mut m = bytes.clone();
        for _ in 0..1 + rng.usize(..8) {
            let at = if rng.usize(..10) < 8 {
                rng.usize(..head.min(m.len()))
            } else {
                rng.usize(..m.len())
            };
            match rng.usize(..4) {
                0 => m[at] ^= 1 << rng.usize(..8),
                1 => m[at] = rng.u8(..),
                // An interesting value in a 64-bit field.
                2 => {
                    let v = [0u64, 1, 0xff, 0xffff, 0xffff_ffff, u64::MAX, 1 << 40][rng.usize(..7)];
                    let at = at.min(m.len() - 8);
                    m[at..at + 8].copy_from_slice(&v.to_le_bytes());
                }
                _ => m.truncate(at.max(1)),
            }
            if m.len() < 16 {
                break;
            }
        }
        match Core::parse(m) {
            Ok(core) => {
                exercise(&core);
                ok += 1;
            }
            Err(e) => {
                assert!(!e.to_string().contains('\n'), "{e}");
                errs += 1;
            }
        }
    }
    eprintln!(
        "{ok} mutations parsed, {errs} refused, in {:?}",
        start.elapsed()
    );
    assert!(ok > 100 && errs > 100, "{ok} parsed, {errs} refused");
}
