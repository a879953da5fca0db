//! What a small core of a crash keeps (the agent's `PMDB_MODE=core`, unless
//! `PMDB_CORE=full`): what its report needs, and little more.
//!
//! Before writing, [`reach`] runs the report's own walk over the frozen
//! process — the same `crash::report` walk `pmdb report` makes, at its
//! default depth ([`DEPTH`]): every thread's traceback and its user frames'
//! locals, the tasks and why threads wait — through a [`Process`] that
//! records every page read. Then the same walk one level deeper
//! ([`DEEPER`]), so the values a user opens first in `pmdb open` are there
//! too, as far as the bound allows. Reading the core back runs the same
//! walk over the same bytes, so its report is the live one by
//! construction; any other read says `<not in the core>`.
//!
//! [`kept`] then names the address ranges the core holds:
//! - each thread's used stack, from its lowest stack pointer less the red
//!   zone to the end of its stack mapping, at most [`STACK_MAX`] (past it,
//!   the frames the walk reached are in the recorded pages);
//! - each thread's thread pointer's pages (`fs_base`: glibc's TCB and the
//!   static TLS below it), where its stack does not hold them;
//! - the ELF objects' writable data and RELRO (`corefile::dump_plan`'s file
//!   mappings: their bytes on disk are not what the process had) and
//!   `[vdso]`;
//! - the recorded pages, in the order first read: all those of the
//!   report's depth (up to [`REPORT_MAX`], a guard for a process of
//!   thousands of threads, never reached by a typical panic), then the
//!   deeper walk's while all recorded pages kept stay within
//!   [`REACHED_MAX`]; code and read-only data are read from the mapped
//!   files, as for every core, and never counted.
//!
//! The walk also asks the lines around each user frame's line
//! ([`SOURCE_CONTEXT`] either side), which the core carries in a note
//! (`crash::carried`). A program whose debug info is not on the machine
//! that crashed ([`Reached::without_debug_info`]: stripped, its DWARF to
//! come from debuginfod later) gets the whole-memory core instead: the
//! walk found no locals to keep.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corefile::Region;

use crate::crash::carried::CarriedSource;
use crate::crash::engine::Engine;
use crate::crash::inspect::Inspector;
use crate::crash::report;
use crate::crash::serve::Server;
use crate::memory::process::{Crash, LaterCrash, Object, Process, ReadError};

/// Levels of locals the walk expands first: the report's default.
pub const DEPTH: u32 = 1;
/// The deeper walk, kept while within [`REACHED_MAX`].
pub const DEEPER: u32 = 2;
/// The most bytes of recorded pages the deeper walk may bring the core to,
/// beyond stacks and data (1 MiB).
pub const REACHED_MAX: u64 = 1 << 20;
/// The most bytes of the pages the report's depth reads (64 MiB); past
/// [`REACHED_MAX`] of them the deeper walk is not run.
pub const REPORT_MAX: u64 = 64 << 20;
/// The most stack kept per thread from its stack pointer (1 MiB).
pub const STACK_MAX: u64 = crate::hosts::minidump::STACK_MAX;
/// Lines carried before and after each user frame's line.
pub const SOURCE_CONTEXT: u32 = 5;
/// Pages around a thread pointer kept: the static TLS below, the TCB above.
const TLS_BELOW: u64 = 2 * PAGE;
const TCB_ABOVE: u64 = PAGE;
const PAGE: u64 = 4096;

/// What the walk read: the pages, in the order first read (the report's
/// depth before the deeper walk's), and the source lines it was served.
#[derive(Debug, Clone, Default)]
pub struct Reached {
    pub pages: Vec<u64>,
    /// How many of `pages` the report's depth read (the rest are the
    /// deeper walk's).
    pub report_pages: usize,
    pub source: CarriedSource,
    /// The executable's DWARF was not found here: the walk saw no locals,
    /// which a debugger may find later by build-id (debuginfod), so a
    /// small core would lose them; keep the whole memory instead.
    pub without_debug_info: bool,
}

/// A process whose reads are recorded, page by page.
struct Recording {
    inner: Arc<dyn Process>,
    seen: Mutex<(Vec<u64>, HashSet<u64>)>,
}

impl Recording {
    /// How many pages were read so far.
    fn pages(&self) -> usize {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).0.len()
    }

    fn note(&self, addr: u64, len: usize) {
        let Some(end) = addr.checked_add(len as u64) else {
            return;
        };
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mut page = addr & !(PAGE - 1);
        while page < end {
            if seen.1.insert(page) {
                seen.0.push(page);
            }
            page += PAGE;
        }
    }
}

impl Process for Recording {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let got = self.inner.read_into(addr, buf);
        match got {
            Ok(()) => self.note(addr, buf.len()),
            // The pages that do read, so the core fails the same read at
            // the same place.
            Err(_) => {
                let end = addr.saturating_add(buf.len() as u64);
                let mut page = addr & !(PAGE - 1);
                let mut one = [0u8; 1];
                while page < end {
                    if self.inner.read_into(page.max(addr), &mut one).is_ok() {
                        self.note(page.max(addr), 1);
                    }
                    page += PAGE;
                }
            }
        }
        got
    }

    fn objects(&self) -> Vec<Object> {
        self.inner.objects()
    }

    fn cache_pages(&self) -> bool {
        self.inner.cache_pages()
    }

    fn monotonic_now(&self) -> Option<Duration> {
        self.inner.monotonic_now()
    }

    fn later_crashes(&self) -> Vec<LaterCrash> {
        self.inner.later_crashes()
    }

    fn thread_state(&self, tid: u64) -> Option<wire::ThreadState> {
        self.inner.thread_state(tid)
    }
}

/// Runs the report's walk over `crash` in `process` (an engine of its own,
/// so every read is seen) and says what it read. `source` serves the
/// frames' source lines (the agent's process has its files; a host that
/// has none gives `false`).
pub fn reach(process: Arc<dyn Process>, crash: &Crash, source: bool) -> Reached {
    let recording = Arc::new(Recording {
        inner: process,
        seen: Mutex::default(),
    });
    let engine = Arc::new(Engine::new(recording.clone()));
    let mut server = Server::new(
        Inspector::new(engine.clone(), crash.clone()),
        Duration::from_secs(60),
    );
    if !source {
        server = server.without_source("no source here");
    }
    let mut carried = CarriedSource::default();
    let mut report_pages = 0;
    if let Ok(session) = crate::crash::serve::in_process(server) {
        if let Ok(threads) = report::walk(&session, DEPTH) {
            // Each distinct place once: a thousand threads parked at the
            // same line ask for it once.
            let places: std::collections::BTreeSet<(&str, u32)> = threads
                .iter()
                .flat_map(|t| &t.frames)
                .filter(|f| !f.runtime)
                .filter_map(|f| Some((f.file.as_deref()?, f.line?)))
                .collect();
            for (file, line) in places {
                let first = line.saturating_sub(SOURCE_CONTEXT).max(1);
                if let Ok(text) = session.source(file, first, line + SOURCE_CONTEXT) {
                    carried.add(&text);
                }
            }
        }
        let _ = report::walk_tasks(&session, DEPTH);
        let _ = crate::crash::stuck::walk(&session);
        report_pages = recording.pages();
        // Code and unwind tables count here too: a rough bound, so a
        // process whose report alone is far past it is not walked twice.
        if (report_pages as u64) * PAGE <= 16 * REACHED_MAX {
            let _ = report::walk(&session, DEEPER);
        }
    }
    let pages = std::mem::take(&mut recording.seen.lock().unwrap_or_else(|p| p.into_inner()).0);
    Reached {
        pages,
        report_pages,
        source: carried,
        without_debug_info: engine.debug_info().map_or(true, |d| !d.has_dwarf),
    }
}

/// What a small core keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kept {
    /// Address ranges to dump, as [`corefile::CoreSpec::kept`] takes them.
    pub ranges: Vec<(u64, u64)>,
    /// Bytes of recorded pages kept beyond stacks and data.
    pub reached: u64,
    /// Bytes of recorded pages left out past the bounds.
    pub left_out: u64,
}

/// The ranges a small core of `crash` holds (see the module's doc), from
/// its maps, its threads' thread pointers and what the walk read.
pub fn kept(
    crash: &Crash,
    regions: &[Region],
    fs_bases: &std::collections::HashMap<u64, u64>,
    reached: &Reached,
) -> Kept {
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    let region_of = |addr: u64| regions.iter().find(|r| r.start <= addr && addr < r.end);
    for t in &crash.threads {
        let Some(sp) = crate::hosts::minidump::lowest_sp(t) else {
            continue;
        };
        let start = sp.saturating_sub(crate::hosts::minidump::RED_ZONE);
        let end = region_of(sp).map_or(sp, |r| r.end);
        let stack = (start, end.min(start.saturating_add(STACK_MAX)));
        ranges.push(stack);
        if let Some(&tp) = fs_bases.get(&t.id)
            && tp != 0
            && !(stack.0 <= tp && tp < stack.1)
        {
            ranges.push((tp.saturating_sub(TLS_BELOW), tp.saturating_add(TCB_ABOVE)));
        }
    }
    let plan = corefile::dump_plan(regions);
    for (r, &dump) in regions.iter().zip(&plan) {
        let file = matches!(&r.file, Some((p, _)) if !p.starts_with('['));
        let vdso = matches!(&r.file, Some((p, _)) if p == "[vdso]");
        if dump && (file || vdso) {
            ranges.push((r.start, r.end));
        }
    }
    let held = |ranges: &[(u64, u64)], page: u64| {
        ranges.iter().any(|&(s, e)| s <= page && page + PAGE <= e)
    };
    let mut out = Kept::default();
    let base = ranges.len();
    for (i, &page) in reached.pages.iter().enumerate() {
        let Some(r) = region_of(page) else { continue };
        // Code and read-only data come from the mapped files.
        let from_file = matches!(&r.file, Some((p, _)) if !p.starts_with('[')) && !r.write;
        if from_file || !r.read || held(&ranges[..base], page) {
            continue;
        }
        let bound = match i < reached.report_pages {
            true => REPORT_MAX,
            false => REACHED_MAX,
        };
        if out.reached + PAGE > bound {
            out.left_out += PAGE;
            continue;
        }
        out.reached += PAGE;
        ranges.push((page, page + PAGE));
    }
    out.ranges = corefile::merge_ranges(ranges);
    out
}

/// The small core of `crash`: [`crate::hosts::gcore::spec`] keeping only
/// [`kept`]'s ranges, with the carried source lines in their note.
pub fn spec(
    crash: &Crash,
    extras: &crate::hosts::gcore::Extras,
    reached: &Reached,
) -> (corefile::CoreSpec, Kept) {
    let mut spec = crate::hosts::gcore::spec(crash, extras);
    let kept = kept(crash, &spec.regions, &extras.fs_bases, reached);
    spec.kept = Some(kept.ranges.clone());
    if !reached.source.files.is_empty() {
        spec.extra_notes.push(corefile::Note {
            name: crate::crash::carried::NOTE_NAME.into(),
            ty: crate::crash::carried::NOTE_TYPE,
            desc: reached.source.to_bytes(),
        });
    }
    (spec, kept)
}
