//! The report's JSON shape, serialized straight from the report model.
//!
//! A report of thousands of threads is megabytes of JSON; building it as a
//! `serde_json::Value` tree first cost more than walking the crash. These
//! borrowed views write the same object (keys in alphabetical order, as a
//! `Value` map prints them) with no tree in between.

use engine::crash::report::{SourceLines, SourceOrigin};
use engine::crash::stuck::Stuck;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};
use wire::{CrashInfo, CrashKind, Waiter};

use super::model::{Node, ReportAsyncFrame, ReportFrame, ReportTask, ReportThread};

/// The whole report: `pid`, `crash`, `deadlocks`, `threads` (each with
/// `waits_on` when it waits), `tasks` (likewise) and, when tasks could not
/// be listed, `tasks_unavailable`; when the agent cannot say why it is
/// stuck, `waits_unavailable`.
#[derive(Serialize)]
pub struct Report<'a> {
    pub crash: Crash<'a>,
    #[serde(serialize_with = "deadlocks")]
    pub deadlocks: Option<&'a Stuck>,
    pub pid: u32,
    #[serde(serialize_with = "tasks")]
    pub tasks: (&'a [ReportTask], Option<&'a Stuck>),
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks_unavailable: Option<&'a str>,
    #[serde(serialize_with = "threads")]
    pub threads: (&'a [ReportThread], Option<&'a Stuck>),
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waits_unavailable: Option<&'a str>,
}

/// A wait as JSON: `kind`, `what`, `address`, `reached_as`, `held_by`
/// (names), `guards` (where each holder's frames hold it), `no_holder`,
/// `detail`, and `text`, the sentence the text report prints.
pub fn wait_json(stuck: &Stuck, who: Waiter) -> Option<Value> {
    let w = stuck.wait_of(who)?;
    Some(json!({
        "address": w.address.map(|a| format!("{a:#x}")),
        "detail": w.detail,
        "guards": w.held_by.iter().map(|h| h.guard.clone()).collect::<Vec<_>>(),
        "held_by": w.held_by.iter().map(|h| stuck.names.short(h.who)).collect::<Vec<_>>(),
        "kind": serde_json::to_value(w.kind).unwrap_or(Value::Null),
        "no_holder": w.no_holder,
        "reached_as": w.reached_as,
        "text": stuck.line(who),
        "what": w.what,
    }))
}

/// Each deadlock: `threads` (its members' names, tasks as `task N`), and
/// `locks`, one per member: what it waits for (`address`, `what`,
/// `reached_as`), `waited_by` that member, `held_by` the next; and `text`.
pub fn deadlock_json(stuck: &Stuck, d: &wire::Deadlock) -> Value {
    let m = &d.members;
    let locks: Vec<Value> = (0..m.len())
        .map(|i| {
            let w = stuck.wait_of(m[i]);
            json!({
                "address": w.and_then(|w| w.address).map(|a| format!("{a:#x}")),
                "held_by": stuck.names.short(m[(i + 1) % m.len()]),
                "reached_as": w.and_then(|w| w.reached_as.clone()),
                "waited_by": stuck.names.short(m[i]),
                "what": w.map(|w| w.what.clone()),
            })
        })
        .collect();
    json!({
        "locks": locks,
        "text": engine::crash::stuck::deadlock_lines(stuck, d),
        "threads": m.iter().map(|w| stuck.names.short(*w)).collect::<Vec<_>>(),
    })
}

fn deadlocks<S: Serializer>(stuck: &Option<&Stuck>, s: S) -> Result<S::Ok, S::Error> {
    match stuck {
        Some(st) => s.collect_seq(st.waits.deadlocks.iter().map(|d| deadlock_json(st, d))),
        None => s.collect_seq(std::iter::empty::<Value>()),
    }
}

#[derive(Serialize)]
pub struct Crash<'a> {
    /// For a fatal signal, what it most likely means, in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: &'a Option<String>,
    column: Option<u32>,
    file: &'a Option<String>,
    kind: &'a CrashKind,
    line: Option<u32>,
    message: &'a str,
    /// The crash's identity (`engine::crash::signature`); a snapshot of
    /// a running process has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
    /// How a snapshot was taken (`ptrace`, `agent`); crashes have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    taken_by: Option<wire::TakenBy>,
    thread: &'a str,
}

impl<'a> Crash<'a> {
    pub fn of(c: &'a CrashInfo, threads: &[ReportThread]) -> Self {
        Crash {
            signature: (c.kind != CrashKind::Snapshot)
                .then(|| engine::crash::report::signature(c, threads)),
            analysis: &c.analysis,
            column: c.column,
            file: &c.file,
            kind: &c.kind,
            line: c.line,
            message: &c.message,
            taken_by: c.taken_by,
            thread: &c.thread_name,
        }
    }
}

/// A value and its expanded children: `name`, `type`, `value`, `children`,
/// `len` for containers and `shadowed` for hidden bindings.
pub struct JsonNode<'a>(pub &'a Node);

impl Serialize for JsonNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("children", &Nodes(&n.children))?;
        if let Some(len) = n.len {
            m.serialize_entry("len", &len)?;
        }
        m.serialize_entry("name", &n.name)?;
        if n.shadowed {
            m.serialize_entry("shadowed", &true)?;
        }
        m.serialize_entry("type", &n.type_name)?;
        m.serialize_entry("value", &n.value)?;
        m.end()
    }
}

/// A value and its expanded children as JSON.
pub fn node_json(n: &Node) -> Value {
    serde_json::to_value(JsonNode(n)).unwrap_or(Value::Null)
}

/// A list of values.
pub struct Nodes<'a>(pub &'a [Node]);

impl Serialize for Nodes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(JsonNode))
    }
}

type Threads<'a> = (&'a [ReportThread], Option<&'a Stuck>);

fn threads<S: Serializer>(threads: &Threads, s: S) -> Result<S::Ok, S::Error> {
    let (list, stuck) = threads;
    s.collect_seq(list.iter().map(|t| Thread {
        crashed: t.crashed,
        frames: t.frames.iter().map(Frame).collect(),
        name: &t.name,
        waits_on: stuck.and_then(|st| wait_json(st, Waiter::Thread(t.id))),
        state: t.state.as_ref().map(wire::ThreadState::kind),
        syscall: t.state.as_ref().and_then(wire::ThreadState::syscall),
    }))
}

/// A thread: `state` (`running`, `blocked`, `stopped`) and the `syscall` a
/// blocked one waits in are there for live snapshots only.
#[derive(Serialize)]
struct Thread<'a> {
    crashed: bool,
    frames: Vec<Frame<'a>>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    syscall: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waits_on: Option<Value>,
}

struct Frame<'a>(&'a ReportFrame);

impl Serialize for Frame<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", &f.file)?;
        m.serialize_entry("function", &f.function)?;
        m.serialize_entry("index", &f.index)?;
        m.serialize_entry("line", &f.line)?;
        m.serialize_entry("locals", &Nodes(&f.locals))?;
        // Why there are no locals, when they could not be read.
        if let Some(e) = &f.error {
            m.serialize_entry("locals_error", e)?;
        }
        m.serialize_entry("runtime", &f.runtime)?;
        if let Some(src) = &f.source {
            m.serialize_entry("source", &Source(src))?;
        }
        m.end()
    }
}

/// Lines around a frame's line (`origin`, `path`, `first_line`, `lines`),
/// or `{"error": why}`.
struct Source<'a>(&'a Result<SourceLines, String>);

impl Serialize for Source<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self.0 {
            Ok(t) => {
                m.serialize_entry("first_line", &t.first_line)?;
                m.serialize_entry("lines", &t.lines)?;
                let (origin, path) = match &t.origin {
                    SourceOrigin::Local(p) => ("local", Some(p)),
                    SourceOrigin::Served => ("served", None),
                    SourceOrigin::Carried(p) => ("core", Some(p)),
                };
                m.serialize_entry("origin", origin)?;
                m.serialize_entry("path", &path)?;
            }
            Err(e) => m.serialize_entry("error", e)?,
        }
        m.end()
    }
}

type Tasks<'a> = (&'a [ReportTask], Option<&'a Stuck>);

fn tasks<S: Serializer>(tasks: &Tasks, s: S) -> Result<S::Ok, S::Error> {
    let (list, stuck) = tasks;
    s.collect_seq(list.iter().map(|t| {
        Task {
            waits_on: stuck.and_then(|st| wait_json(st, Waiter::Task(t.id))),
            frames: t
                .frames
                .iter()
                .enumerate()
                .map(|(i, f)| AsyncFrame(i, f))
                .collect(),
            id: t.id,
            state: &t.state,
        }
    }))
}

#[derive(Serialize)]
struct Task<'a> {
    frames: Vec<AsyncFrame<'a>>,
    id: u64,
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    waits_on: Option<Value>,
}

/// A task's frame, shaped as a thread's: its position (innermost first)
/// and `runtime` (false: every future of the chain is the program's own).
struct AsyncFrame<'a>(usize, &'a ReportAsyncFrame);

impl Serialize for AsyncFrame<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (index, f) = (self.0, self.1);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", &f.file)?;
        m.serialize_entry("function", &f.function)?;
        m.serialize_entry("index", &index)?;
        m.serialize_entry("line", &f.line)?;
        m.serialize_entry("locals", &Nodes(&f.locals))?;
        m.serialize_entry("runtime", &false)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    fn node(name: &str, value: &str, children: Vec<Node>) -> Node {
        Node {
            name: name.into(),
            shadowed: name == "x",
            type_name: "u64".into(),
            value: value.into(),
            len: (!children.is_empty()).then_some(children.len() as u64),
            children,
        }
    }

    #[test]
    fn the_report_has_one_shape() {
        let crash = CrashInfo {
            kind: CrashKind::Panic,
            message: "boom".into(),
            payload_type: None,
            file: Some("src/main.rs".into()),
            line: Some(7),
            column: Some(5),
            thread: 1,
            thread_name: "main".into(),
            pid: 42,
            program: "demo".into(),
            time: 0,
            taken_by: None,
            analysis: None,
        };
        let frame = |index, source| ReportFrame {
            index,
            function: "demo::f".into(),
            file: Some("src/main.rs".into()),
            line: Some(7),
            runtime: false,
            locals: vec![node("v", "[1]", vec![node("x", "1", vec![])])],
            error: None,
            source,
        };
        let threads = [ReportThread {
            id: 1,
            name: "main".into(),
            crashed: true,
            state: None,
            frames: vec![
                frame(
                    0,
                    Some(Ok(SourceLines {
                        origin: SourceOrigin::Local(PathBuf::from("/src/main.rs")),
                        first_line: 6,
                        lines: vec!["a".into(), "b".into()],
                    })),
                ),
                frame(1, Some(Err("no file".into()))),
            ],
        }];
        let tasks = [ReportTask {
            id: 3,
            state: "idle".into(),
            frames: vec![ReportAsyncFrame {
                function: "demo::order".into(),
                file: None,
                line: Some(9),
                locals: vec![],
            }],
        }];
        let report = Report {
            crash: Crash::of(&crash, &threads),
            pid: 42,
            deadlocks: None,
            tasks: (&tasks, None),
            tasks_unavailable: Some("why"),
            threads: (&threads, None),
            waits_unavailable: None,
        };
        let locals = json!([{"name": "v", "type": "u64", "value": "[1]", "len": 1, "children": [
            {"name": "x", "shadowed": true, "type": "u64", "value": "1", "children": []}
        ]}]);
        let frame_json = |index, source| {
            json!({"index": index, "function": "demo::f", "file": "src/main.rs", "line": 7,
                   "runtime": false, "locals": locals, "source": source})
        };
        assert_eq!(
            serde_json::to_value(&report).unwrap(),
            json!({
                "pid": 42,
                "deadlocks": [],
                "crash": {"kind": "panic", "message": "boom", "file": "src/main.rs",
                          "line": 7, "column": 5, "thread": "main",
                          "signature": "panic src/main.rs:7 | demo::f | demo::f"},
                "threads": [{"name": "main", "crashed": true, "frames": [
                    frame_json(0, json!({"origin": "local", "path": "/src/main.rs",
                                         "first_line": 6, "lines": ["a", "b"]})),
                    frame_json(1, json!({"error": "no file"})),
                ]}],
                "tasks": [{"id": 3, "state": "idle", "frames": [
                    {"index": 0, "function": "demo::order", "file": null, "line": 9,
                     "runtime": false, "locals": []}
                ]}],
                "tasks_unavailable": "why",
            })
        );
    }

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
