//! Drawing: a pure function of [`App`] state onto a ratatui frame — header,
//! traceback, source, locals, key bar, and the help and quit popups.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::app::{App, Focus};
use super::layout::{Areas, window};

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
    (
        "/",
        "filter the locals (or, in Threads, the threads) by name",
    ),
    ("PgUp / PgDn", "a page up / down (threads, locals, output)"),
    ("g", "group the threads by identical stacks, or list them"),
    (
        "t",
        "the Tasks pane: every tokio task, its awaits and locals",
    ),
    (":", "command line: bt, frame N|NAME, up, down, p EXPR, …"),
    ("mouse", "click selects, the wheel scrolls"),
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
    // A listing the user is reading (the Tasks pane, `:stacks`, `bt`) takes
    // the locals' room but for five rows; otherwise the output is 7 rows.
    let (locals_rows, output_rows) = if app.focus == Focus::Output && output_len(app) > 5 {
        (Constraint::Length(5), Constraint::Min(7))
    } else {
        (Constraint::Min(5), Constraint::Length(7))
    };
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(2 + u16::from(app.crash.analysis.is_some())),
            Constraint::Percentage(42),
            locals_rows,
            output_rows,
            Constraint::Length(1),
        ])
        .split(area);
    header(f, app, theme, rows[0]);
    let top = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(40), Constraint::Percentage(60)])
        .split(rows[1]);
    let mut areas = Areas {
        source: top[1],
        locals: rows[2],
        output: rows[3],
        ..Default::default()
    };
    if app.cursor.threads.len() > 1 {
        let left = Layout::default()
            .direction(Direction::Vertical)
            .constraints([
                Constraint::Min(4),
                Constraint::Length(app.cursor.threads.len().min(6) as u16 + 2),
            ])
            .split(top[0]);
        areas.traceback = left[0];
        areas.threads = left[1];
        threads(f, app, theme, left[1]);
    } else {
        areas.traceback = top[0];
    }
    app.areas.set(areas);
    traceback(f, app, theme, areas.traceback);
    source(f, app, theme, top[1]);
    locals(f, app, theme, rows[2]);
    output(f, app, theme, rows[3]);
    keybar(f, app, theme, rows[4]);
    if app.help {
        help(f, theme, area);
    }
    if app.quitting {
        quit_prompt(f, theme, area);
    }
}

/// The rows the output area holds: its lines and a printed value's tree.
fn output_len(app: &App) -> usize {
    app.output.len() + app.output_tree.as_ref().map_or(0, |t| t.rows().len())
}

/// The last full picture with a spinner in the key bar, drawn while a
/// request to the debuggee is outstanding (the state is busy then).
pub fn draw_busy(f: &mut Frame, last: Option<&ratatui::buffer::Buffer>, tick: usize, theme: Theme) {
    const SPIN: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    let area = f.area();
    if let Some(last) = last.filter(|b| b.area == area) {
        f.buffer_mut().clone_from(last);
    }
    if area.height == 0 {
        return;
    }
    let bar = Rect::new(area.x, area.y + area.height - 1, area.width, 1);
    f.render_widget(Clear, bar);
    let text = format!("{} waiting for the debuggee…", SPIN[tick % SPIN.len()]);
    f.render_widget(
        Paragraph::new(Line::styled(text, theme.fg(Color::Yellow))),
        bar,
    );
}

fn header(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let c = &app.crash;
    let thread = &app.cursor.threads[app.cursor.thread];
    // pmdb holds a live process stopped for as long as the TUI is open.
    let holding = match (c.kind, c.taken_by) {
        (wire::CrashKind::Snapshot, Some(wire::TakenBy::Ptrace)) => Span::styled(
            "  HOLDING: every thread stopped until you quit",
            theme.fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        (wire::CrashKind::Snapshot, Some(wire::TakenBy::Agent)) => Span::styled(
            "  HOLDING (by its agent): every thread frozen until you quit",
            theme.fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        _ => Span::raw(""),
    };
    let title = Line::from(vec![
        Span::styled("pmdb", theme.fg(Color::Cyan).add_modifier(Modifier::BOLD)),
        Span::raw(format!(
            "  {} (pid {})  thread '{}'{}",
            c.program,
            c.pid,
            thread.name,
            if app.cursor.threads.len() > 1 {
                format!(
                    " [{} of {}]",
                    app.cursor.thread + 1,
                    app.cursor.threads.len()
                )
            } else {
                String::new()
            }
        )),
        holding,
    ]);
    let at = match (&c.file, c.line, c.column) {
        (Some(file), Some(l), Some(col)) => format!(" at {file}:{l}:{col}"),
        _ => String::new(),
    };
    let message = c.message.lines().next().unwrap_or("");
    // A deadlock is said before the crash (a snapshot's is no crash).
    let crash = match (&app.deadlock, c.kind) {
        (Some(d), _) => Line::from(Span::styled(
            d.clone(),
            theme.fg(Color::Red).add_modifier(Modifier::BOLD),
        )),
        (None, wire::CrashKind::Snapshot) => Line::from(Span::styled(
            message.to_string(),
            theme.fg(Color::Yellow).add_modifier(Modifier::BOLD),
        )),
        (None, kind) => Line::from(Span::styled(
            format!(
                "thread '{}' {}{at}: {message}",
                c.thread_name,
                if kind == wire::CrashKind::Panic {
                    "panicked"
                } else {
                    "crashed"
                }
            ),
            theme.fg(Color::Red).add_modifier(Modifier::BOLD),
        )),
    };
    let mut lines = vec![title, crash];
    if let Some(a) = &c.analysis {
        lines.push(Line::from(Span::styled(
            format!("analysis: {a}"),
            theme.fg(Color::Red),
        )));
    }
    f.render_widget(Paragraph::new(lines), area);
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

fn traceback(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let visible = app.visible_frames();
    let hidden = app.frames().len() - visible.len();
    let title = if hidden > 0 {
        format!("Traceback ({hidden} runtime hidden, r shows)")
    } else {
        "Traceback".to_string()
    };
    let b = block(&title, app.focus == Focus::Traceback, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let selected = visible.iter().position(|&i| i == app.frame()).unwrap_or(0);
    let width = inner.width as usize;
    let lines: Vec<Line> = visible[window(selected, visible.len(), inner.height as usize)]
        .iter()
        .map(|&i| {
            let info = &app.frames()[i].info;
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
            let style = if i == app.frame() {
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
    let info = &app.frames()[app.frame()].info;
    let whose = match &app.source_origin {
        Some(crate::source::Origin::Local(_)) => " · local file",
        Some(crate::source::Origin::Served) => " · copy from the crashed process",
        Some(crate::source::Origin::Carried(_)) => " · from the core (file not on this machine)",
        None => "",
    };
    let title = match (&info.file, info.line) {
        (Some(file), Some(line)) => {
            format!("{}:{line}{whose}", file.rsplit('/').next().unwrap_or(file))
        }
        _ => "Source".to_string(),
    };
    let b = block(&title, app.focus == Focus::Source, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let lines: Vec<Line> = match &app.source {
        Err(note) => {
            // Why no source is shown can be long (local and remote reasons).
            let note = Paragraph::new(Line::styled(note.clone(), theme.fg(Color::DarkGray)))
                .wrap(ratatui::widgets::Wrap { trim: true });
            f.render_widget(note, inner);
            return;
        }
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
                    let n = i + app.source_first;
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
                        let mut spans = vec![Span::styled(prefix, theme.fg(Color::DarkGray))];
                        spans.extend(highlight(&body, theme));
                        Line::from(spans)
                    }
                })
                .collect()
        }
    };
    f.render_widget(Paragraph::new(lines), inner);
}

fn locals(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let title = match &app.tree.filter {
        f if f.is_empty() => format!("Locals of {}", app.frames()[app.frame()].info.function),
        f => format!(
            "Locals of {} matching /{f}",
            app.frames()[app.frame()].info.function
        ),
    };
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
    let lines = tree_lines(&app.tree, app.focus == Focus::Locals, inner, theme);
    f.render_widget(Paragraph::new(lines), inner);
}

fn tree_lines(
    tree: &super::tree::Tree,
    focused: bool,
    inner: Rect,
    theme: Theme,
) -> Vec<Line<'static>> {
    let rows = tree.rows();
    let width = inner.width as usize;
    window(tree.selected, rows.len(), inner.height as usize)
        .map(|r| {
            let v = tree.view(rows[r]);
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
            if r == tree.selected && focused {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            }
        })
        .collect()
}

fn output(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let tasks = app.output.first().is_some_and(|l| l.starts_with(":tasks"));
    let title = if tasks {
        format!(
            "Tasks — {} (↑↓ PgUp PgDn scroll, :tasks TEXT filters)",
            app.output.get(1).map_or("", String::as_str)
        )
    } else {
        "Output — : runs a command (help lists them)".to_string()
    };
    let b = block(&title, app.focus == Focus::Output, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let width = inner.width as usize;
    let mut lines: Vec<Line> = app
        .output
        .iter()
        .map(|l| {
            let style = if l.starts_with("error: ") {
                theme.fg(Color::Red)
            } else if l.starts_with("warning: ") {
                theme.fg(Color::Yellow)
            } else {
                Style::default()
            };
            Line::styled(l.chars().take(width).collect::<String>(), style)
        })
        .collect();
    if let Some(t) = &app.output_tree {
        let room = Rect {
            height: inner.height.saturating_sub(lines.len() as u16),
            ..inner
        };
        lines.extend(tree_lines(t, app.focus == Focus::Output, room, theme));
    }
    // A listing (`stacks`, `tasks`, `bt`) reads from its command line down,
    // scrolled; a printed value's tree keeps its latest lines in view.
    let skip = if app.output_tree.is_none() {
        app.output_scroll
    } else {
        lines.len().saturating_sub(inner.height as usize)
    };
    f.render_widget(
        Paragraph::new(lines.split_off(skip.min(lines.len()))),
        inner,
    );
}

fn threads(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    if app.grouped {
        return thread_groups(f, app, theme, area);
    }
    let all = app.cursor.threads.len();
    let shown = app.shown_threads();
    let title = if app.thread_filter.is_empty() {
        format!("Threads ({})", crate::stacks::thousands(all))
    } else {
        format!(
            "Threads ({} of {} matching {:?})",
            crate::stacks::thousands(shown.len()),
            crate::stacks::thousands(all),
            app.thread_filter
        )
    };
    let b = block(&title, app.focus == Focus::Threads, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    // A page of the list around the selected thread: thousands of threads
    // scroll, `/` filters them by name.
    let pos = shown
        .iter()
        .position(|&i| i == app.cursor.thread)
        .unwrap_or(0);
    let lines: Vec<Line> = shown[window(pos, shown.len(), inner.height as usize)]
        .iter()
        .map(|&i| {
            let t = &app.cursor.threads[i];
            let text = format!(
                "{i} {}{}{}",
                t.name,
                if t.crashed { " (crashed)" } else { "" },
                t.state
                    .as_ref()
                    .map_or_else(String::new, |s| format!("  {s}"))
            );
            if i == app.cursor.thread {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// The Threads pane grouped (`g`): a line per set of threads with the same
/// stack, biggest first — how many, and where they stand.
fn thread_groups(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let groups = app.shown_groups();
    let threads: usize = groups.iter().map(|g| g.threads.len()).sum();
    let matching = match app.thread_filter.is_empty() {
        true => String::new(),
        false => format!(" matching {:?}", app.thread_filter),
    };
    let title = format!(
        "Threads ({}{matching}) in {} stack{}",
        crate::stacks::thousands(threads),
        crate::stacks::thousands(groups.len()),
        if groups.len() == 1 { "" } else { "s" },
    );
    let b = block(&title, app.focus == Focus::Threads, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let pos = groups
        .iter()
        .position(|g| g.threads.contains(&app.cursor.thread))
        .unwrap_or(0);
    let lines: Vec<Line> = groups[window(pos, groups.len(), inner.height as usize)]
        .iter()
        .map(|g| {
            let text = format!("{} × {}", crate::stacks::thousands(g.threads.len()), g.at);
            if g.threads.contains(&app.cursor.thread) {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// Rust source split into coloured spans: keywords, strings, comments,
/// numbers. A line at a time, which is enough for a few lines of context.
fn highlight(line: &str, theme: Theme) -> Vec<Span<'static>> {
    const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "crate", "else", "enum", "false", "fn", "for", "if",
        "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
        "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
        "while",
    ];
    if !theme.color {
        return vec![Span::raw(line.to_string())];
    }
    let mut spans = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            spans.push(Span::styled(
                chars[i..].iter().collect::<String>(),
                theme.fg(Color::DarkGray),
            ));
            break;
        }
        let start = i;
        let (text, style) = if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(chars.len());
            (
                chars[start..i].iter().collect::<String>(),
                theme.fg(Color::Green),
            )
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let style = if KEYWORDS.contains(&word.as_str()) {
                theme.fg(Color::Magenta)
            } else if chars.get(i) == Some(&'!') {
                theme.fg(Color::Blue)
            } else {
                Style::default()
            };
            (word, style)
        } else if c.is_ascii_digit() {
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            (
                chars[start..i].iter().collect::<String>(),
                theme.fg(Color::Yellow),
            )
        } else {
            i += 1;
            (c.to_string(), Style::default())
        };
        spans.push(Span::styled(text, style));
    }
    spans
}

fn keybar(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    if let Some(p) = &app.prompt {
        let (lead, text) = match p {
            super::app::Prompt::Command(t) => (":", t),
            super::app::Prompt::Filter(t) => ("/", t),
            super::app::Prompt::ThreadFilter(t) => ("threads /", t),
        };
        f.render_widget(Paragraph::new(format!("{lead}{text}█")), area);
        return;
    }
    if let Some(lost) = &app.lost {
        f.render_widget(
            Paragraph::new(Line::styled(
                lost.clone(),
                theme.fg(Color::Red).add_modifier(Modifier::BOLD),
            )),
            area,
        );
        return;
    }
    let keys = match app.focus {
        Focus::Traceback => {
            "↑↓/jk frame  Enter locals  u/d up/down  r runtime  : command  Tab pane  ? help  q quit"
        }
        Focus::Locals => {
            "↑↓/jk move  Enter/→ expand  ← collapse  / filter  u/d frame  : command  ? help  q quit"
        }
        Focus::Source => "↑↓/jk scroll  u/d frame  : command  Tab pane  ? help  q quit",
        Focus::Output => {
            "↑↓/jk move  Enter/→ expand  ← collapse  : command  Tab pane  ? help  q quit"
        }
        Focus::Threads => {
            "↑↓/jk thread  / filter  g group by stack  : command  Tab pane  ? help  q quit"
        }
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
