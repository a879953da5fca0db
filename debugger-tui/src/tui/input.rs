//! Terminal events to actions: keys (the quit prompt and an open command or
//! filter line give keys their own meaning) and mouse clicks and wheel.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::app::Action;

/// What the screen is waiting for, which changes what keys mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Quitting,
    Typing,
}

pub fn action(key: KeyEvent, mode: Mode) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    match mode {
        Mode::Quitting => match key.code {
            KeyCode::Char('r') => Some(Action::Resume),
            KeyCode::Char('k') => Some(Action::Kill),
            KeyCode::Char('c') | KeyCode::Esc => Some(Action::Cancel),
            _ => None,
        },
        Mode::Typing => match key.code {
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char(c) => Some(Action::Type(c)),
            _ => None,
        },
        Mode::Normal => Some(match key.code {
            KeyCode::Char('q') => Action::Quit,
            KeyCode::Char('?') => Action::ToggleHelp,
            KeyCode::Char(':') => Action::StartCommand,
            KeyCode::Char('/') => Action::StartFilter,
            KeyCode::Esc => Action::Cancel,
            KeyCode::Tab => Action::NextPane,
            KeyCode::BackTab => Action::PrevPane,
            KeyCode::Up | KeyCode::Char('k') => Action::Up,
            KeyCode::Down | KeyCode::Char('j') => Action::Down,
            KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => Action::Expand,
            KeyCode::Left | KeyCode::Char('h') => Action::Collapse,
            KeyCode::Char('r') => Action::ToggleRuntime,
            KeyCode::Char('u') => Action::FrameUp,
            KeyCode::Char('d') => Action::FrameDown,
            KeyCode::Char('t') => Action::ShowTasks,
            KeyCode::Char('g') => Action::ToggleGroups,
            KeyCode::PageUp => Action::Page(-1),
            KeyCode::PageDown => Action::Page(1),
            _ => return None,
        }),
    }
}

pub fn mouse(m: MouseEvent) -> Option<Action> {
    match m.kind {
        MouseEventKind::Down(_) => Some(Action::Click(m.column, m.row)),
        MouseEventKind::ScrollUp => Some(Action::Scroll(m.column, m.row, -1)),
        MouseEventKind::ScrollDown => Some(Action::Scroll(m.column, m.row, 1)),
        _ => None,
    }
}
