//! The report's model, below its text and JSON writers: every thread's
//! frames with their locals expanded N levels and each task of each tokio
//! runtime with its id, state and awaited futures as frames (innermost
//! first, each with the locals it holds across its await) — both the
//! engine's walks, which the agent also runs to choose what a small core
//! keeps — and the lines around each user frame's line.

use engine::crash::report::{SourceLines, SourceOrigin};
use wire::Session;

use crate::source::{Origin, Sources};

pub use engine::crash::report::{
    Node, ReportAsyncFrame, ReportFrame, ReportTask, ReportThread, walk, walk_tasks,
};

/// Lines shown before and after a frame's line with `--source`.
const SOURCE_CONTEXT: u32 = 2;

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
                            Origin::Carried(p) => SourceOrigin::Carried(p),
                        },
                        first_line: t.first_line,
                        lines: t.lines,
                    }),
            );
        }
    }
}
