//! `pmdb report`: every thread's traceback with locals expanded N levels,
//! as text for people or as one JSON object for scripts. From the ground up:
//! [`model`] walks the session into plain data, [`text`] and [`json`] write
//! it (pure functions), and [`report`] here connects (or snapshots a live
//! process), walks and prints.

pub mod json;
pub mod model;
pub mod text;

use std::io::Write;

use wire::Session;

use crate::remote::Endpoint;
use crate::source::{SourceArgs, Sources};
use model::{add_source, walk, walk_tasks};

/// Connects, walks and prints. The debuggee is left waiting. With
/// `source`, each user frame shows the lines around its line. A live
/// process (no crash waiting) is stopped only while it is read, and the
/// pause is said on stderr.
pub fn report(
    endpoint: &Endpoint,
    json: bool,
    depth: u32,
    source: Option<&SourceArgs>,
) -> anyhow::Result<()> {
    let w = match endpoint {
        Endpoint::Live(pid) => match crate::live::hold_briefly(*pid)? {
            crate::live::Held::Ptrace(snapshot) => {
                let session = engine::hosts::ptrace::serve_in_process(&snapshot)?;
                say_warnings(&session);
                let w = walked(&session, depth, source);
                drop(session);
                // Killed while read: what was read may be half of it.
                let ended = engine::hosts::ptrace::ended(*pid);
                let released = snapshot.hold.release();
                crate::live::say_paused(*pid, &released);
                if ended {
                    return Err(engine::hosts::ptrace::SnapshotError::EndedWhileHeld(*pid).into());
                }
                w?
            }
            crate::live::Held::Agent {
                session,
                refused,
                since,
            } => {
                crate::live::say_through_agent(*pid, &refused);
                say_warnings(&session);
                let w = walked(&session, depth, source);
                // Every thread goes on (closing the connection would too).
                let resumed = session.resume();
                crate::live::say_paused_by_agent(*pid, since.elapsed());
                let w = w?;
                resumed?;
                w
            }
        },
        _ => {
            let session = endpoint.connect()?;
            say_warnings(&session);
            walked(&session, depth, source)?
        }
    };
    if json {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        json_of(&w, &mut out)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        print!("{}", text_of(&w));
    }
    Ok(())
}

/// The report's model: the crash, its threads, tasks and why they wait.
struct Walked {
    crash: wire::CrashInfo,
    pid: u32,
    threads: Vec<model::ReportThread>,
    tasks: Vec<model::ReportTask>,
    no_tasks: Option<String>,
    stuck: Option<engine::crash::stuck::Stuck>,
    no_waits: Option<String>,
}

fn walked(session: &Session, depth: u32, source: Option<&SourceArgs>) -> anyhow::Result<Walked> {
    let crash = session.crash()?;
    let mut threads = walk(session, depth)?;
    if let Some(args) = source {
        add_source(session, &Sources::new(args), &mut threads);
    }
    let (tasks, no_tasks) = walk_tasks(session, depth);
    let (stuck, no_waits) = match engine::crash::stuck::walk(session) {
        Ok(s) => (Some(s), None),
        Err(why) => (None, Some(why)),
    };
    Ok(Walked {
        crash,
        pid: session.hello().pid,
        threads,
        tasks,
        no_tasks,
        stuck,
        no_waits,
    })
}

/// The report of the crash `session` serves, as text.
pub fn as_text(
    session: &Session,
    depth: u32,
    source: Option<&SourceArgs>,
) -> anyhow::Result<String> {
    Ok(text_of(&walked(session, depth, source)?))
}

fn text_of(w: &Walked) -> String {
    engine::crash::report::to_text_stuck(
        &w.crash,
        &w.threads,
        w.stuck.as_ref(),
        engine::crash::report::Runtime::Shown,
    ) + &text::tasks_text_stuck(&w.tasks, w.no_tasks.as_deref(), w.stuck.as_ref())
}

/// Writes the report of the crash `session` serves as one JSON object
/// (pretty, straight from the model: no `Value` tree in between).
pub fn write_json(
    session: &Session,
    depth: u32,
    source: Option<&SourceArgs>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    json_of(&walked(session, depth, source)?, out)
}

fn json_of(w: &Walked, out: &mut dyn Write) -> anyhow::Result<()> {
    let report = json::Report {
        crash: json::Crash::of(&w.crash, &w.threads),
        deadlocks: w.stuck.as_ref(),
        pid: w.pid,
        tasks: (&w.tasks, w.stuck.as_ref()),
        tasks_unavailable: w.no_tasks.as_deref(),
        threads: (&w.threads, w.stuck.as_ref()),
        waits_unavailable: w.no_waits.as_deref(),
    };
    serde_json::to_writer_pretty(out, &report)?;
    Ok(())
}

/// What the agent could not use (a views file), on stderr, a line each.
pub fn say_warnings(session: &Session) {
    for w in &session.hello().warnings {
        eprintln!("pmdb: warning: {w}");
    }
}
