//! Async tasks: every task of every tokio 1.x runtime in the crashed
//! process, each with its chain of awaited futures as frames.
//!
//! The runtimes are found from the threads inside one ([`Roots`]): a
//! thread in `Runtime::block_on` (its `self`), and every thread that
//! entered a runtime, a multi-thread runtime's workers included
//! (`context::runtime::enter_runtime`, its `handle`; tokio 1.0's
//! schedulers' `Context`s); with none, from the `Runtime`s the crashed
//! thread holds. From each, [`sources`] finds by shape where the tasks are
//! (the owned-task lists wherever this tokio keeps them, and the run
//! queues where a task joins its list only when first polled), each list
//! linking its tasks' `Header`s through `Header.owned` or, since tokio
//! 1.3x, the `Trailer`. Each header gives the task's state word and its
//! vtable; the vtable's `poll` function is `poll::<T, S>`, whose DWARF
//! template parameters name the future type `T` and the scheduler `S`, and
//! so the task's `Cell<T, S>` type: its id, its stage (`Running(T)`,
//! `Finished`, `Consumed`) and the future itself. Where any of this is not
//! a layout these names and shapes explain, the list is refused in one
//! line rather than guessed.

pub mod dwarf;
pub mod futures;
pub mod nav;
pub mod sources;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::dwarf::types;
use crate::memory::place::Place;
use crate::values::views::Val;

pub use futures::AsyncFrame;

/// Most tasks listed per runtime (a corrupt list ends here, said so).
pub const MAX_TASKS: usize = 1_000_000;

/// The one line said when the layout is not tokio's as we know it.
pub const NOT_RECOGNISED: &str = "tasks unavailable: tokio 1.x layout not recognised";

/// Why tasks cannot be listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TasksError {
    #[error("{NOT_RECOGNISED} ({0})")]
    Layout(String),
    #[error("tasks unavailable: {0}")]
    Unreadable(String),
}

fn layout(what: &str) -> TasksError {
    TasksError::Layout(what.to_string())
}

/// A task's state, from its header's state word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Idle,
    Notified,
    Running,
    Complete,
    Cancelled,
}

impl State {
    /// tokio's state bits (`runtime/task/state.rs`, the same through 1.x).
    pub fn of(word: u64) -> State {
        const RUNNING: u64 = 0b1;
        const COMPLETE: u64 = 0b10;
        const NOTIFIED: u64 = 0b100;
        const CANCELLED: u64 = 0b10_0000;
        if word & COMPLETE != 0 {
            State::Complete
        } else if word & CANCELLED != 0 {
            State::Cancelled
        } else if word & RUNNING != 0 {
            State::Running
        } else if word & NOTIFIED != 0 {
            State::Notified
        } else {
            State::Idle
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Notified => "notified",
            State::Running => "running",
            State::Complete => "complete",
            State::Cancelled => "cancelled",
        }
    }
}

/// One task found.
#[derive(Debug, Clone)]
pub struct Task {
    pub id: u64,
    /// Its header's address: what a `JoinHandle` of it points at.
    pub header: u64,
    pub state: State,
    pub frames: Vec<AsyncFrame>,
}

/// What one task vtable tells (shared by every task of one future type).
#[derive(Debug, Clone)]
struct Kind {
    /// Where the task's id is, from its header: the vtable says (tokio
    /// ≥ 1.3x), or `Cell.core.task_id` (1.18 on); none before.
    id_offset: Option<u64>,
    /// Where the owned list's `next` is, from the header, when it is in
    /// the trailer (tokio ≥ 1.3x; before, in `Header.owned`).
    next_offset: Option<u64>,
    /// The stage (`Stage<T>`) from the header, and its type.
    stage: Option<(u64, DieRef)>,
}

/// What the task finder learns once per engine.
#[derive(Default)]
pub struct Caches {
    indexes: dwarf::Indexes,
    kinds: Mutex<HashMap<u64, Result<Kind, TasksError>>>,
}

/// The header type's fields the finder reads.
struct HeaderLayout {
    state: u64,
    vtable: u64,
    /// The vtable's fields: `poll`; `trailer_offset` and `id_offset` where
    /// the vtable has them (tokio ≥ 1.3x).
    poll: u64,
    trailer: Option<u64>,
    id: Option<u64>,
    /// The owned list's `next` inside the header (`Header.owned`, before
    /// it moved to the trailer).
    owned_next: Option<u64>,
    /// `Header.queue_next`: the injection queue's link.
    queue_next: Option<u64>,
    /// `Header.owner_id`: tokio binds each task to its owned list when it
    /// spawns it (since 1.9), so a run queue holds no task the lists miss
    /// (and its stale slots are not read). Without it a task joins the
    /// list when first polled, and the queues hold those not yet polled.
    bound_at_spawn: bool,
}

impl HeaderLayout {
    fn of(dbg: &DebugInfo, header: DieRef) -> Result<HeaderLayout, TasksError> {
        let h = types::get(dbg, header);
        let f = |name: &str| {
            h.field(name)
                .ok_or_else(|| layout(&format!("Header.{name}")))
        };
        let vtable = f("vtable")?;
        let vt = vtable
            .ty
            .map(|t| types::get(dbg, t))
            .and_then(|p| match p.kind {
                types::Kind::Pointer { pointee } => pointee,
                _ => None,
            })
            .map(|t| types::get(dbg, t))
            .ok_or_else(|| layout("Header.vtable's type"))?;
        let g = |name: &str| vt.field(name).map(|x| x.offset);
        let owned_next = h.field("owned").and_then(|o| {
            let (off, _) = nav::find_in_type(dbg, o.ty?, "next", 4)?;
            Some(o.offset + off)
        });
        Ok(HeaderLayout {
            state: f("state")?.offset,
            vtable: vtable.offset,
            poll: g("poll").ok_or_else(|| layout("Vtable.poll"))?,
            trailer: g("trailer_offset"),
            id: g("id_offset"),
            owned_next,
            queue_next: h.field("queue_next").map(|q| q.offset),
            bound_at_spawn: h.field("owner_id").is_some(),
        })
    }
}

/// Where the runtimes are found. A layout not recognised at any root
/// refuses the list.
#[derive(Default)]
pub struct Roots {
    /// From threads inside a runtime: a `&Runtime` or a `&scheduler::Handle`.
    pub inside: Vec<Val>,
    /// tokio `Runtime`s (or references to one) the crashed thread's own
    /// frames hold.
    pub held: Vec<Val>,
    /// Whether any thread stands in tokio's runtime code: with no root
    /// found, the runtime is there but not where pmdb knows to look.
    pub tokio_frames: bool,
}

impl Roots {
    /// Looks at one frame of `function`: the variable that leads to its
    /// runtime, if it has one.
    pub fn variable_in(&mut self, function: &str) -> Option<&'static str> {
        let tokio =
            function.starts_with("tokio::runtime::") || function.starts_with("<tokio::runtime::");
        self.tokio_frames |= tokio;
        if !tokio {
            None
        } else if function.contains("Runtime>::block_on")
            || function.ends_with("::Runtime::block_on")
        {
            Some("self")
        } else if function.starts_with("tokio::runtime::context::runtime::enter_runtime") {
            Some("handle")
        } else if function == "tokio::runtime::basic_scheduler::enter" {
            // tokio 1.0 to 1.8: the current-thread scheduler's owned tasks
            // and run queue live in the `Context` it enters with.
            Some("context")
        } else if function == "tokio::runtime::thread_pool::worker::run" {
            // tokio 1.0 to 1.8: each worker core owns its tasks; the
            // worker thread's `Context` holds its core.
            Some("cx")
        } else {
            None
        }
    }
}

impl Caches {
    /// Whether `v` is tokio's `Runtime` (or a reference to one): a struct
    /// named `Runtime` declared in `tokio::runtime`.
    pub fn holds_tokio_runtime(&self, dbg: &DebugInfo, v: &Val) -> bool {
        let mut ty = v.ty;
        for _ in 0..2 {
            let Some((die, t)) = ty.map(|d| (d, types::get(dbg, d))) else {
                return false;
            };
            match t.kind {
                types::Kind::Pointer { pointee } => ty = pointee,
                _ => {
                    return t.name == "Runtime"
                        && self
                            .indexes
                            .path(dbg, die)
                            .is_some_and(|p| p.starts_with("tokio::runtime::"));
                }
            }
        }
        false
    }
}

/// Every task of every runtime the roots lead to: the owned-task lists
/// first, each in the order its tasks joined it, then the tasks only a run
/// queue holds (not yet polled, before tokio 1.9), sorted by id. A tokio
/// without task ids (before 1.18) has its tasks numbered from 1 in the
/// order found.
pub fn find(dbg: &DebugInfo, caches: &Caches, roots: &Roots) -> Result<Vec<Task>, TasksError> {
    if roots.inside.is_empty() && roots.held.is_empty() && roots.tokio_frames {
        return Err(layout(
            "threads run in tokio's runtime, none where a runtime is found",
        ));
    }
    let mut walked = HashSet::new();
    let mut found = Vec::new();
    for root in roots.inside.iter().chain(&roots.held) {
        found.extend(sources::collect(dbg, root, &mut walked));
    }
    if found.is_empty() && !(roots.inside.is_empty() && roots.held.is_empty()) {
        return Err(layout("no task list found from the runtime"));
    }
    // Lists first: a queued task is in a list too, since tokio 1.9 always.
    found.sort_by_key(|s| !matches!(s, sources::Source::List { .. }));
    let mut layouts: HashMap<DieRef, HeaderLayout> = HashMap::new();
    let mut seen = HashSet::new();
    let mut out: Vec<(Option<u64>, Task)> = Vec::new();
    for source in found {
        let (header, first, list) = match source {
            sources::Source::List { first, header, .. } => (header, first, Some(true)),
            sources::Source::Queue { first, header, .. } => (header, first, Some(false)),
            sources::Source::Task {
                header_addr,
                header,
            } => (header, header_addr, None),
        };
        let hl = match layouts.entry(header) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(HeaderLayout::of(dbg, header)?)
            }
        };
        let hl = &*hl;
        if hl.bound_at_spawn && list != Some(true) {
            continue;
        }
        let mut chain = Vec::new();
        walk(dbg, caches, hl, first, list, &mut chain)?;
        if list == Some(true) {
            // tokio pushes each task at the front.
            chain.reverse();
        }
        out.extend(chain.into_iter().filter(|(_, t)| seen.insert(t.header)));
    }
    let mut number = 0;
    let mut tasks: Vec<Task> = out
        .into_iter()
        .map(|(id, mut t)| {
            number += 1;
            t.id = id.unwrap_or(number);
            t
        })
        .collect();
    // In spawn order: tokio numbers its tasks as it spawns them, and the
    // shards of its owned list each hold every n-th.
    tasks.sort_by_key(|t| t.id);
    Ok(tasks)
}

/// The tasks from `first`: along the owned list (`list` true), the
/// injection queue (false), or that one task (`None`).
fn walk(
    dbg: &DebugInfo,
    caches: &Caches,
    hl: &HeaderLayout,
    first: u64,
    list: Option<bool>,
    out: &mut Vec<(Option<u64>, Task)>,
) -> Result<(), TasksError> {
    let mem = &dbg.mem;
    let mut seen = HashSet::new();
    let mut at = first;
    while at != 0 {
        if !seen.insert(at) || seen.len() > MAX_TASKS {
            return Err(TasksError::Unreadable(format!(
                "the task list loops or runs past {MAX_TASKS} tasks at {at:#x}"
            )));
        }
        let h = Place::Mem(at);
        let unreadable = |_| TasksError::Unreadable(format!("task header at {at:#x}"));
        let state = h.word(mem, hl.state).map_err(unreadable)?;
        let vtable = h.word(mem, hl.vtable).map_err(unreadable)?;
        let kind = kind_of(dbg, caches, hl, vtable)?;
        let id = match kind.id_offset {
            Some(off) => Some(h.word(mem, off).map_err(unreadable)?),
            None => None,
        };
        let next = match list {
            None => 0,
            Some(true) => {
                let off = hl
                    .owned_next
                    .or(kind.next_offset)
                    .ok_or_else(|| layout("the owned list's link"))?;
                h.word(mem, off).map_err(unreadable)?
            }
            Some(false) => {
                let off = hl.queue_next.ok_or_else(|| layout("Header.queue_next"))?;
                h.word(mem, off).map_err(unreadable)?
            }
        };
        let frames = match kind.stage {
            Some((offset, ty)) => {
                let stage = Val::new(h.at(offset), Some(ty));
                match nav::variant(dbg, &stage) {
                    Some((v, val)) if nav::variant_name(dbg, &v) == "Running" => {
                        nav::field(dbg, &val, "__0")
                            .map(|fut| futures::chain(dbg, &caches.indexes, fut))
                            .unwrap_or_default()
                    }
                    _ => Vec::new(),
                }
            }
            None => Vec::new(),
        };
        out.push((
            id,
            Task {
                id: 0,
                header: at,
                state: State::of(state),
                frames,
            },
        ));
        at = next;
    }
    Ok(())
}

/// What a task vtable says, read once per vtable.
fn kind_of(
    dbg: &DebugInfo,
    caches: &Caches,
    hl: &HeaderLayout,
    vtable: u64,
) -> Result<Kind, TasksError> {
    if let Some(k) = caches
        .kinds
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&vtable)
    {
        return k.clone();
    }
    let k = read_kind(dbg, caches, hl, vtable);
    caches
        .kinds
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(vtable, k.clone());
    k
}

fn read_kind(
    dbg: &DebugInfo,
    caches: &Caches,
    hl: &HeaderLayout,
    vtable: u64,
) -> Result<Kind, TasksError> {
    let vt = Place::Mem(vtable);
    let unreadable = |_| TasksError::Unreadable(format!("task vtable at {vtable:#x}"));
    let poll = vt.word(&dbg.mem, hl.poll).map_err(unreadable)?;
    let trailer_offset = match hl.trailer {
        Some(off) => Some(vt.word(&dbg.mem, off).map_err(unreadable)?),
        None => None,
    };
    let vtable_id = match hl.id {
        Some(off) => Some(vt.word(&dbg.mem, off).map_err(unreadable)?),
        None => None,
    };
    // `poll::<T, S>` names the future and scheduler types.
    let located = dbg.locate(&[poll.wrapping_sub(dbg.bias)]);
    let die = located
        .first()
        .and_then(|l| l.last())
        .and_then(|f| f.die)
        .ok_or_else(|| layout("the task's poll function has no DWARF"))?;
    let params = dwarf::template_params(dbg, die);
    if !params.iter().any(|(n, _)| n == "T") {
        return Err(layout("poll::<T, S> without T"));
    }
    // Without `Cell<T, S>` the list's links are not known for sure: no
    // list rather than a guessed one.
    let cell = dwarf::generic_struct(&caches.indexes, dbg, die, "Cell", &params)
        .ok_or_else(|| layout("Cell<T, S> not in DWARF"))?;
    let core = nav::find_in_type(dbg, cell, "core", 0).ok_or_else(|| layout("Cell.core"))?;
    let next_offset = if hl.owned_next.is_some() {
        None
    } else {
        let trailer =
            nav::find_in_type(dbg, cell, "trailer", 0).ok_or_else(|| layout("Cell.trailer"))?;
        if trailer_offset.is_some_and(|t| t != trailer.0) {
            return Err(layout("Cell.trailer's offset disagrees with the vtable"));
        }
        let next = nav::find_in_type(dbg, trailer.1, "next", 4)
            .ok_or_else(|| layout("Trailer.owned.next"))?;
        Some(trailer.0 + next.0)
    };
    let id_offset = match vtable_id {
        Some(off) => Some(off),
        None => nav::find_in_type(dbg, core.1, "task_id", 0).map(|(off, _)| core.0 + off),
    };
    // `Core.stage`: a `Stage<T>` inside its cells (`CoreStage { stage:
    // UnsafeCell { value } }`, or the `UnsafeCell` alone before 1.9).
    let (mut at, mut ty) = nav::find_in_type(dbg, core.1, "stage", 0)
        .map(|(o, t)| (core.0 + o, t))
        .ok_or_else(|| layout("Core.stage"))?;
    for _ in 0..6 {
        let t = types::get(dbg, ty);
        if t.name.starts_with("Stage<") && t.variants().is_some() {
            break;
        }
        let only = match &t.kind {
            types::Kind::Struct {
                fields,
                variants: None,
            } => fields
                .iter()
                .find(|f| matches!(f.name.as_str(), "stage" | "value" | "__0")),
            _ => None,
        };
        let Some((o, t)) = only.and_then(|f| Some((f.offset, f.ty?))) else {
            return Err(layout("Core.stage's Stage<T>"));
        };
        at += o;
        ty = t;
    }
    if !types::get(dbg, ty).name.starts_with("Stage<") {
        return Err(layout("Core.stage's Stage<T>"));
    }
    Ok(Kind {
        id_offset,
        next_offset,
        stage: Some((at, ty)),
    })
}
