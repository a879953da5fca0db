//! The record of a crash read back from a file that holds no agent record
//! (a core of a program without the agent, a minidump): where its first
//! thread stands in user code, the file's time as the crash's, and the rest
//! as the file says it. One place for both readers.

use std::path::Path;

use wire::{CrashInfo, CrashKind};

use crate::crash::engine::Engine;
use crate::memory::process::{RawFrame, Thread};

/// What the file itself says of the crash.
pub struct Said {
    pub kind: CrashKind,
    pub message: String,
    pub pid: u32,
    pub program: String,
    pub analysis: Option<String>,
}

impl Said {
    /// The crash's record: `first` is the crashed thread (or the first
    /// one), `frames` its machine frames, which place the crash in user
    /// code; `path` the file, whose time is the crash's.
    pub fn into_info(
        self,
        engine: &Engine,
        path: &Path,
        first: Option<&Thread>,
        frames: &[RawFrame],
    ) -> CrashInfo {
        info(engine, path, first, frames, self)
    }
}

fn info(
    engine: &Engine,
    path: &Path,
    first: Option<&Thread>,
    frames: &[RawFrame],
    said: Said,
) -> CrashInfo {
    let (file, line, column) = match crate::crash::traceback::user_location(engine, frames) {
        Some((f, l, c)) => (Some(f), Some(l), c),
        None => (None, None, None),
    };
    let time = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    CrashInfo {
        kind: said.kind,
        message: said.message,
        payload_type: None,
        file,
        line,
        column,
        thread: first.map_or(0, |t| t.id),
        thread_name: first.map_or_else(String::new, |t| t.name.clone()),
        pid: said.pid,
        program: said.program,
        time,
        taken_by: None,
        analysis: said.analysis,
    }
}
