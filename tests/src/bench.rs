//! What the benchmark binaries (`src/bin/pmdb-*-bench.rs`) share: a program
//! crashed under the agent, timed from its panic to its socket.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A program crashed under the agent (`PMDB_MODE` as asked), with its socket
/// up in wait mode. Killed on drop. The program prints `PMDB_BENCH
/// panic_at_ns=N` (the demo's benchmark hook) when it panics.
pub struct Crashed {
    pub child: std::process::Child,
    pub socket: PathBuf,
    /// From the panic to the socket's existence (0 in core mode: no socket).
    pub socket_ready_ms: f64,
}

impl Crashed {
    /// Runs `program` (its arguments and environment already set) with
    /// `PMDB_MODE=mode` and `PMDB_DIR=dir`, until it panics and, in wait
    /// mode, its socket is up; in core mode, until it has written its core
    /// and ended.
    pub fn new(mut program: Command, dir: &Path, mode: &str) -> Crashed {
        let _ = std::fs::create_dir_all(dir);
        let mut child = program
            .env("PMDB_MODE", mode)
            .env("PMDB_DIR", dir)
            .env("RUST_BACKTRACE", "0")
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the program");
        let socket = dir.join(format!("{}.sock", child.id()));
        let mut stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
        let mut line = String::new();
        let panic_at_ns: u128 = loop {
            line.clear();
            if stderr.read_line(&mut line).expect("read its stderr") == 0 {
                panic!("the program ended before panicking");
            }
            if let Some(v) = line.trim().strip_prefix("PMDB_BENCH panic_at_ns=") {
                break v.parse().expect("a time in ns");
            }
        };
        if mode == "core" {
            // The agent names the core on its next line.
            let _ = child.wait();
            return Crashed {
                child,
                socket,
                socket_ready_ms: 0.0,
            };
        }
        while !socket.exists() {
            std::thread::sleep(Duration::from_micros(100));
        }
        let ready_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_nanos();
        std::thread::spawn(move || for _ in stderr.lines() {});
        Crashed {
            child,
            socket,
            socket_ready_ms: (ready_ns - panic_at_ns) as f64 / 1e6,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Crashed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The middle figure (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A duration in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A process's resident set, in KiB (0 if it cannot be read).
pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
