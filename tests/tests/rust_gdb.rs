//! rust-gdb keeps working beside the agent (issue 25): `thread apply all bt
//! full` on a crash the agent holds frozen ends with status 0 and prints the
//! crashed frame's locals, with no internal error of gdb's and no error of
//! Rust's pretty-printers on the agent's frames.
//!
//! The demo is the one `cargo test` builds: the agent with full debug info
//! at opt-level 0, as a user's crate without profile lines builds it. Rust's
//! printers (rustc 1.95's `rust_types.py`) fail on glibc's anonymous
//! structs in `start_thread` and `__libc_start_call_main` with libc's debug
//! info installed, in any program, with the agent or without: the test shows
//! that on `demo-hang` too, and allows those lines in glibc's frames only.

use std::process::Command;

/// `rust-gdb -p PID -batch -ex 'thread apply all bt full'`: status and stdout+stderr.
fn bt_full(pid: u32) -> (std::process::ExitStatus, String) {
    let out = Command::new("rust-gdb")
        .args([
            "-p",
            &pid.to_string(),
            "-batch",
            "-ex",
            "thread apply all bt full",
        ])
        .output()
        .expect("rust-gdb (rustup's toolchain, with gdb) must be installed");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status, text)
}

/// Each Python error of the printers with the frame line it stands in.
fn python_errors(text: &str) -> Vec<(String, String)> {
    let mut frame = String::new();
    let mut errors = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            frame = line.to_string();
        }
        if line.contains("Python Exception") {
            errors.push((frame.clone(), line.to_string()));
        }
    }
    errors
}

/// glibc's own frames, where the printers fail whatever the program.
fn in_glibc(frame: &str) -> bool {
    frame.contains(" start_thread (") || frame.contains(" __libc_start_call_main (")
}

/// The lines of the frame whose line contains `header`, up to the next frame.
fn frame_lines<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
    let mut lines = text
        .lines()
        .skip_while(|l| !(l.starts_with('#') && l.contains(header)));
    let Some(first) = lines.next() else {
        panic!("no frame {header:?} in rust-gdb's output:\n{text}");
    };
    std::iter::once(first)
        .chain(lines.take_while(|l| !l.starts_with('#') && !l.is_empty()))
        .collect()
}

#[test]
fn bt_full_on_a_frozen_crash_prints_every_thread_and_the_crashed_locals() {
    let crashed = tests::crash("bank");
    let (status, text) = bt_full(crashed.pid);

    assert!(status.success(), "rust-gdb ended with {status}:\n{text}");
    assert!(!text.contains("internal problem"), "{text}");
    assert!(!text.contains("internal-error"), "{text}");
    let errors = python_errors(&text);
    let outside: Vec<_> = errors.iter().filter(|(f, _)| !in_glibc(f)).collect();
    assert!(
        outside.is_empty(),
        "printer errors outside glibc: {outside:#?}"
    );
    // Every thread gdb found is printed (the first it stopped in, and one
    // `[New LWP` line for each other), the agent's two among them.
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("Thread ")).collect();
    let found = 1 + text.lines().filter(|l| l.starts_with("[New LWP ")).count();
    assert_eq!(headers.len(), found, "{text}");
    for name in ["\"demo\"):", "\"pmdb-agent-sign\"):", "\"pmdb-agent\"):"] {
        assert!(
            headers.iter().any(|h| h.ends_with(name)),
            "{name} in {headers:?}"
        );
    }
    // The crashed frame and its caller, with their locals, exactly.
    let withdraw = frame_lines(&text, " in demo::bank::withdraw (");
    assert!(
        withdraw[0].ends_with(", amount=500, memo=\"round 1\") at demo/src/bank.rs:63"),
        "{withdraw:?}"
    );
    assert_eq!(withdraw[1..], ["        limit = 75"]);
    let transfer = frame_lines(&text, " in demo::bank::transfer (");
    assert_eq!(
        transfer[1..],
        [
            "        from = demo::bank::Account {id: 2, owner: \"bob\", balance: 50, history: Vec(size=1) = {50}, overdraft: core::option::Option<i64>::Some(25)}",
            "        to = 0",
            "        from = 1",
        ]
    );
    // The agent's serving frame holds its server by reference only.
    let serve = frame_lines(&text, " in debuggee_agent::server::serve (");
    assert!(serve[0].contains("shared=0x"), "{serve:?}");
    drop(crashed);
}

/// The printers' errors in glibc's frames come with any program: here one
/// that never links the agent.
#[test]
fn the_printers_fail_in_glibcs_frames_without_the_agent_too() {
    let mut hang = Command::new(tests::bin("demo-hang"))
        .arg("mutex")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn demo-hang");
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(hang.stdout.as_mut().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready, "ready\n");
    let (status, text) = bt_full(hang.id());
    let _ = hang.kill();
    let _ = hang.wait();
    assert!(status.success(), "rust-gdb ended with {status}:\n{text}");
    let errors = python_errors(&text);
    assert!(!errors.is_empty(), "{text}");
    assert!(errors.iter().all(|(f, _)| in_glibc(f)), "{errors:#?}");
}
