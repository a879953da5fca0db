//! `pmdb save TARGET -o FILE`: a core of a process, as gdb's `gcore`
//! writes one, which pmdb (`pmdb open`, `report --core`) and gdb both open.
//! A crash waiting for a debugger is saved by its agent (the served
//! record, each thread where it crashed or froze) and goes on waiting; a
//! running process is held only while its core is written — stopped
//! through ptrace, or frozen by its agent where ptrace is refused — and
//! then goes on exactly as it was, the pause said as `pmdb report PID`
//! says it. The same request answers `save FILE` in the TUI and batch mode
//! (`commands`).

use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::remote::Endpoint;

/// Writes the core of `endpoint`'s process to `out`; says what it wrote
/// (and, for a running process, how long it was paused) on stderr.
pub fn save(endpoint: &Endpoint, out: &Path) -> anyhow::Result<()> {
    if let Endpoint::Core(..) = endpoint {
        bail!("this is a core file already: copy the file to keep it");
    }
    let path = absolute(endpoint, out)?;
    // A file pmdb cannot write is said before the process is touched.
    let local = !matches!(endpoint, Endpoint::Command(_));
    if local {
        engine::hosts::gcore::create(&path)?;
    }
    let saved = saved(endpoint, &path);
    if saved.is_err() && local {
        let _ = std::fs::remove_file(&path);
    }
    let saved = saved?;
    say_saved(&saved);
    Ok(())
}

/// `pmdb: saved a core of pid N to FILE (B bytes, T threads)`, on stderr.
pub fn say_saved(saved: &wire::SavedCore) {
    eprintln!("pmdb: {}", in_words(saved));
}

/// What a saved core is, in words.
pub fn in_words(saved: &wire::SavedCore) -> String {
    format!(
        "saved a core of pid {} to {} ({} bytes, {} threads)",
        saved.pid, saved.path, saved.bytes, saved.threads
    )
}

/// The path the core goes to, absolute: a relative one is taken from
/// pmdb's directory; over `--ssh`/`--via` it is the far machine's, so it
/// must be absolute already.
fn absolute(endpoint: &Endpoint, out: &Path) -> anyhow::Result<PathBuf> {
    if out.is_absolute() {
        return Ok(out.to_path_buf());
    }
    if let Endpoint::Command(_) = endpoint {
        bail!(
            "the core is written on the machine the process runs on: give an absolute path there, not {}",
            out.display()
        );
    }
    Ok(std::env::current_dir()?.join(out))
}

/// Asks for the core; a running process is let go once it is written.
fn saved(endpoint: &Endpoint, path: &Path) -> anyhow::Result<wire::SavedCore> {
    let Some(path_text) = path.to_str() else {
        bail!(
            "{} is not UTF-8; give the core another name",
            path.display()
        );
    };
    let Endpoint::Live(pid) = endpoint else {
        // A waiting crash: its agent writes it and goes on waiting.
        return Ok(endpoint.connect()?.save_core(path_text)?);
    };
    let pid = *pid;
    match crate::live::hold_briefly(pid)? {
        crate::live::Held::Ptrace(snapshot) => {
            let session = engine::hosts::ptrace::serve_in_process(&snapshot)?;
            let saved = session.save_core(path_text);
            drop(session);
            // Killed while written: the core is of half a process.
            let ended = engine::hosts::ptrace::ended(pid);
            let released = snapshot.hold.release();
            crate::live::say_paused(pid, &released);
            if ended {
                bail!(engine::hosts::ptrace::SnapshotError::EndedWhileHeld(pid));
            }
            Ok(saved?)
        }
        crate::live::Held::Agent {
            session,
            refused,
            since,
        } => {
            crate::live::say_through_agent(pid, &refused);
            let saved = session.save_core(path_text);
            // Every thread goes on (closing the connection would too).
            let resumed = session.resume();
            crate::live::say_paused_by_agent(pid, since.elapsed());
            let saved = saved?;
            resumed?;
            Ok(saved)
        }
    }
}
