//! The TUI's state: the crash, the threads and their tracebacks, the selected
//! frame, its locals tree and source, which pane has focus, and the prompts.
//! Input turns into [`Action`]s; drawing (in `ui`) only reads this state.

use wire::{CrashInfo, Session, ThreadInfo};

use super::tree::Tree;

/// The panes that take focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Traceback,
    Locals,
    Source,
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// What the user chose when leaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Resume,
    Kill,
}

/// A source file's lines, or why it cannot be shown.
pub type Source = Result<Vec<String>, String>;

pub struct App {
    pub session: Session,
    pub crash: CrashInfo,
    pub threads: Vec<ThreadInfo>,
    pub thread: usize,
    pub frames: Vec<wire::Frame>,
    pub show_runtime: bool,
    /// Index into `frames` of the selected frame.
    pub frame: usize,
    pub tree: Tree,
    pub locals_error: Option<String>,
    pub source: Source,
    pub source_scroll: usize,
    pub focus: Focus,
    pub help: bool,
    pub quitting: bool,
    pub exit: Option<Exit>,
    pub status: String,
}

impl App {
    /// Reads the crash, threads and the crashed thread's traceback, and
    /// selects the innermost user frame.
    pub fn new(session: Session) -> anyhow::Result<App> {
        let crash = session.crash()?;
        let threads = session.threads()?;
        let mut app = App {
            session,
            crash,
            threads,
            thread: 0,
            frames: Vec::new(),
            show_runtime: false,
            frame: 0,
            tree: Tree::default(),
            locals_error: None,
            source: Ok(Vec::new()),
            source_scroll: 0,
            focus: Focus::Traceback,
            help: false,
            quitting: false,
            exit: None,
            status: String::new(),
        };
        app.load_thread(0)?;
        Ok(app)
    }

    fn load_thread(&mut self, i: usize) -> anyhow::Result<()> {
        self.thread = i;
        let tb = self.session.traceback(self.threads[i].id)?;
        self.frames = tb.frames;
        let first = self
            .frames
            .iter()
            .position(|f| !f.info.runtime)
            .unwrap_or(0);
        self.select_frame(first);
        Ok(())
    }

    /// Indexes into `frames` of the frames shown (runtime ones only when asked).
    pub fn visible_frames(&self) -> Vec<usize> {
        (0..self.frames.len())
            .filter(|&i| self.show_runtime || !self.frames[i].info.runtime)
            .collect()
    }

    pub fn select_frame(&mut self, i: usize) {
        if i >= self.frames.len() {
            return;
        }
        self.frame = i;
        let f = &self.frames[i];
        match f.locals() {
            Ok(locals) => {
                self.tree = Tree::new(locals);
                self.locals_error = None;
            }
            Err(e) => {
                self.tree = Tree::default();
                self.locals_error = Some(e.to_string());
            }
        }
        self.source = read_source(f.info.file.as_deref());
        self.source_scroll = f.info.line.unwrap_or(1).saturating_sub(1) as usize;
    }

    fn move_frame(&mut self, delta: isize) {
        let visible = self.visible_frames();
        let Some(pos) = visible.iter().position(|&i| i == self.frame) else {
            if let Some(&first) = visible.first() {
                self.select_frame(first);
            }
            return;
        };
        let next = (pos as isize + delta).clamp(0, visible.len() as isize - 1) as usize;
        if visible[next] != self.frame {
            self.select_frame(visible[next]);
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
        match (action, self.focus) {
            (Action::Quit, _) => self.quitting = true,
            (Action::ToggleHelp, _) => self.help = true,
            (Action::NextPane, _) => {
                self.focus = match self.focus {
                    Focus::Traceback => Focus::Locals,
                    Focus::Locals => Focus::Source,
                    Focus::Source => Focus::Traceback,
                }
            }
            (Action::PrevPane, _) => {
                self.focus = match self.focus {
                    Focus::Traceback => Focus::Source,
                    Focus::Locals => Focus::Traceback,
                    Focus::Source => Focus::Locals,
                }
            }
            (Action::ToggleRuntime, _) => {
                self.show_runtime = !self.show_runtime;
                self.status = if self.show_runtime {
                    "showing runtime frames".into()
                } else {
                    "runtime frames hidden".into()
                };
                if !self.visible_frames().contains(&self.frame) {
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
            _ => {}
        }
    }
}

/// Reads a source file for display; the note says why when it cannot.
pub fn read_source(path: Option<&str>) -> Source {
    let Some(path) = path else {
        return Err("no source location for this frame".into());
    };
    std::fs::read_to_string(path)
        .map(|s| s.lines().map(|l| l.replace('\t', "    ")).collect())
        .map_err(|e| format!("source not available: {path} ({e})"))
}
