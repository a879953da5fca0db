//! Test support: inspect the calling test function's own frame in-process,
//! through the same traceback, variables and views a crash uses, so views are
//! unit-tested against layouts from a real build (this test binary's DWARF).

use std::collections::BTreeMap;

use wire::{CrashInfo, CrashKind};

use crate::capture;
use crate::inspect::{Crash, Inspector};

/// `name: preview` of every local of the innermost frame whose function's
/// last path segment is `function`.
pub fn locals_of(function: &str) -> BTreeMap<String, String> {
    let frames = capture::capture_frames();
    let tid = capture::current_tid();
    let ins = Inspector::new(Crash {
        info: CrashInfo {
            kind: CrashKind::Panic,
            message: "test".into(),
            payload_type: None,
            file: None,
            line: None,
            column: None,
            thread: tid,
            thread_name: "test".into(),
            pid: std::process::id(),
            program: capture::program_name(),
            time: 0,
        },
        frames,
        others: Vec::new(),
    });
    let frame = ins
        .traceback(tid)
        .expect("traceback")
        .into_iter()
        .find(|f| wire::session::last_segment(&f.function) == function)
        .unwrap_or_else(|| panic!("no frame {function}"));
    ins.locals(frame.id)
        .expect("locals")
        .values
        .into_iter()
        .map(|v| (v.name, v.preview))
        .collect()
}
