//! The TUI's screens drawn with ratatui's `TestBackend` from the state of a
//! real crashed demo, asserted line by line (the pid redacted).

mod common;

use common::screen;
use debugger_tui::tui::app::{Action, App, Focus};

#[test]
fn bank_crash_first_screen_and_expansion() {
    let demo = tests::crash("bank");
    let mut app = App::new(demo.session()).unwrap();
    let s = screen(&app, 110, 30);
    assert_eq!(s[0], "pmdb  demo (pid PID)  thread 'main'");
    assert_eq!(
        s[1],
        "thread 'main' panicked at demo/src/bank.rs:63:9: insufficient funds: bob has 75 but round 1 needs 500"
    );
    assert!(s[2].starts_with("┌ Traceback ("), "{}", s[2]);
    assert!(s[2].contains("runtime hidden, r shows) "), "{}", s[2]);
    assert!(
        s[3].starts_with("│#10 demo::bank::withdraw  bank.rs:63"),
        "{}",
        s[3]
    );
    // demo::main calls the scenario on the line that says `run()`.
    let main_src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/src/main.rs"))
            .unwrap();
    let call_line = main_src
        .lines()
        .position(|l| l.contains("=> run(),"))
        .unwrap()
        + 1;
    assert!(
        s[7].starts_with(&format!("│#14 demo::main  main.rs:{call_line} ")),
        "{}",
        s[7]
    );
    let marked: Vec<&String> = s
        .iter()
        .filter(|l| l.contains(">   63         panic!("))
        .collect();
    assert_eq!(marked.len(), 1, "{s:#?}");
    let locals_at = s
        .iter()
        .position(|l| l.starts_with("┌ Locals of demo::bank::withdraw"))
        .unwrap();
    assert_eq!(
        s[locals_at + 1],
        "│▸ account: &Account = Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }      │"
    );
    assert_eq!(
        s[locals_at + 2].trim_end_matches('│').trim_end(),
        "│  amount: i64 = 500"
    );
    assert_eq!(
        s[29],
        "↑↓/jk frame  Enter locals  u/d up/down  r runtime  : command  Tab pane  ? help  q quit"
    );

    // Expand account: a reference to a struct lists the struct's fields.
    app.apply(Action::NextPane);
    assert_eq!(app.focus, Focus::Locals);
    app.apply(Action::Expand);
    let s = screen(&app, 110, 30);
    let rows: Vec<String> = s[locals_at + 1..locals_at + 6]
        .iter()
        .map(|l| {
            l.trim_start_matches('│')
                .trim_end_matches('│')
                .trim_end()
                .to_string()
        })
        .collect();
    assert_eq!(
        rows,
        [
            "▾ account: &Account = Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }",
            "    id: u32 = 2",
            "    owner: String = \"bob\"",
            "    balance: i64 = 50",
            "  ▸ history: Vec<i64> = [50]",
        ]
    );

    // Up the stack: the caller's locals and source.
    app.apply(Action::FrameUp);
    let s = screen(&app, 110, 30);
    assert!(
        s.iter()
            .any(|l| l.starts_with("┌ Locals of demo::bank::transfer")),
        "{s:#?}"
    );
    assert!(
        s.iter()
            .any(|l| l.contains(">   56     withdraw(&from, amount, memo);")),
        "{s:#?}"
    );

    // Runtime frames on demand.
    app.apply(Action::ToggleRuntime);
    let s = screen(&app, 110, 30);
    assert!(s[2].starts_with("┌ Traceback ─"), "{}", s[2]);
    assert_eq!(
        s[29],
        "↑↓/jk move  Enter/→ expand  ← collapse  / filter  u/d frame  : command  ? help  q quit  │ runtime shown"
    );
}

#[test]
fn help_quit_prompt_and_small_terminals() {
    let demo = tests::crash("bank");
    let mut app = App::new(demo.session()).unwrap();
    app.apply(Action::ToggleHelp);
    let s = screen(&app, 110, 30);
    assert!(s.iter().any(|l| l.contains("Help — Esc closes")), "{s:#?}");
    assert!(
        s.iter()
            .any(|l| l.contains("q, Ctrl-C       quit: resume or kill the debuggee")),
        "{s:#?}"
    );
    app.apply(Action::Cancel);
    app.apply(Action::Quit);
    let s = screen(&app, 110, 30);
    assert!(
        s.iter()
            .any(|l| l.contains(" (r)esume the program, (k)ill it, or (c)ancel?")),
        "{s:#?}"
    );
    app.apply(Action::Cancel);
    assert!(!app.quitting);
    let s = screen(&app, 79, 30);
    assert_eq!(s[0], "terminal too small (79x30): pmdb needs 80x24");
    let s = screen(&app, 20, 3);
    assert_eq!(s[0], "terminal too small (");
}

fn apply_all(app: &mut App, actions: impl IntoIterator<Item = Action>) {
    for a in actions {
        app.apply(a);
    }
}

fn typed(text: &str) -> Vec<Action> {
    text.chars().map(Action::Type).collect()
}

#[test]
fn command_line_filter_and_threads_pane() {
    let demo = tests::crash("threads");
    let mut app = App::new(demo.session()).unwrap();
    let s = screen(&app, 110, 36);
    assert_eq!(s[0], "pmdb  demo (pid PID)  thread 'checker' [1 of 4]");
    let threads_at = s.iter().position(|l| l.starts_with("┌ Threads")).unwrap();
    let listed: Vec<&str> = s[threads_at + 1..threads_at + 5]
        .iter()
        .map(|l| {
            l[..l.find(" │").unwrap_or(l.len())]
                .trim_start_matches('│')
                .trim_end()
        })
        .collect();
    assert_eq!(
        listed,
        ["0 checker (crashed)", "1 main", "2 worker-1", "3 worker-2"]
    );

    // :p shows an expandable value in the output area.
    apply_all(&mut app, [Action::StartCommand]);
    assert_eq!(screen(&app, 110, 36)[35], ":█");
    apply_all(&mut app, typed("p seen"));
    apply_all(&mut app, [Action::Submit]);
    assert_eq!(app.focus, Focus::Output);
    let s = screen(&app, 110, 36);
    let out_at = s.iter().position(|l| l.starts_with("┌ Output")).unwrap();
    let out: Vec<String> = s[out_at + 1..out_at + 5]
        .iter()
        .map(|l| {
            l.trim_start_matches('│')
                .trim_end_matches('│')
                .trim_end()
                .to_string()
        })
        .collect();
    assert_eq!(
        out,
        [
            ":p seen",
            "▾ seen: Vec<u32> = [3, 4]",
            "    [0]: u32 = 3",
            "    [1]: u32 = 4"
        ]
    );

    // Commands switch threads and frames; bad ones say why in one line.
    for (cmd, expected) in [
        (
            "thread 2",
            vec![
                ":thread 2",
                "thread 2 worker-1",
                "> #13 demo::threads::worker at",
            ],
        ),
        (
            "frame nosuch",
            vec![
                ":frame nosuch",
                "error: no frame \"nosuch\" (bt lists them)",
            ],
        ),
        (
            "p job.name",
            vec![":p job.name", "  job.name: &str = \"alpha\""],
        ),
        (
            "p job.",
            vec![
                ":p job.",
                "error: expected a field, a tuple index or a method after `.`, found the end (column 5)",
            ],
        ),
        (
            "bogus",
            vec![
                ":bogus",
                "error: unknown command \"bogus\" (help lists them)",
            ],
        ),
    ] {
        apply_all(&mut app, [Action::StartCommand]);
        apply_all(&mut app, typed(cmd));
        apply_all(&mut app, [Action::Submit]);
        let s = screen(&app, 110, 36);
        let out_at = s.iter().position(|l| l.starts_with("┌ Output")).unwrap();
        for (k, want) in expected.iter().enumerate() {
            let got = s[out_at + 1 + k].trim_start_matches('│');
            assert!(
                got.starts_with(want),
                "{cmd}: {got:?} should start with {want:?}"
            );
        }
    }
    assert_eq!(
        screen(&app, 110, 36)[0],
        "pmdb  demo (pid PID)  thread 'worker-1' [3 of 4]"
    );

    // / filters the locals by name.
    apply_all(&mut app, [Action::StartFilter]);
    apply_all(&mut app, typed("jo"));
    let s = screen(&app, 110, 36);
    let locals_at = s
        .iter()
        .position(|l| l.starts_with("┌ Locals of demo::threads::worker matching /jo"))
        .unwrap();
    // The local that rebinds the job argument, then the argument it shadows
    // (which lives in a register at this pc, so it is honestly unknown).
    let rows: Vec<String> = s[locals_at + 1..locals_at + 5]
        .iter()
        .map(|l| {
            l.trim_start_matches('│')
                .trim_end_matches('│')
                .trim_end()
                .to_string()
        })
        .collect();
    assert!(
        rows[0].starts_with("▸ jobs: Receiver<u32> = Receiver {"),
        "{}",
        rows[0]
    );
    assert_eq!(rows[1], "▸ job: Job = Job { id: 1, name: \"alpha\" }");
    assert_eq!(rows[2], "  job (shadowed): Job = <optimized out>");
    assert_eq!(rows[3], "");
    apply_all(&mut app, [Action::Cancel]);
    assert!(app.tree.filter.is_empty());
}

#[test]
fn while_a_request_is_outstanding_the_last_picture_stays_with_a_spinner() {
    use debugger_tui::tui::ui::{Theme, draw, draw_busy};
    use ratatui::{Terminal, backend::TestBackend};
    let demo = tests::crash("bank");
    let app = App::new(demo.session()).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let last = terminal
        .draw(|f| draw(f, &app, Theme { color: false }))
        .unwrap()
        .buffer
        .clone();
    terminal
        .draw(|f| draw_busy(f, Some(&last), 3, Theme { color: false }))
        .unwrap();
    let now = terminal.backend().buffer().clone();
    let row = |b: &ratatui::buffer::Buffer, y: u16| -> String {
        (0..100)
            .map(|x| b[(x, y)].symbol().to_string())
            .collect::<String>()
            .trim_end()
            .to_string()
    };
    for y in 0..29 {
        assert_eq!(row(&now, y), row(&last, y), "row {y}");
    }
    assert_eq!(row(&now, 29), "⠸ waiting for the debuggee…");
}

#[test]
fn any_terminal_size_draws_and_a_lost_connection_is_shown() {
    let demo = tests::crash("bank");
    let mut app = App::new(demo.session()).unwrap();
    for (w, h) in [
        (0, 0),
        (1, 1),
        (10, 3),
        (79, 23),
        (80, 24),
        (81, 25),
        (200, 60),
        (300, 5),
    ] {
        let s = screen(&app, w, h);
        assert_eq!(s.len(), h as usize);
    }
    drop(demo); // kills the debuggee
    app.apply(Action::FrameUp);
    let s = screen(&app, 110, 30);
    assert!(
        s[29].starts_with("connection to the debuggee lost: "),
        "{}",
        s[29]
    );
}

#[test]
fn mouse_clicks_select_and_the_wheel_scrolls() {
    let demo = tests::crash("bank");
    let mut app = App::new(demo.session()).unwrap();
    let s = screen(&app, 110, 30);
    // Click the third frame row of the traceback (demo::bank::settle).
    let row = s
        .iter()
        .position(|l| l.starts_with("│#12 demo::bank::settle"))
        .unwrap() as u16;
    app.apply(Action::Click(5, row));
    assert_eq!(app.focus, Focus::Traceback);
    let s = screen(&app, 110, 30);
    assert!(
        s.iter()
            .any(|l| l.starts_with("┌ Locals of demo::bank::settle")),
        "{s:#?}"
    );
    // Click the second locals row, then wheel down in the locals.
    let locals_at = s.iter().position(|l| l.starts_with("┌ Locals of")).unwrap() as u16;
    app.apply(Action::Click(10, locals_at + 2));
    assert_eq!((app.focus, app.tree.selected), (Focus::Locals, 1));
    app.apply(Action::Scroll(10, locals_at + 2, 1));
    assert_eq!(app.tree.selected, 4);
    app.apply(Action::Scroll(10, locals_at + 2, -1));
    assert_eq!(app.tree.selected, 1);
}

#[test]
fn a_view_the_agent_could_not_use_is_the_first_thing_the_output_says() {
    let (demo, views) =
        tests::crash_with_views("[[view]]\ntype = \"Celsius\"\nkind = \"summary\"\n");
    let app = App::new(demo.session()).unwrap();
    let s = screen(&app, 200, 30);
    let out_at = s.iter().position(|l| l.starts_with("┌ Output")).unwrap();
    let row = s[out_at + 1]
        .trim_start_matches('│')
        .trim_end_matches('│')
        .trim_end();
    assert_eq!(
        row,
        format!(
            "warning: view not used: {}:1: the Summary view of Celsius needs `format`",
            views.display()
        )
    );
}

#[test]
fn a_faults_analysis_is_the_headers_third_line() {
    let demo = tests::crash("null-field");
    let app = App::new(demo.session()).unwrap();
    let s = screen(&app, 110, 30);
    assert_eq!(s[0], "pmdb  demo (pid PID)  thread 'main'");
    let at = tests::line_containing("demo/src/signals.rs", "read_volatile(std::ptr::addr_of!");
    assert_eq!(
        s[1],
        format!(
            "thread 'main' crashed at {}/demo/src/signals.rs:{at}:14: SIGSEGV (address not mapped) at 0x10",
            env!("CARGO_MANIFEST_DIR").trim_end_matches("/debugger-tui")
        )
    );
    assert_eq!(s[2], "analysis: null pointer dereference at offset 0x10");
    assert!(s[3].starts_with("┌ Traceback"), "{}", s[3]);
}
