//! `pmdb attach TARGET --batch`: the TUI's commands from `-c` or stdin,
//! results as text, on a real crashed demo over the real socket.

use std::io::Write;
use std::process::{Command, Stdio};

use tests::{bin, crash, pmdb};

#[test]
fn batch_commands_from_flags() {
    let demo = crash("bank");
    let (status, stdout, stderr) = pmdb(
        &[
            "attach",
            demo.socket.to_str().unwrap(),
            "--batch",
            "-c",
            "locals",
            "-c",
            "p account.owner",
            "-c",
            "up",
            "-c",
            "p bank.accounts[0].history",
            "-c",
            "frame settle",
            "-c",
            "p batch[1]",
            "-c",
            "down",
            "-c",
            "p nosuch",
            "-c",
            "threads",
            "-c",
            "frobnicate",
        ],
        &[],
    );
    assert!(status.success(), "{stderr}");
    let frame_line = |n: u32, f: &str, line: u32| {
        format!(
            "> #{n} demo::bank::{f} at {}/demo/src/bank.rs:{line}",
            env!("CARGO_MANIFEST_DIR").trim_end_matches("/tests")
        )
    };
    let expected = [
        "(pmdb) locals".to_string(),
        "account: &Account = Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }".into(),
        "amount: i64 = 500".into(),
        "memo: &str = \"round 1\"".into(),
        "limit: i64 = 75".into(),
        "(pmdb) p account.owner".into(),
        "account.owner: String = \"bob\"".into(),
        "(pmdb) up".into(),
        frame_line(11, "transfer", 56),
        "(pmdb) p bank.accounts[0].history".into(),
        "bank.accounts[0].history: Vec<i64> = [100, -20, 20]".into(),
        "(pmdb) frame settle".into(),
        frame_line(12, "settle", 48),
        "(pmdb) p batch[1]".into(),
        "batch[1]: (u32, u32, i64) = (2, 1, 500)".into(),
        "(pmdb) down".into(),
        frame_line(11, "transfer", 56),
        "(pmdb) p nosuch".into(),
        "error: no local or static named `nosuch` (column 1)".into(),
        "  nosuch".into(),
        "  ^".into(),
        "(pmdb) threads".into(),
        "* 0 main (crashed)".into(),
        "(pmdb) frobnicate".into(),
        "error: unknown command \"frobnicate\" (help lists them)".into(),
    ];
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
    // Batch mode only reads: the process still waits.
    assert_eq!(demo.session().crash().unwrap().line, Some(63));
}

#[test]
fn batch_commands_from_stdin() {
    let demo = crash("values");
    let mut child = Command::new(bin("pmdb"))
        .args(["attach", demo.socket.to_str().unwrap(), "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"up\np some.0\np *boxed\np names[1]\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "(pmdb) up");
    assert!(
        lines[1].starts_with("> #") && lines[1].contains(" demo::values::run at "),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2..],
        [
            "(pmdb) p some.0",
            "some.0: i32 = 42",
            "(pmdb) p *boxed",
            "*boxed: Point = Point { x: 5, y: 6 }",
            "(pmdb) p names[1]",
            "names[1]: String = \"bob\"",
        ]
    );
}

/// A view the agent could not use is said once, on stderr, by `report` and
/// by batch mode; the output itself is unchanged.
#[test]
fn a_view_the_agent_could_not_use_is_said_on_stderr() {
    let (demo, views) = tests::crash_with_views("[[view]]\ntype = \"Celsius\"\nkind = \"gauge\"\n");
    let warning = format!(
        "pmdb: warning: view not used: {}:1: the view of Celsius: unknown variant `gauge`, expected one of `seq`, `set`, `text`, `bytes`, `map`, `value`, `summary`\n",
        views.display()
    );
    let env = [("PMDB_DIR", demo.dir.0.as_os_str())];
    let (status, stdout, stderr) = pmdb(&["report", &demo.pid.to_string(), "--depth", "0"], &env);
    assert!(status.success(), "{stderr}");
    assert_eq!(stderr, warning);
    assert!(stdout.starts_with("panic in thread 'main'"), "{stdout}");
    let (status, stdout, stderr) = pmdb(
        &[
            "attach",
            demo.socket.to_str().unwrap(),
            "--batch",
            "-c",
            "p outside",
        ],
        &[],
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(stderr, warning);
    assert_eq!(
        stdout,
        "(pmdb) p outside\noutside: Celsius = Celsius { degrees: -4 }\n"
    );
}
