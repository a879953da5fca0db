//! The real `pmdb` binary in a real terminal (tmux): `pmdb run` on the
//! crashing demo, frame navigation, expansion, quit with resume, and the
//! program's own exit status at the end.

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
