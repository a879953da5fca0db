//! `pmdb report`: every thread's traceback with locals expanded N levels,
//! as text for people or as one JSON object for scripts. From the ground up:
//! [`model`] walks the session into plain data, [`text`] and [`json`] write
//! it (pure functions), and [`report`] here connects, walks and prints.

pub mod json;
pub mod model;
pub mod text;

use std::io::Write;

use wire::Session;

use crate::remote::Endpoint;
use crate::source::{SourceArgs, Sources};
use model::{add_source, walk, walk_tasks};

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
    let (tasks, no_tasks) = walk_tasks(&session, depth);
    let stuck = engine::crash::stuck::walk(&session);
    let (stuck, no_waits) = match stuck {
        Ok(s) => (Some(s), None),
        Err(why) => (None, Some(why)),
    };
    if json {
        let report = json::Report {
            crash: json::Crash::of(&crash),
            deadlocks: stuck.as_ref(),
            pid: session.hello().pid,
            tasks: (&tasks, stuck.as_ref()),
            tasks_unavailable: no_tasks.as_deref(),
            threads: (&threads, stuck.as_ref()),
            waits_unavailable: no_waits.as_deref(),
        };
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        print!(
            "{}",
            engine::crash::report::to_text_stuck(
                &crash,
                &threads,
                stuck.as_ref(),
                engine::crash::report::Runtime::Shown
            )
        );
        print!(
            "{}",
            text::tasks_text_stuck(&tasks, no_tasks.as_deref(), stuck.as_ref())
        );
    }
    Ok(())
}

/// What the agent could not use (a views file), on stderr, a line each.
pub fn say_warnings(session: &Session) {
    for w in &session.hello().warnings {
        eprintln!("pmdb: warning: {w}");
    }
}
