//! Walking std containers whose elements are not one stride apart:
//! `VecDeque`'s ring, hashbrown's tables (`HashMap`, `HashSet`), B-tree nodes
//! (`BTreeMap`, `BTreeSet`), `LinkedList`'s nodes, entries laid out in a
//! vector (`IndexMap`), and several tables one after another (`DashMap`). Each walk yields one
//! page of items and reads only the storage needed to reach that page, never
//! more than its bounds allow, whatever the (possibly corrupt) memory says.

use crate::dwarf::debuginfo::DieRef;
use crate::memory::place::Place;
use crate::memory::read::Memory;
use crate::memory::unavailable::Unavailable;
use crate::values::views::Val;

/// Largest hash table (in buckets) or list the agent walks.
const MAX_WALK: u64 = 1 << 32;
/// B-tree nodes hold at most 11 keys; deeper than this is corrupt.
const MAX_HEIGHT: u64 = 48;

/// Where a container's items are.
#[derive(Debug, Clone)]
pub enum Walk {
    /// `VecDeque`: `cap` slots from `ptr`, the first item at `head`.
    Ring {
        ptr: u64,
        cap: u64,
        head: u64,
        stride: u64,
        elem: Option<DieRef>,
    },
    /// hashbrown: control bytes at `ctrl`, bucket `i` at `ctrl - (i+1)*stride`.
    /// `value` is the value's offset inside a bucket for maps.
    Hash {
        ctrl: u64,
        buckets: u64,
        stride: u64,
        key: Option<DieRef>,
        value: Option<(u64, Option<DieRef>)>,
    },
    /// A B-tree: the root node, its height and the node layout.
    Tree(Box<Tree>),
    /// Entries one `stride` apart from `ptr`, the key (and a map's value)
    /// at an offset inside each.
    Entries {
        ptr: u64,
        stride: u64,
        key: (u64, Option<DieRef>),
        value: Option<(u64, Option<DieRef>)>,
    },
    /// Several containers' items in turn, each with its length.
    Concat(Vec<(u64, Walk)>),
    /// A linked list: the first node, and where `next` and the element sit.
    List {
        head: u64,
        next: u64,
        elem_at: u64,
        elem: Option<DieRef>,
    },
    /// Items an expression picked (a filter's matches), by position.
    Picked(std::sync::Arc<crate::values::picked::Picked>),
}

/// A B-tree's layout, read from the DWARF of its leaf node.
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

/// Items `start..start+count` (map items are entries).
pub fn items(mem: &Memory, walk: &Walk, start: u64, count: u64) -> Result<Vec<Val>, Unavailable> {
    let end = start.saturating_add(count);
    match walk {
        Walk::Picked(p) => Ok(p.items(start, end)),
        Walk::Ring {
            ptr,
            cap,
            head,
            stride,
            elem,
        } => Ok((start..end)
            .map(|i| {
                let slot = (head + i) % (*cap).max(1);
                Val::new(Place::Mem(ptr + slot * stride), *elem)
            })
            .collect()),
        Walk::Hash {
            ctrl,
            buckets,
            stride,
            key,
            value,
        } => {
            let mut out = Vec::new();
            let mut seen = 0u64;
            let mut i = 0u64;
            let buckets = (*buckets).min(MAX_WALK);
            while i < buckets && seen < end {
                let chunk = (buckets - i).min(4096) as usize;
                let ctrl_bytes = mem.read(ctrl + i, chunk)?;
                for (k, b) in ctrl_bytes.iter().enumerate() {
                    if b & 0x80 != 0 {
                        continue; // empty or deleted
                    }
                    if seen >= start && seen < end {
                        let bucket = ctrl.wrapping_sub((i + k as u64 + 1) * stride);
                        let k_val = Val::new(Place::Mem(bucket), *key);
                        out.push(match value {
                            Some((off, ty)) => {
                                Val::entry(k_val, Val::new(Place::Mem(bucket + off), *ty))
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
        Walk::Entries {
            ptr,
            stride,
            key,
            value,
        } => Ok((start..end)
            .map(|i| {
                let at = ptr.wrapping_add(i.wrapping_mul(*stride));
                let k = Val::new(Place::Mem(at + key.0), key.1);
                match value {
                    Some((off, ty)) => Val::entry(k, Val::new(Place::Mem(at + off), *ty)),
                    None => k,
                }
            })
            .collect()),
        Walk::Concat(parts) => {
            let mut out = Vec::new();
            let mut first = 0u64;
            for (len, part) in parts {
                let (lo, hi) = (start.max(first), end.min(first.saturating_add(*len)));
                if lo < hi {
                    out.extend(items(mem, part, lo - first, hi - lo)?);
                }
                first = first.saturating_add(*len);
            }
            Ok(out)
        }
        Walk::Tree(t) => {
            let mut out = Vec::new();
            let mut seen = 0u64;
            tree_walk(mem, t, t.root, t.height, start, end, &mut seen, &mut out)?;
            Ok(out)
        }
        Walk::List {
            head,
            next,
            elem_at,
            elem,
        } => {
            let mut out = Vec::new();
            let mut node = *head;
            let mut i = 0u64;
            while node != 0 && i < end && i < MAX_WALK {
                if i >= start {
                    out.push(Val::new(Place::Mem(node + elem_at), *elem));
                }
                node = mem.read_word(node + next)?;
                i += 1;
            }
            Ok(out)
        }
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
