//! The TUI's state: the [`Cursor`] (threads, frames, which one is current),
//! the selected frame's locals tree and source, the output area of the
//! command line, which pane has focus, and the prompts. Input turns into
//! [`Action`]s; drawing (in `ui`) only reads this state.

use wire::{CrashInfo, Session};

use super::layout::{Areas, window};
use super::tree::Tree;
use crate::commands::{Cursor, Output};
use crate::source::{Origin, Sources};

/// The panes that take focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Traceback,
    Locals,
    Source,
    Output,
    Threads,
}

/// What a key asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Expand,
    Collapse,
    NextPane,
    PrevPane,
    ToggleRuntime,
    ToggleHelp,
    Quit,
    Resume,
    Kill,
    Cancel,
    FrameUp,
    FrameDown,
    /// `:` opens the command line.
    StartCommand,
    /// `/` opens the locals filter.
    StartFilter,
    /// A character typed into the open line.
    Type(char),
    Backspace,
    Submit,
    /// A click at a terminal cell.
    Click(u16, u16),
    /// The wheel over a terminal cell: up (negative) or down.
    Scroll(u16, u16, i8),
    /// PageUp / PageDown: a pane's height up (negative) or down.
    Page(i8),
    /// `t`: the Tasks pane (every tokio task) in the output area.
    ShowTasks,
    /// `g`: the Threads pane lists threads grouped by identical stacks, or
    /// one by one again.
    ToggleGroups,
}

/// What the user chose when leaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Resume,
    Kill,
}

/// A line being typed at the bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Command(String),
    Filter(String),
    /// `/` in the Threads pane: keep the threads whose name contains it.
    ThreadFilter(String),
}

/// A source file's lines, or why it cannot be shown.
pub type Source = Result<Vec<String>, String>;

pub struct App {
    pub cursor: Cursor,
    pub crash: CrashInfo,
    pub show_runtime: bool,
    pub tree: Tree,
    pub locals_error: Option<String>,
    pub source: Source,
    /// Which copy `source` is: a local file or the crashed process's.
    pub source_origin: Option<Origin>,
    pub source_scroll: usize,
    /// The number of the first line of `source` (a core carries only the
    /// lines around its frames).
    pub source_first: usize,
    pub focus: Focus,
    pub help: bool,
    pub quitting: bool,
    pub exit: Option<Exit>,
    pub status: String,
    pub prompt: Option<Prompt>,
    /// The command line's last results: text, or an expandable value.
    pub output: Vec<String>,
    pub output_tree: Option<Tree>,
    pub lost: Option<String>,
    pub areas: std::cell::Cell<Areas>,
    /// The Threads pane lists only threads whose name contains this.
    pub thread_filter: String,
    /// When the Threads pane groups threads by identical stacks (`g`): the
    /// groups of every thread, biggest first, read once.
    pub thread_groups: Option<Vec<crate::stacks::Group>>,
    /// Whether the Threads pane shows the groups.
    pub grouped: bool,
    /// The first line shown when the output area holds a long listing
    /// (the Tasks pane), which reads from the top.
    pub output_scroll: usize,
    /// The first deadlock in one sentence, said in the header: the first
    /// thing the screen says when the process is stuck.
    pub deadlock: Option<String>,
}

impl App {
    /// Reads the crash, threads, the crashed thread's traceback and its
    /// crashed frame's locals (one pipelined round trip), and selects that frame.
    pub fn new(session: Session) -> anyhow::Result<App> {
        App::with_sources(session, Sources::default())
    }

    /// As [`App::new`], finding source text through `sources`.
    pub fn with_sources(session: Session, sources: Sources) -> anyhow::Result<App> {
        let first = session.first_screen()?;
        let mut cursor =
            Cursor::from_first_screen(session, first.threads, first.traceback, first.frame);
        cursor.thread = cursor
            .threads
            .iter()
            .position(|t| t.id == first.crash.thread)
            .unwrap_or(0);
        cursor.sources = sources;
        // A deadlock, then what the agent could not use, is the first thing
        // the output says.
        let stuck = engine::crash::stuck::walk_with(&cursor.session, &cursor.threads).ok();
        let deadlock = stuck.as_ref().and_then(|s| {
            let d = s.waits.deadlocks.first()?;
            Some(engine::crash::stuck::deadlock_summary(s, d))
        });
        let mut warnings: Vec<String> = stuck
            .as_ref()
            .map(|s| {
                engine::crash::stuck::deadlocks_text(s)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        warnings.extend(
            cursor
                .session
                .hello()
                .warnings
                .iter()
                .map(|w| format!("warning: {w}")),
        );
        let mut app = App {
            cursor,
            crash: first.crash,
            show_runtime: false,
            tree: Tree::default(),
            locals_error: None,
            source: Ok(Vec::new()),
            source_origin: None,
            source_scroll: 0,
            source_first: 1,
            focus: Focus::Traceback,
            help: false,
            quitting: false,
            exit: None,
            status: String::new(),
            prompt: None,
            output: warnings,
            output_tree: None,
            lost: None,
            areas: Default::default(),
            thread_filter: String::new(),
            thread_groups: None,
            grouped: false,
            output_scroll: 0,
            deadlock,
        };
        if app.frames().is_empty() {
            app.locals_error = Some("the crashed thread has no frames".into());
            return Ok(app);
        }
        app.show_locals(first.locals);
        app.load_source();
        Ok(app)
    }

    pub fn session(&self) -> &Session {
        &self.cursor.session
    }

    pub fn frames(&self) -> &[wire::Frame] {
        &self.cursor.frames
    }

    pub fn frame(&self) -> usize {
        self.cursor.frame
    }

    /// Indexes into the frames of those shown (runtime ones only when asked).
    pub fn visible_frames(&self) -> Vec<usize> {
        let frames = self.frames();
        (0..frames.len())
            .filter(|&i| self.show_runtime || !frames[i].info.runtime)
            .collect()
    }

    /// Reloads the locals and source after the current frame changed.
    fn frame_changed(&mut self) {
        let locals = self.cursor.current().locals();
        self.show_locals(locals);
        self.load_source();
    }

    fn show_locals(&mut self, locals: Result<Vec<wire::RemoteValue>, wire::Error>) {
        match locals {
            Ok(locals) => {
                self.tree = Tree::new(locals);
                self.locals_error = None;
            }
            Err(e) => {
                self.note_error(&e);
                self.tree = Tree::default();
                self.locals_error = Some(e.to_string());
            }
        }
    }

    /// The current frame's file: a local copy, else the crashed process's.
    fn load_source(&mut self) {
        let info = self.cursor.current().info.clone();
        self.source_scroll = info.line.unwrap_or(1).saturating_sub(1) as usize;
        self.source_first = 1;
        let Some(file) = info.file.as_deref() else {
            self.source = Err("no source location for this frame".into());
            self.source_origin = None;
            return;
        };
        let text = self
            .cursor
            .sources
            .file_at(&self.cursor.session, file, info.line);
        match text {
            Ok(text) => {
                self.source_first = text.first_line.max(1) as usize;
                self.source_scroll = self.source_scroll.saturating_sub(self.source_first - 1);
                self.source = Ok(text.lines);
                self.source_origin = Some(text.origin);
            }
            Err(e) => {
                self.source = Err(e);
                self.source_origin = None;
            }
        }
    }

    fn note_error(&mut self, e: &wire::Error) {
        // A remote session ends as the command carrying it ended (ssh, bridge).
        if matches!(
            e,
            wire::Error::Closed | wire::Error::Io(_) | wire::Error::Command { .. }
        ) {
            self.lost = Some(format!("connection to the debuggee lost: {e}"));
        }
    }

    pub fn select_frame(&mut self, i: usize) {
        if i < self.frames().len() && i != self.cursor.frame {
            self.cursor.frame = i;
            self.frame_changed();
        }
    }

    fn move_frame(&mut self, delta: isize) {
        let visible = self.visible_frames();
        let pos = visible.iter().position(|&i| i == self.frame());
        let next = match pos {
            Some(p) => (p as isize + delta).clamp(0, visible.len() as isize - 1) as usize,
            None => 0,
        };
        if let Some(&i) = visible.get(next) {
            self.select_frame(i);
        }
    }

    fn select_thread(&mut self, i: usize) {
        match self.cursor.select_thread(i) {
            Ok(()) => self.frame_changed(),
            Err(e) => self.status = e.to_string(),
        }
    }

    /// Runs a command line and shows its result in the output area.
    pub fn run_command(&mut self, line: &str) {
        let (thread, frame) = (self.cursor.thread, self.cursor.frame);
        self.output = vec![format!(":{line}")];
        self.output_scroll = 0;
        self.output_tree = None;
        match self.cursor.execute(line) {
            Ok(Output::Lines(lines)) => self.output.extend(lines),
            Ok(Output::Value(v, _)) => {
                let mut t = Tree::new(vec![v]);
                t.expand();
                self.output_tree = Some(t);
                self.focus = Focus::Output;
            }
            Err(e) => {
                let mut lines = e.lines();
                self.output
                    .push(format!("error: {}", lines.next().unwrap_or_default()));
                self.output.extend(lines.map(str::to_string));
            }
        }
        if (thread, frame) != (self.cursor.thread, self.cursor.frame) {
            self.frame_changed();
        }
    }

    /// Applies one action.
    pub fn apply(&mut self, action: Action) {
        if self.quitting {
            match action {
                Action::Resume => self.exit = Some(Exit::Resume),
                Action::Kill => self.exit = Some(Exit::Kill),
                Action::Cancel | Action::Quit => self.quitting = false,
                _ => {}
            }
            return;
        }
        if self.help {
            if matches!(action, Action::ToggleHelp | Action::Cancel | Action::Quit) {
                self.help = false;
            }
            return;
        }
        if let Some(prompt) = &mut self.prompt {
            match action {
                Action::Type(c) => match prompt {
                    Prompt::Command(s) => s.push(c),
                    Prompt::Filter(s) => {
                        s.push(c);
                        self.tree.filter = s.clone();
                        self.tree.selected = 0;
                    }
                    Prompt::ThreadFilter(s) => {
                        s.push(c);
                        self.thread_filter = s.clone();
                    }
                },
                Action::Backspace => match prompt {
                    Prompt::Command(s) => {
                        s.pop();
                    }
                    Prompt::Filter(s) => {
                        s.pop();
                        self.tree.filter = s.clone();
                    }
                    Prompt::ThreadFilter(s) => {
                        s.pop();
                        self.thread_filter = s.clone();
                    }
                },
                Action::Submit => match self.prompt.take() {
                    Some(Prompt::Command(line)) => self.run_command(&line),
                    Some(Prompt::ThreadFilter(_)) => {
                        let shown = self.shown_threads();
                        if !shown.contains(&self.cursor.thread)
                            && let Some(&first) = shown.first()
                        {
                            self.select_thread(first);
                        }
                    }
                    _ => {}
                },
                Action::Cancel | Action::Quit => {
                    if let Some(Prompt::Filter(_)) = self.prompt {
                        self.tree.filter.clear();
                    }
                    if let Some(Prompt::ThreadFilter(_)) = self.prompt {
                        self.thread_filter.clear();
                    }
                    self.prompt = None;
                }
                _ => {}
            }
            return;
        }
        match (action, self.focus) {
            (Action::Quit, _) => self.quitting = true,
            (Action::ToggleHelp, _) => self.help = true,
            (Action::StartCommand, _) => self.prompt = Some(Prompt::Command(String::new())),
            (Action::StartFilter, Focus::Threads) => {
                self.prompt = Some(Prompt::ThreadFilter(self.thread_filter.clone()));
            }
            (Action::StartFilter, _) => {
                self.focus = Focus::Locals;
                self.prompt = Some(Prompt::Filter(String::new()));
            }
            (Action::NextPane, _) => self.cycle_focus(1),
            (Action::PrevPane, _) => self.cycle_focus(-1),
            (Action::ToggleRuntime, _) => {
                self.show_runtime = !self.show_runtime;
                self.status = if self.show_runtime {
                    "runtime shown".into()
                } else {
                    "runtime hidden".into()
                };
                if !self.visible_frames().contains(&self.frame()) {
                    self.move_frame(0);
                }
            }
            (Action::FrameUp, _) => self.move_frame(1),
            (Action::FrameDown, _) => self.move_frame(-1),
            (Action::Up, Focus::Traceback) => self.move_frame(-1),
            (Action::Down, Focus::Traceback) => self.move_frame(1),
            (Action::Up, Focus::Locals) => self.tree.move_by(-1),
            (Action::Down, Focus::Locals) => self.tree.move_by(1),
            (Action::Expand, Focus::Locals) => self.tree.expand(),
            (Action::Collapse, Focus::Locals) => self.tree.collapse(),
            (Action::Expand, Focus::Traceback) => self.focus = Focus::Locals,
            (Action::Up, Focus::Source) => {
                self.source_scroll = self.source_scroll.saturating_sub(1)
            }
            (Action::Down, Focus::Source) => self.source_scroll += 1,
            (Action::ToggleGroups, _) => self.toggle_groups(),
            (Action::ShowTasks, _) => {
                self.run_command("tasks");
                self.focus = Focus::Output;
            }
            (Action::Up, Focus::Output) if self.output_tree.is_none() => {
                self.output_scroll = self.output_scroll.saturating_sub(1)
            }
            (Action::Down, Focus::Output) if self.output_tree.is_none() => {
                self.output_scroll =
                    (self.output_scroll + 1).min(self.output.len().saturating_sub(1))
            }
            (Action::Page(d), Focus::Output) if self.output_tree.is_none() => {
                let height = self.areas.get().output.height.saturating_sub(2).max(1) as isize;
                self.output_scroll = (self.output_scroll as isize + d as isize * height)
                    .clamp(0, self.output.len().saturating_sub(1) as isize)
                    as usize;
            }
            (Action::Up, Focus::Output) => self.with_output(|t| t.move_by(-1)),
            (Action::Down, Focus::Output) => self.with_output(|t| t.move_by(1)),
            (Action::Expand, Focus::Output) => self.with_output(Tree::expand),
            (Action::Collapse, Focus::Output) => self.with_output(Tree::collapse),
            (Action::Up, Focus::Threads) => self.move_thread(-1),
            (Action::Down, Focus::Threads) => self.move_thread(1),
            (Action::Page(d), Focus::Threads) => {
                let height = self.areas.get().threads.height.saturating_sub(2).max(1);
                self.move_thread(d as isize * height as isize);
            }
            (Action::Page(d), Focus::Locals) => {
                let height = self.areas.get().locals.height.saturating_sub(2).max(1);
                self.tree.move_by(d as isize * height as isize);
            }
            (Action::Click(x, y), _) => self.click(x, y),
            (Action::Scroll(x, y, d), _) => self.scroll(x, y, d),
            _ => {}
        }
    }

    fn cycle_focus(&mut self, step: isize) {
        let mut order = vec![
            Focus::Traceback,
            Focus::Locals,
            Focus::Source,
            Focus::Output,
        ];
        if self.cursor.threads.len() > 1 {
            order.push(Focus::Threads);
        }
        let n = order.len() as isize;
        let pos = order.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        self.focus = order[(pos + step).rem_euclid(n) as usize];
    }

    fn with_output(&mut self, f: impl FnOnce(&mut Tree)) {
        if let Some(t) = &mut self.output_tree {
            f(t);
        }
    }

    fn pane_at(&self, x: u16, y: u16) -> Option<(Focus, u16)> {
        let a = self.areas.get();
        let hit = |r: ratatui::layout::Rect| {
            x >= r.x && x < r.x + r.width && y > r.y && y + 1 < r.y + r.height
        };
        [
            (Focus::Traceback, a.traceback),
            (Focus::Locals, a.locals),
            (Focus::Source, a.source),
            (Focus::Output, a.output),
            (Focus::Threads, a.threads),
        ]
        .into_iter()
        .find(|(_, r)| hit(*r))
        .map(|(f, r)| (f, y - r.y - 1))
    }

    fn click(&mut self, x: u16, y: u16) {
        let Some((pane, row)) = self.pane_at(x, y) else {
            return;
        };
        self.focus = pane;
        match pane {
            Focus::Traceback => {
                let visible = self.visible_frames();
                let pos = visible.iter().position(|&i| i == self.frame()).unwrap_or(0);
                let height = self.areas.get().traceback.height.saturating_sub(2) as usize;
                let start = window(pos, visible.len(), height).start;
                if let Some(&i) = visible.get(start + row as usize) {
                    self.select_frame(i);
                }
            }
            Focus::Locals => {
                let rows = self.tree.rows().len();
                let height = self.areas.get().locals.height.saturating_sub(2) as usize;
                let start = window(self.tree.selected, rows, height).start;
                let target = start + row as usize;
                if target < rows {
                    self.tree.selected = target;
                }
            }
            Focus::Threads => {
                let shown = self.shown_threads();
                let pos = shown
                    .iter()
                    .position(|&i| i == self.cursor.thread)
                    .unwrap_or(0);
                let height = self.areas.get().threads.height.saturating_sub(2) as usize;
                let start = window(pos, shown.len(), height).start;
                if let Some(&i) = shown.get(start + row as usize) {
                    self.select_thread(i);
                }
            }
            _ => {}
        }
    }

    fn scroll(&mut self, x: u16, y: u16, delta: i8) {
        let Some((pane, _)) = self.pane_at(x, y) else {
            return;
        };
        let d = delta as isize;
        match pane {
            Focus::Source => {
                self.source_scroll = (self.source_scroll as isize + d * 3).max(0) as usize;
            }
            Focus::Locals => self.tree.move_by(d * 3),
            Focus::Traceback => self.move_frame(d),
            Focus::Output => self.with_output(|t| t.move_by(d * 3)),
            Focus::Threads => self.move_thread(d * 3),
        }
    }

    /// The threads the Threads pane lists (the name filter applied).
    pub fn shown_threads(&self) -> Vec<usize> {
        crate::stacks::matching(&self.cursor.threads, &self.thread_filter)
    }

    /// The groups the Threads pane lists when grouped: each with only its
    /// threads the name filter keeps, and none left empty.
    pub fn shown_groups(&self) -> Vec<crate::stacks::Group> {
        let shown = self.shown_threads();
        self.thread_groups
            .iter()
            .flatten()
            .filter_map(|g| {
                let threads: Vec<usize> = g
                    .threads
                    .iter()
                    .copied()
                    .filter(|t| shown.binary_search(t).is_ok())
                    .collect();
                (!threads.is_empty()).then(|| crate::stacks::Group {
                    threads,
                    ..g.clone()
                })
            })
            .collect()
    }

    /// `g`: groups the Threads pane by stack (reading every thread's
    /// traceback the first time, pipelined), or lists threads again.
    fn toggle_groups(&mut self) {
        if self.cursor.threads.len() < 2 {
            self.status = "one thread: nothing to group".into();
            return;
        }
        if self.thread_groups.is_none() {
            let all: Vec<usize> = (0..self.cursor.threads.len()).collect();
            match crate::stacks::group(&self.cursor.session, &self.cursor.threads, &all) {
                Ok(groups) => self.thread_groups = Some(groups),
                Err(e) => {
                    self.status = format!("cannot group the threads: {e}");
                    return;
                }
            }
        }
        self.grouped = !self.grouped;
        self.focus = Focus::Threads;
    }

    /// Moves `delta` threads (or, grouped, groups) through those listed,
    /// staying in the list; a group is entered at its first thread.
    fn move_thread(&mut self, delta: isize) {
        if self.grouped {
            let groups = self.shown_groups();
            let pos = groups
                .iter()
                .position(|g| g.threads.contains(&self.cursor.thread));
            let next = match pos {
                Some(p) => (p as isize + delta).clamp(0, groups.len() as isize - 1) as usize,
                None => 0,
            };
            if let Some(g) = groups.get(next)
                && Some(next) != pos
            {
                self.select_thread(g.threads[0]);
            }
            return;
        }
        let shown = self.shown_threads();
        if shown.is_empty() {
            return;
        }
        let pos = shown.iter().position(|&i| i == self.cursor.thread);
        let next = match pos {
            Some(p) => (p as isize + delta).clamp(0, shown.len() as isize - 1) as usize,
            None => 0,
        };
        if Some(next) != pos {
            self.select_thread(shown[next]);
        }
    }
}
