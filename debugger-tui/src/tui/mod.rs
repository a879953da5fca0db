//! The terminal UI: connects, sets the terminal up (and restores it on every
//! exit path, a panic inside pmdb included), and runs the event loop over
//! [`app::App`] state, [`ui`] drawing and [`input`] keys.

pub mod app;
pub mod input;
pub mod tree;
pub mod ui;

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use app::{App, Exit};

/// Attaches to the crashed process at `socket` and runs the TUI until the
/// user resumes or kills it.
pub fn attach(socket: PathBuf) -> anyhow::Result<()> {
    let session = wire::Session::connect(socket.as_path())
        .map_err(|e| anyhow::anyhow!("cannot attach to {}: {e}", socket.display()))?;
    let mut app = App::new(session)?;
    let exit = with_terminal(|terminal| run(terminal, &mut app))?;
    match exit {
        Some(Exit::Resume) => app.session().resume()?,
        Some(Exit::Kill) => app.session().kill()?,
        None => {}
    }
    Ok(())
}

type Term = Terminal<CrosstermBackend<std::io::Stdout>>;

fn restore() {
    let _ = disable_raw_mode();
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn with_terminal<T>(body: impl FnOnce(&mut Term) -> anyhow::Result<T>) -> anyhow::Result<T> {
    enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    let result = Terminal::new(CrosstermBackend::new(std::io::stdout()))
        .map_err(anyhow::Error::from)
        .and_then(|mut t| body(&mut t));
    restore();
    let _ = std::panic::take_hook();
    result
}

fn run(terminal: &mut Term, app: &mut App) -> anyhow::Result<Option<Exit>> {
    let theme = ui::Theme::from_env();
    loop {
        terminal.draw(|f| ui::draw(f, app, theme))?;
        if let Some(exit) = app.exit {
            return Ok(Some(exit));
        }
        if !event::poll(Duration::from_millis(250))? {
            continue;
        }
        match event::read()? {
            Event::Key(key) if key.kind == KeyEventKind::Press => {
                let mode = if app.quitting {
                    input::Mode::Quitting
                } else if app.prompt.is_some() {
                    input::Mode::Typing
                } else {
                    input::Mode::Normal
                };
                if let Some(action) = input::action(key, mode) {
                    app.apply(action);
                }
            }
            Event::Mouse(m) => {
                if let Some(action) = input::mouse(m) {
                    app.apply(action);
                }
            }
            Event::Resize(..) => {}
            _ => {}
        }
    }
}
