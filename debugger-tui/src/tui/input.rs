//! Keys to actions. The quit prompt gives `r`, `k` and `c` their own meaning.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::Action;

pub fn action(key: KeyEvent, quitting: bool) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if quitting {
        return match key.code {
            KeyCode::Char('r') => Some(Action::Resume),
            KeyCode::Char('k') => Some(Action::Kill),
            KeyCode::Char('c') | KeyCode::Esc => Some(Action::Cancel),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::ToggleHelp,
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
        _ => return None,
    })
}
