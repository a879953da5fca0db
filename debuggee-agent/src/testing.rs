//! Test hooks, behind the `testing` feature: inspect the calling thread
//! in-process, through the same engine, traceback, variables and views a
//! crash uses, so views are tested against layouts from a real build and the
//! real dispatcher can be driven over an in-memory transport.

use std::collections::BTreeMap;

use engine::crash::serve::Server;
use engine::{Crash, Inspector, Stack, Thread};

/// The calling thread as if it had just panicked with `message`: its machine
/// frames captured here, no other threads.
#[inline(never)]
pub fn inspector_of_current_thread(message: &str) -> Inspector {
    let frames = crate::live::capture_frames();
    let mut info = crate::live::record(
        wire::CrashKind::Panic,
        message.into(),
        None,
        None,
        crate::live::current_tid(),
    );
    info.time = 0;
    info.thread_name = std::thread::current().name().unwrap_or("<unnamed>").into();
    Inspector::new(
        crate::live::engine(),
        Crash {
            threads: vec![Thread {
                id: info.thread,
                name: info.thread_name.clone(),
                stack: Stack::Unwound(frames),
            }],
            info,
        },
    )
}

/// A server for the calling thread's "crash" (see above).
pub fn server_of_current_thread(message: &str) -> Server {
    Server::new(
        inspector_of_current_thread(message),
        std::time::Duration::from_secs(30),
    )
}

/// The largest request frame the agent's socket reads.
pub const MAX_REQUEST: usize = crate::server::MAX_REQUEST;

/// `name: preview` of every local of the innermost frame whose function's
/// last path segment is `function`.
pub fn locals_of(function: &str) -> BTreeMap<String, String> {
    let ins = inspector_of_current_thread("test");
    let tid = ins.crash.info.thread;
    let frame = ins
        .traceback(tid)
        .expect("traceback")
        .into_iter()
        .find(|f| wire::remote::last_segment(&f.function) == function)
        .unwrap_or_else(|| panic!("no frame {function}"));
    ins.locals(frame.id)
        .expect("locals")
        .values
        .into_iter()
        .map(|v| (v.name, v.preview))
        .collect()
}
