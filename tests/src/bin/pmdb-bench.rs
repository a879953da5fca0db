//! The benchmark: pmdb against gdb on the same frozen crashed process.
//!
//! `bench/run.sh` builds the big demo (feature `big`, over 100 MB with debug
//! info) and runs this in release. It crashes the demo in wait mode 7 times
//! and on each fresh crash measures panic → socket ready and attach → first
//! screen (crash, threads, traceback, the crashed frame's locals), attaching
//! the instant the socket appears. On the last of those frozen processes it
//! then measures an expansion round trip, the first page of a
//! 10-million-element `Vec`, bytes on the wire, and `rust-gdb` (and plain
//! `gdb`) `-p PID -batch -ex 'thread apply all bt full'`. It also measures
//! the first screen 1 s after a crash, `install()`, and the cost of an
//! installed agent before any crash. Prints Markdown tables.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tests::bench::{Crashed, median, ms, rss_kb};

/// Traceback plus the crashed user frame's locals: what pmdb's first screen shows.
fn first_screen(socket: &Path) -> (wire::Session, Vec<wire::RemoteValue>) {
    first_screen_of(wire::Session::connect(socket).expect("connect"))
}

/// The first screen over an open session.
fn first_screen_of(s: wire::Session) -> (wire::Session, Vec<wire::RemoteValue>) {
    let crash = s.crash().expect("crash");
    let _threads = s.threads().expect("threads");
    let tb = s.traceback(crash.thread).expect("traceback");
    let frame = tb.user_frames().next().expect("a user frame").clone();
    let locals = frame.locals().expect("locals");
    (s, locals)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        // Child modes, run by the parent below.
        Some("--install") => {
            let t = Instant::now();
            debuggee_agent::install();
            println!("{}", t.elapsed().as_nanos());
            return;
        }
        Some("--open-core") => {
            // A new process opening a core: what `pmdb open` does first.
            let core = PathBuf::from(&args[2]);
            let session = engine::hosts::coredump::open_session(&core, &Default::default())
                .expect("open the core");
            let (_, locals) = first_screen_of(session);
            assert!(!locals.is_empty());
            return;
        }
        Some("--work") => {
            debuggee_agent::install();
            let t = Instant::now();
            let mut x = 0u64;
            for i in 0..200_000_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
            }
            println!("{} {x}", t.elapsed().as_nanos());
            return;
        }
        _ => {}
    }
    let demo = PathBuf::from(args.get(1).expect("usage: pmdb-bench BIG_DEMO"));
    let size = std::fs::metadata(&demo).map(|m| m.len()).unwrap_or(0);
    let me = std::env::current_exe().unwrap();

    // install() and the cost before any crash, in fresh processes.
    let install_us: Vec<f64> = (0..21)
        .map(|_| {
            let out = Command::new(&me)
                .arg("--install")
                .env("PMDB_MODE", "wait")
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .unwrap()
                / 1e3
        })
        .collect();
    let work = |mode: &str| -> f64 {
        let out = Command::new(&me)
            .arg("--work")
            .env("PMDB_MODE", mode)
            .output()
            .unwrap();
        let s = String::from_utf8_lossy(&out.stdout);
        s.split_whitespace().next().unwrap().parse::<f64>().unwrap() / 1e6
    };
    // Interleaved, so a change in the machine's load hits both modes alike.
    let (off, wait): (Vec<f64>, Vec<f64>) = (0..LOOPS).map(|_| (work("off"), work("wait"))).unzip();
    let (work_off, work_wait) = (median(off), median(wait));

    // Crash the big demo in wait mode, several times: each cold first
    // screen is measured on a fresh crash, attaching the instant the
    // socket appears (the agent has had no head start).
    let dir = std::env::temp_dir().join(format!("pmdb-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut ready = Vec::new();
    let mut cold = Vec::new();
    let mut rss_growth = Vec::new();
    let mut kept = None;
    for run in 0..CRASHES {
        let crashed = crash_big(&demo, &dir);
        ready.push(crashed.socket_ready_ms);
        let rss_before = rss_kb(crashed.pid());
        let t = Instant::now();
        let screen = first_screen(&crashed.socket);
        cold.push(ms(t.elapsed()));
        rss_growth.push(rss_kb(crashed.pid()).saturating_sub(rss_before) as f64);
        if run + 1 == CRASHES {
            kept = Some((crashed, screen));
        } else {
            let _ = screen.0.kill();
        }
    }
    let (crashed, (s, locals)) = kept.expect("at least one crash");
    let pid = crashed.pid();
    let first_screen_bytes = s.traffic();
    let units = s.stats().unwrap().units_parsed;
    let warm_ms = median(
        (0..15)
            .map(|_| {
                let t = Instant::now();
                let _ = first_screen(&crashed.socket);
                ms(t.elapsed())
            })
            .collect(),
    );

    // One expansion round trip (the order struct's fields) and the 10M page.
    let order = locals.iter().find(|v| v.name() == "order").expect("order");
    let huge = locals.iter().find(|v| v.name() == "huge").expect("huge");
    let (expand, expand_bytes) = round_trips(&s, || {
        assert_eq!(order.children(0, 100).unwrap().len(), 1);
    });
    let (page, page_bytes) = round_trips(&s, || {
        assert_eq!(huge.children(0, 100).unwrap().len(), 100);
    });

    // gdb with the Rust pretty-printers (rust-gdb), on the same process,
    // then plain gdb: each the median of 3.
    let rust_gdb = (0..3).map(|_| gdb("rust-gdb", pid)).collect::<Vec<_>>();
    let plain_gdb = (0..3).map(|_| gdb("gdb", pid)).collect::<Vec<_>>();
    s.kill().unwrap();
    drop(crashed);

    // Core files: the big demo's crash saved by the agent, opened cold.
    let cores = core_files(&demo, &dir, &me);

    // The usual case: a person attaches a moment after the crash, while the
    // agent has been preparing.
    let later: Vec<f64> = (0..3)
        .map(|_| {
            let crashed = crash_big(&demo, &dir);
            std::thread::sleep(Duration::from_secs(1));
            let t = Instant::now();
            let (s, _) = first_screen(&crashed.socket);
            let elapsed = ms(t.elapsed());
            let _ = s.kill();
            elapsed
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);

    let gdb_ms = median_of(&rust_gdb);
    let cold_ms = median(cold.clone());
    let later_ms = median(later);
    println!("| measure | pmdb | target |");
    println!("|---|---|---|");
    println!(
        "| demo binary size | {:.0} MB | ≥ 100 MB |",
        size as f64 / 1e6
    );
    println!(
        "| `install()` (median of 21 processes) | {:.3} ms | ≤ 1 ms |",
        median(install_us) / 1e3
    );
    println!(
        "| 200M-step loop, agent off / installed (medians of {LOOPS}, interleaved) | {work_off:.1} / {work_wait:.1} ms | no cost |"
    );
    println!(
        "| panic → socket ready (median of {CRASHES} crashes) | {:.1} ms | ≤ 50 ms |",
        median(ready)
    );
    println!(
        "| attach the instant the socket appears → first screen (median of {CRASHES} crashes; range {:.1}–{:.1}) | {cold_ms:.1} ms | ≤ 50 ms |",
        cold.iter().copied().fold(f64::INFINITY, f64::min),
        cold.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "| attach 1 s after the crash → first screen (median of 3 crashes) | {later_ms:.1} ms | |"
    );
    println!("| first screen again, new session (median of 15) | {warm_ms:.2} ms | |");
    println!(
        "| bytes on the wire, first screen | {} B | |",
        first_screen_bytes.sent + first_screen_bytes.received
    );
    println!(
        "| agent RSS growth up to the first screen (median of {CRASHES}) | {:.1} MB | |",
        median(rss_growth) / 1024.0
    );
    println!("| DWARF units the agent parsed for the first screen | {units} | |");
    println!(
        "| one expansion round trip (median of {TRIPS}) | {:.3} ms, {expand_bytes} B | ≤ 2 ms |",
        median(expand)
    );
    println!(
        "| first page (100) of a 10M-element `Vec` (median of {TRIPS}) | {:.3} ms, {page_bytes} B | ≤ 5 ms, ≤ 16 KB |",
        median(page)
    );
    println!();
    println!(
        "| gdb on the same frozen process | time (median of 3) | ratio to pmdb's instant first screen |"
    );
    println!("|---|---|---|");
    for (name, runs) in [("rust-gdb", &rust_gdb), ("gdb", &plain_gdb)] {
        let m = median_of(runs);
        println!(
            "| `{name} -p PID -batch -ex 'thread apply all bt full'` | {m:.0} ms | {:.0}× |",
            m / cold_ms
        );
        for r in runs.iter().filter(|r| !r.ok) {
            println!("|  a run failed: {} | | |", r.note);
        }
    }
    println!();
    println!(
        "rust-gdb printed {} frames ({} lines) per run; gdb/pmdb ratio {:.0}× for the instant first screen.",
        rust_gdb[0].frames,
        rust_gdb[0].lines,
        gdb_ms / cold_ms
    );
    cores.print();
}

/// What the core-file benchmark measured.
struct Cores {
    write_ms: Vec<f64>,
    dirty_mb: f64,
    size_mb: f64,
    allocated_mb: f64,
    open_ms: Vec<f64>,
    gdb: Vec<GdbRun>,
}

impl Cores {
    fn print(&self) {
        let open = median(self.open_ms.clone());
        let gdb = median_of(&self.gdb);
        println!();
        println!("| core files (big demo) | pmdb | target |");
        println!("|---|---|---|");
        println!(
            "| panic → core written, agent (`PMDB_MODE=core`; median of {CORES}) | {:.0} ms | ≤ 100 ms + 1 s/GB dirty |",
            median(self.write_ms.clone())
        );
        println!(
            "| dirty memory of the same crash, frozen (Private_Dirty + Shared_Dirty) | {:.1} MB | |",
            self.dirty_mb
        );
        println!(
            "| the core's size: apparent / allocated on disk (zero pages are holes) | {:.1} / {:.1} MB | ≤ dirty + 1 MB |",
            self.size_mb, self.allocated_mb
        );
        println!(
            "| **first screen from the core, cold: a new process** (median of {CORES}) | **{open:.1} ms** | ≤ 50 ms |"
        );
        println!(
            "| `gdb -batch -c CORE EXE -ex 'thread apply all bt full'` (median of 3) | {gdb:.0} ms | ≥ 20× pmdb: {:.0}× |",
            gdb / open
        );
        for r in self.gdb.iter().filter(|r| !r.ok) {
            println!("|  a gdb run failed: {} | | |", r.note);
        }
    }
}

/// How many cores are written and opened.
const CORES: usize = 5;

/// Saves the big demo's crash as a core several times (timing each from
/// the panic to the agent's line naming the file), opens the last one cold
/// in new processes, and runs gdb on the same file.
fn core_files(demo: &Path, dir: &Path, me: &Path) -> Cores {
    // Dirty memory of the same crash, frozen in wait mode before any client.
    let crashed = crash_big(demo, dir);
    let dirty_kb: u64 = std::fs::read_to_string(format!("/proc/{}/smaps_rollup", crashed.pid()))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("Private_Dirty:") || l.starts_with("Shared_Dirty:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    drop(crashed);
    let core_dir = dir.join("cores");
    let mut write_ms = Vec::new();
    let mut core = PathBuf::new();
    for _ in 0..CORES {
        let _ = std::fs::remove_dir_all(&core_dir);
        let mut child = Command::new(demo)
            .arg("big")
            .env("PMDB_MODE", "core")
            .env("PMDB_DIR", &core_dir)
            .env("RUST_BACKTRACE", "0")
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the big demo");
        let mut panic_at_ns = 0u128;
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some(v) = line.trim().strip_prefix("PMDB_BENCH panic_at_ns=") {
                panic_at_ns = v.parse().unwrap();
            }
            if let Some(rest) = line.strip_prefix("pmdb: saved the crash to ") {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos();
                write_ms.push((now - panic_at_ns) as f64 / 1e6);
                core = PathBuf::from(rest.split(" (open it with").next().unwrap());
            }
        }
        let _ = child.wait();
    }
    let meta = std::fs::metadata(&core).expect("the saved core");
    let allocated = std::os::unix::fs::MetadataExt::blocks(&meta) * 512;
    let open_ms = (0..CORES)
        .map(|_| {
            let t = Instant::now();
            let status = Command::new(me)
                .arg("--open-core")
                .arg(&core)
                .status()
                .unwrap();
            assert!(status.success());
            ms(t.elapsed())
        })
        .collect();
    let gdb = (0..3)
        .map(|_| {
            gdb_with(
                "gdb",
                &[
                    "-batch",
                    "-c",
                    core.to_str().unwrap(),
                    demo.to_str().unwrap(),
                    "-ex",
                    "thread apply all bt full",
                ],
            )
        })
        .collect();
    Cores {
        write_ms,
        dirty_mb: dirty_kb as f64 / 1024.0,
        size_mb: meta.len() as f64 / 1048576.0,
        allocated_mb: allocated as f64 / 1048576.0,
        open_ms,
        gdb,
    }
}

/// How many crashes the cold first screen and socket readiness are measured on.
const CRASHES: usize = 7;
/// How many loops, per mode, measure the cost of an installed agent.
const LOOPS: usize = 11;
/// Round trips per expansion measure.
const TRIPS: usize = 101;

/// The big demo, crashed in wait mode, with its socket up. Killed on drop.
fn crash_big(demo: &Path, dir: &Path) -> Crashed {
    let mut cmd = Command::new(demo);
    cmd.arg("big");
    Crashed::new(cmd, dir, "wait")
}
/// `TRIPS` timings of one request, and the bytes the last one put on the wire.
fn round_trips(s: &wire::Session, mut request: impl FnMut()) -> (Vec<f64>, u64) {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..TRIPS {
        let before = s.traffic();
        let t = Instant::now();
        request();
        times.push(ms(t.elapsed()));
        let after = s.traffic();
        bytes = after.received - before.received + after.sent - before.sent;
    }
    (times, bytes)
}

/// One run of gdb's `thread apply all bt full` on `pid`.
struct GdbRun {
    ms: f64,
    ok: bool,
    frames: usize,
    lines: usize,
    note: String,
}

fn gdb(program: &str, pid: u32) -> GdbRun {
    gdb_with(
        program,
        &[
            "-p",
            &pid.to_string(),
            "-batch",
            "-ex",
            "thread apply all bt full",
        ],
    )
}

/// One run of gdb with `args`.
fn gdb_with(program: &str, args: &[&str]) -> GdbRun {
    let t = Instant::now();
    let out = Command::new(program).args(args).output();
    let elapsed = ms(t.elapsed());
    match out {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            let ok = o.status.success() && !text.contains("internal problem");
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            GdbRun {
                ms: elapsed,
                ok,
                frames: text.lines().filter(|l| l.starts_with('#')).count(),
                lines: text.lines().count(),
                note: format!("{elapsed:.0} ms, {}, last line: {last}", o.status),
            }
        }
        Err(e) => GdbRun {
            ms: f64::NAN,
            ok: false,
            frames: 0,
            lines: 0,
            note: e.to_string(),
        },
    }
}

/// The median time of the runs that succeeded (NaN when none did).
fn median_of(runs: &[GdbRun]) -> f64 {
    let ok: Vec<f64> = runs.iter().filter(|r| r.ok).map(|r| r.ms).collect();
    if ok.is_empty() { f64::NAN } else { median(ok) }
}
