//! Test support: inspect the calling test function's own frame in-process,
//! through the same traceback, variables and views a crash uses, so views are
//! unit-tested against layouts from a real build (this test binary's DWARF).

use std::collections::BTreeMap;

use crate::inspect::Inspector;

/// `name: preview` of every local of the innermost frame whose function's
/// last path segment is `function`.
pub fn locals_of(function: &str) -> BTreeMap<String, String> {
    let ins = Inspector::of_current_thread("test");
    let tid = ins.crash.info.thread;
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
