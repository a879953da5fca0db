//! The Threads pane of a pool (paged, filtered by name), threads grouped
//! by identical tracebacks, and the Tasks pane of a tokio program: drawn
//! with ratatui's `TestBackend` from real crashed demos, line by line.

mod common;

use debugger_tui::tui::app::{Action, App, Focus};

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

fn screen(app: &App) -> Vec<String> {
    common::screen(app, WIDTH, HEIGHT)
}

/// The rows of the pane whose top border starts with `title`, without
/// borders, and that border's title.
fn pane(s: &[String], title: &str) -> (String, Vec<String>) {
    let top = s
        .iter()
        .position(|l| l.starts_with(&format!("┌ {title}")))
        .unwrap_or_else(|| panic!("no {title} pane in\n{}", s.join("\n")));
    let column = s[top].chars().position(|c| c == '┐').unwrap();
    let rows = s[top + 1..]
        .iter()
        .take_while(|l| !l.starts_with('└'))
        .map(|l| {
            let row: String = l.chars().skip(1).take(column - 1).collect();
            row.trim_end().to_string()
        })
        .collect();
    let head: String = s[top].chars().take(column).collect();
    let title = head.trim_start_matches("┌ ").trim_end_matches(['─', '┐']);
    (title.trim_end().to_string(), rows)
}

fn apply_all(app: &mut App, actions: impl IntoIterator<Item = Action>) {
    for a in actions {
        app.apply(a);
    }
}

fn command(app: &mut App, line: &str) {
    app.apply(Action::StartCommand);
    apply_all(app, line.chars().map(Action::Type));
    app.apply(Action::Submit);
}

#[test]
fn the_threads_pane_pages_filters_and_groups_a_pool() {
    let demo = tests::crash_program(&tests::bin("demo"), &["pool", "60"], "pool", &[]);
    let mut app = App::new(demo.session()).unwrap();
    let s = screen(&app);
    assert_eq!(s[0], "pmdb  demo (pid PID)  thread 'main' [1 of 61]");
    let (title, rows) = pane(&s, "Threads");
    assert_eq!(title, "Threads (61)");
    assert_eq!(
        rows,
        [
            "0 main (crashed)",
            "1 pool-0",
            "2 pool-1",
            "3 pool-2",
            "4 pool-3",
            "5 pool-4"
        ]
    );

    // A page down moves a pane's height (6 rows) and shows that thread.
    while app.focus != Focus::Threads {
        app.apply(Action::NextPane);
    }
    app.apply(Action::Page(1));
    let s = screen(&app);
    assert_eq!(s[0], "pmdb  demo (pid PID)  thread 'pool-5' [7 of 61]");
    assert_eq!(pane(&s, "Threads").1[5], "6 pool-5");
    let (title, locals) = pane(&s, "Locals of demo::pool::serve_slot");
    assert_eq!(title, "Locals of demo::pool::serve_slot");
    assert_eq!(
        locals[..3],
        [
            "  index: u64 = 5",
            "  slot: u64 = 5",
            "  label: &str = \"odd\""
        ]
    );

    // `/` in the Threads pane filters by name; the selection stays.
    app.apply(Action::StartFilter);
    apply_all(&mut app, "pool-5".chars().map(Action::Type));
    app.apply(Action::Submit);
    let s = screen(&app);
    let (title, rows) = pane(&s, "Threads");
    assert_eq!(title, "Threads (11 of 61 matching \"pool-5\")");
    assert_eq!(
        rows,
        [
            "6 pool-5",
            "51 pool-50",
            "52 pool-51",
            "53 pool-52",
            "54 pool-53",
            "55 pool-54"
        ]
    );
    app.apply(Action::Page(1));
    let s = screen(&app);
    assert_eq!(s[0], "pmdb  demo (pid PID)  thread 'pool-55' [57 of 61]");
    assert_eq!(
        pane(&s, "Threads").1,
        [
            "51 pool-50",
            "52 pool-51",
            "53 pool-52",
            "54 pool-53",
            "55 pool-54",
            "56 pool-55"
        ]
    );

    // `g` groups the listed threads by stack: a line per stack, how many
    // threads stand there and where; the selection stays on its thread.
    app.apply(Action::ToggleGroups);
    let s = screen(&app);
    assert_eq!(s[0], "pmdb  demo (pid PID)  thread 'pool-55' [57 of 61]");
    let (title, rows) = pane(&s, "Threads");
    assert_eq!(title, "Threads (11 matching \"pool-5\") in 1 stack");
    assert_eq!(rows[..2], ["11 × demo::pool::serve_slot pool.rs:98", ""]);
    // Without the filter: every thread, in two stacks, biggest first.
    app.apply(Action::StartFilter);
    apply_all(&mut app, std::iter::repeat_n(Action::Backspace, 6));
    app.apply(Action::Submit);
    let (title, rows) = pane(&screen(&app), "Threads");
    assert_eq!(title, "Threads (61) in 2 stacks");
    assert_eq!(
        rows[..3],
        [
            "60 × demo::pool::serve_slot pool.rs:98",
            "1 × demo::pool::overloaded pool.rs:110",
            ""
        ]
    );
    // Down to the next stack: its (first) thread is selected.
    app.apply(Action::Down);
    let s = screen(&app);
    assert_eq!(s[0], "pmdb  demo (pid PID)  thread 'main' [1 of 61]");
    assert!(
        pane(&s, "Traceback").1[0].starts_with("#10 demo::pool::overloaded  pool.rs:110"),
        "{s:#?}"
    );
    app.apply(Action::ToggleGroups);
    assert_eq!(pane(&screen(&app), "Threads").0, "Threads (61)");

    // `:stacks` groups identical tracebacks, read from the top.
    command(&mut app, "stacks pool");
    let (_, out) = pane(&screen(&app), "Output");
    assert_eq!(
        out[..3],
        [
            ":stacks pool",
            "60 threads × the same stack: pool-0, pool-1, pool-2, pool-3, pool-4, …",
            "    #0 syscall at ./misc/../sysdeps/unix/sysv/linux/x86_64/syscall.S:37",
        ]
    );
}

#[test]
fn the_tasks_pane_lists_scrolls_and_filters_tokio_tasks() {
    let demo = tests::crash_program(&tests::tokio_demo("current"), &[], "tokio", &[]);
    let mut app = App::new(demo.session()).unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .display()
        .to_string();
    let at = |text: &str| {
        let line = tests::line_containing("demo-tokio/scenario.rs", text);
        format!(" at {repo}/demo-tokio/current/../scenario.rs:{line}")
    };

    app.apply(Action::ShowTasks);
    assert_eq!(app.focus, Focus::Output);
    let s = screen(&app);
    let (title, rows) = pane(&s, "Tasks");
    assert_eq!(
        title,
        "Tasks — 27 of 27 tasks (↑↓ PgUp PgDn scroll, :tasks TEXT filters)"
    );
    // The listing takes the locals' room but for five rows: 13 rows here.
    assert_eq!(pane(&s, "Locals of").1.len(), 3);
    assert_eq!(rows.len(), 13);
    let gate =
        |row: &str| row.starts_with("      gate: Receiver<u64> = Receiver { inner: Some(Inner {");
    assert_eq!(
        rows[..7],
        [
            ":tasks".to_string(),
            "27 of 27 tasks".into(),
            "task 1 (idle)".into(),
            "  Receiver<u64>".into(),
            format!(
                "  demo_tokio_current::reserve{}",
                at("let got = gate.await")
            ),
            "      shelf: u64 = 0".into(),
            "      id: u64 = 0".into(),
        ]
    );
    assert!(gate(&rows[7]), "{}", rows[7]);
    assert_eq!(
        rows[8..12],
        [
            format!(
                "  demo_tokio_current::order{}",
                at("let got = reserve(id, gate).await")
            ),
            "      id: u64 = 0".into(),
            "      name: String = \"order-0\"".into(),
            "      qty: u64 = 0".into(),
        ]
    );
    assert!(gate(&rows[12]), "{}", rows[12]);
    // A page on: the next 13 lines, from the next task.
    app.apply(Action::Page(1));
    let (_, rows) = pane(&screen(&app), "Tasks");
    assert_eq!(rows[0], "task 2 (idle)");
    assert_eq!(rows.len(), 13);
    // Each row is its line, cut at the pane's edge.
    for (row, line) in rows.iter().zip(&app.output[13..26]) {
        assert!(
            !row.is_empty() && line.starts_with(row.as_str()),
            "{row:?} / {line:?}"
        );
    }

    command(&mut app, "tasks ticker");
    assert_eq!(
        app.output,
        [
            ":tasks ticker".to_string(),
            "1 of 27 tasks".into(),
            "task 25 (idle)".into(),
            "  Sleep".into(),
            format!("  demo_tokio_current::ticker{}", at("tokio::time::sleep(")),
            "      every: u64 = 3600".into(),
        ]
    );
    let (title, rows) = pane(&screen(&app), "Tasks");
    assert_eq!(
        title,
        "Tasks — 1 of 27 tasks (↑↓ PgUp PgDn scroll, :tasks TEXT filters)"
    );
    // Six lines: the output keeps its usual seven rows.
    assert_eq!(rows[..6], app.output[..]);
    assert_eq!(rows[6], "");
}
