//! Async tasks: every task of every tokio runtime in the crashed process,
//! each with its chain of awaited futures as frames.
//!
//! The runtimes are found from the threads inside one ([`Roots`]): a
//! thread in `Runtime::block_on` (its `self`), and every thread that
//! entered a runtime, a multi-thread runtime's workers included
//! (`context::runtime::enter_runtime`, its `handle`); with none, from the
//! `Runtime`s the crashed thread holds. `Runtime.handle.inner` is the
//! scheduler's handle (current-thread or multi-thread), whose `owned` task
//! list (one linked list, or since tokio 1.3x a sharded set of them) links
//! every live task's `Header` through its `Trailer`. Each header gives the
//! task's state word and its vtable; the vtable's `poll` function is
//! `poll::<T, S>`, whose DWARF template parameters name the future type `T`
//! and the scheduler `S`, and so the task's `Cell<T, S>` type: its id, its
//! stage (`Running(T)`, `Finished`, `Consumed`) and the future itself.
//! Where any of this is not the layout we know, the list is refused in one
//! line rather than guessed.

pub mod dwarf;
pub mod futures;
pub mod nav;

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
    id_offset: u64,
    trailer_offset: u64,
    /// Where `next` is inside the trailer.
    next_offset: u64,
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
    /// The vtable's fields: `poll`, `trailer_offset`, `id_offset`.
    poll: u64,
    trailer: u64,
    id: u64,
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
        let g = |name: &str| {
            vt.field(name)
                .map(|x| x.offset)
                .ok_or_else(|| layout(&format!("Vtable.{name}")))
        };
        Ok(HeaderLayout {
            state: f("state")?.offset,
            vtable: vtable.offset,
            poll: g("poll")?,
            trailer: g("trailer_offset")?,
            id: g("id_offset")?,
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
        if tokio && function.contains("Runtime>::block_on") {
            Some("self")
        } else if function.starts_with("tokio::runtime::context::runtime::enter_runtime") {
            Some("handle")
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

/// Every task of every runtime the roots lead to.
pub fn find(dbg: &DebugInfo, caches: &Caches, roots: &Roots) -> Result<Vec<Task>, TasksError> {
    if roots.inside.is_empty() && roots.held.is_empty() && roots.tokio_frames {
        return Err(layout(
            "threads run in tokio's runtime, none where a runtime is found",
        ));
    }
    let mut out = Vec::new();
    let mut seen_lists = HashSet::new();
    for root in roots.inside.iter().chain(&roots.held) {
        for (list_addr, head, header_ty) in owned_lists(dbg, root)? {
            if !seen_lists.insert(list_addr) {
                continue;
            }
            let hl = HeaderLayout::of(dbg, header_ty)?;
            walk_list(dbg, caches, &hl, head, &mut out)?;
        }
    }
    Ok(out)
}

/// The scheduler handle a root leads to: through references, and from a
/// `Runtime` to its `handle.inner`.
fn scheduler_handle(dbg: &DebugInfo, root: &Val) -> Result<Val, TasksError> {
    let mut v = root.clone();
    for _ in 0..3 {
        let t = nav::ty(dbg, &v).ok_or_else(|| layout("the runtime's type"))?;
        match &t.kind {
            types::Kind::Pointer { .. } => {
                v = nav::deref(dbg, &v).ok_or_else(|| layout("a reference to the runtime"))?;
            }
            _ if t.variants().is_some() => return Ok(v),
            _ => {
                return nav::field(dbg, &v, "handle")
                    .and_then(|h| nav::field(dbg, &h, "inner"))
                    .ok_or_else(|| layout("Runtime.handle.inner"));
            }
        }
    }
    Err(layout("the runtime's handle"))
}

/// The heads of a runtime's owned-task lists: (the list's address, its
/// first header, the `Header` type).
fn owned_lists(dbg: &DebugInfo, root: &Val) -> Result<Vec<(u64, u64, DieRef)>, TasksError> {
    let inner = scheduler_handle(dbg, root)?;
    let (variant, arc) = nav::variant(dbg, &inner).ok_or_else(|| layout("scheduler::Handle"))?;
    let name = nav::variant_name(dbg, &variant);
    if !matches!(name.as_str(), "CurrentThread" | "MultiThread") {
        return Err(layout(&format!("scheduler {name}")));
    }
    let arc = nav::field(dbg, &arc, "__0").ok_or_else(|| layout("scheduler handle's Arc"))?;
    let inner = nav::find(dbg, &arc, "ptr", 1)
        .and_then(|p| nav::deref(dbg, &p))
        .and_then(|a| nav::field(dbg, &a, "data"))
        .ok_or_else(|| layout("Arc<Handle>"))?;
    let owned = nav::find(dbg, &inner, "owned", 3).ok_or_else(|| layout("Handle's owned tasks"))?;
    let mut heads = Vec::new();
    if let Some(lists) = nav::find(dbg, &owned, "lists", 3) {
        // tokio ≥ 1.3x: `ShardedList { lists: Box<[Mutex<LinkedList>]> }`.
        let lt = nav::ty(dbg, &lists).ok_or_else(|| layout("ShardedList.lists"))?;
        let (ptr, len) = crate::values::core_views::fat_pointer(dbg, &lists, &lt)
            .ok_or_else(|| layout("ShardedList.lists (a boxed slice)"))?;
        let elem = lt
            .field("data_ptr")
            .and_then(|f| f.ty)
            .and_then(|p| match types::get(dbg, p).kind {
                types::Kind::Pointer { pointee } => pointee,
                _ => None,
            })
            .ok_or_else(|| layout("ShardedList's shard type"))?;
        let size = types::get(dbg, elem).size;
        if len > 1 << 20 || size == 0 {
            return Err(TasksError::Unreadable(format!(
                "{len} shards of {size} bytes"
            )));
        }
        for i in 0..len {
            let shard = Val::new(Place::Mem(ptr + i * size), Some(elem));
            heads.push(list_head(dbg, &shard)?);
        }
    } else {
        // Older tokio: one `LinkedList` under a mutex.
        heads.push(list_head(dbg, &owned)?);
    }
    Ok(heads)
}

fn list_head(dbg: &DebugInfo, within: &Val) -> Result<(u64, u64, DieRef), TasksError> {
    let head = nav::find(dbg, within, "head", 6).ok_or_else(|| layout("LinkedList.head"))?;
    let addr = match head.place {
        Place::Mem(a) => a,
        _ => return Err(layout("LinkedList.head's place")),
    };
    let first =
        nav::address(dbg, &head).ok_or_else(|| TasksError::Unreadable("a list head".into()))?;
    // Option<NonNull<Header>> → NonNull<Header> → Header.
    let header = head
        .ty
        .and_then(|t| pointee_inside(dbg, t))
        .ok_or_else(|| layout("LinkedList.head's type"))?;
    if !types::get(dbg, header).name.starts_with("Header") {
        return Err(layout("task header type"));
    }
    Ok((addr, first, header))
}

/// The type `Option<NonNull<T>>` (or `NonNull<T>`) points to: `T`.
fn pointee_inside(dbg: &DebugInfo, ty: DieRef) -> Option<DieRef> {
    let t = types::get(dbg, ty);
    let mut candidates = vec![ty];
    if let Some(vs) = t.variants() {
        candidates.extend(vs.variants.iter().filter_map(|v| v.member.ty));
    }
    candidates.into_iter().find_map(|c| {
        let (_, p) = nav::find_in_type(dbg, c, "pointer", 2)?;
        match types::get(dbg, p).kind {
            types::Kind::Pointer { pointee } => pointee,
            _ => None,
        }
    })
}

fn walk_list(
    dbg: &DebugInfo,
    caches: &Caches,
    hl: &HeaderLayout,
    head: u64,
    out: &mut Vec<Task>,
) -> Result<(), TasksError> {
    let mem = &dbg.mem;
    let mut seen = HashSet::new();
    let mut at = head;
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
        let id = h.word(mem, kind.id_offset).map_err(unreadable)?;
        let next = h
            .word(mem, kind.trailer_offset + kind.next_offset)
            .map_err(unreadable)?;
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
        out.push(Task {
            id,
            header: at,
            state: State::of(state),
            frames,
        });
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
    let trailer_offset = vt.word(&dbg.mem, hl.trailer).map_err(unreadable)?;
    let id_offset = vt.word(&dbg.mem, hl.id).map_err(unreadable)?;
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
    let cell = dwarf::generic_struct(&caches.indexes, dbg, die, "Cell", &params);
    let (next_offset, stage) = match cell {
        Some(cell) => {
            let trailer =
                nav::find_in_type(dbg, cell, "trailer", 0).ok_or_else(|| layout("Cell.trailer"))?;
            let next = nav::find_in_type(dbg, trailer.1, "next", 4)
                .ok_or_else(|| layout("Trailer.owned.next"))?;
            if trailer.0 != trailer_offset {
                return Err(layout("Cell.trailer's offset disagrees with the vtable"));
            }
            let core =
                nav::find_in_type(dbg, cell, "core", 0).ok_or_else(|| layout("Cell.core"))?;
            // Core.stage: CoreStage { stage: UnsafeCell { value: Stage<T> } }.
            let stage = nav::find_in_type(dbg, core.1, "stage", 0)
                .and_then(|(o1, t1)| {
                    let (o2, t2) = nav::find_in_type(dbg, t1, "stage", 0)?;
                    let (o3, t3) = nav::find_in_type(dbg, t2, "value", 2)?;
                    Some((core.0 + o1 + o2 + o3, t3))
                })
                .ok_or_else(|| layout("Core.stage"))?;
            (next.0, Some(stage))
        }
        // Without `Cell<T, S>` the list's links are not known for sure:
        // no list rather than a guessed one.
        None => return Err(layout("Cell<T, S> not in DWARF")),
    };
    Ok(Kind {
        id_offset,
        trailer_offset,
        next_offset,
        stage,
    })
}
