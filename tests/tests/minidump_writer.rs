//! Issue 24, point 3: pmdb reads minidumps written by the `minidump-writer`
//! crate, not only its own. `demo-minidump-writer` (outside the workspace)
//! writes one of itself at its panic, from a forked child, as crash
//! reporters built on that crate do; `pmdb report --core` reads it: the
//! panicking thread's frames, the locals the stack holds exact, heap values
//! `<not in the minidump>`. The program's own panic and status are unchanged.

use std::process::Command;
use std::time::Duration;

use tests::{TempDir, fixtures, line_containing, pmdb, run_to_end};

const SOURCE: &str = "demo-minidump-writer/src/main.rs";

#[test]
fn a_minidump_of_the_minidump_writer_crate_reports_its_frames_and_stack_locals() {
    let dir = TempDir::new("minidump-writer");
    let dump = dir.0.join("crash.dmp");
    let mut cmd = Command::new(fixtures::MINIDUMP_WRITER.path());
    cmd.arg(&dump).env("RUST_BACKTRACE", "0");
    let (status, stderr, _) = run_to_end(cmd, Duration::from_secs(60));
    assert_eq!(status.code(), Some(101), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "demo-minidump-writer: wrote {} (status 0)\n",
            dump.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "order 7 has 4 items, over the limit of 3 (attempt 2, note \"leave at the door\")"
        ),
        "{stderr}"
    );

    let (status, report, err) = pmdb(&["report", "--core", dump.to_str().unwrap()], &[]);
    assert!(status.success(), "{err}");
    assert!(
        report.starts_with("no crash: a minidump written on request\n"),
        "{report}"
    );
    // The three user frames under the panic, each with its locals.
    let lines: Vec<&str> = report.lines().collect();
    let at = |function: &str| {
        lines
            .iter()
            .position(|l| l.contains(&format!(" {function} at ")))
            .unwrap_or_else(|| panic!("no frame {function}:\n{report}"))
    };
    let frame = |function: &str, n: usize| lines[at(function)..at(function) + n].to_vec();
    let path = fixtures::workspace_root().join(SOURCE);
    let items = "[<not in the minidump>, <not in the minidump>, <not in the minidump>, <not in the minidump>]";
    let checkout = frame("demo_minidump_writer::checkout", 5);
    assert!(
        checkout[0].ends_with(&format!(
            "demo_minidump_writer::checkout at {}:{}",
            path.display(),
            line_containing(SOURCE, "panic!(")
        )),
        "{checkout:?}"
    );
    assert_eq!(
        checkout[1..],
        [
            format!("        order: &Order = Order {{ id: 7, items: {items}, .. }}").as_str(),
            "        limit: u32 = 3",
            "        attempt: u64 = 2",
            "        count: u32 = 4",
        ]
    );
    let submit = frame("demo_minidump_writer::submit", 4);
    assert!(
        submit[0].ends_with(&format!(
            "demo_minidump_writer::submit at {}:{}",
            path.display(),
            line_containing(SOURCE, "checkout(order, limit + 0, attempt);")
        )),
        "{submit:?}"
    );
    assert_eq!(
        submit[2..],
        ["        limit: u32 = 3", "        attempt: u64 = 2"]
    );
    // The String behind the hook's `path` is on the heap: not in the dump.
    let main = frame("demo_minidump_writer::main", 2);
    assert_eq!(main[1], "        path: String = <not in the minidump>");
}
