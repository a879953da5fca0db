//! The TUI's screens drawn with ratatui's `TestBackend` from the state of a
//! real crashed demo, asserted line by line (the pid redacted).

use debugger_tui::tui::app::{Action, App, Focus};
use debugger_tui::tui::ui::{Theme, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn screen(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| draw(f, app, Theme { color: false }))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..height)
        .map(|y| {
            let line: String = (0..width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            line.trim_end()
                .replace(&format!("pid {}", app.crash.pid), "pid PID")
        })
        .collect()
}

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
    assert!(s[7].starts_with("│#14 demo::main  main.rs:62"), "{}", s[7]);
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
        "↑↓/jk frame  Enter locals  u/d up/down  r runtime  Tab pane  ? help  q quit"
    );

    // Expand account, then its pointee.
    app.apply(Action::NextPane);
    assert_eq!(app.focus, Focus::Locals);
    app.apply(Action::Expand);
    app.apply(Action::Down);
    app.apply(Action::Expand);
    let s = screen(&app, 110, 30);
    let rows: Vec<String> = s[locals_at + 1..locals_at + 8]
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
            "  ▾ *: Account = Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }",
            "      id: u32 = 2",
            "      owner: String = \"bob\"",
            "      balance: i64 = 50",
            "    ▸ history: Vec<i64> = [50]",
            "    ▸ overdraft: Option<i64> = Some(25)",
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
        "↑↓/jk move  Enter/→ expand  ← collapse  u/d frame  Tab pane  ? help  q quit  │ showing runtime frames"
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
