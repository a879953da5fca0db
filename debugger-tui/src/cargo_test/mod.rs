//! `pmdb test [ARGS…]`: `cargo test ARGS…` with the same arguments, output
//! and exit status, and under each test that failed by a panic its user
//! frames with their locals, as `pytest --showlocals` prints them.
//!
//! cargo runs every test binary through a target runner when one is set
//! (`CARGO_TARGET_<TRIPLE>_RUNNER`): pmdb sets it to itself
//! (`pmdb test-runner`, [`runner`]), so each binary runs under ptrace
//! while cargo builds, filters and reports exactly as usual. rustdoc runs
//! its doc-test binary through the runner too; that binary runs each doc
//! test in a process of its own, built without debug info, so a failed doc
//! test gets one line saying it has no locals, and why. [`harness`] reads
//! libtest's output; [`pty`] keeps it a terminal. With `--tui`, the first
//! failed test whose panic was caught is run again alone once its binary
//! has ended, and the TUI opens at that panic: the harness's verdict says
//! which panic fails a test (a `#[should_panic]` test's does not), so the
//! TUI never opens on a panic that turns out expected.

pub mod harness;
pub mod pty;
pub mod runner;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// Where each runner leaves its failures as JSON, for `--json`.
pub const JSON_DIR: &str = "PMDB_TEST_JSON_DIR";
/// How deep each runner walks locals.
pub const DEPTH: &str = "PMDB_TEST_DEPTH";
/// With `--tui`: a file the first runner to reach a failed test creates,
/// so only one TUI opens in the whole run.
pub const TUI: &str = "PMDB_TEST_TUI";

/// Which runner of cargo's runs the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// `cargo test`: each test binary once, its tests on threads.
    CargoTest,
    /// `cargo nextest run`: each test in a process of its own.
    Nextest,
}

/// Runs `cargo test ARGS…` (or `cargo nextest run ARGS…`); returns its
/// exit code.
pub fn test(
    driver: Driver,
    args: &[OsString],
    json: Option<&Path>,
    depth: u32,
    tui: bool,
) -> anyhow::Result<i32> {
    if tui && driver == Driver::Nextest {
        anyhow::bail!(
            "--tui does not work with --nextest: nextest captures each test's terminal (run `pmdb test --tui` instead)"
        );
    }
    let me = std::env::current_exe().context("cannot find pmdb's own executable")?;
    let me = me
        .to_str()
        .filter(|p| !p.contains(char::is_whitespace))
        .with_context(|| {
            format!(
                "pmdb's path {} holds a space, which cargo's runner setting cannot carry",
                me.display()
            )
        })?;
    let triple = target(args)?;
    let runner_var = format!(
        "CARGO_TARGET_{}_RUNNER",
        triple.to_uppercase().replace(['-', '.'], "_")
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    match driver {
        Driver::CargoTest => cmd.arg("test"),
        Driver::Nextest => cmd.args(["nextest", "run"]),
    };
    cmd.args(args)
        .env(&runner_var, format!("{me} test-runner --"))
        .env(DEPTH, depth.to_string());
    let scratch = std::env::temp_dir().join(format!("pmdb-test-{}", std::process::id()));
    if json.is_some() || tui {
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("cannot create {}", scratch.display()))?;
    }
    let dir = match json {
        Some(_) => {
            let dir = scratch.join("json");
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            cmd.env(JSON_DIR, &dir);
            Some(dir)
        }
        None => None,
    };
    if tui {
        cmd.env(TUI, scratch.join("tui-opened"));
    }
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()));
    let merged = match (json, &dir) {
        (Some(_), Some(dir)) => Some(merge(dir)),
        _ => None,
    };
    let _ = std::fs::remove_dir_all(&scratch);
    let status = status?;
    if let (Some(file), Some(merged)) = (json, merged) {
        std::fs::write(file, serde_json::to_vec_pretty(&merged?)?)
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    Ok(crate::run::exit_code(status))
}

/// The runners' entries, one array, in the order the binaries ran.
fn merge(dir: &Path) -> anyhow::Result<serde_json::Value> {
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)?
        .filter_map(|e| {
            let e = e.ok()?;
            Some((e.metadata().ok()?.modified().ok()?, e.path()))
        })
        .collect();
    files.sort();
    let mut all = Vec::new();
    for (_, f) in files {
        let entries: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(&f)?)
            .with_context(|| format!("{} does not parse", f.display()))?;
        all.extend(entries);
    }
    Ok(serde_json::Value::Array(all))
}

/// The target the tests are built for: `--target T` among the arguments
/// (before a `--`), else cargo's `CARGO_BUILD_TARGET`, else the host's,
/// which is the one pmdb was built for (pmdb runs on x86-64 Linux only).
fn target(args: &[OsString]) -> anyhow::Result<String> {
    let mut it = args.iter().map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if a == "--target" {
            return it
                .next()
                .map(|t| t.into_owned())
                .context("--target needs a value");
        }
        if let Some(t) = a.strip_prefix("--target=") {
            return Ok(t.to_string());
        }
    }
    if let Some(t) = std::env::var_os("CARGO_BUILD_TARGET").filter(|t| !t.is_empty()) {
        return Ok(t.to_string_lossy().into_owned());
    }
    Ok(env!("PMDB_BUILT_FOR").to_string())
}

#[cfg(test)]
mod tests {
    use super::target;

    #[test]
    fn the_target_is_the_argument_else_the_host() {
        let args = |a: &[&str]| {
            a.iter()
                .map(Into::into)
                .collect::<Vec<std::ffi::OsString>>()
        };
        assert_eq!(
            target(&args(&[
                "--release",
                "--target",
                "aarch64-unknown-linux-gnu"
            ]))
            .unwrap(),
            "aarch64-unknown-linux-gnu"
        );
        assert_eq!(
            target(&args(&["--target=x86_64-unknown-linux-musl"])).unwrap(),
            "x86_64-unknown-linux-musl"
        );
        // After `--` it is the test binary's argument, not cargo's.
        assert_eq!(
            target(&args(&["--", "--target", "x"])).unwrap(),
            env!("PMDB_BUILT_FOR")
        );
    }
}
