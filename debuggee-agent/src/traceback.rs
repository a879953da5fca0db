//! Tracebacks: the machine frames captured at the crash, symbolised into the
//! frames a user reads (function, file, line; inlined calls as frames of
//! their own), with runtime machinery flagged so viewers can hide it.

use addr2line::gimli;
use wire::{FrameId, FrameInfo};

use crate::capture::RawFrame;
use crate::debuginfo::{self, DebugInfo, DieRef};

/// A frame as the agent keeps it: what the user sees, plus what is needed to
/// find its locals later.
#[derive(Debug, Clone)]
pub struct Frame {
    pub info: FrameInfo,
    /// The machine frame's stack pointer while its callee runs.
    pub sp: u64,
    /// The link-time address used for lookups (pc − 1 for return addresses).
    pub probe: u64,
    /// The function's (or inlined call's) DIE.
    pub die: Option<DieRef>,
    /// Registers known in this frame (DWARF numbering).
    pub regs: crate::unwind::Regs,
}

/// Symbolises a thread's machine frames, innermost first.
pub fn symbolize(dbg: &DebugInfo, thread: u64, raw: &[RawFrame]) -> Vec<Frame> {
    let mut out = Vec::new();
    let ctx = dbg.ctx.lock().unwrap_or_else(|p| p.into_inner());
    for r in raw {
        let pc = if r.exact {
            r.ip
        } else {
            r.ip.saturating_sub(1)
        };
        let probe = pc.wrapping_sub(dbg.bias);
        let unit_start = ctx
            .find_dwarf_and_unit(probe)
            .skip_all_loads()
            .and_then(|u| u.unit.header.offset().as_debug_info_offset());
        // Code in shared objects (libc, …) is never the user's.
        let in_lib = crate::unwind::object_of(pc).filter(|o| !o.name.is_empty());
        let mut logical = Vec::new();
        if let Ok(mut frames) = ctx.find_frames(probe).skip_all_loads() {
            while let Ok(Some(f)) = frames.next() {
                let function = f
                    .function
                    .as_ref()
                    .and_then(|n| n.raw_name().ok())
                    .map(|n| debuginfo::demangle(&n));
                let die = match (unit_start, f.dw_die_offset) {
                    (Some(u), Some(o)) => Some(gimli::DebugInfoOffset(u.0 + o.0)),
                    _ => None,
                };
                logical.push((
                    function,
                    f.location
                        .map(|l| (l.file.map(str::to_string), l.line, l.column)),
                    die,
                ));
            }
        }
        if logical.is_empty()
            && let Some(o) = in_lib
        {
            // A shared object with DWARF of its own (or a build-id debug file).
            for (function, file, line, column) in crate::objects::dwarf_frames(o, pc) {
                logical.push((function, Some((file, line, column)), None));
            }
        }
        if logical.is_empty() {
            let name = match in_lib {
                Some(o) => crate::objects::symbol_in(o, pc),
                None => dbg.symbol_name(probe),
            };
            logical.push((name, None, None));
        }
        let n = logical.len();
        for (k, (function, loc, die)) in logical.into_iter().enumerate() {
            let function = function.unwrap_or_else(|| match in_lib {
                // As gdb writes an unknown function, with where it is.
                Some(o) => {
                    let file = o.name.rsplit('/').next().unwrap_or(&o.name);
                    format!("?? ({file}+{:#x})", pc.wrapping_sub(o.bias))
                }
                None => format!("?? ({:#x})", r.ip),
            });
            let (file, line, column) = loc.unwrap_or((None, None, None));
            let runtime = in_lib.is_some() || is_runtime(&function, file.as_deref());
            out.push(Frame {
                info: FrameInfo {
                    id: FrameId {
                        thread,
                        index: out.len() as u32,
                    },
                    function,
                    file,
                    line,
                    column,
                    pc: r.ip,
                    inlined: k + 1 < n,
                    runtime,
                },
                sp: r.sp,
                probe,
                die,
                regs: r.regs,
            });
        }
    }
    out
}

/// Panic and unwinding machinery, process start-up, and the agent itself.
pub fn is_runtime(function: &str, file: Option<&str>) -> bool {
    const PREFIXES: &[&str] = &[
        "std::",
        "core::",
        "alloc::",
        "<std::",
        "<core::",
        "<alloc::",
        "debuggee_agent::",
        "<debuggee_agent::",
        "addr2line::",
        "gimli::",
        "panic_unwind::",
        "__rust",
        "rust_begin_unwind",
        "rust_panic",
        "_start",
        "__libc_start",
        "_Unwind",
        "0x",
        "?? (",
    ];
    PREFIXES.iter().any(|p| function.starts_with(p))
        || (function == "main" && file.is_none())
        || file.is_some_and(|f| f.starts_with("/rustc/") || f.contains("/.cargo/registry/"))
}

#[cfg(test)]
mod tests {
    use super::is_runtime;

    #[test]
    fn runtime_frames_are_flagged() {
        assert!(is_runtime("std::panicking::begin_panic_handler", None));
        assert!(is_runtime("core::panicking::panic_fmt", None));
        assert!(is_runtime("debuggee_agent::capture::on_panic", None));
        assert!(is_runtime(
            "<alloc::boxed::Box<F,A> as core::ops::function::Fn<Args>>::call",
            None
        ));
        assert!(is_runtime("rust_begin_unwind", None));
        assert!(!is_runtime(
            "demo::bank::withdraw",
            Some("demo/src/bank.rs")
        ));
        assert!(is_runtime("main", None));
        assert!(!is_runtime("demo::main", Some("demo/src/main.rs")));
    }
}
