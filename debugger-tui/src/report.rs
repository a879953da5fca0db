//! `pmdb report`: every thread's traceback with locals expanded N levels,
//! as text for people or as one JSON object for scripts. The walk over the
//! session is kept apart from the rendering, which is a pure function.

use std::io::Write;

use serde_json::Value;
use wire::{CrashInfo, Session};

use crate::remote::Endpoint;
use engine::report::{SourceLines, SourceOrigin};

use crate::source::{Origin, SourceArgs, Sources};

/// Lines shown before and after a frame's line with `--source`.
const SOURCE_CONTEXT: u32 = 2;

pub use engine::report::{Node, ReportFrame, ReportThread, walk};

/// Connects, walks and prints. The debuggee is left waiting. With
/// `source`, each user frame shows the lines around its line.
pub fn report(
    endpoint: &Endpoint,
    json: bool,
    depth: u32,
    source: Option<&SourceArgs>,
) -> anyhow::Result<()> {
    let session = endpoint.connect()?;
    say_warnings(&session);
    let crash = session.crash()?;
    let mut threads = walk(&session, depth)?;
    if let Some(args) = source {
        add_source(&session, &Sources::new(args), &mut threads);
    }
    let (tasks, no_tasks) = crate::tasks::walk(&session, depth);
    if json {
        let report = crate::report_json::Report {
            crash: crate::report_json::Crash::of(&crash),
            pid: session.hello().pid,
            tasks: &tasks,
            tasks_unavailable: no_tasks.as_deref(),
            threads: &threads,
        };
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        print!("{}", to_text(&crash, &threads));
        print!("{}", crate::tasks::to_text(&tasks, no_tasks.as_deref()));
    }
    Ok(())
}

/// What the agent could not use (a views file), on stderr, a line each.
pub fn say_warnings(session: &Session) {
    for w in &session.hello().warnings {
        eprintln!("pmdb: warning: {w}");
    }
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

/// A value and its expanded children as JSON.
pub(crate) fn node_json(n: &Node) -> Value {
    serde_json::to_value(crate::report_json::JsonNode(n)).unwrap_or(Value::Null)
}

/// The report as text, every frame shown (runtime ones marked).
pub fn to_text(crash: &CrashInfo, threads: &[ReportThread]) -> String {
    engine::report::to_text(crash, threads, engine::report::Runtime::Shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn leaf(name: &str, ty: &str, value: &str, len: Option<u64>) -> Node {
        Node {
            name: name.into(),
            shadowed: false,
            type_name: ty.into(),
            value: value.into(),
            len,
            children: Vec::new(),
        }
    }

    #[test]
    fn nodes_carry_len_only_for_containers() {
        let mut v = leaf("v", "Vec<i32>", "[1]", Some(1));
        v.children.push(leaf("[0]", "i32", "1", None));
        assert_eq!(
            node_json(&v),
            json!({"name": "v", "type": "Vec<i32>", "value": "[1]", "len": 1, "children": [
                {"name": "[0]", "type": "i32", "value": "1", "children": []}
            ]})
        );
    }
}
