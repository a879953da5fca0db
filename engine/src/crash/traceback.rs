//! Tracebacks: the machine frames captured at the crash, symbolised into the
//! frames a user reads (function, file, line; inlined calls as frames of
//! their own), with runtime machinery flagged so viewers can hide it.

use wire::{FrameId, FrameInfo};

use crate::crash::engine::Engine;
use crate::dwarf::debuginfo::DebugInfo;
use crate::dwarf::symbols::Located;
use crate::memory::process::{Object, RawFrame};
use crate::values::variables::Frame;

/// Symbolises a thread's machine frames, innermost first. The executable's
/// DWARF is read here while shared objects' (libc's) is read on a second
/// thread: the two are independent, and both cores are the debuggee's to use.
pub fn symbolize(engine: &Engine, dbg: &DebugInfo, thread: u64, raw: &[RawFrame]) -> Vec<Frame> {
    let pcs: Vec<u64> = raw
        .iter()
        .map(|r| {
            if r.exact {
                r.ip
            } else {
                r.ip.saturating_sub(1)
            }
        })
        .collect();
    let located = resolve(engine, dbg, &pcs);
    let tables = engine.tables();
    let mut out = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        // Code in shared objects (libc, …) is never the user's.
        let in_lib = tables.object_of(pcs[i]).filter(|o| !o.main);
        let logical = &located[i];
        let n = logical.len();
        for (k, f) in logical.iter().enumerate() {
            let function = f.function.clone().unwrap_or_else(|| match in_lib {
                // As gdb writes an unknown function, with where it is.
                Some(o) => format!("?? ({}+{:#x})", o.file_name(), pcs[i].wrapping_sub(o.bias)),
                None => format!("?? ({:#x})", r.ip),
            });
            let runtime = in_lib.is_some() || is_runtime(&function, f.file.as_deref());
            out.push(Frame {
                info: FrameInfo {
                    id: FrameId {
                        thread,
                        index: out.len() as u32,
                    },
                    function,
                    file: f.file.clone(),
                    line: f.line,
                    column: f.column,
                    pc: r.ip,
                    inlined: k + 1 < n,
                    runtime,
                },
                sp: r.sp,
                probe: pcs[i].wrapping_sub(dbg.bias),
                die: if in_lib.is_none() { f.die } else { None },
                regs: r.regs,
            });
        }
    }
    out
}

/// The logical frames at each lookup address, through the engine's cache:
/// an address is resolved once however many threads stand on it (a pool of
/// 2,000 parked threads shares a handful of addresses).
fn resolve(engine: &Engine, dbg: &DebugInfo, pcs: &[u64]) -> Vec<std::sync::Arc<Vec<Located>>> {
    let cache = engine.symbolized();
    let mut missing: Vec<u64> = {
        let known = cache.lock().unwrap_or_else(|p| p.into_inner());
        pcs.iter()
            .copied()
            .filter(|pc| !known.contains_key(pc))
            .collect()
    };
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        let found = locate(engine, dbg, &missing);
        let mut known = cache.lock().unwrap_or_else(|p| p.into_inner());
        for (pc, frames) in missing.into_iter().zip(found) {
            known.insert(pc, std::sync::Arc::new(frames));
        }
    }
    let known = cache.lock().unwrap_or_else(|p| p.into_inner());
    pcs.iter()
        .map(|pc| known.get(pc).cloned().unwrap_or_default())
        .collect()
}

/// Looks distinct addresses up: the executable's DWARF here while shared
/// objects' (libc's) is read on a second thread — the two are independent,
/// and both cores are the debuggee's to use. Each address gets at least one
/// frame (named from the symbol table when DWARF has none).
fn locate(engine: &Engine, dbg: &DebugInfo, pcs: &[u64]) -> Vec<Vec<Located>> {
    // Code in shared objects (libc, …) is never the user's.
    let tables = engine.tables();
    let libs: Vec<Option<&Object>> = pcs
        .iter()
        .map(|&pc| tables.object_of(pc).filter(|o| !o.main))
        .collect();
    let probes: Vec<u64> = pcs.iter().map(|pc| pc.wrapping_sub(dbg.bias)).collect();
    // No shared object's DWARF to read: no second thread to start.
    let (mut exe, mut shared) = if engine.libraries_by_symbol() || libs.iter().all(Option::is_none)
    {
        let shared = shared_frames(engine, pcs, &libs);
        (dbg.locate(&probes_in_exe(&probes, &libs)), shared)
    } else {
        std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .name("pmdb-agent-symbols".into())
                .spawn_scoped(scope, || shared_frames(engine, pcs, &libs));
            let exe = dbg.locate(&probes_in_exe(&probes, &libs));
            let shared = match helper {
                Ok(h) => h.join().unwrap_or_default(),
                Err(_) => shared_frames(engine, pcs, &libs),
            };
            (exe, shared)
        })
    };
    // Functions DWARF names only plainly (C code, crates built with line
    // tables only) take their full name from the symbol table.
    let plain: Vec<u64> = (0..pcs.len())
        .filter(|&i| libs[i].is_none())
        .filter(|&i| exe[i].last().is_none_or(|f| !f.qualified))
        .map(|i| probes[i])
        .collect();
    let named = dbg.symbol_names(&plain);
    let symbol = |probe: u64| {
        plain
            .iter()
            .position(|&p| p == probe)
            .and_then(|k| named[k].clone())
    };
    let mut out = Vec::with_capacity(pcs.len());
    for (i, &in_lib) in libs.iter().enumerate() {
        let mut logical = match in_lib {
            Some(_) => std::mem::take(&mut shared[i]),
            None => std::mem::take(&mut exe[i]),
        };
        if in_lib.is_none()
            && let Some(outer) = logical.last_mut().filter(|f| !f.qualified)
            && let Some(name) = symbol(probes[i])
        {
            outer.function = Some(name);
        }
        if logical.is_empty() {
            let function = match in_lib {
                Some(o) => engine.symbol_in(o, pcs[i]),
                None => symbol(probes[i]),
            };
            logical.push(Located {
                function,
                ..Located::default()
            });
        }
        out.push(logical);
    }
    out
}

/// The executable's lookup addresses, shared objects' standing as 0: no
/// unit covers 0 (ranges at 0 are dropped code and ignored), so they stay
/// empty.
fn probes_in_exe(probes: &[u64], libs: &[Option<&Object>]) -> Vec<u64> {
    probes
        .iter()
        .zip(libs)
        .map(|(&p, lib)| if lib.is_none() { p } else { 0 })
        .collect()
}

/// The DWARF frames of every address in a shared object, one lookup per object.
fn shared_frames(engine: &Engine, pcs: &[u64], libs: &[Option<&Object>]) -> Vec<Vec<Located>> {
    let mut out = vec![Vec::new(); pcs.len()];
    let mut names: Vec<&str> = libs.iter().flatten().map(|o| o.path.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let index: Vec<usize> = (0..pcs.len())
            .filter(|&i| libs[i].is_some_and(|o| o.path == name))
            .collect();
        let Some(object) = libs[index[0]] else {
            continue;
        };
        let addrs: Vec<u64> = index.iter().map(|&i| pcs[i]).collect();
        for (i, f) in index.into_iter().zip(engine.shared_frames(object, &addrs)) {
            out[i] = f;
        }
    }
    out
}

/// Where the user's code was: the source location of the innermost frame
/// whose source is not runtime machinery (for a signal's crash record).
pub fn user_location(engine: &Engine, frames: &[RawFrame]) -> Option<(String, u32, Option<u32>)> {
    let dbg = engine.debug_info().ok()?;
    frames.iter().find_map(|f| {
        let pc = if f.exact { f.ip } else { f.ip.wrapping_sub(1) };
        let innermost = dbg
            .locate(&[pc.wrapping_sub(dbg.bias)])
            .pop()?
            .into_iter()
            .next()?;
        let file = innermost.file?;
        let line = innermost.line?;
        (!is_runtime("", Some(&file))).then_some((file, line, innermost.column))
    })
}

/// Where this engine's own sources are.
const ENGINE_SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/");

/// Whether `file` is one of the agent's or the engine's own sources: their
/// frames are machinery, whatever their names (built with line tables only,
/// DWARF names them plainly). The agent sits beside the engine.
fn is_pmdb_source(file: &str) -> bool {
    if file.starts_with(ENGINE_SOURCES) {
        return true;
    }
    let workspace = ENGINE_SOURCES
        .strip_suffix("/src/")
        .and_then(|e| e.rsplit_once('/'))
        .map_or("", |(w, _)| w);
    file.strip_prefix(workspace)
        .is_some_and(|rest| rest.starts_with("/debuggee-agent/src/"))
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
        || file.is_some_and(|f| {
            f.starts_with("/rustc/") || f.contains("/.cargo/registry/") || is_pmdb_source(f)
        })
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
