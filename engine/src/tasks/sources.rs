//! Where a tokio runtime keeps its tasks, found by shape from a root (a
//! `Runtime`, a scheduler handle, a worker's or a current-thread
//! scheduler's `Context`): a bounded walk through the scheduler's state
//! that collects every place a task header is reachable from.
//!
//! tokio moved these between versions — one owned-task `LinkedList` in the
//! scheduler's shared state (1.9 to 1.3x), a sharded set of them (since), a
//! list per worker core or per current-thread `Context` (1.0 to 1.8, where
//! a task joins it only when first polled) — and its run queues hold the
//! tasks not yet in any list. The walk does not know versions: it follows
//! fields, the active variant of enums, `Arc`s, `Box`es, references and
//! boxed slices, and stops at what holds tasks:
//!
//! - a `LinkedList` whose `head` points to tokio's task `Header`: a list of
//!   owned tasks;
//! - any other struct whose `head` points to a `Header` (the injection
//!   queue): tasks linked through `Header.queue_next`;
//! - a `Notified` (a run queue's or the LIFO slot's entry): one task;
//! - a worker's fixed ring (`head`, `tail`, `buffer` of `MaybeUninit`
//!   tasks): the tasks between its real head and its tail.

use std::collections::HashSet;

use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::dwarf::types::{self, Kind};
use crate::memory::place::Place;
use crate::tasks::nav;
use crate::values::views::{Val, View};

/// Most values the walk looks at from one root.
const MAX_NODES: usize = 20_000;
/// Most pointers followed from a root to a task source.
const MAX_HOPS: u32 = 6;
/// Most elements of one boxed slice (shards, workers) looked at.
const MAX_SLICE: u64 = 4096;

/// Fields that lead away from the tasks (drivers, the blocking pool, the
/// thread parker, configuration): not walked, only for speed.
const SKIP: &[&str] = &[
    "driver",
    "blocking_pool",
    "blocking_spawner",
    "io_handle",
    "time_handle",
    "signal_handle",
    "park",
    "unpark",
    "config",
    "_p",
    "_marker",
];

/// One place tasks were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A linked list of owned tasks: where its head is, its first header
    /// (0 when empty), and the `Header` type.
    List {
        addr: u64,
        first: u64,
        header: DieRef,
    },
    /// A queue linked through `Header.queue_next`.
    Queue {
        addr: u64,
        first: u64,
        header: DieRef,
    },
    /// One task, by its header's address.
    Task { header_addr: u64, header: DieRef },
}

/// The sources reachable from `root`, in the order found (breadth first);
/// `seen` keeps values already walked from another root.
pub fn collect(dbg: &DebugInfo, root: &Val, seen: &mut HashSet<(u64, DieRef)>) -> Vec<Source> {
    let mut out = Vec::new();
    let mut level = vec![(root.clone(), 0u32)];
    let mut nodes = 0usize;
    while !level.is_empty() {
        let mut next = Vec::new();
        for (v, hops) in level {
            nodes += 1;
            if nodes > MAX_NODES {
                return out;
            }
            step(dbg, &v, hops, seen, &mut out, &mut next);
        }
        level = next;
    }
    out
}

/// The type's own name, without its path or generic arguments.
fn base(name: &str) -> &str {
    let generic = name.split('<').next().unwrap_or_default();
    generic.rsplit("::").next().unwrap_or_default()
}

fn step(
    dbg: &DebugInfo,
    v: &Val,
    hops: u32,
    seen: &mut HashSet<(u64, DieRef)>,
    out: &mut Vec<Source>,
    next: &mut Vec<(Val, u32)>,
) {
    let (Some(die), Place::Mem(addr)) = (v.ty, &v.place) else {
        return;
    };
    let addr = *addr;
    if !seen.insert((addr, die)) {
        return;
    }
    let t = types::get(dbg, die);
    let name = base(&t.name);
    match &t.kind {
        Kind::Pointer { .. } if t.name.starts_with('&') || name == "Box" => {
            if hops < MAX_HOPS
                && let Some(target) = nav::deref(dbg, v)
            {
                next.push((target, hops + 1));
            }
        }
        Kind::Struct {
            fields,
            variants: None,
        } => {
            if let Some(header) = header_at(dbg, v, "head") {
                let (first, header_ty) = header;
                out.push(if name == "LinkedList" {
                    Source::List {
                        addr,
                        first,
                        header: header_ty,
                    }
                } else {
                    Source::Queue {
                        addr,
                        first,
                        header: header_ty,
                    }
                });
                return;
            }
            if t.field("data_ptr").is_some() && t.field("length").is_some() {
                slice(dbg, v, &t, hops, next);
                return;
            }
            match name {
                "Notified" => {
                    if let Some((first, header)) = header_at(dbg, v, "") {
                        out.push(Source::Task {
                            header_addr: first,
                            header,
                        });
                    }
                    return;
                }
                "PhantomData" => return,
                "Arc" | "Box" => {
                    if hops < MAX_HOPS
                        && let Some(target) = nav::deref(dbg, v)
                    {
                        // `Arc` leads to its `ArcInner`, whose `data` is walked.
                        next.push((target, hops + 1));
                    }
                    return;
                }
                "AtomicCell" => {
                    // A core handed between threads: a raw `*mut Core`.
                    if hops < MAX_HOPS
                        && let Some((off, ptr)) = nav::find_in_type(dbg, die, "value", 3)
                        && let types::Kind::Pointer { pointee } = types::get(dbg, ptr).kind
                        && let Ok(p) = v.place.word(&dbg.mem, off)
                        && p != 0
                    {
                        next.push((Val::new(Place::Mem(p), pointee), hops + 1));
                    }
                    return;
                }
                _ => {}
            }
            if ring(dbg, v, &t, out) {
                return;
            }
            if name == "VecDeque" {
                deque(dbg, v, &t, hops, next);
                return;
            }
            for f in fields {
                if !SKIP.contains(&f.name.as_str()) {
                    next.push((Val::new(v.place.at(f.offset), f.ty), hops));
                }
            }
        }
        Kind::Struct {
            variants: Some(_), ..
        } => {
            if let Some((_, val)) = nav::variant(dbg, v) {
                next.push((val, hops));
            }
        }
        _ => {}
    }
}

/// The header `v`'s field `field` points to (`v` itself with ""), through
/// `Option<NonNull<Header>>` or a task handle: its address and the
/// `Header` type, when that type is tokio's task header.
fn header_at(dbg: &DebugInfo, v: &Val, field: &str) -> Option<(u64, DieRef)> {
    let die = v.ty?;
    let (off, ty) = if field.is_empty() {
        (0, die)
    } else {
        let f = types::get(dbg, die).field(field)?.clone();
        (f.offset, f.ty?)
    };
    let header = pointee(dbg, ty)?;
    if !is_header(dbg, header) {
        return None;
    }
    let at = v.place.word(&dbg.mem, off).ok()?;
    Some((at, header))
}

/// Whether `ty` is tokio's task `Header`: so named, with a state and a
/// vtable.
pub fn is_header(dbg: &DebugInfo, ty: DieRef) -> bool {
    let t = types::get(dbg, ty);
    base(&t.name) == "Header" && t.field("state").is_some() && t.field("vtable").is_some()
}

/// The type the first pointer inside `ty` points to (`Option<NonNull<T>>`,
/// `NonNull<T>`, `Task { raw: RawTask { ptr } }`): `T`.
pub fn pointee(dbg: &DebugInfo, ty: DieRef) -> Option<DieRef> {
    let t = types::get(dbg, ty);
    if let Kind::Pointer { pointee } = t.kind {
        return pointee;
    }
    let mut candidates = vec![ty];
    if let Some(vs) = t.variants() {
        candidates.extend(vs.variants.iter().filter_map(|v| v.member.ty));
    }
    candidates.into_iter().find_map(|c| {
        let (_, p) = nav::find_in_type(dbg, c, "pointer", 10)?;
        match types::get(dbg, p).kind {
            Kind::Pointer { pointee } => pointee,
            _ => None,
        }
    })
}

/// A boxed slice's elements (the shards of the owned list, the workers'
/// remotes).
fn slice(dbg: &DebugInfo, v: &Val, t: &types::Type, hops: u32, next: &mut Vec<(Val, u32)>) {
    if hops >= MAX_HOPS {
        return;
    }
    let Some((ptr, len)) = crate::values::core_views::fat_pointer(dbg, v, t) else {
        return;
    };
    let Some(elem) =
        t.field("data_ptr")
            .and_then(|f| f.ty)
            .and_then(|p| match types::get(dbg, p).kind {
                Kind::Pointer { pointee } => pointee,
                _ => None,
            })
    else {
        return;
    };
    let size = types::get(dbg, elem).size;
    if size == 0 || len > MAX_SLICE {
        return;
    }
    for i in 0..len {
        next.push((Val::new(Place::Mem(ptr + i * size), Some(elem)), hops + 1));
    }
}

/// A `VecDeque` of tasks (a current-thread scheduler's run queues): its
/// items, each a `Notified`.
fn deque(dbg: &DebugInfo, v: &Val, t: &types::Type, hops: u32, next: &mut Vec<(Val, u32)>) {
    let Some(elem) = t.param("T") else { return };
    if base(&types::get(dbg, elem).name) != "Notified" {
        return;
    }
    let Some(View::Items(items)) = crate::values::std_views::view(dbg, v, t, "VecDeque") else {
        return;
    };
    if items.len > crate::tasks::MAX_TASKS as u64 {
        return;
    }
    if let Ok(vals) = items.walk.items(&dbg.mem, 0..items.len) {
        next.extend(vals.into_iter().map(|val| (val, hops)));
    }
}

/// A worker's local run queue: a ring of `MaybeUninit` tasks in `buffer`
/// (a boxed slice or a boxed array), the live ones from the real head (the
/// low half of `head`; a stealer's mark is the high half) up to `tail`.
fn ring(dbg: &DebugInfo, v: &Val, t: &types::Type, out: &mut Vec<Source>) -> bool {
    let (Some(head), Some(tail), Some(buffer)) =
        (t.field("head"), t.field("tail"), t.field("buffer"))
    else {
        return false;
    };
    let (Some(head_ty), Some(tail_ty), Some(buffer_ty)) = (head.ty, tail.ty, buffer.ty) else {
        return false;
    };
    let buf = Val::new(v.place.at(buffer.offset), Some(buffer_ty));
    let bt = types::get(dbg, buffer_ty);
    // (first slot, slots, slot type)
    let slots = if bt.field("data_ptr").is_some() {
        crate::values::core_views::fat_pointer(dbg, &buf, &bt).and_then(|(ptr, len)| {
            let elem = match types::get(dbg, bt.field("data_ptr")?.ty?).kind {
                Kind::Pointer { pointee } => pointee?,
                _ => return None,
            };
            Some((ptr, len, elem))
        })
    } else {
        nav::deref(dbg, &buf).and_then(|arr| {
            let Place::Mem(ptr) = arr.place else {
                return None;
            };
            match types::get(dbg, arr.ty?).kind {
                Kind::Array {
                    elem: Some(elem),
                    count: Some(n),
                } => Some((ptr, n, elem)),
                _ => None,
            }
        })
    };
    let Some((ptr, cap, slot)) = slots else {
        return false;
    };
    let Some(header) = pointee(dbg, slot).filter(|&h| is_header(dbg, h)) else {
        return false;
    };
    let half = types::get(dbg, tail_ty).size;
    let (Ok(head), Ok(tail)) = (
        v.place
            .uint(&dbg.mem, head.offset, types::get(dbg, head_ty).size),
        v.place.uint(&dbg.mem, tail.offset, half),
    ) else {
        return true;
    };
    let size = types::get(dbg, slot).size;
    if half == 0 || half > 4 || cap == 0 || !cap.is_power_of_two() || size == 0 {
        return true;
    }
    let mask = (1u128 << (8 * half)) - 1;
    let real = head & mask;
    let live = (tail.wrapping_sub(real)) & mask;
    if live as u64 > cap {
        return true;
    }
    for i in 0..live as u64 {
        let index = ((real as u64).wrapping_add(i)) & (cap - 1);
        if let Ok(h) = Place::Mem(ptr + index * size).word(&dbg.mem, 0)
            && h != 0
        {
            out.push(Source::Task {
                header_addr: h,
                header,
            });
        }
    }
    true
}
