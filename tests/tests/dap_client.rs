//! `pmdb dap` against a DAP client nobody here wrote: runs the Node tests in
//! `editors/dap-tests` (VS Code's `@vscode/debugadapter-testsupport`
//! `DebugClient` against real crashed demos, and hung `demo-hang` programs
//! attached by pid as they run), installing their locked npm
//! dependencies first if they are absent. Needs `node` and `npm` on PATH
//! (`.ci/run` installs them).

use std::path::Path;
use std::process::Command;

#[test]
fn vscode_debug_client_drives_pmdb_dap() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/dap-tests");
    // Built binaries are required; fail early with the usual hint.
    let pmdb = tests::bin("pmdb");
    tests::bin("demo");
    tests::bin("demo-hang");
    if !dir
        .join("node_modules/@vscode/debugadapter-testsupport")
        .exists()
    {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .expect("npm is needed for the DAP client tests (Debian: apt-get install nodejs npm)");
        assert!(
            out.status.success(),
            "npm ci failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = Command::new("node")
        .arg("--test")
        .current_dir(&dir)
        .env("PMDB_BIN_DIR", pmdb.parent().unwrap())
        .output()
        .expect("node is needed for the DAP client tests (Debian: apt-get install nodejs)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "node --test failed:\n{text}");
    // Every test ran and passed: none failed, skipped, cancelled or left to do.
    let count = |what: &str| -> u32 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("# {what} ")))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no \"# {what}\" line in:\n{text}"))
    };
    assert!(count("tests") >= 19, "{text}");
    assert_eq!(count("pass"), count("tests"), "{text}");
    for what in ["fail", "skipped", "cancelled", "todo"] {
        assert_eq!(count(what), 0, "{what}:\n{text}");
    }
}
