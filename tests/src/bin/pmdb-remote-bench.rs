//! The remote benchmark (`bench/remote.sh`): the demo's crash over real ssh
//! (the tests' private sshd on 127.0.0.1) on links of 0, 10 and 50 ms
//! round-trip time (`pmdb-delay` as ssh's `ProxyCommand`), pmdb's first
//! screen against `ssh HOST gdb -p PID -batch -ex 'thread apply all bt full'`
//! over the same link. Prints a Markdown table.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use tests::bench::{median, ms};
use tests::sshd::Sshd;

/// ssh and its options for a link of `rtt` ms.
fn ssh_words(sshd: &Sshd, delay: &Path, rtt: u32) -> Vec<String> {
    let mut words = vec![
        "ssh".to_string(),
        "-F".to_string(),
        sshd.dir.0.join("ssh_config").display().to_string(),
    ];
    if rtt > 0 {
        words.push("-o".into());
        words.push(format!(
            "ProxyCommand={} {} %h %p",
            delay.display(),
            f64::from(rtt) / 2.0
        ));
    }
    words
}

fn main() {
    // The directory of the builds: pmdb, demo and pmdb-delay.
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or("target/debug".into()));
    let dir = std::fs::canonicalize(&dir).expect("the build directory");
    let pmdb = dir.join("pmdb");
    let delay = dir.join("pmdb-delay");
    let sshd = Sshd::start();
    let demo = tests::crash_program(&dir.join("demo"), &["bank"], "bank", &[]);
    let socket = demo.socket.display().to_string();
    let runs = 11;
    let gdb_runs = 5;
    println!(
        "| link RTT | `ssh HOST true` | pmdb: ssh + bridge + hello | pmdb: first screen after the hello (round trips) | **pmdb: first screen, total** | gdb over ssh: `thread apply all bt full` | gdb / pmdb |"
    );
    println!("|---|---|---|---|---|---|---|");
    let control = sshd.dir.0.join("control");
    for (rtt, shared) in [0u32, 10, 50]
        .into_iter()
        .flat_map(|r| [(r, false), (r, true)])
    {
        let mut words = ssh_words(&sshd, &delay, rtt);
        if shared {
            // One ssh connection for every run (ControlMaster), as a user
            // who keeps one open would have: only the session's own cost.
            let ok = Command::new(&words[0])
                .args(&words[1..])
                .args(["-M", "-S"])
                .arg(&control)
                .args([
                    "-o",
                    "ControlPersist=120",
                    "-fN",
                    "-p",
                    &sshd.port.to_string(),
                    "127.0.0.1",
                ])
                .status()
                .unwrap();
            assert!(ok.success(), "ssh master");
            words.push("-S".into());
            words.push(control.display().to_string());
        }
        let base = || {
            let mut c = Command::new(&words[0]);
            c.args(&words[1..])
                .args(["-T", "-p", &sshd.port.to_string(), "127.0.0.1"]);
            c
        };
        let ssh_true: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let ok = base().arg("true").status().unwrap();
                assert!(ok.success());
                ms(t.elapsed())
            })
            .collect();
        let (mut connect, mut screen, mut total, mut trips) = (vec![], vec![], vec![], 0);
        for _ in 0..runs {
            let mut argv = words.clone();
            argv.extend(["-T", "-p"].map(String::from));
            argv.push(sshd.port.to_string());
            argv.push("127.0.0.1".into());
            argv.push(format!("{} bridge {socket}", pmdb.display()));
            let t = Instant::now();
            let s = wire::Session::via_command(&argv).expect("connect over ssh");
            let c = t.elapsed();
            let before = s.round_trips();
            let first = s.first_screen().expect("first screen");
            let all = t.elapsed();
            assert_eq!(first.locals.expect("locals").len(), 4);
            trips = s.round_trips() - before;
            connect.push(ms(c));
            screen.push(ms(all - c));
            total.push(ms(all));
        }
        let gdb: Vec<f64> = (0..gdb_runs)
            .map(|_| {
                let t = Instant::now();
                let out = base()
                    .args([
                        "gdb",
                        "-p",
                        &demo.pid.to_string(),
                        "-batch",
                        "-ex",
                        "'thread apply all bt full'",
                    ])
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                assert!(
                    text.contains("demo::bank::withdraw"),
                    "gdb did not print the crashed frame: {text}"
                );
                ms(t.elapsed())
            })
            .collect();
        let (p, g, base) = (median(total), median(gdb), median(ssh_true));
        if shared {
            let _ = Command::new(&words[0])
                .args(&words[1..])
                .args(["-O", "exit", "127.0.0.1"])
                .stderr(std::process::Stdio::null())
                .status();
        }
        let link = if shared {
            "shared ssh connection"
        } else {
            "new ssh connection"
        };
        println!(
            "| {rtt} ms, {link} | {base:.0} ms | {:.0} ms | {:.1} ms ({trips}) | **{p:.0} ms** | {g:.0} ms | {:.1}× |",
            median(connect),
            median(screen),
            g / p,
        );
    }
    println!();
    println!(
        "Medians: pmdb and `ssh true` of {runs} runs, gdb of {gdb_runs}; each run opens a new ssh connection, or a new session over one shared master connection (`ssh -M`/`-S`)."
    );
}
