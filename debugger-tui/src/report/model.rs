//! The report's model, below its text and JSON writers: every thread's
//! frames with their locals expanded N levels (the engine's walk), the lines
//! around each user frame's line, and each task of each tokio runtime with
//! its id, state and awaited futures as frames (innermost first, each with
//! the locals it holds across its await).

use engine::crash::report::{SourceLines, SourceOrigin, node};
use wire::Session;

use crate::source::{Origin, Sources};

pub use engine::crash::report::{Node, ReportFrame, ReportThread, walk};

/// Lines shown before and after a frame's line with `--source`.
const SOURCE_CONTEXT: u32 = 2;

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

/// The lines around each user frame's line.
pub fn add_source(session: &Session, sources: &Sources, threads: &mut [ReportThread]) {
    for f in threads.iter_mut().flat_map(|t| t.frames.iter_mut()) {
        if let (false, Some(file), Some(line)) = (f.runtime, &f.file, f.line) {
            let first = line.saturating_sub(SOURCE_CONTEXT).max(1);
            f.source = Some(
                sources
                    .lines(session, file, first, line + SOURCE_CONTEXT)
                    .map(|t| SourceLines {
                        origin: match t.origin {
                            Origin::Local(p) => SourceOrigin::Local(p),
                            Origin::Served => SourceOrigin::Served,
                        },
                        first_line: t.first_line,
                        lines: t.lines,
                    }),
            );
        }
    }
}
