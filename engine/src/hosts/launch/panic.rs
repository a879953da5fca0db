//! A panic as pmdb finds it from outside, in a program without the agent:
//! its message and location read from what std's panic entry was handed,
//! and whether a `catch_unwind` of the program's own will catch it.
//!
//! The payload is recognised by its vtable: the first method after drop,
//! size and alignment is the payload's `Display::fmt`, whose symbol names
//! the payload's type. std's three (rustc 1.95):
//! - `panic_handler::StaticStrPayload(&'static str)`: `panic!("text")`;
//! - `panic_handler::FormatStringPayload { string: Option<String>, .. }`:
//!   `panic!("{x}")`, `assert_eq!`, `unwrap()`; by the time `rust_panic`
//!   runs, the hook has formatted `string`;
//! - `begin_panic::Payload<A> { inner: Option<A> }`: `panic_any(x)` and
//!   2015/2018 `panic!(x)`; a `&str` or `String` inside is the message, any
//!   other `A` is `Box<dyn Any>`, as std's hook prints it.
//!
//! Every layout is checked as it is read (lengths bounded, pointers
//! readable, text UTF-8); what does not fit says so instead of guessing.

use wire::CrashInfo;

use crate::Engine;
use crate::crash::traceback::is_runtime;
use crate::memory::process::RawFrame;

/// Longest message read.
const MAX_MESSAGE: u64 = 64 << 10;
/// What the message says when it cannot be read.
pub const UNREAD: &str = "(the panic message could not be read from the payload)";

/// Where a panic was raised and what it carries, as noted at the hook's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    pub payload: u64,
    pub vtable: u64,
    pub location: u64,
}

/// A panic's message and payload type (`&str`, `String`, `Box<dyn Any>`).
pub fn message(engine: &Engine, payload: u64, vtable: u64) -> (String, Option<String>) {
    read_message(engine, payload, vtable).unwrap_or_else(|| (UNREAD.to_string(), None))
}

fn read_message(engine: &Engine, payload: u64, vtable: u64) -> Option<(String, Option<String>)> {
    let mem = engine.mem();
    let size = mem.read_word(vtable + 8).ok()?;
    let fmt = mem.read_word(vtable + 24).ok()?;
    let object = engine.tables().object_of(fmt)?.clone();
    let name = engine.symbol_in(&object, fmt)?;
    let text = |ptr: u64, len: u64| -> Option<String> {
        if len > MAX_MESSAGE {
            return None;
        }
        if len == 0 {
            return Some(String::new());
        }
        String::from_utf8(mem.read(ptr, len as usize).ok()?).ok()
    };
    // `String` as rustc 1.95 lays it out: capacity, pointer, length.
    let string = |at: u64| -> Option<String> {
        let (cap, ptr, len) = (
            mem.read_word(at).ok()?,
            mem.read_word(at + 8).ok()?,
            mem.read_word(at + 16).ok()?,
        );
        (len <= cap).then_some(())?;
        text(ptr, len)
    };
    let str_ref = |at: u64| text(mem.read_word(at).ok()?, mem.read_word(at + 8).ok()?);
    if name.contains("StaticStrPayload") {
        return Some((str_ref(payload)?, Some("&str".into())));
    }
    if name.contains("FormatStringPayload") {
        return Some((string(payload)?, Some("String".into())));
    }
    if name.contains("begin_panic::Payload") {
        let any = || Some(("Box<dyn Any>".to_string(), Some("Box<dyn Any>".to_string())));
        return match size {
            16 if name.contains("Payload<&str>") || !name.contains("Payload<") => str_ref(payload)
                .map(|m| (m, Some("&str".into())))
                .or_else(any),
            24 if name.contains("Payload<alloc::string::String>") || !name.contains("Payload<") => {
                string(payload)
                    .map(|m| (m, Some("String".into())))
                    .or_else(any)
            }
            _ => any(),
        };
    }
    None
}

/// The `core::panic::Location` at `at`: file, line, column.
pub fn location(engine: &Engine, at: u64) -> Option<(String, u32, u32)> {
    let mem = engine.mem();
    let (ptr, len) = (mem.read_word(at).ok()?, mem.read_word(at + 8).ok()?);
    if len == 0 || len > 4096 {
        return None;
    }
    let file = String::from_utf8(mem.read(ptr, len as usize).ok()?).ok()?;
    let line = mem.read_uint(at + 16, 4).ok()? as u32;
    let column = mem.read_uint(at + 20, 4).ok()? as u32;
    Some((file.trim_end_matches('\0').to_string(), line, column))
}

/// Fills a crash record's message and location from what the hook noted.
pub fn describe(engine: &Engine, raised: Option<Raised>, info: &mut CrashInfo) {
    let Some(r) = raised else {
        info.message = UNREAD.to_string();
        return;
    };
    let (message, payload_type) = message(engine, r.payload, r.vtable);
    info.message = message;
    info.payload_type = payload_type;
    if let Some((file, line, column)) = location(engine, r.location) {
        info.file = Some(file);
        info.line = Some(line);
        info.column = Some(column);
    }
}

/// Each frame's function name and whether it is runtime machinery,
/// innermost first: from DWARF where there is some (inlined calls as
/// frames), else from the symbol tables.
pub fn frame_names(engine: &Engine, raw: &[RawFrame]) -> Vec<(String, bool)> {
    if let Ok(dbg) = engine.debug_info() {
        return crate::crash::traceback::symbolize(engine, dbg, 0, raw)
            .into_iter()
            .map(|f| (f.info.function, f.info.runtime))
            .collect();
    }
    raw.iter()
        .map(|r| {
            let pc = if r.exact { r.ip } else { r.ip.wrapping_sub(1) };
            let name = engine
                .tables()
                .object_of(pc)
                .and_then(|o| engine.symbol_in(o, pc))
                .unwrap_or_else(|| format!("?? ({:#x})", r.ip));
            // Without DWARF no file says "/rustc/": the test harness is
            // known by name.
            let runtime = is_runtime(&name, None) || name.starts_with("test::");
            (name, runtime)
        })
        .collect()
}

/// Whether the innermost `catch_unwind` around the panic was called by the
/// program's own code (so the program goes on), rather than by std's
/// thread start, `main`'s start, the test harness or a dependency (so the
/// thread dies of it, its message printed, its result an `Err`).
pub fn caught(frames: &[(String, bool)]) -> bool {
    let Some(catch) = frames.iter().position(|(f, _)| is_catch(f)) else {
        return false;
    };
    frames[catch + 1..]
        .iter()
        .find(|(f, _)| !f.starts_with("std::panic::catch_unwind") && !is_catch(f))
        .is_some_and(|(_, runtime)| !runtime)
}

/// std's `catch_unwind` itself (not its `do_call`, `do_catch`, `cleanup`).
fn is_catch(function: &str) -> bool {
    ["std::panicking::catch_unwind", "std::panicking::try"]
        .iter()
        .any(|p| {
            function
                .strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('<'))
        })
}

#[cfg(test)]
mod tests {
    use super::caught;

    fn frames(names: &[(&str, bool)]) -> Vec<(String, bool)> {
        names.iter().map(|(n, r)| (n.to_string(), *r)).collect()
    }

    #[test]
    fn a_catch_unwind_of_the_programs_own_catches() {
        let f = frames(&[
            ("__rustc::rust_panic", true),
            ("core::panicking::panic_fmt", true),
            ("p::helper", false),
            ("p::main::{closure#0}", false),
            (
                "std::panicking::catch_unwind::do_call<p::main::{closure_env#0}, i32>",
                true,
            ),
            ("__rust_try", true),
            (
                "std::panicking::catch_unwind<i32, p::main::{closure_env#0}>",
                true,
            ),
            (
                "std::panic::catch_unwind<p::main::{closure_env#0}, i32>",
                true,
            ),
            ("p::main", false),
            ("std::rt::lang_start_internal", true),
        ]);
        assert!(caught(&f));
    }

    #[test]
    fn the_catch_of_a_thread_start_main_or_the_harness_does_not() {
        let thread = frames(&[
            ("p::helper", false),
            (
                "std::panicking::catch_unwind<i32, core::panic::unwind_safe::AssertUnwindSafe<…>>",
                true,
            ),
            (
                "std::panic::catch_unwind<core::panic::unwind_safe::AssertUnwindSafe<…>, i32>",
                true,
            ),
            (
                "std::thread::lifecycle::spawn_unchecked::{closure#1}<p::main::{closure_env#1}, i32>",
                true,
            ),
            ("start_thread", true),
        ]);
        assert!(!caught(&thread));
        let main = frames(&[
            ("p::main", false),
            (
                "std::panicking::catch_unwind<isize, std::rt::lang_start_internal::{closure_env#0}>",
                true,
            ),
            ("std::rt::lang_start_internal", true),
        ]);
        assert!(!caught(&main));
        let harness = frames(&[
            ("t::tests::fails", false),
            ("std::panicking::catch_unwind", true),
            ("std::panic::catch_unwind", true),
            ("test::run_test_in_process", true),
        ]);
        assert!(!caught(&harness));
        // No catch at all (panic = "abort", a foreign frame).
        assert!(!caught(&frames(&[("p::main", false)])));
    }
}
