//! The crash report, one model and one text for every front: `pmdb report`
//! (text and JSON), and the agent's `PMDB_MODE=report`, which serves its
//! engine in-process and walks the same session. The walk over a session is
//! kept apart from the rendering, which is a pure function.

use std::fmt::Write;
use std::path::PathBuf;

use wire::{CrashInfo, Session};

/// Children fetched per value at each level.
const CHILDREN_PER_LEVEL: u64 = 100;

/// A value with its expanded children.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    /// A binding a later one of the same name hides.
    pub shadowed: bool,
    pub type_name: String,
    pub value: String,
    pub len: Option<u64>,
    pub children: Vec<Node>,
}

/// Which copy of a source file a report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceOrigin {
    /// A file on this machine, at this path.
    Local(PathBuf),
    /// The text the crashed process served.
    Served,
    /// The lines the core carries, the file not being at this path here.
    Carried(PathBuf),
}

impl SourceOrigin {
    /// A few words for a title or a report line.
    pub fn label(&self) -> String {
        match self {
            SourceOrigin::Local(p) => format!("local file {}", p.display()),
            SourceOrigin::Served => "copy served by the crashed process".to_string(),
            SourceOrigin::Carried(p) => {
                format!(
                    "copy carried in the core ({} is not on this machine)",
                    p.display()
                )
            }
        }
    }
}

/// Lines of source around a frame's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLines {
    pub origin: SourceOrigin,
    /// The number of `lines[0]` (from 1).
    pub first_line: u32,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportFrame {
    pub index: u32,
    pub function: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub runtime: bool,
    pub locals: Vec<Node>,
    /// Why the locals could not be read, if they could not.
    pub error: Option<String>,
    /// The lines around `line`, when asked for, or why not.
    pub source: Option<Result<SourceLines, String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportThread {
    pub id: u64,
    pub name: String,
    pub crashed: bool,
    /// What it was doing when stopped (live snapshots only).
    pub state: Option<wire::ThreadState>,
    pub frames: Vec<ReportFrame>,
}

/// Reads every thread, frame and local, `depth` levels deep. Tracebacks
/// and locals are asked for in pipelined windows, so thousands of threads
/// cost tens of round trips, not thousands.
pub fn walk(session: &Session, depth: u32) -> Result<Vec<ReportThread>, wire::Error> {
    let threads = session.threads()?;
    let ids: Vec<u64> = threads.iter().map(|t| t.id).collect();
    let mut tracebacks = Vec::with_capacity(threads.len());
    for tb in session.tracebacks(&ids)? {
        tracebacks.push(tb?);
    }
    let wanted: Vec<wire::Frame> = tracebacks
        .iter()
        .flat_map(|tb| tb.frames.iter())
        .filter(|f| !f.info.runtime && depth > 0)
        .cloned()
        .collect();
    let mut locals = session.locals_of(&wanted)?.into_iter();
    let mut out = Vec::new();
    for (t, tb) in threads.into_iter().zip(&tracebacks) {
        let mut frames = Vec::new();
        for f in &tb.frames {
            let (locals, error) = if f.info.runtime || depth == 0 {
                (Vec::new(), None)
            } else {
                match locals.next() {
                    Some(Ok(vals)) => (vals.iter().map(|v| node(v, depth - 1)).collect(), None),
                    Some(Err(e)) => (Vec::new(), Some(e.to_string())),
                    None => (Vec::new(), Some("no reply for this frame".to_string())),
                }
            };
            frames.push(ReportFrame {
                index: f.info.id.index,
                function: f.info.function.clone(),
                file: f.info.file.clone(),
                line: f.info.line,
                runtime: f.info.runtime,
                locals,
                error,
                source: None,
            });
        }
        out.push(ReportThread {
            id: t.id,
            name: t.name,
            crashed: t.crashed,
            state: t.state,
            frames,
        });
    }
    Ok(out)
}

/// One task as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTask {
    pub id: u64,
    pub state: String,
    pub frames: Vec<ReportAsyncFrame>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportAsyncFrame {
    pub function: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub locals: Vec<Node>,
}

/// The tasks, locals expanded `depth` levels; or why there are none. The
/// frames' locals are asked for in pipelined windows.
pub fn walk_tasks(session: &Session, depth: u32) -> (Vec<ReportTask>, Option<String>) {
    let list = match session.tasks() {
        Ok(l) => l,
        Err(e) => return (Vec::new(), Some(format!("tasks unavailable: {e}"))),
    };
    let frames: Vec<wire::Frame> = if depth == 0 {
        Vec::new()
    } else {
        list.tasks
            .iter()
            .flat_map(|t| t.frames.iter().cloned())
            .collect()
    };
    let mut locals = match session.locals_of(&frames) {
        Ok(l) => l.into_iter(),
        Err(e) => return (Vec::new(), Some(format!("tasks unavailable: {e}"))),
    };
    let tasks = list
        .tasks
        .iter()
        .map(|t| ReportTask {
            id: t.id,
            state: t.state.clone(),
            frames: t
                .frames
                .iter()
                .map(|f| ReportAsyncFrame {
                    function: f.info.function.clone(),
                    file: f.info.file.clone(),
                    line: f.info.line,
                    locals: match (depth, locals.next()) {
                        (0, _) | (_, None) => Vec::new(),
                        (_, Some(Err(_))) => Vec::new(),
                        (_, Some(Ok(vals))) => vals.iter().map(|v| node(v, depth - 1)).collect(),
                    },
                })
                .collect(),
        })
        .collect();
    (tasks, list.unavailable)
}

/// A value with `levels` levels of its children.
pub fn node(v: &wire::RemoteValue, levels: u32) -> Node {
    // A reference or `Box` to a struct lists the struct's fields.
    let listed = match levels > 0 && v.child_count() > 0 {
        true => v.expansion().ok(),
        false => None,
    };
    let children = match listed {
        Some(l) => l
            .children(0, l.child_count().min(CHILDREN_PER_LEVEL))
            .map(|kids| kids.iter().map(|k| node(k, levels - 1)).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Node {
        shadowed: v.info.shadowed,
        name: v.name().to_string(),
        type_name: v.type_name().to_string(),
        value: v.preview().to_string(),
        len: v.len(),
        children,
    }
}

/// The crash's signature (`crate::crash::signature`), from the crashed
/// thread's user frames.
pub fn signature(crash: &CrashInfo, threads: &[ReportThread]) -> String {
    let frames = threads
        .iter()
        .find(|t| t.crashed)
        .into_iter()
        .flat_map(|t| t.frames.iter())
        .filter(|f| !f.runtime)
        .map(|f| f.function.as_str());
    crate::crash::signature::of(crash, frames)
}

/// How much of the report the text shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// Every frame, runtime ones marked.
    Shown,
    /// User frames only, with a count of the runtime frames left out.
    Hidden,
}

/// The report as text: runtime frames marked (or hidden), locals indented
/// by level.
pub fn to_text(crash: &CrashInfo, threads: &[ReportThread], runtime: Runtime) -> String {
    to_text_stuck(crash, threads, None, runtime)
}

/// The report as text, with why it is stuck: the deadlocks first, then
/// under each waiting thread what it waits on.
pub fn to_text_stuck(
    crash: &CrashInfo,
    threads: &[ReportThread],
    stuck: Option<&crate::crash::stuck::Stuck>,
    runtime: Runtime,
) -> String {
    let mut out = String::new();
    if let Some(s) = stuck {
        let deadlocks = crate::crash::stuck::deadlocks_text(s);
        if !deadlocks.is_empty() {
            let _ = writeln!(out, "{deadlocks}");
        }
    }
    let at = match (&crash.file, crash.line, crash.column) {
        (Some(f), Some(l), Some(c)) => format!(" at {f}:{l}:{c}"),
        _ => String::new(),
    };
    match crash.kind {
        wire::CrashKind::Snapshot => {
            let _ = writeln!(out, "{}", crash.message);
        }
        kind => {
            let _ = writeln!(
                out,
                "{} in thread '{}'{at}: {}",
                if kind == wire::CrashKind::Panic {
                    "panic"
                } else {
                    "signal"
                },
                crash.thread_name,
                crash.message
            );
            if let Some(a) = &crash.analysis {
                let _ = writeln!(out, "analysis: {a}");
            }
            let _ = writeln!(out, "signature: {}", signature(crash, threads));
        }
    }
    for t in threads {
        let hidden = t.frames.iter().filter(|f| f.runtime).count();
        let note = match runtime {
            Runtime::Hidden if hidden > 0 => format!(", {hidden} runtime frames hidden"),
            _ => String::new(),
        };
        let state = match &t.state {
            Some(state) => format!(" ({state})"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "\nthread '{}'{}{state}{note}",
            t.name,
            if t.crashed { " (crashed)" } else { "" }
        );
        if let Some(line) = stuck.and_then(|s| s.line(wire::Waiter::Thread(t.id))) {
            let _ = writeln!(out, "  {line}");
        }
        for f in &t.frames {
            if f.runtime && runtime == Runtime::Hidden {
                continue;
            }
            let loc = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!(" at {file}:{line}"),
                _ => String::new(),
            };
            let mark = if f.runtime { "  [runtime]" } else { "" };
            let _ = writeln!(out, "  #{:<3} {}{loc}{mark}", f.index, f.function);
            match &f.source {
                Some(Ok(t)) => {
                    let _ = writeln!(out, "        source: {}", t.origin.label());
                    for (i, l) in t.lines.iter().enumerate() {
                        let n = t.first_line + i as u32;
                        let mark = if Some(n) == f.line { ">" } else { " " };
                        let _ = writeln!(out, "      {mark}{n:>5} | {l}");
                    }
                }
                Some(Err(e)) => {
                    let _ = writeln!(out, "        <{e}>");
                }
                None => {}
            }
            if let Some(e) = &f.error {
                let _ = writeln!(out, "        <{e}>");
            }
            for n in &f.locals {
                text_node(&mut out, n, 4);
            }
        }
    }
    out
}

/// A failed test's frame as `pmdb test` and `pmdb-test` print it, in the
/// manner of `pytest --showlocals`: `  #N function at file:line` (the file
/// relative to `here`, the current directory with its `/`), the frame's
/// error if any, then its locals.
pub fn text_test_frame(out: &mut String, f: &ReportFrame, here: &str) {
    let at = match (&f.file, f.line) {
        (Some(file), Some(line)) => {
            format!(" at {}:{line}", file.strip_prefix(here).unwrap_or(file))
        }
        _ => String::new(),
    };
    let _ = writeln!(out, "  #{:<3} {}{at}", f.index, f.function);
    match &f.error {
        Some(e) if e.starts_with('<') => {
            let _ = writeln!(out, "        {e}");
        }
        Some(e) => {
            let _ = writeln!(out, "        <{e}>");
        }
        None => {}
    }
    for n in &f.locals {
        text_node(out, n, 4);
    }
}

/// One value's line (`name: type = value`), then its children's, indented.
pub fn text_node(out: &mut String, n: &Node, indent: usize) {
    let _ = writeln!(
        out,
        "{:indent$}    {}{}: {} = {}",
        "",
        n.name,
        if n.shadowed { " (shadowed)" } else { "" },
        n.type_name,
        n.value
    );
    for c in &n.children {
        text_node(out, c, indent + 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(name: &str, ty: &str, value: &str) -> Node {
        Node {
            name: name.into(),
            shadowed: false,
            type_name: ty.into(),
            value: value.into(),
            len: None,
            children: Vec::new(),
        }
    }

    #[test]
    fn text_marks_or_hides_runtime_frames_and_indents_children() {
        let crash = CrashInfo {
            kind: wire::CrashKind::Panic,
            message: "boom".into(),
            payload_type: None,
            file: Some("src/main.rs".into()),
            line: Some(3),
            column: Some(5),
            thread: 1,
            thread_name: "main".into(),
            pid: 9,
            program: "p".into(),
            time: 0,
            taken_by: None,
            analysis: None,
        };
        let mut p = leaf("p", "Point", "Point { x: 1 }");
        p.children.push(leaf("x", "i32", "1"));
        let threads = [ReportThread {
            id: 1,
            name: "main".into(),
            crashed: true,
            state: None,
            frames: vec![
                ReportFrame {
                    index: 0,
                    function: "core::panicking::panic".into(),
                    file: None,
                    line: None,
                    runtime: true,
                    locals: vec![],
                    error: None,
                    source: None,
                },
                ReportFrame {
                    index: 1,
                    function: "p::main".into(),
                    file: Some("src/main.rs".into()),
                    line: Some(3),
                    runtime: false,
                    locals: vec![p],
                    error: None,
                    source: Some(Ok(SourceLines {
                        origin: SourceOrigin::Served,
                        first_line: 2,
                        lines: vec!["fn main() {".into(), "    boom();".into()],
                    })),
                },
            ],
        }];
        assert_eq!(
            to_text(&crash, &threads, Runtime::Shown),
            "panic in thread 'main' at src/main.rs:3:5: boom\nsignature: panic src/main.rs:3 | p::main\n\nthread 'main' (crashed)\n  #0   core::panicking::panic  [runtime]\n  #1   p::main at src/main.rs:3\n        source: copy served by the crashed process\n           2 | fn main() {\n      >    3 |     boom();\n        p: Point = Point { x: 1 }\n          x: i32 = 1\n"
        );
        assert_eq!(
            to_text(&crash, &threads, Runtime::Hidden),
            "panic in thread 'main' at src/main.rs:3:5: boom\nsignature: panic src/main.rs:3 | p::main\n\nthread 'main' (crashed), 1 runtime frames hidden\n  #1   p::main at src/main.rs:3\n        source: copy served by the crashed process\n           2 | fn main() {\n      >    3 |     boom();\n        p: Point = Point { x: 1 }\n          x: i32 = 1\n"
        );
    }
}
