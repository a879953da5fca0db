//! The real `pmdb` binary in a real terminal (tmux): `pmdb run` on the
//! crashing demo, frame navigation, expansion, quit with resume, and the
//! program's own exit status at the end.

use std::process::Command;
use std::time::{Duration, Instant};

use tests::{TempDir, bin};

struct Tmux {
    name: String,
}

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        let name = format!("pmdb-test-{}", std::process::id());
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "110",
                "-y",
                "32",
                cmd,
            ])
            .status()
            .expect("tmux is needed (.ci/run installs it)");
        assert!(ok.success());
        Tmux { name }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            Command::new("tmux")
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .unwrap();
            std::thread::sleep(Duration::from_millis(80));
        }
    }

    /// Waits until the screen contains `text`; returns the screen.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?}; the screen is:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

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
    let s = t.wait_for("Locals of demo::bank::withdraw");
    assert!(s.contains("thread 'main' panicked at demo/src/bank.rs:63:9: insufficient funds: bob has 75 but round 1 needs 500"), "{s}");
    assert!(
        s.contains("▸ account: &Account = Account { id: 2, owner: \"bob\""),
        "{s}"
    );
    // Up the stack to transfer, into the locals, expand `bank`.
    t.keys(&["u"]);
    t.wait_for("Locals of demo::bank::transfer");
    t.keys(&["Tab", "Enter"]);
    let s = t.wait_for("▾ bank: &mut Bank");
    assert!(
        s.contains("  ▸ *: Bank = Bank { name: \"First Crash Bank\""),
        "{s}"
    );
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
