//! Drawing: a pure function of [`App`] state onto a ratatui frame — header,
//! traceback, source, locals, key bar, and the help and quit popups.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::app::{App, Focus};

/// The smallest terminal the layout is drawn in.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Colours, or none under `NO_COLOR`.
#[derive(Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
}

pub const HELP: &[(&str, &str)] = &[
    ("↑/↓, j/k", "move in the focused pane"),
    ("Enter, →, l", "expand a value (or go to the locals)"),
    ("←, h", "collapse a value, or go to its parent"),
    ("Tab / Shift-Tab", "next / previous pane"),
    ("u / d", "up / down the stack (caller / callee)"),
    ("r", "show or hide runtime frames"),
    ("?", "this help (Esc closes)"),
    ("q, Ctrl-C", "quit: resume or kill the debuggee"),
];

pub fn draw(f: &mut Frame, app: &App, theme: Theme) {
    let area = f.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let msg = format!(
            "terminal too small ({}x{}): pmdb needs {}x{}",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        );
        f.render_widget(Paragraph::new(msg), area);
        return;
    }
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(2),
            Constraint::Percentage(45),
            Constraint::Min(5),
            Constraint::Length(1),
        ])
        .split(area);
    header(f, app, theme, rows[0]);
    let top = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(40), Constraint::Percentage(60)])
        .split(rows[1]);
    traceback(f, app, theme, top[0]);
    source(f, app, theme, top[1]);
    locals(f, app, theme, rows[2]);
    keybar(f, app, theme, rows[3]);
    if app.help {
        help(f, theme, area);
    }
    if app.quitting {
        quit_prompt(f, theme, area);
    }
}

fn header(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let c = &app.crash;
    let thread = &app.threads[app.thread];
    let title = Line::from(vec![
        Span::styled("pmdb", theme.fg(Color::Cyan).add_modifier(Modifier::BOLD)),
        Span::raw(format!(
            "  {} (pid {})  thread '{}'{}",
            c.program,
            c.pid,
            thread.name,
            if app.threads.len() > 1 {
                format!(" [{} of {}]", app.thread + 1, app.threads.len())
            } else {
                String::new()
            }
        )),
    ]);
    let at = match (&c.file, c.line, c.column) {
        (Some(file), Some(l), Some(col)) => format!(" at {file}:{l}:{col}"),
        _ => String::new(),
    };
    let what = match c.kind {
        wire::CrashKind::Panic => "panicked",
        wire::CrashKind::Signal => "crashed",
    };
    let message = c.message.lines().next().unwrap_or("");
    let crash = Line::from(Span::styled(
        format!("thread '{}' {what}{at}: {message}", c.thread_name),
        theme.fg(Color::Red).add_modifier(Modifier::BOLD),
    ));
    f.render_widget(Paragraph::new(vec![title, crash]), area);
}

fn block(title: &str, focused: bool, theme: Theme) -> Block<'static> {
    let style = if focused {
        theme.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(format!(" {title} "), style))
}

/// The window of `height` rows from `len` that keeps `selected` visible.
fn window(selected: usize, len: usize, height: usize) -> std::ops::Range<usize> {
    if height == 0 {
        return 0..0;
    }
    let start = selected
        .saturating_sub(height - 1)
        .min(len.saturating_sub(height));
    start..len.min(start + height)
}

fn traceback(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let visible = app.visible_frames();
    let hidden = app.frames.len() - visible.len();
    let title = if hidden > 0 {
        format!("Traceback ({hidden} runtime hidden, r shows)")
    } else {
        "Traceback".to_string()
    };
    let b = block(&title, app.focus == Focus::Traceback, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let selected = visible.iter().position(|&i| i == app.frame).unwrap_or(0);
    let width = inner.width as usize;
    let lines: Vec<Line> = visible[window(selected, visible.len(), inner.height as usize)]
        .iter()
        .map(|&i| {
            let info = &app.frames[i].info;
            let loc = match (&info.file, info.line) {
                (Some(file), Some(line)) => {
                    format!("  {}:{line}", file.rsplit('/').next().unwrap_or(file))
                }
                _ => String::new(),
            };
            let text = format!(
                "#{:<3}{}{}{loc}",
                info.id.index,
                if info.inlined { "(inlined) " } else { "" },
                info.function
            );
            let text: String = text.chars().take(width).collect();
            let style = if i == app.frame {
                theme.selected()
            } else if info.runtime {
                theme.fg(Color::DarkGray)
            } else {
                Style::default()
            };
            Line::styled(text, style)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn source(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let info = &app.frames[app.frame].info;
    let title = match (&info.file, info.line) {
        (Some(file), Some(line)) => format!("{}:{line}", file.rsplit('/').next().unwrap_or(file)),
        _ => "Source".to_string(),
    };
    let b = block(&title, app.focus == Focus::Source, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let lines: Vec<Line> = match &app.source {
        Err(note) => vec![Line::styled(note.clone(), theme.fg(Color::DarkGray))],
        Ok(src) => {
            let height = inner.height as usize;
            let current = info.line.map(|l| l as usize);
            // Keep the current line a third of the way down, scrolled by the user.
            let start = app
                .source_scroll
                .saturating_sub(height / 3)
                .min(src.len().saturating_sub(1));
            src.iter()
                .enumerate()
                .skip(start)
                .take(height)
                .map(|(i, text)| {
                    let n = i + 1;
                    let here = Some(n) == current;
                    let prefix = format!("{}{n:>5} ", if here { ">" } else { " " });
                    let body: String = text
                        .chars()
                        .take((inner.width as usize).saturating_sub(7))
                        .collect();
                    if here {
                        Line::styled(
                            format!("{prefix}{body}"),
                            theme.selected().add_modifier(Modifier::BOLD),
                        )
                    } else {
                        Line::from(vec![
                            Span::styled(prefix, theme.fg(Color::DarkGray)),
                            Span::raw(body),
                        ])
                    }
                })
                .collect()
        }
    };
    f.render_widget(Paragraph::new(lines), inner);
}

fn locals(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let title = format!("Locals of {}", app.frames[app.frame].info.function);
    let b = block(&title, app.focus == Focus::Locals, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    if let Some(e) = &app.locals_error {
        f.render_widget(
            Paragraph::new(Line::styled(e.clone(), theme.fg(Color::DarkGray))),
            inner,
        );
        return;
    }
    let rows = app.tree.rows();
    if rows.is_empty() {
        f.render_widget(Paragraph::new("no locals in scope"), inner);
        return;
    }
    let width = inner.width as usize;
    let lines: Vec<Line> = window(app.tree.selected, rows.len(), inner.height as usize)
        .map(|r| {
            let v = app.tree.view(rows[r]);
            let indent = "  ".repeat(v.depth);
            let text = match (v.more, v.error) {
                (Some(n), _) => format!("{indent}  … {n} more (Enter loads the next page)"),
                (None, Some(e)) => format!(
                    "{indent}{} {}: {} = {}  <{e}>",
                    v.marker, v.name, v.type_name, v.preview
                ),
                (None, None) => format!(
                    "{indent}{} {}: {} = {}",
                    v.marker, v.name, v.type_name, v.preview
                ),
            };
            let text: String = text.chars().take(width).collect();
            if r == app.tree.selected && app.focus == Focus::Locals {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn keybar(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let keys = match app.focus {
        Focus::Traceback => {
            "↑↓/jk frame  Enter locals  u/d up/down  r runtime  Tab pane  ? help  q quit"
        }
        Focus::Locals => {
            "↑↓/jk move  Enter/→ expand  ← collapse  u/d frame  Tab pane  ? help  q quit"
        }
        Focus::Source => "↑↓/jk scroll  u/d frame  Tab pane  ? help  q quit",
    };
    let mut spans = vec![Span::styled(keys, theme.fg(Color::Cyan))];
    if !app.status.is_empty() {
        spans.push(Span::raw(format!("  │ {}", app.status)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn help(f: &mut Frame, theme: Theme, area: Rect) {
    let r = centered(area, 64, HELP.len() as u16 + 2);
    f.render_widget(Clear, r);
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<16}"), theme.fg(Color::Cyan)),
                Span::raw(*what),
            ])
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(block("Help — Esc closes", true, theme)),
        r,
    );
}

fn quit_prompt(f: &mut Frame, theme: Theme, area: Rect) {
    let r = centered(area, 60, 3);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(" (r)esume the program, (k)ill it, or (c)ancel?")
            .block(block("Quit", true, theme)),
        r,
    );
}
