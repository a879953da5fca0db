//! Measures writing a core of this process with ~50 MB of dirty heap (half
//! random bytes, half repeated text), plain and zstd, and prints the time
//! and sizes. `cargo run -p pmdb-corefile --release --example write_bench`.

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::time::Instant;

use corefile::{Compression, CoreSpec, PsInfo, ThreadRegs};

/// CPU time of this process (user + system): on a busy machine the honest
/// figure beside the wall clock.
fn cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let mut heap = vec![0u8; mb << 20];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let half = heap.len() / 2;
    for chunk in heap[..half].chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let text = b"thread 'main' panicked at src/main.rs:42:5: index out of bounds; ";
    for (i, b) in heap[half..].iter_mut().enumerate() {
        *b = text[i % text.len()];
    }
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap();
    for line in rollup
        .lines()
        .filter(|l| l.starts_with("Private_Dirty") || l.starts_with("Rss"))
    {
        println!("{line}");
    }
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let regs = [Some(1u64); 17];
    let spec = CoreSpec {
        pid: std::process::id(),
        threads: vec![ThreadRegs {
            tid: std::process::id(),
            regs,
            signal: 6,
            fs_base: 0,
        }],
        siginfo: None,
        psinfo: PsInfo {
            pid: std::process::id(),
            fname: "write_bench".into(),
            args: String::new(),
        },
        regions: corefile::regions_from_maps(&maps),
        kept: None,
        extra_notes: Vec::new(),
    };
    let mem = File::open("/proc/self/mem").unwrap();
    let dir = std::env::temp_dir();
    for (name, compression) in [("plain", Compression::None), ("zstd", Compression::Zstd)] {
        let path = dir.join(format!("write_bench.{name}.core"));
        let mut out = File::create(&path).unwrap();
        let mut read = |addr: u64, buf: &mut [u8]| mem.read_exact_at(buf, addr).is_ok();
        let t = Instant::now();
        let c = cpu();
        let stats = corefile::write(&spec, &mut read, &mut out, compression).unwrap();
        let written = t.elapsed();
        let cpu_time = cpu() - c;
        out.sync_data().ok();
        let synced = t.elapsed();
        let meta = std::fs::metadata(&path).unwrap();
        let t = Instant::now();
        let core = corefile::Core::open(&path).unwrap();
        let opened = t.elapsed();
        println!(
            "{name}: {} MB dirty heap: written in {written:.1?} ({cpu_time:.1?} CPU; {synced:.1?} with fsync); file {} bytes \
             ({} on disk), {} bytes dumped in {} segments; opened in {opened:.1?} ({} threads)",
            mb,
            meta.len(),
            meta.blocks() * 512,
            stats.bytes_dumped,
            stats.segments,
            core.threads().len()
        );
        std::fs::remove_file(&path).ok();
    }
    std::hint::black_box(&heap);
}
