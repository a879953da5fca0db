//! A real terminal for the TUI tests: a detached tmux session running one
//! command, keys sent with `send-keys`, the screen read with `capture-pane`.
//! Each session runs on its own tmux server (`-S`, a socket of the test's
//! own, removed on drop): tests start sessions in parallel, and two
//! `new-session`s racing to start the one default server lose one of them
//! ("server exited unexpectedly", a CI failure).

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A tmux session on its own server, killed on drop.
pub struct Tmux {
    name: String,
}

/// The socket of session `name`'s server.
fn socket(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(name)
}

/// `tmux -S SOCKET`: a command to the server of session `name`.
fn tmux(name: &str) -> Command {
    let mut c = Command::new("tmux");
    c.arg("-S").arg(socket(name));
    c
}

impl Tmux {
    /// Starts `cmd` (shell text) in a 110×32 terminal.
    pub fn start(cmd: &str) -> Tmux {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "pmdb-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let ok = tmux(&name)
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

    /// What the terminal shows now.
    pub fn screen(&self) -> String {
        let out = tmux(&self.name)
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `keys`, one `send-keys` each.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            tmux(&self.name)
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .unwrap();
            std::thread::sleep(Duration::from_millis(80));
        }
    }

    /// Waits until the screen contains `text`; returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
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
        let _ = tmux(&self.name).arg("kill-server").status();
        let _ = std::fs::remove_file(socket(&self.name));
    }
}

/// The walk both TUI tests take through `demo bank`'s crash, whatever
/// carries it: the first screen (the panic, `withdraw`'s locals), up to
/// `transfer`, and `bank` expanded to its fields. Returns the first screen.
pub fn walk_the_bank_crash(t: &Tmux) -> String {
    let first = t.wait_for("Locals of demo::bank::withdraw");
    assert!(
        first.contains("thread 'main' panicked at demo/src/bank.rs:63:9: insufficient funds: bob has 75 but round 1 needs 500"),
        "{first}"
    );
    assert!(
        first.contains("▸ account: &Account = Account { id: 2, owner: \"bob\""),
        "{first}"
    );
    t.keys(&["u"]);
    t.wait_for("Locals of demo::bank::transfer");
    t.keys(&["Tab", "Enter"]);
    let s = t.wait_for("▾ bank: &mut Bank");
    // A reference to a struct expands to the struct's fields.
    assert!(s.contains("    name: &str = \"First Crash Bank\""), "{s}");
    assert!(
        s.contains("  ▸ accounts: Vec<Account> = [Account { id: 1"),
        "{s}"
    );
    first
}
