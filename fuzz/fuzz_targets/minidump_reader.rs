//! Fuzz target: the minidump reader, as `pmdb open FILE.dmp` and `pmdb
//! report --core FILE.dmp` drive it (`engine::hosts::minidump`). Arbitrary
//! bytes are opened as a minidump; a refusal is one line, never a panic. A
//! dump that opens is served in-process and asked what a report asks: the
//! crash, the threads, each thread's traceback and its first frame's
//! locals; no answer may be an `Internal` error (a contained engine panic).
//! Seed it with a real minidump (see `fuzz/README.md`): the modules it
//! names are then files on this machine, so the reader gets past them.

#![no_main]

use std::path::Path;

use engine::hosts::coredump::Options;
use libfuzzer_sys::fuzz_target;
use wire::ErrorKind;

/// An error reply must be a refusal, not a contained panic.
fn not_internal<T>(r: Result<T, wire::Error>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            assert_ne!(e.remote_kind(), Some(ErrorKind::Internal), "{e}");
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let opened =
        engine::hosts::minidump::open_bytes(data, Path::new("fuzz.dmp"), &Options::default());
    let (engine, crash) = match opened {
        Ok(o) => o,
        Err(e) => {
            let line = e.to_string();
            assert!(!line.is_empty() && !line.contains('\n'), "{line:?}");
            return;
        }
    };
    let Ok(session) = engine::hosts::coredump::serve_in_process(engine, crash) else {
        return;
    };
    let _ = not_internal(session.crash());
    let threads = not_internal(session.threads()).unwrap_or_default();
    for t in threads.iter().take(8) {
        let Some(tb) = not_internal(session.traceback(t.id)) else {
            continue;
        };
        if let Some(f) = tb.frames.first() {
            let _ = not_internal(f.locals());
        }
    }
});
