//! `pmdb report`: every thread's traceback with locals expanded N levels,
//! as text for people or as one JSON object for scripts. The walk over the
//! session is kept apart from the rendering, which is a pure function.

use serde_json::{Value, json};
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
    let crash = session.crash()?;
    let mut threads = walk(&session, depth)?;
    if let Some(args) = source {
        add_source(&session, &Sources::new(args), &mut threads);
    }
    let (tasks, no_tasks) = crate::tasks::walk(&session, depth);
    if json {
        let mut out = to_json(session.hello().pid, &crash, &threads);
        crate::tasks::add_json(&mut out, &tasks, no_tasks.as_deref());
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", to_text(&crash, &threads));
        print!("{}", crate::tasks::to_text(&tasks, no_tasks.as_deref()));
    }
    Ok(())
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

pub(crate) fn node_json(n: &Node) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("name".into(), json!(n.name));
    if n.shadowed {
        o.insert("shadowed".into(), json!(true));
    }
    o.insert("type".into(), json!(n.type_name));
    o.insert("value".into(), json!(n.value));
    if let Some(len) = n.len {
        o.insert("len".into(), json!(len));
    }
    o.insert(
        "children".into(),
        Value::Array(n.children.iter().map(node_json).collect()),
    );
    Value::Object(o)
}

fn source_json(source: &Result<SourceLines, String>) -> Value {
    match source {
        Ok(t) => json!({
            "origin": match t.origin { SourceOrigin::Local(_) => "local", SourceOrigin::Served => "served" },
            "path": match &t.origin { SourceOrigin::Local(p) => json!(p), SourceOrigin::Served => Value::Null },
            "first_line": t.first_line,
            "lines": t.lines,
        }),
        Err(e) => json!({ "error": e }),
    }
}

/// The report as one JSON object.
pub fn to_json(pid: u32, crash: &CrashInfo, threads: &[ReportThread]) -> Value {
    json!({
        "pid": pid,
        "crash": {
            "kind": crash.kind,
            "message": crash.message,
            "file": crash.file,
            "line": crash.line,
            "column": crash.column,
            "thread": crash.thread_name,
        },
        "threads": threads.iter().map(|t| json!({
            "name": t.name,
            "crashed": t.crashed,
            "frames": t.frames.iter().map(|f| {
                let mut o = json!({
                    "index": f.index,
                    "function": f.function,
                    "file": f.file,
                    "line": f.line,
                    "runtime": f.runtime,
                    "locals": f.locals.iter().map(node_json).collect::<Vec<_>>(),
                });
                if let Some(src) = &f.source {
                    o["source"] = source_json(src);
                }
                o
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The report as text, every frame shown (runtime ones marked).
pub fn to_text(crash: &CrashInfo, threads: &[ReportThread]) -> String {
    engine::report::to_text(crash, threads, engine::report::Runtime::Shown)
}

#[cfg(test)]
mod tests {
    use super::*;

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
