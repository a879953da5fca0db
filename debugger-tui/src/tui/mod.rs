//! The terminal UI: connects, sets the terminal up (and restores it on every
//! exit path, a panic inside pmdb included; [`guard`] restores it when pmdb
//! is killed), and runs the event loop. From
//! the ground up: [`tree`] (the locals tree) and [`layout`] (where panes
//! stand), [`app::App`] state over them, then [`input`] keys and [`ui`]
//! drawing, which only read it.

pub mod app;
pub mod guard;
pub mod input;
pub mod layout;
pub mod tree;
pub mod ui;

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, TryLockError};
use std::time::Duration;

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;

use app::{App, Exit};

use crate::remote::Endpoint;
use crate::source::SourceArgs;

/// Attaches to the crashed process at `socket` and runs the TUI until the
/// user resumes or kills it.
pub fn attach(socket: PathBuf) -> anyhow::Result<()> {
    attach_to(&Endpoint::Local(socket), &SourceArgs::default())
}

/// As [`attach`], wherever the crash is (here, over ssh, through a command).
pub fn attach_to(endpoint: &Endpoint, source: &SourceArgs) -> anyhow::Result<()> {
    inspect(endpoint.connect()?, source)
}

/// Runs the TUI on a session already open (a program `pmdb run` stopped)
/// until the user resumes or kills it.
pub fn inspect(session: wire::Session, source: &SourceArgs) -> anyhow::Result<()> {
    let app = App::with_sources(session, crate::source::Sources::new(source))?;
    let app = Arc::new(Mutex::new(app));
    let exit = with_terminal(|terminal| run(terminal, app.clone()))?;
    let app = app.lock().unwrap_or_else(|p| p.into_inner());
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
    // Dropped last: told to go once the terminal is put back.
    let _guard = guard::Guard::start();
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

/// The event loop. Requests to the agent run on a worker thread that owns
/// the state while it works; meanwhile the screen keeps its last picture with
/// a spinner, so drawing never waits on the debuggee.
fn run(terminal: &mut Term, app: Arc<Mutex<App>>) -> anyhow::Result<Option<Exit>> {
    let theme = ui::Theme::from_env();
    let (events, inbox) = mpsc::channel::<Event>();
    let worker_app = app.clone();
    let worker = std::thread::Builder::new()
        .name("pmdb-requests".into())
        .spawn(move || {
            for event in inbox {
                let mut app = worker_app.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(action) = to_action(&event, &app) {
                    app.apply(action);
                }
                if app.exit.is_some() {
                    break;
                }
            }
        })?;
    let mut last: Option<Buffer> = None;
    let mut tick = 0usize;
    let exit = loop {
        match app.try_lock() {
            Ok(app) => {
                if let Some(exit) = app.exit {
                    break Some(exit);
                }
                let done = terminal.draw(|f| ui::draw(f, &app, theme))?;
                last = Some(done.buffer.clone());
            }
            Err(TryLockError::WouldBlock) => {
                tick += 1;
                terminal.draw(|f| ui::draw_busy(f, last.as_ref(), tick, theme))?;
            }
            Err(TryLockError::Poisoned(_)) => break None,
        }
        if worker.is_finished() && app.try_lock().map(|a| a.exit.is_none()).unwrap_or(false) {
            break None;
        }
        if !event::poll(Duration::from_millis(50))? {
            continue;
        }
        let event = event::read()?;
        if matches!(event, Event::Key(_) | Event::Mouse(_)) {
            let _ = events.send(event);
        }
    };
    drop(events);
    Ok(exit)
}

/// What a terminal event asks of the app in its current state.
fn to_action(event: &Event, app: &App) -> Option<app::Action> {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Press => {
            let mode = if app.quitting {
                input::Mode::Quitting
            } else if app.prompt.is_some() {
                input::Mode::Typing
            } else {
                input::Mode::Normal
            };
            input::action(*key, mode)
        }
        Event::Mouse(m) => input::mouse(*m),
        _ => None,
    }
}
