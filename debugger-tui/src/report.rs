//! `pmdb report`: every thread's traceback with locals expanded N levels,
//! as text for people or as one JSON object for scripts. The walk over the
//! session is kept apart from the rendering, which is a pure function.

use serde_json::{Value, json};
use wire::{CrashInfo, Session};

use crate::remote::Endpoint;
use crate::source::{Origin, SourceArgs, Sources, Text};

/// Lines shown before and after a frame's line with `--source`.
const SOURCE_CONTEXT: u32 = 2;

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
    /// The lines around `line`, when asked for (`--source`), or why not.
    pub source: Option<Result<Text, String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportThread {
    pub name: String,
    pub crashed: bool,
    pub frames: Vec<ReportFrame>,
}

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
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(session.hello().pid, &crash, &threads))?
        );
    } else {
        print!("{}", to_text(&crash, &threads));
    }
    Ok(())
}

/// Reads every thread, frame and local, `depth` levels deep. The locals of
/// a thread's frames are asked for together (one round trip per thread).
pub fn walk(session: &Session, depth: u32) -> anyhow::Result<Vec<ReportThread>> {
    let mut out = Vec::new();
    for t in session.threads()? {
        let tb = session.traceback(t.id)?;
        let wanted: Vec<wire::Frame> = tb
            .frames
            .iter()
            .filter(|f| !f.info.runtime && depth > 0)
            .cloned()
            .collect();
        let mut locals = session.locals_of(&wanted)?.into_iter();
        let mut frames = Vec::new();
        for f in &tb.frames {
            let (locals, error) = if f.info.runtime || depth == 0 {
                (Vec::new(), None)
            } else {
                match locals.next().expect("one reply per frame") {
                    Ok(vals) => (vals.iter().map(|v| node(v, depth - 1)).collect(), None),
                    Err(e) => (Vec::new(), Some(e.to_string())),
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
            name: t.name,
            crashed: t.crashed,
            frames,
        });
    }
    Ok(out)
}

/// The lines around each user frame's line.
pub fn add_source(session: &Session, sources: &Sources, threads: &mut [ReportThread]) {
    for f in threads.iter_mut().flat_map(|t| t.frames.iter_mut()) {
        if let (false, Some(file), Some(line)) = (f.runtime, &f.file, f.line) {
            let first = line.saturating_sub(SOURCE_CONTEXT).max(1);
            f.source = Some(sources.lines(session, file, first, line + SOURCE_CONTEXT));
        }
    }
}

fn node(v: &wire::RemoteValue, levels: u32) -> Node {
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

fn node_json(n: &Node) -> Value {
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

fn source_json(source: &Result<Text, String>) -> Value {
    match source {
        Ok(t) => json!({
            "origin": match t.origin { Origin::Local(_) => "local", Origin::Served => "served" },
            "path": match &t.origin { Origin::Local(p) => json!(p), Origin::Served => Value::Null },
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

/// The report as text: runtime frames marked, locals indented by level.
pub fn to_text(crash: &CrashInfo, threads: &[ReportThread]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let at = match (&crash.file, crash.line, crash.column) {
        (Some(f), Some(l), Some(c)) => format!(" at {f}:{l}:{c}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "{} in thread '{}'{at}: {}",
        match crash.kind {
            wire::CrashKind::Panic => "panic",
            wire::CrashKind::Signal => "signal",
        },
        crash.thread_name,
        crash.message
    );
    for t in threads {
        let _ = writeln!(
            out,
            "\nthread '{}'{}",
            t.name,
            if t.crashed { " (crashed)" } else { "" }
        );
        for f in &t.frames {
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

fn text_node(out: &mut String, n: &Node, indent: usize) {
    use std::fmt::Write;
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

    #[test]
    fn text_marks_runtime_frames_and_indents_children() {
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
        };
        let mut p = leaf("p", "Point", "Point { x: 1 }", None);
        p.children.push(leaf("x", "i32", "1", None));
        let threads = [ReportThread {
            name: "main".into(),
            crashed: true,
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
                    source: Some(Ok(Text {
                        origin: Origin::Served,
                        first_line: 2,
                        lines: vec!["fn main() {".into(), "    boom();".into()],
                        truncated: false,
                    })),
                },
            ],
        }];
        assert_eq!(
            to_text(&crash, &threads),
            "panic in thread 'main' at src/main.rs:3:5: boom\n\nthread 'main' (crashed)\n  #0   core::panicking::panic  [runtime]\n  #1   p::main at src/main.rs:3\n        source: copy served by the crashed process\n           2 | fn main() {\n      >    3 |     boom();\n        p: Point = Point { x: 1 }\n          x: i32 = 1\n"
        );
    }
}
