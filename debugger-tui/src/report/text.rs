//! The report as text for people: the threads (runtime frames marked),
//! then the tasks; and the task list the TUI's Tasks pane and batch mode show.

use wire::{CrashInfo, Session};

use super::model::{ReportTask, ReportThread, walk_tasks};

/// The report as text, every frame shown (runtime ones marked).
pub fn to_text(crash: &CrashInfo, threads: &[ReportThread]) -> String {
    engine::crash::report::to_text(crash, threads, engine::crash::report::Runtime::Shown)
}

/// The tasks as text, one block per task; nothing when there are none.
pub fn tasks_text(tasks: &[ReportTask], unavailable: Option<&str>) -> String {
    tasks_text_stuck(tasks, unavailable, None)
}

/// The tasks as text, each waiting one with what it waits on.
pub fn tasks_text_stuck(
    tasks: &[ReportTask],
    unavailable: Option<&str>,
    stuck: Option<&engine::crash::stuck::Stuck>,
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if let Some(why) = unavailable {
        let _ = writeln!(out, "\n{why}");
    }
    for t in tasks {
        let _ = writeln!(out, "\ntask {} ({})", t.id, t.state);
        if let Some(line) = stuck.and_then(|s| s.line(wire::Waiter::Task(t.id))) {
            let _ = writeln!(out, "  {line}");
        }
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
pub fn task_lines(session: &Session, filter: &str) -> Result<Vec<String>, String> {
    let (tasks, unavailable) = walk_tasks(session, 1);
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
