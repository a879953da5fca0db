//! What the TUI tests share: a screen drawn with ratatui's `TestBackend`
//! from an app's state, as lines of text.

use debugger_tui::tui::app::App;
use debugger_tui::tui::ui::{Theme, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The screen at `width` × `height`, without colour, each line's trailing
/// blanks trimmed and the pid in the header written `PID`.
pub fn screen(app: &App, width: u16, height: u16) -> Vec<String> {
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
