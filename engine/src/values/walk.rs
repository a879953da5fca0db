//! Walking containers whose elements are not one stride apart ([`Walk`]):
//! `VecDeque`'s ring, hashbrown's tables (`HashMap`, `HashSet`), B-tree
//! nodes (`BTreeMap`, `BTreeSet`), `LinkedList`'s nodes, entries laid out
//! in a vector (`IndexMap`), and several tables one after another
//! (`DashMap`). Each walk yields one page of items and reads only the
//! storage needed to reach that page, never more than its bounds allow,
//! whatever the (possibly corrupt) memory says. A family whose container
//! is laid out another way implements [`Walk`] beside its view.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::memory::place::Place;
use crate::memory::read::Memory;
use crate::memory::unavailable::Unavailable;
use crate::values::views::Val;

/// Largest hash table (in buckets) or list the agent walks.
const MAX_WALK: u64 = 1 << 32;
/// B-tree nodes hold at most 11 keys; deeper than this is corrupt.
const MAX_HEIGHT: u64 = 48;

/// Where a container's items are, and how a page of them is reached: the
/// paging part of a view, so that a family with a layout of its own brings
/// its own walk.
pub trait Walk: fmt::Debug + Send + Sync {
    /// Items `range` (map items are entries).
    fn items(&self, mem: &Memory, range: Range<u64>) -> Result<Vec<Val>, Unavailable>;

    /// The name item `i` is shown under, when it is not its position
    /// (`[i]`) or, in a map, its key.
    fn name(&self, _dbg: &DebugInfo, _i: u64, _item: &Val) -> Option<String> {
        None
    }
}

/// `VecDeque`: `cap` slots from `ptr`, the first item at `head`.
#[derive(Debug, Clone)]
pub struct Ring {
    pub ptr: u64,
    pub cap: u64,
    pub head: u64,
    pub stride: u64,
    pub elem: Option<DieRef>,
}

impl Walk for Ring {
    fn items(&self, _: &Memory, range: Range<u64>) -> Result<Vec<Val>, Unavailable> {
        Ok(range
            .map(|i| {
                let slot = (self.head + i) % self.cap.max(1);
                Val::new(Place::Mem(self.ptr + slot * self.stride), self.elem)
            })
            .collect())
    }
}

/// hashbrown: control bytes at `ctrl`, bucket `i` at `ctrl - (i+1)*stride`.
/// `value` is the value's offset inside a bucket for maps.
#[derive(Debug, Clone)]
pub struct Hash {
    pub ctrl: u64,
    pub buckets: u64,
    pub stride: u64,
    pub key: Option<DieRef>,
    pub value: Option<(u64, Option<DieRef>)>,
}

impl Walk for Hash {
    fn items(&self, mem: &Memory, range: Range<u64>) -> Result<Vec<Val>, Unavailable> {
        let (start, end) = (range.start, range.end);
        let Hash {
            ctrl,
            stride,
            key,
            value,
            ..
        } = *self;
        let mut out = Vec::new();
        let mut seen = 0u64;
        let mut i = 0u64;
        let buckets = self.buckets.min(MAX_WALK);
        while i < buckets && seen < end {
            let chunk = (buckets - i).min(4096) as usize;
            let ctrl_bytes = mem.read(ctrl + i, chunk)?;
            for (k, b) in ctrl_bytes.iter().enumerate() {
                if b & 0x80 != 0 {
                    continue; // empty or deleted
                }
                if seen >= start && seen < end {
                    let bucket = ctrl.wrapping_sub((i + k as u64 + 1) * stride);
                    let k_val = Val::new(Place::Mem(bucket), key);
                    out.push(match value {
                        Some((off, ty)) => {
                            Val::entry(k_val, Val::new(Place::Mem(bucket + off), ty))
                        }
                        None => k_val,
                    });
                }
                seen += 1;
            }
            i += chunk as u64;
        }
        Ok(out)
    }
}

/// Entries one `stride` apart from `ptr`, the key (and a map's value) at an
/// offset inside each.
#[derive(Debug, Clone)]
pub struct Entries {
    pub ptr: u64,
    pub stride: u64,
    pub key: (u64, Option<DieRef>),
    pub value: Option<(u64, Option<DieRef>)>,
}

impl Walk for Entries {
    fn items(&self, _: &Memory, range: Range<u64>) -> Result<Vec<Val>, Unavailable> {
        Ok(range
            .map(|i| {
                let at = self.ptr.wrapping_add(i.wrapping_mul(self.stride));
                let k = Val::new(Place::Mem(at + self.key.0), self.key.1);
                match self.value {
                    Some((off, ty)) => Val::entry(k, Val::new(Place::Mem(at + off), ty)),
                    None => k,
                }
            })
            .collect())
    }
}

/// Several containers' items in turn, each with its length.
#[derive(Debug, Clone)]
pub struct Concat(pub Vec<(u64, Arc<dyn Walk>)>);

impl Walk for Concat {
    fn items(&self, mem: &Memory, range: Range<u64>) -> Result<Vec<Val>, Unavailable> {
        let (start, end) = (range.start, range.end);
        let mut out = Vec::new();
        let mut first = 0u64;
        for (len, part) in &self.0 {
            let (lo, hi) = (start.max(first), end.min(first.saturating_add(*len)));
            if lo < hi {
                out.extend(part.items(mem, lo - first..hi - first)?);
            }
            first = first.saturating_add(*len);
        }
        Ok(out)
    }
}

/// A linked list: the first node, where `next` sits in a node, and the
/// element's offset in a node and its type.
#[derive(Debug, Clone)]
pub struct List {
    pub head: u64,
    pub next: u64,
    pub elem: (u64, Option<DieRef>),
}

impl Walk for List {
    fn items(&self, mem: &Memory, range: Range<u64>) -> Result<Vec<Val>, Unavailable> {
        let (start, end) = (range.start, range.end);
        let mut out = Vec::new();
        let mut node = self.head;
        let mut i = 0u64;
        while node != 0 && i < end && i < MAX_WALK {
            if i >= start {
                out.push(Val::new(Place::Mem(node + self.elem.0), self.elem.1));
            }
            node = mem.read_word(node + self.next)?;
            i += 1;
        }
        Ok(out)
    }
}

/// A B-tree: the root node, its height and the node layout, read from the
/// DWARF of its leaf node.
#[derive(Debug, Clone)]
pub struct Tree {
    pub root: u64,
    pub height: u64,
    pub len_at: u64,
    pub keys_at: u64,
    pub key_stride: u64,
    pub key: Option<DieRef>,
    /// Offset of the values array, its stride and type (maps only).
    pub vals: Option<(u64, u64, Option<DieRef>)>,
    pub edges_at: u64,
}

impl Walk for Tree {
    fn items(&self, mem: &Memory, range: Range<u64>) -> Result<Vec<Val>, Unavailable> {
        let (start, end) = (range.start, range.end);
        let mut out = Vec::new();
        let mut seen = 0u64;
        tree_walk(
            mem,
            self,
            self.root,
            self.height,
            start,
            end,
            &mut seen,
            &mut out,
        )?;
        Ok(out)
    }
}

// The recursion carries the walk's whole state; a struct would only rename it.
#[allow(clippy::too_many_arguments)]
fn tree_walk(
    mem: &Memory,
    t: &Tree,
    node: u64,
    height: u64,
    start: u64,
    end: u64,
    seen: &mut u64,
    out: &mut Vec<Val>,
) -> Result<(), Unavailable> {
    if height > MAX_HEIGHT {
        return Err(Unavailable::CorruptTreeHeight(height));
    }
    let len = mem
        .read_uint(node + t.len_at, 2)
        .map_err(Unavailable::from)? as u64;
    if len > 11 {
        return Err(Unavailable::CorruptTreeNode(len));
    }
    let edge = |i: u64| {
        mem.read_word(node + t.edges_at + i * 8)
            .map_err(Unavailable::from)
    };
    for i in 0..=len {
        if *seen >= end {
            return Ok(());
        }
        if height > 0 {
            tree_walk(mem, t, edge(i)?, height - 1, start, end, seen, out)?;
        }
        if i == len || *seen >= end {
            continue;
        }
        if *seen >= start {
            let key = Val::new(Place::Mem(node + t.keys_at + i * t.key_stride), t.key);
            out.push(match t.vals {
                Some((at, stride, ty)) => {
                    Val::entry(key, Val::new(Place::Mem(node + at + i * stride), ty))
                }
                None => key,
            });
        }
        *seen += 1;
    }
    Ok(())
}
