//! Round trip: a core of this test process, written and read back, gives the
//! threads, registers, notes, files and memory bytes that went in; pages of
//! zeros are holes; zstd gives the same core.

mod common;

use std::os::unix::fs::MetadataExt;
use std::sync::atomic::AtomicU64;

use common::*;
use corefile::{Compression, Core, CoreError, SigInfo};

/// In .rodata: file-backed, read-only, so not in the core.
static KNOWN: [u8; 32] = *b"pmdb corefile static known bytes";
/// In .data (interior mutability): dumped.
static KNOWN_DATA: [AtomicU64; 2] = [
    AtomicU64::new(0x1122_3344_5566_7788),
    AtomicU64::new(0x99aa_bbcc_ddee_ff00),
];

#[test]
fn round_trip_of_this_process() {
    let dir = test_dir("roundtrip");
    let heap: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    // Untouched zeroed memory: 32 MiB that must stay holes.
    let zeros = vec![0u8; 32 << 20];
    let spec = self_spec(0xdead_beef);
    let path = dir.join("self.core");
    let (stats, asked) = write_self_core_counting(&spec, &path, Compression::None);
    // Never-touched anonymous pages are skipped unread (the page tables say
    // so), the 32 MiB of zeros included.
    assert!(
        asked + (30 << 20) < stats.bytes_dumped,
        "{asked} of {}",
        stats.bytes_dumped
    );

    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(stats.bytes_written, meta.len());
    assert_eq!(stats.segments, spec.regions.len());
    assert!(stats.bytes_dumped >= 32 << 20);
    // Holes: the blocks on disk are far fewer than the file's length.
    let on_disk = meta.blocks() * 512;
    assert!(
        on_disk + (30 << 20) < meta.len(),
        "{on_disk} bytes on disk for a {} byte file",
        meta.len()
    );

    let core = Core::open(&path).unwrap();
    // Threads and registers exactly as written.
    let threads = core.threads();
    assert_eq!(threads.len(), 3);
    for (t, w) in threads.iter().zip(&spec.threads) {
        assert_eq!(t.tid, w.tid);
        // Every thread carries the fatal signal, as in the kernel's cores.
        assert_eq!(t.signal, 11);
        let written: Vec<u64> = w.regs.iter().map(|r| r.unwrap_or(0)).collect();
        let read: Vec<u64> = t.regs.iter().map(|r| r.unwrap()).collect();
        assert_eq!(read, written);
        assert_eq!(t.fs_base, w.fs_base);
    }
    assert_eq!(threads[0].fs_base, 0x7f00_0000_1000);
    assert_eq!(threads[0].regs[16], Some(0xdead_beef));
    assert_eq!(threads[2].regs[5], Some(0));
    assert_eq!(threads[1].regs[7], Some(0x2007));

    assert_eq!(
        core.siginfo(),
        Some(SigInfo {
            signo: 11,
            code: 1,
            addr: 0x10
        })
    );
    let ps = core.psinfo().unwrap();
    assert_eq!(ps.pid, std::process::id());
    assert_eq!(ps.fname, comm());
    assert_eq!(ps.args, "corefile-test --exact round trip");
    assert_eq!(core.note("PMDB", 0x504d_4442), Some(&pmdb_note().desc[..]));
    assert_eq!(core.note("PMDB", 1), None);
    assert_eq!(
        core.note("CORE", corefile::NT_AUXV),
        Some(&spec.extra_notes[0].desc[..])
    );
    let auxv = core.auxv().unwrap();
    // SAFETY: getauxval reads the process's own auxiliary vector.
    let at_entry = unsafe { libc::getauxval(libc::AT_ENTRY) };
    assert!(auxv.contains(&(libc::AT_ENTRY, at_entry)));

    // NT_FILE: every file-backed region, offsets in bytes.
    let files: Vec<(u64, u64, u64, String)> = spec
        .regions
        .iter()
        .filter_map(|r| {
            let (p, o) = r.file.clone()?;
            (!p.starts_with('[')).then_some((r.start, r.end, o, p))
        })
        .collect();
    let read_files: Vec<(u64, u64, u64, String)> = core
        .mapped_files()
        .iter()
        .map(|f| (f.start, f.end, f.offset, f.path.clone()))
        .collect();
    assert_eq!(read_files, files);
    let exe = std::fs::read_link("/proc/self/exe").unwrap();
    assert!(
        read_files
            .iter()
            .any(|f| f.3 == exe.to_str().unwrap() && f.2 > 0)
    );

    // Segments: one per region, dumped ones with their full size.
    let segs: Vec<(u64, u64, u64)> = core.segments().collect();
    assert_eq!(segs.len(), spec.regions.len());
    let plan = corefile::dump_plan(&spec.regions);
    for (r, dump) in spec.regions.iter().zip(plan) {
        let memsz = r.end - r.start;
        // Not dumped: nothing, or the first page of an ELF file.
        let elf_start = r.read
            && r.file
                .as_ref()
                .is_some_and(|f| f.1 == 0 && f.0.starts_with('/'));
        let ok = if dump {
            segs.contains(&(r.start, memsz, memsz))
        } else {
            segs.contains(&(r.start, memsz, 0))
                || (elf_start && segs.contains(&(r.start, memsz, 4096)))
        };
        assert!(ok, "{r:?}");
    }
    // The executable's ELF header is in the core, as in the kernel's.
    let exe_start = spec
        .regions
        .iter()
        .find(|r| {
            r.file
                .as_ref()
                .is_some_and(|f| f.0 == exe.to_str().unwrap() && f.1 == 0)
        })
        .unwrap()
        .start;
    let mut magic = [0u8; 4];
    core.read(exe_start, &mut magic).unwrap();
    assert_eq!(&magic, b"\x7fELF");

    // Memory: heap bytes, a static, zero pages, and what is not in the core.
    let mut buf = vec![0u8; heap.len()];
    core.read(heap.as_ptr() as u64, &mut buf).unwrap();
    assert_eq!(buf, heap);
    let mut d = [0u8; 16];
    core.read(KNOWN_DATA.as_ptr() as u64, &mut d).unwrap();
    assert_eq!(
        d,
        0x99aa_bbcc_ddee_ff00_1122_3344_5566_7788u128.to_le_bytes()
    );
    let mut s = [0u8; 32];
    let rodata = KNOWN.as_ptr() as u64;
    assert_eq!(
        core.read(rodata, &mut s),
        Err(corefile::Unreadable { addr: rodata })
    );
    let mut z = vec![1u8; 8192];
    core.read(zeros.as_ptr() as u64 + (1 << 20), &mut z)
        .unwrap();
    assert!(z.iter().all(|&b| b == 0));
    // Code is file-backed read-only: not in the core, read it from the file.
    let code = round_trip_of_this_process as *const () as u64;
    assert_eq!(
        core.read(code, &mut s),
        Err(corefile::Unreadable { addr: code })
    );
    assert_eq!(core.read(8, &mut s), Err(corefile::Unreadable { addr: 8 }));
    // The vDSO is in the core (unwinding through a signal frame needs it).
    let vdso = spec
        .regions
        .iter()
        .find(|r| r.file.as_ref().is_some_and(|f| f.0 == "[vdso]"));
    let mut magic = [0u8; 4];
    core.read(vdso.unwrap().start, &mut magic).unwrap();
    assert_eq!(&magic, b"\x7fELF");
    // RELRO (read-only now, relocated at load): dumped, with the bytes the
    // process sees.
    let mem = std::fs::File::open("/proc/self/mem").unwrap();
    let relro: Vec<_> = spec
        .regions
        .iter()
        .zip(corefile::dump_plan(&spec.regions))
        .filter(|(r, dump)| *dump && !r.write)
        .map(|(r, _)| r)
        .collect();
    assert!(
        relro
            .iter()
            .any(|r| r.file.as_ref().unwrap().0 == exe.to_str().unwrap())
    );
    for r in relro {
        let (mut a, mut b) = (vec![0u8; 256], vec![1u8; 256]);
        std::os::unix::fs::FileExt::read_exact_at(&mem, &mut a, r.start).unwrap();
        core.read(r.start, &mut b).unwrap();
        assert_eq!(a, b);
    }
    std::hint::black_box(&zeros);
}

#[test]
fn zstd_round_trip() {
    let dir = test_dir("zstd");
    let spec = self_spec(0x1234);
    let plain = dir.join("self.core");
    write_self_core(&spec, &plain, Compression::None);
    let ours = dir.join("self.core.zst");
    let stats = write_self_core(&spec, &ours, Compression::Zstd);
    assert_eq!(stats.bytes_written, std::fs::metadata(&ours).unwrap().len());
    assert!(stats.bytes_written < std::fs::metadata(&plain).unwrap().len());

    // What systemd-coredump writes: a plain zstd frame of the whole core
    // (streamed, so without a content size).
    let sysd = dir.join("systemd.core.zst");
    {
        let mut enc =
            zstd::stream::write::Encoder::new(std::fs::File::create(&sysd).unwrap(), 3).unwrap();
        std::io::copy(&mut std::fs::File::open(&plain).unwrap(), &mut enc).unwrap();
        enc.finish().unwrap();
    }
    let a = Core::open(&plain).unwrap();
    for p in [&ours, &sysd] {
        let b = Core::open(p).unwrap();
        assert_eq!(a.threads(), b.threads());
        assert_eq!(a.mapped_files(), b.mapped_files());
        assert_eq!(a.note("PMDB", 0x504d_4442), b.note("PMDB", 0x504d_4442));
        assert_eq!(
            a.segments().collect::<Vec<_>>(),
            b.segments().collect::<Vec<_>>()
        );
    }
    // Our .zst decompresses (with the zstd tool too) to a core that opens;
    // memory written at different times differs, so compare structure only.
    let back = zstd::stream::decode_all(std::fs::File::open(&ours).unwrap()).unwrap();
    let c = Core::parse(back).unwrap();
    assert_eq!(c.threads(), a.threads());

    // A zstd stream that is cut short is a zstd error, not a panic.
    let bytes = std::fs::read(&sysd).unwrap();
    let cut = dir.join("cut.core.zst");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    match Core::open(&cut) {
        Err(CoreError::Zstd(_)) => {}
        other => panic!("{other:?}"),
    }
}

/// More than 65,534 program headers: the count goes to section header 0
/// (`PN_XNUM`), as the kernel writes it, and reads back.
#[test]
fn many_segments_use_pn_xnum() {
    let dir = test_dir("pn-xnum");
    let mut spec = self_spec(1);
    // Not this process: the writer must not consult our page tables.
    spec.pid = 1;
    spec.regions = (0..70_000u64)
        .map(|i| corefile::Region {
            start: 0x1000_0000 + i * 0x2000,
            end: 0x1000_0000 + i * 0x2000 + 0x1000,
            read: i % 1000 == 0,
            write: true,
            exec: false,
            file: None,
        })
        .collect();
    let path = dir.join("many.core");
    let mut out = std::fs::File::create(&path).unwrap();
    let mut read = |addr: u64, buf: &mut [u8]| {
        buf.fill((addr >> 13) as u8 | 1);
        true
    };
    let stats = corefile::write(&spec, &mut read, &mut out, Compression::None).unwrap();
    assert_eq!(stats.segments, 70_000);
    assert_eq!(stats.bytes_dumped, 70 * 4096);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(u16::from_le_bytes([bytes[56], bytes[57]]), 0xffff);
    let core = Core::parse(bytes).unwrap();
    assert_eq!(core.segments().count(), 70_000);
    let mut b = [0u8; 2];
    let addr = 0x1000_0000 + 69_000 * 0x2000;
    core.read(addr, &mut b).unwrap();
    assert_eq!(b, [(addr >> 13) as u8 | 1; 2]);
    assert_eq!(core.threads().len(), 3);
}
