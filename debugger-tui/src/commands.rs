//! The debugger's commands, shared by the TUI's command line and batch mode:
//! `bt`, `frame N|NAME`, `up`, `down`, `p EXPR`, `locals`, `threads`,
//! `thread N`, `list`, `save FILE`, `help` — pdb and gdb habits. Each returns text lines,
//! or a value the TUI can expand.

use wire::{RemoteValue, Session, ThreadInfo};

use crate::source::{SourceArgs, Sources};

/// Where the commands stand: the thread and frame they act on.
pub struct Cursor {
    pub session: Session,
    pub threads: Vec<ThreadInfo>,
    pub thread: usize,
    pub frames: Vec<wire::Frame>,
    /// Index into `frames`.
    pub frame: usize,
    /// Where source text comes from (local files, else the agent's copy).
    pub sources: Sources,
}

/// A command's result.
pub enum Output {
    Lines(Vec<String>),
    /// `p EXPR`: the value, and its one-line rendering.
    Value(RemoteValue, String),
}

/// Threads the `threads` command lists before saying how many more there are.
const THREADS_LISTED: usize = 200;

pub const HELP: &[(&str, &str)] = &[
    (
        "bt",
        "the traceback of the current thread (runtime frames marked)",
    ),
    (
        "frame N | frame NAME",
        "select frame N, or the innermost named NAME",
    ),
    ("up / down", "to the caller / the callee (u / d in the TUI)"),
    (
        "p EXPR",
        "print a value: name, a.b, a.0, v[3], *p, m[\"k\"]",
    ),
    ("locals", "the current frame's locals"),
    (
        "threads [NAME] / thread N",
        "list the threads (whose name contains NAME) / switch to thread N",
    ),
    (
        "tasks [TEXT]",
        "every tokio task: id, state, awaited futures with their locals (those mentioning TEXT)",
    ),
    (
        "stacks [NAME]",
        "threads grouped by identical tracebacks (\"1,998 threads × the same stack\")",
    ),
    ("list", "source around the current line"),
    (
        "save FILE",
        "write a core of the process (as gcore does; pmdb and gdb open it)",
    ),
    ("help", "this list"),
];

impl Cursor {
    /// Starts on the crashed thread's innermost user frame.
    pub fn new(session: Session) -> anyhow::Result<Cursor> {
        let threads = session.threads()?;
        let mut c = Cursor {
            session,
            threads,
            thread: 0,
            frames: Vec::new(),
            frame: 0,
            sources: Sources::default(),
        };
        c.select_thread(0)?;
        Ok(c)
    }

    /// Starts where [`Session::first_screen`] stands: the crashed thread
    /// (the first listed) and its crashed frame.
    pub fn from_first_screen(
        session: Session,
        threads: Vec<ThreadInfo>,
        traceback: wire::Traceback,
        frame: usize,
    ) -> Cursor {
        Cursor {
            session,
            threads,
            thread: 0,
            frames: traceback.frames,
            frame,
            sources: Sources::default(),
        }
    }

    pub fn select_thread(&mut self, i: usize) -> anyhow::Result<()> {
        let t = self
            .threads
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("no thread {i} (threads lists them)"))?;
        self.frames = self.session.traceback(t.id)?.frames;
        self.thread = i;
        self.frame = self
            .frames
            .iter()
            .position(|f| !f.info.runtime)
            .unwrap_or(0);
        Ok(())
    }

    pub fn current(&self) -> &wire::Frame {
        &self.frames[self.frame]
    }

    /// Moves `delta` user frames (positive: toward callers).
    pub fn step(&mut self, delta: isize, include_runtime: bool) -> Result<(), String> {
        let visible: Vec<usize> = (0..self.frames.len())
            .filter(|&i| include_runtime || !self.frames[i].info.runtime || i == self.frame)
            .collect();
        let pos = visible.iter().position(|&i| i == self.frame).unwrap_or(0) as isize;
        let next = pos + delta;
        if next < 0 {
            return Err("already at the innermost frame".into());
        }
        match visible.get(next as usize) {
            Some(&i) => {
                self.frame = i;
                Ok(())
            }
            None => Err("already at the outermost frame".into()),
        }
    }

    /// Runs one command line.
    pub fn execute(&mut self, line: &str) -> Result<Output, String> {
        let line = line.trim();
        let (cmd, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let arg = arg.trim();
        match cmd {
            "bt" | "backtrace" | "where" | "w" => Ok(Output::Lines(self.bt())),
            "frame" | "f" => {
                let i = if let Ok(n) = arg.parse::<u32>() {
                    self.frames.iter().position(|f| f.info.id.index == n)
                } else if !arg.is_empty() {
                    self.frames
                        .iter()
                        .position(|f| wire::remote::last_segment(&f.info.function) == arg)
                } else {
                    Some(self.frame)
                };
                let i = i.ok_or_else(|| format!("no frame {arg:?} (bt lists them)"))?;
                self.frame = i;
                Ok(Output::Lines(vec![self.frame_line(i)]))
            }
            "up" | "u" => {
                self.step(1, false)?;
                Ok(Output::Lines(vec![self.frame_line(self.frame)]))
            }
            "down" | "d" => {
                self.step(-1, false)?;
                Ok(Output::Lines(vec![self.frame_line(self.frame)]))
            }
            "p" | "print" => {
                if arg.is_empty() {
                    return Err("usage: p EXPR".into());
                }
                let mut v = self.current().eval(arg).map_err(|e| match e.caret(2) {
                    // The expression again, with a caret under the column.
                    Some(caret) => format!("{e}\n{caret}"),
                    None => e.to_string(),
                })?;
                // Shown under the expression the user typed.
                v.info.name = arg.to_string();
                let text = format!("{arg}: {} = {}", v.type_name(), v.preview());
                Ok(Output::Value(v, text))
            }
            "locals" => {
                let vals = self.current().locals().map_err(|e| e.to_string())?;
                if vals.is_empty() {
                    return Ok(Output::Lines(vec!["no locals in scope".into()]));
                }
                Ok(Output::Lines(
                    vals.iter()
                        .map(|v| format!("{}: {} = {}", v.name(), v.type_name(), v.preview()))
                        .collect(),
                ))
            }
            "threads" => {
                let shown = crate::stacks::matching(&self.threads, arg);
                let mut lines: Vec<String> = shown
                    .iter()
                    .take(THREADS_LISTED)
                    .map(|&i| {
                        let t = &self.threads[i];
                        format!(
                            "{} {i} {}{}{}",
                            if i == self.thread { "*" } else { " " },
                            t.name,
                            if t.crashed { " (crashed)" } else { "" },
                            t.state
                                .as_ref()
                                .map_or_else(String::new, |s| format!("  ({s})"))
                        )
                    })
                    .collect();
                if shown.len() > THREADS_LISTED {
                    lines.push(format!(
                        "… and {} more of {} threads (threads NAME or stacks groups them)",
                        crate::stacks::thousands(shown.len() - THREADS_LISTED),
                        crate::stacks::thousands(self.threads.len())
                    ));
                }
                Ok(Output::Lines(lines))
            }
            "tasks" => Ok(Output::Lines(crate::report::text::task_lines(
                &self.session,
                arg,
            )?)),
            "stacks" => {
                let shown = crate::stacks::matching(&self.threads, arg);
                let groups = crate::stacks::group(&self.session, &self.threads, &shown)
                    .map_err(|e| e.to_string())?;
                Ok(Output::Lines(crate::stacks::render(&self.threads, &groups)))
            }
            "thread" => {
                let n: usize = arg.parse().map_err(|_| "usage: thread N".to_string())?;
                self.select_thread(n).map_err(|e| e.to_string())?;
                Ok(Output::Lines(vec![
                    format!("thread {n} {}", self.threads[n].name),
                    self.frame_line(self.frame),
                ]))
            }
            "list" | "l" => Ok(Output::Lines(self.list())),
            "save" => {
                if arg.is_empty() {
                    return Err("usage: save FILE".into());
                }
                // A relative name is taken from pmdb's directory.
                let path = std::env::current_dir()
                    .map_err(|e| e.to_string())?
                    .join(arg);
                let path = path
                    .to_str()
                    .ok_or_else(|| format!("{} is not UTF-8", path.display()))?;
                let saved = self.session.save_core(path).map_err(|e| e.to_string())?;
                Ok(Output::Lines(vec![crate::save::in_words(&saved)]))
            }
            "help" | "h" | "?" => Ok(Output::Lines(
                HELP.iter()
                    .map(|(c, what)| format!("{c:<22} {what}"))
                    .collect(),
            )),
            "" => Ok(Output::Lines(Vec::new())),
            other => Err(format!("unknown command {other:?} (help lists them)")),
        }
    }

    /// `#N function at file:line`, marked when it is the current frame.
    pub fn frame_line(&self, i: usize) -> String {
        let info = &self.frames[i].info;
        let loc = match (&info.file, info.line) {
            (Some(f), Some(l)) => format!(" at {f}:{l}"),
            _ => String::new(),
        };
        format!(
            "{}#{} {}{loc}{}",
            if i == self.frame { "> " } else { "  " },
            info.id.index,
            info.function,
            if info.runtime { "  [runtime]" } else { "" }
        )
    }

    fn bt(&self) -> Vec<String> {
        (0..self.frames.len()).map(|i| self.frame_line(i)).collect()
    }

    fn list(&mut self) -> Vec<String> {
        let info = self.current().info.clone();
        let (Some(file), Some(line)) = (&info.file, info.line) else {
            return vec!["no source location for this frame".into()];
        };
        match self.sources.file_at(&self.session, file, Some(line)) {
            Ok(text) => std::iter::once(format!("source: {}", text.origin.label()))
                .chain((line.saturating_sub(5).max(1)..=line + 5).filter_map(|n| {
                    let l = text.line(n)?;
                    Some(format!("{}{n:>5} {l}", if n == line { ">" } else { " " }))
                }))
                .collect(),
            Err(e) => vec![e],
        }
    }
}

/// Batch mode: runs each command and prints its result as text.
pub fn batch(session: Session, source: &SourceArgs, commands: Vec<String>) -> anyhow::Result<()> {
    crate::report::say_warnings(&session);
    let mut cursor = Cursor::new(session)?;
    cursor.sources = Sources::new(source);
    for line in commands {
        println!("(pmdb) {}", line.trim());
        match cursor.execute(&line) {
            Ok(Output::Lines(lines)) => lines.iter().for_each(|l| println!("{l}")),
            Ok(Output::Value(_, text)) => println!("{text}"),
            Err(e) => println!("error: {e}"),
        }
    }
    Ok(())
}
