//! The benchmark: pmdb against gdb on the same frozen crashed process.
//!
//! `bench/run.sh` builds the big demo (feature `big`, over 100 MB with debug
//! info) and runs this in release. It crashes the demo in wait mode and, on
//! that one frozen process, measures panic → socket ready, attach → first
//! screen (traceback plus the crashed frame's locals), an expansion round
//! trip, the first page of a 10-million-element `Vec`, bytes on the wire,
//! the agent's RSS growth, then `rust-gdb -p PID -batch -ex 'thread apply
//! all bt full'` on the same process. It also measures `install()` and the
//! cost of an installed agent before any crash. Prints a Markdown table.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Traceback plus the crashed user frame's locals: what pmdb's first screen shows.
fn first_screen(socket: &Path) -> (wire::Session, Vec<wire::RemoteValue>) {
    let s = wire::Session::connect(socket).expect("connect");
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
        median(
            (0..7)
                .map(|_| {
                    let out = Command::new(&me)
                        .arg("--work")
                        .env("PMDB_MODE", mode)
                        .output()
                        .unwrap();
                    let s = String::from_utf8_lossy(&out.stdout);
                    s.split_whitespace().next().unwrap().parse::<f64>().unwrap() / 1e6
                })
                .collect(),
        )
    };
    let (work_off, work_wait) = (work("off"), work("wait"));

    // Crash the big demo in wait mode.
    let dir = std::env::temp_dir().join(format!("pmdb-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(&demo)
        .arg("big")
        .env("PMDB_MODE", "wait")
        .env("PMDB_DIR", &dir)
        .env("RUST_BACKTRACE", "0")
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the big demo");
    let pid = child.id();
    let socket = dir.join(format!("{pid}.sock"));
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    // Whatever happens below, the frozen demo does not outlive the bench.
    struct Reap(std::process::Child);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Reap(child);
    let mut line = String::new();
    let panic_at_ns: u128 = loop {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("the demo ended before panicking");
        }
        if let Some(v) = line.trim().strip_prefix("PMDB_BENCH panic_at_ns=") {
            break v.parse().unwrap();
        }
    };
    while !socket.exists() {
        std::thread::sleep(Duration::from_micros(200));
    }
    let ready_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let socket_ready_ms = (ready_ns - panic_at_ns) as f64 / 1e6;
    std::thread::spawn(move || for _ in stderr.lines() {});

    // First screen: cold (first ever, DWARF loads) and warm (new sessions).
    let rss_before = rss_kb(pid);
    let t = Instant::now();
    let (s, locals) = first_screen(&socket);
    let cold_ms = ms(t.elapsed());
    let first_screen_bytes = s.traffic();
    let rss_after = rss_kb(pid);
    let warm_ms = median(
        (0..15)
            .map(|_| {
                let t = Instant::now();
                let _ = first_screen(&socket);
                ms(t.elapsed())
            })
            .collect(),
    );
    let units = s.stats().unwrap().units_parsed;

    // One expansion round trip (the order struct's fields) and the 10M page.
    let order = locals.iter().find(|v| v.name() == "order").expect("order");
    let huge = locals.iter().find(|v| v.name() == "huge").expect("huge");
    let mut expand = Vec::new();
    let mut expand_bytes = 0;
    for _ in 0..101 {
        let before = s.traffic();
        let t = Instant::now();
        let kids = order.children(0, 100).unwrap();
        expand.push(ms(t.elapsed()));
        expand_bytes = s.traffic().received - before.received + s.traffic().sent - before.sent;
        assert_eq!(kids.len(), 1);
    }
    let mut page = Vec::new();
    let mut page_bytes = 0;
    for _ in 0..101 {
        let before = s.traffic();
        let t = Instant::now();
        let kids = huge.children(0, 100).unwrap();
        page.push(ms(t.elapsed()));
        page_bytes = s.traffic().received - before.received + s.traffic().sent - before.sent;
        assert_eq!(kids.len(), 100);
    }

    // gdb with the Rust pretty-printers (rust-gdb), on the same process; if
    // it fails, plain gdb, so there is a figure to compare with.
    let gdb = |program: &str| -> (Option<f64>, String) {
        let t = Instant::now();
        let out = Command::new(program)
            .args([
                "-p",
                &pid.to_string(),
                "-batch",
                "-ex",
                "thread apply all bt full",
            ])
            .output();
        let elapsed = ms(t.elapsed());
        match out {
            Ok(o) => {
                let text = String::from_utf8_lossy(&o.stdout).into_owned()
                    + &String::from_utf8_lossy(&o.stderr);
                let failed = !o.status.success() || text.contains("internal problem");
                let last = text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .to_string();
                (
                    (!failed).then_some(elapsed),
                    format!("{elapsed:.0} ms, exit {}, last line: {last}", o.status),
                )
            }
            Err(e) => (None, e.to_string()),
        }
    };
    let (rust_gdb_ms, rust_gdb_note) = gdb("rust-gdb");
    let plain: Vec<f64> = (0..3).filter_map(|_| gdb("gdb").0).collect();
    let gdb_ms = rust_gdb_ms.unwrap_or_else(|| {
        if plain.is_empty() {
            f64::NAN
        } else {
            median(plain.clone())
        }
    });

    s.kill().unwrap();
    drop(child);

    // The usual case: a person attaches a moment after the crash, while the
    // agent has been preparing. A second crash, attached 1 s later.
    let later_ms = {
        let mut child = Command::new(&demo)
            .arg("big")
            .env("PMDB_MODE", "wait")
            .env("PMDB_DIR", &dir)
            .env("RUST_BACKTRACE", "0")
            .stderr(Stdio::null())
            .spawn()
            .expect("run the big demo");
        let socket = dir.join(format!("{}.sock", child.id()));
        while !socket.exists() {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_secs(1));
        let t = Instant::now();
        let (s, _) = first_screen(&socket);
        let elapsed = ms(t.elapsed());
        let _ = s.kill();
        let _ = child.kill();
        let _ = child.wait();
        elapsed
    };
    let _ = std::fs::remove_dir_all(&dir);

    println!("| measure | pmdb | target | gdb |");
    println!("|---|---|---|---|");
    println!(
        "| demo binary size | {:.0} MB | ≥ 100 MB | |",
        size as f64 / 1e6
    );
    println!(
        "| `install()` (median of 21) | {:.3} ms | ≤ 1 ms | |",
        median(install_us) / 1e3
    );
    println!(
        "| 200M-step loop, agent off / installed (median of 7) | {work_off:.1} / {work_wait:.1} ms | no cost | |"
    );
    println!("| panic → socket ready | {socket_ready_ms:.1} ms | ≤ 50 ms | |");
    println!("| rust-gdb `thread apply all bt full` | | | {rust_gdb_note} |");
    if !plain.is_empty() {
        println!(
            "| gdb (no pretty-printers) `thread apply all bt full`, median of 3 | | | {:.0} ms |",
            median(plain)
        );
    }
    println!(
        "| attach → first screen, first ever (DWARF loads) | {cold_ms:.1} ms | ≤ 50 ms | {gdb_ms:.0} ms |"
    );
    println!(
        "| attach → first screen, again (median of 15) | {warm_ms:.2} ms | | ratio gdb/pmdb first ever: {:.0}× |",
        gdb_ms / cold_ms
    );
    println!(
        "| attach 1 s after the crash → first screen | {later_ms:.1} ms | ≤ 50 ms | ratio gdb/pmdb: {:.0}× |",
        gdb_ms / later_ms
    );
    println!(
        "| bytes on the wire, first screen | {} | | |",
        first_screen_bytes.sent + first_screen_bytes.received
    );
    println!(
        "| agent RSS growth up to the first screen | {} KB | | |",
        rss_after.saturating_sub(rss_before)
    );
    println!("| DWARF units parsed for the first screen | {units} | | |");
    println!(
        "| one expansion round trip (median of 101) | {:.3} ms, {expand_bytes} B | ≤ 2 ms | |",
        median(expand)
    );
    println!(
        "| first page (100) of a 10M-element Vec (median of 101) | {:.3} ms, {page_bytes} B | ≤ 5 ms, ≤ 16 KB | |",
        median(page)
    );
}
