//! Async tasks in `pmdb report`: each task of each tokio runtime with its
//! id, state and awaited futures as frames (innermost first, each with the
//! locals it holds across its await), as JSON (a top-level `tasks` array)
//! or as text after the threads.

use wire::Session;

use crate::report::Node;
use engine::report::node;

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
pub fn walk(session: &Session, depth: u32) -> (Vec<ReportTask>, Option<String>) {
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

/// The tasks as text, one block per task; nothing when there are none.
pub fn to_text(tasks: &[ReportTask], unavailable: Option<&str>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if let Some(why) = unavailable {
        let _ = writeln!(out, "\n{why}");
    }
    for t in tasks {
        let _ = writeln!(out, "\ntask {} ({})", t.id, t.state);
        for f in &t.frames {
            let at = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!(" at {file}:{line}"),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {}{at}", f.function);
            for l in &f.locals {
                let _ = writeln!(out, "      {}: {} = {}", l.name, l.type_name, l.value);
            }
        }
    }
    out
}

/// The tasks as the TUI's Tasks pane and batch mode list them: a heading
/// per task, then each awaited future (innermost first) with its locals.
/// With `filter`, only the tasks whose text mentions it.
pub fn lines(session: &Session, filter: &str) -> Result<Vec<String>, String> {
    let (tasks, unavailable) = walk(session, 1);
    let mut out = Vec::new();
    if let Some(why) = &unavailable {
        out.push(why.clone());
    }
    let mut shown = 0;
    for t in &tasks {
        let mut block = vec![format!("task {} ({})", t.id, t.state)];
        for f in &t.frames {
            let at = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!(" at {file}:{line}"),
                _ => String::new(),
            };
            block.push(format!("  {}{at}", f.function));
            for v in &f.locals {
                block.push(format!("      {}: {} = {}", v.name, v.type_name, v.value));
            }
        }
        if filter.is_empty() || block.iter().any(|l| l.contains(filter)) {
            shown += 1;
            out.extend(block);
        }
    }
    if unavailable.is_none() {
        out.insert(
            0,
            format!(
                "{} of {} tasks",
                crate::stacks::thousands(shown),
                crate::stacks::thousands(tasks.len())
            ),
        );
    }
    Ok(out)
}
