//! The real `pmdb` binary in a real terminal (tmux): `pmdb run` on the
//! crashing demo, frame navigation, expansion, quit with resume, and the
//! program's own exit status at the end; `pmdb run` on a program without
//! the agent, killed from the TUI or by the user while held; pmdb itself
//! killed (SIGKILL, SIGHUP) while it holds one: the program dies with it and
//! the terminal's settings come back; `pmdb test --tui` at the first failing
//! test's panic.

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
    plain_in_tmux_then(scratch, scenario, "")
}

/// As [`plain_in_tmux`], `then` (shell text) run after pmdb ends.
fn plain_in_tmux_then(scratch: &TempDir, scenario: &str, then: &str) -> (Tmux, i32) {
    let cmd = format!(
        "cd {} && RUST_BACKTRACE=0 TMPDIR={} {} run -- {} {scenario}; s=$?; {then} echo EXIT=$s; sleep 60",
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

/// The state letter of process `pid` (`/proc/PID/stat`), `None` once gone.
fn state_of(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// pmdb killed by `signal` while the TUI holds demo-plain at its panic.
fn pmdb_killed_while_holding(signal: i32, name: &str, code: i32) {
    let scratch = TempDir::new("tmux-pmdb-killed");
    // After pmdb: once its terminal guard has put the terminal back, the
    // terminal's settings, one per line. The shell goes on the moment pmdb
    // dies, as the guard does: a shell that looks at once races the guard
    // (it saw "-echo" now and then), so this one waits for the guard, a
    // process on this terminal running `pmdb terminal-guard`, to be gone.
    let (t, child) = plain_in_tmux_then(
        &scratch,
        "panic",
        concat!(
            "T=$(tty); guard() { for p in /proc/[0-9]*; do [ \"$(readlink $p/fd/1 2>/dev/null)\" = \"$T\" ] ",
            "&& [ \"$(tr '\\0' '\\n' < $p/cmdline 2>/dev/null | sed -n 2p)\" = terminal-guard ] && return 0; done; return 1; }; ",
            "while guard; do sleep 0.05; done; ",
            "stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(echo|icanon)' | sed 's/^/STTY /';",
        ),
    );
    let status = std::fs::read_to_string(format!("/proc/{child}/status")).unwrap();
    let pmdb: i32 = status
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .and_then(|p| p.trim().parse().ok())
        .unwrap();
    assert_eq!(state_of(child), Some('t'), "held at its panic");
    // SAFETY: signals the pmdb this test started.
    assert_eq!(unsafe { libc::kill(pmdb, signal) }, 0);
    let s = t.wait_for("EXIT=");
    assert!(s.contains(&format!("EXIT={code}")), "{name}: {s}");
    // Canonical mode and echo are back, the TUI's screen is gone.
    assert!(s.contains("STTY icanon\n"), "{name}: {s}");
    assert!(!s.contains("STTY -"), "{name}: {s}");
    assert!(!s.contains("Traceback"), "{name}: {s}");
    // The program died with pmdb (a zombie until its new parent reaps it),
    // neither stopped nor running on.
    assert!(
        matches!(state_of(child), None | Some('Z')),
        "{name}: the program is {:?}",
        state_of(child)
    );
}

#[test]
fn pmdb_killed_while_holding_takes_the_program_along_and_gives_the_terminal_back() {
    pmdb_killed_while_holding(libc::SIGKILL, "SIGKILL", 137);
    pmdb_killed_while_holding(libc::SIGHUP, "SIGHUP", 129);
}

#[test]
fn pmdb_test_tui_opens_at_the_first_failing_tests_panic() {
    let scratch = TempDir::new("tmux-test-tui");
    let crate_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/failing-tests");
    let target = tests::target_dir().join("failing-tests");
    // Built first, so the terminal shows the run, not the build.
    let built =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["test", "--no-run", "--lib"])
            .current_dir(&crate_dir)
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .unwrap();
    assert!(built.success());
    let cmd = format!(
        "cd {} && CARGO_TARGET_DIR={} RUST_BACKTRACE=0 TMPDIR={} {} test --tui --lib -- --test-threads=1; echo EXIT=$?; sleep 60",
        crate_dir.display(),
        target.display(),
        scratch.0.display(),
        bin("pmdb").display(),
    );
    let t = Tmux::start(&cmd);
    // The first failed test (in the harness's order), at its helper's assert.
    let s = t.wait_for("Locals of failing_tests::tests::check_total");
    assert!(
        s.contains(
            "panicked at src/lib.rs:29:9: assertion `left == right` failed: total of 2 prices"
        ),
        "{s}"
    );
    assert!(s.contains("  got: u32 = 7"), "{s}");
    t.keys(&["q"]);
    t.wait_for("(r)esume the program, (k)ill it, or (c)ancel?");
    t.keys(&["k"]);
    let s = t.wait_for("EXIT=");
    // Then the run's own output, blocks included, and cargo's status.
    assert!(
        s.contains("---- tests::unwrap_on_err locals (pmdb) ----"),
        "{s}"
    );
    assert!(s.contains("EXIT=101"), "{s}");
}
