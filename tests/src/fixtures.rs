//! The programs the end-to-end tests run, built by the tests themselves the
//! first time one asks for them: `cargo test --workspace` (or any one test)
//! on a fresh clone needs no build before it.
//!
//! A fixture is a cargo line and the file it makes. [`Fixture::path`] runs
//! that line once per process, under a file lock in the target dir so that
//! test binaries running side by side (nextest, two `cargo test`s) build it
//! once, and records which `cargo test` run built it, so the next test binary
//! of the same run does not ask cargo again. Another `cargo test` run asks
//! cargo again, which rebuilds what changed and is quick when nothing did.
//! `TARGET/fixtures/NAME.log` keeps each build's cargo line, time and output.
//!
//! Cargo releases its lock on the target dir once the test binaries are
//! built, before it runs them, so a `cargo build` a test starts into the same
//! target dir runs at once. `cargo test --workspace` builds every workspace
//! binary itself, with the `test` profile and the same features (no
//! workspace crate turns on a feature of another only for its tests), so the
//! [`Fixture::Bin`] lines, which ask for that profile, find them fresh; the
//! other profiles and the programs outside the workspace are built here,
//! once per checkout.
//!
//! A new fixture is one line: a workspace binary needs none ([`bin`] takes
//! any name), a demo built another way is a `const` below.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// A program a test runs, and how cargo builds it.
#[derive(Debug, Clone, Copy)]
pub enum Fixture<'a> {
    /// A binary of the workspace as `cargo test` builds it
    /// (`cargo build --workspace --profile test --bin NAME`).
    Bin(&'a str),
    /// A binary of the workspace built with another profile
    /// (`cargo build --workspace --profile PROFILE --bin NAME`).
    Profile { profile: &'a str, bin: &'a str },
    /// A program outside the workspace, built from its own manifest into a
    /// target subdir of its own (so it pins its own dependencies).
    Outside {
        manifest: &'a str,
        target_subdir: &'a str,
        bin: &'a str,
    },
}

/// The optimized demo that keeps full debug info.
pub const DEMO_OPTIMIZED: Fixture = Fixture::Profile {
    profile: "release-debug",
    bin: "demo",
};
/// The demo built with `panic = "abort"`, its DWARF packed in `demo.dwp`
/// beside it.
pub const DEMO_PANIC_ABORT: Fixture = Fixture::Profile {
    profile: "panic-abort",
    bin: "demo",
};
/// The demo with its DWARF packed in `demo.dwp` beside it: the panic-abort
/// build, so that one build of the dependencies serves both.
pub const DEMO_SPLIT_DWARF: Fixture = DEMO_PANIC_ABORT;

/// One tokio program against tokio 1.54.1, 1.40.0, 1.20.6 and 1.0.3 (whose
/// tasks live elsewhere and have no ids), outside the workspace so each
/// pins its own tokio. `mid`'s lockfile pins the others' versions of what
/// they share, so that it reuses their units: tokio 1.20.6 and the program
/// are all it adds (15 s of CPU).
pub const TOKIO_CURRENT: Fixture = Fixture::Outside {
    manifest: "demo-tokio/current/Cargo.toml",
    target_subdir: "outside",
    bin: "demo-tokio-current",
};
pub const TOKIO_OLDER: Fixture = Fixture::Outside {
    manifest: "demo-tokio/older/Cargo.toml",
    target_subdir: "outside",
    bin: "demo-tokio-older",
};
pub const TOKIO_MID: Fixture = Fixture::Outside {
    manifest: "demo-tokio/mid/Cargo.toml",
    target_subdir: "outside",
    bin: "demo-tokio-mid",
};
pub const TOKIO_OLDEST: Fixture = Fixture::Outside {
    manifest: "demo-tokio/oldest/Cargo.toml",
    target_subdir: "outside",
    bin: "demo-tokio-oldest",
};

/// The tokio program stuck on purpose (`demo-tokio/hang.rs`), against
/// tokio 1.54.1.
pub const TOKIO_HANG: Fixture = Fixture::Outside {
    manifest: "demo-tokio/current/Cargo.toml",
    target_subdir: "outside",
    bin: "demo-tokio-hang",
};

/// The request handler holding the types services keep (regex, url,
/// chrono, time, http, std's addresses, times and platform strings),
/// outside the workspace so that those crates stay out of `demo`'s graph.
pub const SERVICES: Fixture = Fixture::Outside {
    manifest: "demo-services/Cargo.toml",
    target_subdir: "outside",
    bin: "demo-services",
};

/// A program that writes its own minidump at a panic with the
/// `minidump-writer` crate, outside the workspace so that crate stays out
/// of pmdb's graph.
pub const MINIDUMP_WRITER: Fixture = Fixture::Outside {
    manifest: "demo-minidump-writer/Cargo.toml",
    target_subdir: "outside",
    bin: "demo-minidump-writer",
};

/// The tokio demo of `version`: `current`, `older`, `mid` or `oldest`.
pub fn tokio(version: &str) -> Fixture<'static> {
    match version {
        "current" => TOKIO_CURRENT,
        "older" => TOKIO_OLDER,
        "mid" => TOKIO_MID,
        "oldest" => TOKIO_OLDEST,
        other => panic!("no tokio demo {other:?} (current, older, mid, oldest)"),
    }
}

/// A workspace binary, built if it is not yet.
pub fn bin(name: &str) -> PathBuf {
    Fixture::Bin(name).path()
}

impl Fixture<'_> {
    /// The program, built first if this run has not built it yet. A failed
    /// build fails the test with cargo's output.
    pub fn path(&self) -> PathBuf {
        // Tests of one binary run on several threads: one builds, the
        // others wait for it here.
        static BUILT: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
        let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.file();
        if !built.contains(&self.key()) {
            self.build_once_per_run();
            built.insert(self.key());
        }
        assert!(
            path.exists(),
            "{} is missing after `{}`",
            path.display(),
            self.command_line()
        );
        path
    }

    /// The file it makes, under the target dir.
    fn file(&self) -> PathBuf {
        let target = target_dir();
        match self {
            Fixture::Bin(bin) => target.join("debug").join(bin),
            Fixture::Profile { profile, bin } => target.join(profile).join(bin),
            Fixture::Outside {
                target_subdir, bin, ..
            } => target.join(target_subdir).join("debug").join(bin),
        }
    }

    /// Its name among the stamps: one file name per fixture.
    fn key(&self) -> String {
        match self {
            Fixture::Bin(bin) => format!("debug-{bin}"),
            Fixture::Profile { profile, bin } => format!("{profile}-{bin}"),
            Fixture::Outside {
                target_subdir, bin, ..
            } => format!("{target_subdir}-{bin}"),
        }
    }

    /// The cargo arguments that build it, from the workspace root.
    fn args(&self) -> Vec<String> {
        let target = target_dir();
        let mut args: Vec<String> = vec!["build".into()];
        match self {
            Fixture::Bin(bin) => {
                // The profile `cargo test` builds everything with, so under
                // `cargo test --workspace` these are the very binaries it built.
                args.extend(["--workspace".into(), "--profile".into(), "test".into()]);
                args.extend(["--bin".into(), bin.to_string()]);
                args.extend(["--target-dir".into(), target.display().to_string()]);
            }
            Fixture::Profile { profile, bin } => {
                args.extend([
                    "--workspace".into(),
                    "--profile".into(),
                    profile.to_string(),
                ]);
                args.extend(["--bin".into(), bin.to_string()]);
                args.extend(["--target-dir".into(), target.display().to_string()]);
            }
            Fixture::Outside {
                manifest,
                target_subdir,
                bin,
            } => {
                args.extend(["--manifest-path".into(), manifest.to_string()]);
                args.extend(["--bin".into(), bin.to_string()]);
                let dir = target.join(target_subdir);
                args.extend(["--target-dir".into(), dir.display().to_string()]);
            }
        }
        args
    }

    fn command_line(&self) -> String {
        format!("cargo {}", self.args().join(" "))
    }

    /// Builds it unless this `cargo test` run already did (in another test
    /// binary), holding the lock while it checks and builds.
    fn build_once_per_run(&self) {
        let dir = target_dir().join("fixtures");
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let lock_path = dir.join(".lock");
        let lock = std::fs::File::create(&lock_path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", lock_path.display()));
        lock.lock()
            .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
        let stamp = dir.join(self.key());
        let run = this_run();
        if let Some(run) = &run
            && std::fs::read_to_string(&stamp).is_ok_and(|s| s == *run)
            && self.file().exists()
        {
            return;
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let started = std::time::Instant::now();
        let out = Command::new(cargo)
            .args(self.args())
            .current_dir(workspace_root())
            .output()
            .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", self.command_line()));
        assert!(
            out.status.success(),
            "`{}` failed ({}):\n{}",
            self.command_line(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        // What it cost, for whoever wonders where a first run's time went.
        let _ = std::fs::write(
            dir.join(format!("{}.log", self.key())),
            format!(
                "{}\n{:.1} s\n{}",
                self.command_line(),
                started.elapsed().as_secs_f64(),
                String::from_utf8_lossy(&out.stderr)
            ),
        );
        if let Some(run) = run {
            let _ = std::fs::write(&stamp, run);
        }
    }
}

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

/// The target dir the running test binary was built into (it runs from
/// `TARGET/debug/deps/`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().expect("the executable's directory");
    let profile_dir = if dir.ends_with("deps") {
        dir.parent().expect("TARGET/PROFILE")
    } else {
        dir
    };
    profile_dir
        .parent()
        .expect("the test binary sits in TARGET/PROFILE/deps")
        .to_path_buf()
}

/// Which `cargo test` (or nextest) run this test binary belongs to: its
/// parent's pid and start time; `None` when it was started some other way
/// (then every fixture is checked with cargo).
fn this_run() -> Option<String> {
    let parent = std::os::unix::process::parent_id();
    let comm = std::fs::read_to_string(format!("/proc/{parent}/comm")).ok()?;
    if !matches!(comm.trim(), "cargo" | "cargo-nextest") {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{parent}/stat")).ok()?;
    // Field 22, the start time, counted after the parenthesised name.
    let start = stat.rsplit_once(')')?.1.split_whitespace().nth(19)?;
    Some(format!("{parent} {start}"))
}
