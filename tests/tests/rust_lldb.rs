//! rust-lldb keeps working beside the agent (issue 25): on a crash the agent
//! holds frozen, rustup's `rust-lldb` attaches, lists every thread's
//! backtrace, prints the crashed frame's and its caller's variables through
//! Rust's lldb formatters, and detaches with status 0, with no error of
//! lldb's or of the formatters' Python.
//!
//! The lldb is Debian's `lldb-16` (`.ci/run` installs it with its Python
//! module): Debian's default `lldb` (14) cannot import its own Python
//! module, with or without the agent. `rust-lldb` runs whatever `lldb` is on
//! `PATH`, so the test puts one there that is lldb-16.

use std::path::{Path, PathBuf};
use std::process::Command;

use tests::TempDir;

/// A directory holding `lldb`, a link to Debian's lldb-16.
fn lldb_16(dir: &TempDir) -> PathBuf {
    let real = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("lldb-16"))
        .find(|p| p.exists())
        .expect("lldb-16 must be installed (.ci/run installs lldb-16 and python3-lldb-16)");
    let bin = dir.0.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(real, bin.join("lldb")).unwrap();
    bin
}

/// `rust-lldb --batch -p PID -o C…` with `commands`: status and stdout+stderr.
fn rust_lldb(bin: &Path, pid: u32, commands: &[&str]) -> (std::process::ExitStatus, String) {
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut cmd = Command::new("rust-lldb");
    cmd.env("PATH", path)
        .args(["--batch", "-p", &pid.to_string()]);
    for c in commands {
        cmd.args(["-o", c]);
    }
    let out = cmd
        .output()
        .expect("rust-lldb (rustup's toolchain) must be installed");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status, text)
}

/// lldb's lines that say something went wrong: its own errors and Python's.
fn errors(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            l.starts_with("error:")
                || l.contains("Traceback (most recent call last)")
                || l.contains("Exception")
        })
        .collect()
}

/// The number of the first frame of thread #1 whose function is `function`.
fn frame_of(backtrace: &str, function: &str) -> String {
    backtrace
        .lines()
        .skip_while(|l| !l.contains("thread #1,"))
        .find(|l| l.contains(&format!("demo`{function}::h")))
        .and_then(|l| l.split("frame #").nth(1))
        .and_then(|r| r.split(':').next())
        .unwrap_or_else(|| panic!("no frame {function} in thread #1:\n{backtrace}"))
        .to_string()
}

/// The lines `frame variable` printed after `(lldb) frame variable`, up to
/// the next command.
fn variables(text: &str, nth: usize) -> Vec<&str> {
    text.split("(lldb) frame variable\n")
        .nth(nth)
        .unwrap_or_else(|| panic!("no frame variable #{nth}:\n{text}"))
        .lines()
        .take_while(|l| !l.starts_with("(lldb) "))
        .collect()
}

#[test]
fn rust_lldb_attaches_to_a_frozen_crash_and_prints_the_crashed_frames_variables() {
    let dir = TempDir::new("rust-lldb");
    let bin = lldb_16(&dir);
    let crashed = tests::crash("bank");

    let (status, all) = rust_lldb(&bin, crashed.pid, &["thread backtrace all", "detach"]);
    assert!(status.success(), "rust-lldb ended with {status}:\n{all}");
    assert_eq!(errors(&all), Vec::<&str>::new(), "{all}");
    // Every thread, the agent's two among them, each with its backtrace.
    let threads: Vec<&str> = all
        .lines()
        .skip_while(|l| !l.starts_with("(lldb) thread backtrace all"))
        .filter_map(|l| l.trim_start_matches(['*', ' ']).strip_prefix("thread #"))
        .filter_map(|l| l.split(", name = '").nth(1)?.split('\'').next())
        .collect();
    assert_eq!(threads, ["demo", "pmdb-agent-sign", "pmdb-agent"], "{all}");

    let withdraw = frame_of(&all, "demo::bank::withdraw");
    let transfer = frame_of(&all, "demo::bank::transfer");
    let (status, text) = rust_lldb(
        &bin,
        crashed.pid,
        &[
            &format!("frame select {withdraw}"),
            "frame variable",
            &format!("frame select {transfer}"),
            "frame variable",
            "detach",
        ],
    );
    assert!(status.success(), "rust-lldb ended with {status}:\n{text}");
    assert_eq!(errors(&text), Vec::<&str>::new(), "{text}");
    // The crashed frame: its arguments and `limit`, the formatters' &str.
    let crashed_frame = variables(&text, 1);
    assert_eq!(
        crashed_frame[1..3],
        ["(long) amount = 500", "(&str) memo = \"round 1\" {"]
    );
    assert_eq!(crashed_frame.last(), Some(&"(long) limit = 75"));
    // Its caller: the cloned account, a String and a Vec through the
    // formatters.
    let caller = variables(&text, 2);
    let from = caller
        .iter()
        .position(|l| *l == "(demo::bank::Account) from = {")
        .unwrap_or_else(|| panic!("{caller:#?}"));
    assert_eq!(
        caller[from + 1..from + 11],
        [
            "  id = 2",
            "  owner = \"bob\" {",
            "    [0] = 'b'",
            "    [1] = 'o'",
            "    [2] = 'b'",
            "  }",
            "  balance = 50",
            "  history = size=1 {",
            "    [0] = 50",
            "  }",
        ]
    );
    drop(crashed);
}
