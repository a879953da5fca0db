//! The cold-start benchmark (`bench/cold.sh`): the first request on a
//! fresh crash, against the same request again (warm) and against gdb on
//! the same process.
//!
//! `pmdb-cold-bench PROGRAM PMDB [RUNS]` crashes PROGRAM (the size
//! benchmark's app: `dyn` values, statics and std collections in the
//! crashed frame) in wait mode RUNS times (5 unless told). On each fresh
//! crash, attaching the instant the socket appears (the agent has had no
//! head start), in turn:
//!
//! - A: the first screen over the Session API (crash, threads, the crashed
//!   thread's traceback, the crashed frame's locals with previews — what the
//!   TUI draws first), cold, with the agent's RSS growth up to it; the same
//!   again on a new session (warm);
//! - or, on every other crash, `PMDB report PID --json --depth 1` cold,
//!   then warm;
//! - B: `gdb -p PID -batch -ex 'thread apply all bt full'` on the same
//!   process, right after (A B A B …: the ratio is taken pair by pair).
//!
//! Then the crash as a core (`PMDB_MODE=core`): `PMDB report --core CORE
//! --json --depth 1` (a new process: cold) against `gdb -batch -c CORE
//! PROGRAM -ex 'thread apply all bt full'`, A B pairs.
//!
//! With `PMDB_COLD_SCREEN_ONLY=1` only the first screens and the RSS are
//! measured (`bench/sizes.sh`: gdb on a 1 GB program takes minutes).
//!
//! Prints a Markdown table. With `PMDB_COLD_BASELINE_MS=X` it exits with
//! status 1 when the median cold first screen exceeds 2 × X (the regression
//! check: figures here are noisy, so it is not part of CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use tests::bench::{Crashed, median, ms, rss_kb};

fn range(v: &[f64]) -> String {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(0.0, f64::max);
    format!("{lo:.1}–{hi:.1}")
}

/// `program` crashed in `mode` (`wait` or `core`), waiting up to 300 s.
fn crash(program: &Path, dir: &Path, mode: &str) -> Crashed {
    let mut cmd = Command::new(program);
    cmd.env("PMDB_WAIT", "300");
    Crashed::new(cmd, dir, mode)
}
/// Crash, threads, the crashed thread's traceback and the crashed frame's
/// locals, pipelined as the TUI and the DAP adapter ask them.
fn first_screen(socket: &Path) -> usize {
    let s = wire::Session::connect(socket).expect("connect");
    let screen = s.first_screen().expect("first screen");
    screen.locals.map_or(0, |l| l.len())
}

fn timed(mut cmd: Command) -> (f64, usize) {
    let t = Instant::now();
    let out = cmd.stderr(Stdio::null()).output().expect("run");
    (ms(t.elapsed()), out.stdout.len())
}

fn report(pmdb: &Path, dir: &Path, pid: u32) -> (f64, usize) {
    let mut cmd = Command::new(pmdb);
    cmd.args(["report", &pid.to_string(), "--json", "--depth", "1"])
        .env("PMDB_DIR", dir);
    timed(cmd)
}

fn gdb_live(pid: u32) -> (f64, usize) {
    let mut cmd = Command::new("gdb");
    cmd.args([
        "-p",
        &pid.to_string(),
        "-batch",
        "-ex",
        "thread apply all bt full",
    ]);
    timed(cmd)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let program = PathBuf::from(
        args.get(1)
            .expect("usage: pmdb-cold-bench PROGRAM PMDB [RUNS]"),
    );
    let pmdb = PathBuf::from(
        args.get(2)
            .expect("usage: pmdb-cold-bench PROGRAM PMDB [RUNS]"),
    );
    let runs: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(5);
    let size = std::fs::metadata(&program).map(|m| m.len()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("pmdb-cold-bench-{}", std::process::id()));

    let (mut ready, mut cold, mut warm, mut rss) = (vec![], vec![], vec![], vec![]);
    let (mut rep_cold, mut rep_warm, mut gdb, mut ratio) = (vec![], vec![], vec![], vec![]);
    let mut json_bytes = 0;
    let mut gdb_bytes = 0;
    let screen_only = std::env::var_os("PMDB_COLD_SCREEN_ONLY").is_some();
    for _ in 0..runs {
        // A: the first screen, cold then warm; B: gdb on the same process.
        let c = crash(&program, &dir, "wait");
        ready.push(c.socket_ready_ms);
        let before = rss_kb(c.pid());
        let t = Instant::now();
        let locals = first_screen(&c.socket);
        cold.push(ms(t.elapsed()));
        rss.push(rss_kb(c.pid()).saturating_sub(before) as f64 / 1024.0);
        assert!(locals > 0, "the crashed frame shows no locals");
        let t = Instant::now();
        first_screen(&c.socket);
        warm.push(ms(t.elapsed()));
        drop(c);
        if screen_only {
            continue;
        }

        // A: `pmdb report --json --depth 1` on a fresh crash, cold then
        // warm; B: gdb on the same process.
        let c = crash(&program, &dir, "wait");
        let (t_cold, bytes) = report(&pmdb, &dir, c.pid());
        json_bytes = bytes;
        let (t_warm, _) = report(&pmdb, &dir, c.pid());
        let (t_gdb, gbytes) = gdb_live(c.pid());
        gdb_bytes = gbytes;
        rep_cold.push(t_cold);
        rep_warm.push(t_warm);
        gdb.push(t_gdb);
        ratio.push(t_gdb / t_cold);
        drop(c);
    }

    let cold_median = median(cold.clone());
    println!(
        "program: {} ({:.1} MB)",
        program.display(),
        size as f64 / 1e6
    );
    println!();
    println!("| measure (median of {runs}; range) | cold | warm |");
    println!("|---|---|---|");
    println!(
        "| panic → socket ready | {:.1} ms ({}) | |",
        median(ready.clone()),
        range(&ready)
    );
    println!(
        "| first screen (crash, threads, traceback, crashed frame's locals), attaching the instant the socket appears | {cold_median:.1} ms ({}) | {:.2} ms ({}) |",
        range(&cold),
        median(warm.clone()),
        range(&warm)
    );
    println!(
        "| agent RSS growth up to the first screen | {:.1} MB ({}) | |",
        median(rss.clone()),
        range(&rss)
    );
    if !screen_only {
        compare(
            &program,
            &pmdb,
            &dir,
            runs,
            (rep_cold, rep_warm, gdb, ratio),
            (json_bytes, gdb_bytes),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(base) = std::env::var("PMDB_COLD_BASELINE_MS")
        .ok()
        .and_then(|b| b.parse::<f64>().ok())
        && cold_median > 2.0 * base
    {
        eprintln!(
            "REGRESSION: the cold first screen took {cold_median:.1} ms, over twice the baseline {base:.1} ms"
        );
        std::process::exit(1);
    }
}

type Series = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

/// The report's and the core's rows: pmdb against gdb.
fn compare(
    program: &Path,
    pmdb: &Path,
    dir: &Path,
    runs: usize,
    live: Series,
    bytes: (usize, usize),
) {
    let (rep_cold, rep_warm, gdb, ratio) = live;
    let (json_bytes, gdb_bytes) = bytes;
    // The same crash as a core: pmdb (a new process, cold) against gdb.
    let core_dir = dir.join("cores");
    let _ = crash(program, &core_dir, "core");
    let core = std::fs::read_dir(&core_dir)
        .expect("the core directory")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "core"))
        .expect("the agent's core");
    let core_size = std::fs::metadata(&core).map(|m| m.len()).unwrap_or(0);
    let (mut core_pmdb, mut core_gdb, mut core_ratio) = (vec![], vec![], vec![]);
    for _ in 0..runs {
        let mut a = Command::new(pmdb);
        a.args([
            "report",
            "--core",
            core.to_str().unwrap(),
            "--json",
            "--depth",
            "1",
        ]);
        let (ta, _) = timed(a);
        let mut b = Command::new("gdb");
        b.args([
            "-batch",
            "-c",
            core.to_str().unwrap(),
            program.to_str().unwrap(),
        ])
        .args(["-ex", "thread apply all bt full"]);
        let (tb, _) = timed(b);
        core_pmdb.push(ta);
        core_gdb.push(tb);
        core_ratio.push(tb / ta);
    }
    println!(
        "| `pmdb report PID --json --depth 1` ({json_bytes} B) | {:.1} ms ({}) | {:.1} ms ({}) |",
        median(rep_cold.clone()),
        range(&rep_cold),
        median(rep_warm.clone()),
        range(&rep_warm)
    );
    println!(
        "| `gdb -p PID -batch -ex 'thread apply all bt full'`, same process ({gdb_bytes} B) | {:.1} ms ({}) | |",
        median(gdb.clone()),
        range(&gdb)
    );
    println!(
        "| ratio gdb / pmdb report, pair by pair | {:.1}× ({}) | |",
        median(ratio.clone()),
        range(&ratio)
    );
    println!(
        "| `pmdb report --core CORE --json --depth 1`, a new process ({:.1} MB core) | {:.1} ms ({}) | |",
        core_size as f64 / 1e6,
        median(core_pmdb.clone()),
        range(&core_pmdb)
    );
    println!(
        "| `gdb -batch -c CORE PROGRAM -ex 'thread apply all bt full'` | {:.1} ms ({}) | |",
        median(core_gdb.clone()),
        range(&core_gdb)
    );
    println!(
        "| ratio gdb / pmdb on the core, pair by pair | {:.1}× ({}) | |",
        median(core_ratio.clone()),
        range(&core_ratio)
    );
}
