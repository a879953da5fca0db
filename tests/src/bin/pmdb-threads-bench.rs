//! The threads-at-scale benchmark (issue 14), one run: `bench/threads.sh`.
//!
//! Crashes `demo pool N` (N parked worker threads, a panicking main thread)
//! in wait mode and measures, on the same frozen processes:
//! - panic → socket ready with 1,000 and 10,000 threads (the demo prints
//!   its clock as it panics; the socket is ready when the attach line is
//!   printed, which the agent does only after every thread is frozen);
//! - `pmdb report PID --json --depth 1` of 2,000 parked threads, against
//!   `gdb -p PID -batch -ex 'thread apply all bt full'` on the same process.
//!
//! - with a third argument, `demo-tokio-current 10000`: the task list
//!   (`Session::tasks()`: ids, states and frames; locals come on request) of
//!   10,000 parked tokio tasks, first on each of three fresh processes,
//!   then asked again.
//!
//! Usage: `pmdb-threads-bench DEMO PMDB [DEMO_TOKIO]`. Prints a Markdown table.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;
use tests::bench::median;

/// Runs of each measure; the median is reported.
const RUNS: usize = 3;

fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// A crashed `demo pool N`, frozen and serving; killed on drop.
struct Pool {
    child: Child,
    dir: std::path::PathBuf,
    /// Panic → attach line, in ms.
    ready_ms: f64,
}

impl Drop for Pool {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn crash_pool(demo: &Path, workers: usize, run: usize) -> Pool {
    crash_with(demo, &["pool", &workers.to_string()], workers, run)
}

fn crash_with(demo: &Path, args: &[&str], workers: usize, run: usize) -> Pool {
    let dir = std::env::temp_dir().join(format!(
        "pmdb-threads-bench-{}-{workers}-{run}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(demo)
        .args(args)
        .env("PMDB_MODE", "wait")
        .env("PMDB_DIR", &dir)
        .env("PMDB_WAIT", "600")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run demo pool");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut panic_at = 0u128;
    let ready_ms = loop {
        let line = lines.next().expect("the demo's attach line").unwrap();
        if let Some(v) = line.trim().strip_prefix("PMDB_BENCH panic_at_ns=") {
            panic_at = v.parse().unwrap();
        }
        if line.contains("inspect it with `pmdb attach") {
            break (now_ns() - panic_at) as f64 / 1e6;
        }
    };
    // Keep reading stderr so the demo never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Pool {
        child,
        dir,
        ready_ms,
    }
}

/// Runs `cmd` to the end and returns its wall time in ms and its stdout's size.
fn timed(cmd: &mut Command) -> (f64, usize) {
    let t = Instant::now();
    let out = cmd.stderr(Stdio::null()).output().expect("run");
    let ms = t.elapsed().as_secs_f64() * 1e3;
    assert!(out.status.success(), "{cmd:?} failed");
    (ms, out.stdout.len())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (demo, pmdb) = (Path::new(&args[1]), Path::new(&args[2]));

    let mut rows = Vec::new();
    for workers in [1_000, 10_000] {
        let ready: Vec<f64> = (0..RUNS)
            .map(|run| crash_pool(demo, workers, run).ready_ms)
            .collect();
        rows.push(format!(
            "| panic → socket ready, {workers} parked threads (median of {RUNS}; range {:.1}–{:.1}) | {:.1} ms |",
            ready.iter().copied().fold(f64::INFINITY, f64::min),
            ready.iter().copied().fold(0.0, f64::max),
            median(ready.clone())
        ));
    }

    let pool = crash_pool(demo, 2_000, 0);
    let pid = pool.child.id().to_string();
    let mut report_ms = Vec::new();
    let mut report_bytes = 0;
    let mut gdb_ms = Vec::new();
    let mut gdb_bytes = 0;
    for _ in 0..RUNS {
        let (ms, bytes) = timed(
            Command::new(pmdb)
                .args(["report", &pid, "--json", "--depth", "1"])
                .env("PMDB_DIR", &pool.dir),
        );
        report_ms.push(ms);
        report_bytes = bytes;
        let (ms, bytes) = timed(Command::new("gdb").args([
            "-p",
            &pid,
            "-batch",
            "-ex",
            "thread apply all bt full",
        ]));
        gdb_ms.push(ms);
        gdb_bytes = bytes;
    }
    drop(pool);
    if let Some(tokio_demo) = args.get(3) {
        // The first request does the work (the list is kept for the
        // locals asked next): measured on RUNS fresh processes.
        let mut firsts = Vec::new();
        let mut again = Vec::new();
        let mut count = 0;
        for run in 0..RUNS {
            let crashed = crash_with(Path::new(tokio_demo), &["10000"], 10_000, run);
            let socket = crashed.dir.join(format!("{}.sock", crashed.child.id()));
            let s = wire::Session::connect(socket.as_path()).expect("connect");
            for i in 0..5 {
                let t = Instant::now();
                let list = s.tasks().expect("tasks");
                let ms = t.elapsed().as_secs_f64() * 1e3;
                if i == 0 {
                    firsts.push(ms);
                } else {
                    again.push(ms);
                }
                count = list.tasks.len();
            }
        }
        rows.push(format!(
            "| task list (`Session::tasks()`: ids, states, awaited futures as frames; locals on request) of {count} parked tokio tasks: first request (median of {RUNS} processes; range {:.1}–{:.1}) / a request again | {:.1} ms / {:.1} ms |",
            firsts.iter().copied().fold(f64::INFINITY, f64::min),
            firsts.iter().copied().fold(0.0, f64::max),
            median(firsts.clone()),
            median(again)
        ));
    }
    let (pm, gdb) = (median(report_ms), median(gdb_ms));
    println!("| measure | result |");
    println!("|---|---|");
    for r in rows {
        println!("{r}");
    }
    println!(
        "| `pmdb report PID --json --depth 1`, 2,000 parked threads (median of {RUNS}) | {pm:.0} ms ({report_bytes} B of JSON) |"
    );
    println!(
        "| `gdb -p PID -batch -ex 'thread apply all bt full'`, same process (median of {RUNS}) | {gdb:.0} ms ({gdb_bytes} B of text) |"
    );
    println!(
        "| ratio gdb / pmdb | {:.1}× (target ≥ 10×: {}) |",
        gdb / pm,
        if gdb / pm >= 10.0 { "met" } else { "not met" }
    );
}
