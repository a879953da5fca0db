//! Items an expression picked (a filter's matches, a slice of a map): a
//! value with no place of its own, paged by position like any container
//! (it is its own [`Walk`]).

use std::ops::Range;

use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::memory::place::Place;
use crate::memory::read::Memory;
use crate::memory::unavailable::Unavailable;
use crate::values::render;
use crate::values::shapes::Shape;
use crate::values::views::Val;
use crate::values::walk::Walk;

/// Items an expression picked: a filter's matches, a slice of a map.
#[derive(Debug)]
pub struct Picked {
    pub shape: Shape,
    items: Items,
    /// Why the scan stopped early, if it did.
    pub stopped: Option<String>,
}

#[derive(Debug)]
enum Items {
    /// Elements `ptr + i * stride` for each `i` in `indices`.
    Strided {
        ptr: u64,
        stride: u64,
        elem: Option<DieRef>,
        indices: Vec<u64>,
    },
    /// Values with their names (`[7]`, or a map entry's key).
    Vals(Vec<(String, Val)>),
}

impl Picked {
    /// Elements `ptr + i * stride` of a sequence, for each `i` in `indices`.
    pub fn strided(ptr: u64, stride: u64, elem: Option<DieRef>, indices: Vec<u64>) -> Picked {
        Picked {
            shape: Shape::Seq,
            items: Items::Strided {
                ptr,
                stride,
                elem,
                indices,
            },
            stopped: None,
        }
    }

    pub fn vals(shape: Shape, items: Vec<(String, Val)>) -> Picked {
        Picked {
            shape,
            items: Items::Vals(items),
            stopped: None,
        }
    }

    pub fn len(&self) -> u64 {
        match &self.items {
            Items::Strided { indices, .. } => indices.len() as u64,
            Items::Vals(v) => v.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Walk for Picked {
    fn items(&self, _: &Memory, range: Range<u64>) -> Result<Vec<Val>, Unavailable> {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        Ok(match &self.items {
            Items::Strided {
                ptr,
                stride,
                elem,
                indices,
            } => indices[start as usize..end as usize]
                .iter()
                .map(|i| Val::new(Place::Mem(ptr.wrapping_add(i * stride)), *elem))
                .collect(),
            Items::Vals(v) => v[start as usize..end as usize]
                .iter()
                .map(|(_, v)| v.clone())
                .collect(),
        })
    }

    /// The name item `i` is shown under: its index in the container it was
    /// picked from, or a map entry's key.
    fn name(&self, dbg: &DebugInfo, i: u64, item: &Val) -> Option<String> {
        Some(match &self.items {
            Items::Strided { indices, .. } => indices
                .get(i as usize)
                .map_or_else(|| format!("[{i}]"), |n| format!("[{n}]")),
            Items::Vals(v) => match (&item.entry, self.shape) {
                (Some(kv), Shape::Map) => render::short_preview(dbg, &kv.0),
                _ => v
                    .get(i as usize)
                    .map_or_else(|| format!("[{i}]"), |(n, _)| n.clone()),
            },
        })
    }
}
