//! The real `pmdb` binary in a real terminal (tmux): `pmdb run` on the
//! crashing demo, frame navigation, expansion, quit with resume, and the
//! program's own exit status at the end; `pmdb run` on a program without
//! the agent, killed from the TUI or by the user while held.

use tests::tmux::{Tmux, walk_the_bank_crash};
use tests::{TempDir, bin};

#[test]
fn pmdb_run_navigates_expands_and_resumes_in_a_real_terminal() {
    let scratch = TempDir::new("tmux");
    let cmd = format!(
        "cd {} && RUST_BACKTRACE=0 TMPDIR={} {} run -- {} bank; echo EXIT=$?; sleep 60",
        std::env::current_dir().unwrap().parent().unwrap().display(),
        scratch.0.display(),
        bin("pmdb").display(),
        bin("demo").display()
    );
    let t = Tmux::start(&cmd);
    // The first screen, up the stack to transfer, `bank` expanded.
    walk_the_bank_crash(&t);
    // The command line: print a path, expanded in the output area.
    t.keys(&[":", "p bank.accounts[1].owner", "Enter"]);
    t.wait_for("bank.accounts[1].owner: String = \"bob\"");
    t.keys(&["q"]);
    t.wait_for("(r)esume the program, (k)ill it, or (c)ancel?");
    t.keys(&["r"]);
    let s = t.wait_for("EXIT=");
    assert!(
        s.contains("insufficient funds: bob has 75 but round 1 needs 500"),
        "{s}"
    );
    assert!(s.contains("EXIT=101"), "{s}");
}

/// `pmdb run` on demo-plain (no agent) in a terminal: its pid as the
/// TUI's header shows it.
fn plain_in_tmux(scratch: &TempDir, scenario: &str) -> (Tmux, i32) {
    let cmd = format!(
        "cd {} && RUST_BACKTRACE=0 TMPDIR={} {} run -- {} {scenario}; echo EXIT=$?; sleep 60",
        std::env::current_dir().unwrap().parent().unwrap().display(),
        scratch.0.display(),
        bin("pmdb").display(),
        bin("demo-plain").display()
    );
    let t = Tmux::start(&cmd);
    let s = t.wait_for("total: u32 = 445");
    let pid = s
        .split("demo-plain (pid ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid in the header:\n{s}"));
    (t, pid)
}

#[test]
fn a_program_without_the_agent_stops_in_the_tui_and_quitting_kills_it() {
    let scratch = TempDir::new("tmux-plain");
    let (t, _) = plain_in_tmux(&scratch, "panic");
    t.keys(&["q"]);
    t.wait_for("(r)esume the program, (k)ill it, or (c)ancel?");
    t.keys(&["k"]);
    let s = t.wait_for("EXIT=");
    assert!(s.contains("EXIT=137"), "{s}");
}

#[test]
fn a_program_killed_while_held_is_said_so_in_one_line() {
    let scratch = TempDir::new("tmux-killed");
    let (t, pid) = plain_in_tmux(&scratch, "panic");
    // SAFETY: kills the program pmdb holds, as a user would from another terminal.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    t.keys(&["q"]);
    t.wait_for("(r)esume the program, (k)ill it, or (c)ancel?");
    t.keys(&["r"]);
    // A long path wraps: the line is read with the terminal's wraps undone.
    let s = t.wait_for("EXIT=").replace('\n', "");
    assert!(
        s.contains(&format!(
            "pmdb: {} (pid {pid}) was killed by SIGKILL while pmdb held it",
            bin("demo-plain").display()
        )),
        "{s}"
    );
    assert!(s.contains("EXIT=137"), "{s}");
}

#[test]
fn the_terminals_ctrl_c_reaches_the_program_and_pmdb_ends_with_its_status() {
    let scratch = TempDir::new("tmux-sigint");
    let cmd = format!(
        "TMPDIR={} {} run -- {} sleep; echo EXIT=$?; sleep 60",
        scratch.0.display(),
        bin("pmdb").display(),
        bin("demo-plain").display()
    );
    let t = Tmux::start(&cmd);
    t.wait_for("ready");
    t.keys(&["C-c"]);
    let s = t.wait_for("EXIT=");
    assert!(s.contains("EXIT=130"), "{s}");
}
