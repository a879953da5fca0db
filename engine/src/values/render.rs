//! Values as the debugger sees them, through one dispatch: every shape of
//! [`View`](crate::values::views::View) answers the [`Shown`] questions (kind and length, children a
//! page at a time, a bounded one-line preview in `{:?}` style, the full
//! transfer for `fetch`), and the functions here ask them of any [`Val`]:
//! [`describe`] (its [`ValueInfo`] minus the handle), [`children`],
//! [`short_preview`] and [`fetch`].

use std::fmt;
use std::ops::Range;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use wire::{ValueInfo, ValueKind};

use crate::dwarf::debuginfo::DebugInfo;
use crate::dwarf::types::{self, Kind, Type};
use crate::memory::unavailable::Unavailable;
use crate::values::families;
use crate::values::unsized_views;
use crate::values::views::{self, Val};

/// Most children one request may ask for.
pub const MAX_PAGE: u64 = 10_000;
/// Previews stop growing past this many bytes and end in `..`.
pub const PREVIEW_LIMIT: usize = 100;
/// Composite values nested deeper than this preview as `{ .. }`.
const PREVIEW_DEPTH: u32 = 3;
/// Elements shown in a sequence's preview.
const PREVIEW_ELEMENTS: u64 = 16;
/// Nodes a full transfer may hold.
const FETCH_NODES: u64 = 1_000_000;

/// A value with what reading it takes: the debug info, and its type.
pub struct Typed<'a> {
    pub dbg: &'a DebugInfo,
    pub v: &'a Val,
    pub ty: &'a Type,
}

/// How a view is shown: every answer a client gets about a value of it, in
/// one place. Each shape of [`View`](crate::values::views::View) implements
/// it, and so does a family's own view.
pub trait Shown: fmt::Debug + Send + Sync {
    /// The kind the client is told, and the length it shows.
    fn kind(&self) -> (ValueKind, Option<u64>);

    /// How many children the value has: by default as many as its length.
    fn count(&self) -> u64 {
        self.kind().1.unwrap_or(0)
    }

    /// Children `range` (inside `0..count()`), each with its name.
    fn page(&self, _it: &Typed<'_>, _range: Range<u64>) -> Vec<(String, Val)> {
        Vec::new()
    }

    /// Writes the one-line preview; by default its first children, as a
    /// sequence's `[a, b, ..]`.
    fn preview(&self, it: &Typed<'_>, p: &mut Preview<'_>) {
        p.items(self.count(), |r| self.page(it, r), ('[', ']'));
    }

    /// The whole value; by default the list of its children, whole.
    fn fetch(&self, it: &Typed<'_>, f: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        Ok(Data::Seq(f.all(self.count(), |r| self.page(it, r))?))
    }

    /// The bytes in memory (address, length) this value is the text of,
    /// where it is text its own shape shows (a platform string): what the
    /// expression language compares and counts.
    fn text_bytes(&self) -> Option<(u64, u64)> {
        None
    }

    /// Another value this one is described as, with this one's children (a
    /// map entry reads as its value, named by its key); then its own
    /// [`kind`](Shown::kind) is not asked.
    fn reads_as(&self) -> Option<&Val> {
        None
    }
}

/// A value's shape, without a handle (the server adds one).
pub fn describe(dbg: &DebugInfo, name: String, v: &Val) -> ValueInfo {
    let ty = views::type_of(dbg, v);
    let view = families::view(dbg, v, &ty);
    let shown = view.shown();
    if let Some(value) = shown.reads_as() {
        return ValueInfo {
            child_count: shown.count(),
            ..describe(dbg, name, value)
        };
    }
    let it = Typed { dbg, v, ty: &ty };
    let mut preview = String::new();
    shown.preview(&it, &mut Preview::new(dbg, &mut preview, 0));
    let (kind, len) = shown.kind();
    ValueInfo {
        name,
        type_name: unsized_views::type_name(dbg, v, &ty).unwrap_or_else(|| display_type(dbg, &ty)),
        kind,
        preview,
        len,
        handle: None,
        child_count: shown.count(),
        shadowed: false,
    }
}

/// The type as written in source: short paths, arrays as `[T; N]`.
pub fn display_type(dbg: &DebugInfo, ty: &Type) -> String {
    match &ty.kind {
        Kind::Array { elem, count } if ty.name.is_empty() => {
            let elem = elem.map_or_else(|| "?".into(), |e| display_type(dbg, &types::get(dbg, e)));
            format!("[{elem}; {}]", count.unwrap_or(0))
        }
        _ => types::short_name(&ty.name),
    }
}

/// A page of children: `count` from `start`, as (name, value).
pub fn children(dbg: &DebugInfo, v: &Val, start: u64, count: u64) -> Vec<(String, Val)> {
    let ty = views::type_of(dbg, v);
    let view = families::view(dbg, v, &ty);
    let shown = view.shown();
    let total = shown.count();
    let end = start.saturating_add(count).min(total);
    shown.page(&Typed { dbg, v, ty: &ty }, start.min(end)..end)
}

/// A preview being written: the text so far, and how deep it is.
pub struct Preview<'a> {
    dbg: &'a DebugInfo,
    out: &'a mut String,
    depth: u32,
}

impl<'a> Preview<'a> {
    fn new(dbg: &'a DebugInfo, out: &'a mut String, depth: u32) -> Preview<'a> {
        Preview { dbg, out, depth }
    }

    pub fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// Nested too deeply to show what is inside: `{ .. }`.
    pub fn deep(&self) -> bool {
        self.depth >= PREVIEW_DEPTH
    }

    /// Past the length budget: the rest is `..`.
    pub fn full(&self) -> bool {
        self.out.len() >= PREVIEW_LIMIT
    }

    /// The preview of a value inside this one.
    pub fn value(&mut self, v: &Val) {
        preview_into(self.dbg, v, self.out, self.depth + 1);
    }

    /// The preview of a value this one shows as its own (a wrapper's content).
    pub fn same(&mut self, v: &Val) {
        preview_into(self.dbg, v, self.out, self.depth);
    }

    /// Each of `kids` as `one` writes it, between `, `, cut with `..` at
    /// the preview's length budget.
    pub fn list(&mut self, kids: &[(String, Val)], mut one: impl FnMut(&mut Self, &str, &Val)) {
        for (i, (name, kid)) in kids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            if self.full() {
                self.push("..");
                break;
            }
            one(self, name, kid);
        }
    }

    /// `[a, b, ..]`, `{a, b}` or `{k: v, ..}`: the first of `total`
    /// children that `page` gives, cut at the preview's length budget.
    pub fn items(
        &mut self,
        total: u64,
        page: impl FnOnce(Range<u64>) -> Vec<(String, Val)>,
        brackets: (char, char),
    ) {
        let (open, close) = brackets;
        self.out.push(open);
        if self.deep() {
            self.out.push_str("..");
            self.out.push(close);
            return;
        }
        let kids = page(0..PREVIEW_ELEMENTS.min(total));
        self.list(&kids, |p, _, kid| match &kid.entry {
            Some(kv) => {
                p.value(&kv.0);
                p.push(": ");
                p.value(&kv.1);
            }
            None => p.value(kid),
        });
        if (kids.len() as u64) < total && !self.full() {
            self.push(", ..");
        }
        self.out.push(close);
    }
}

/// A short preview, for naming map entries by their key.
pub fn short_preview(dbg: &DebugInfo, v: &Val) -> String {
    let mut out = String::new();
    preview_into(dbg, v, &mut out, PREVIEW_DEPTH - 1);
    out
}

fn preview_into(dbg: &DebugInfo, v: &Val, out: &mut String, depth: u32) {
    let ty = views::type_of(dbg, v);
    let view = families::view(dbg, v, &ty);
    let it = Typed { dbg, v, ty: &ty };
    view.shown()
        .preview(&it, &mut Preview::new(dbg, out, depth));
}

/// A fully transferred value, serialized as MessagePack so that a local serde
/// type of the same shape decodes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    /// Integers beyond 64 bits, as decimal text.
    Big(String),
    Float(f64),
    Str(String),
    Seq(Vec<Data>),
    /// Struct fields (string keys) or map entries (any keys).
    Map(Vec<(Data, Data)>),
}

impl Serialize for Data {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Data::Nil => s.serialize_unit(),
            Data::Bool(b) => s.serialize_bool(*b),
            Data::Int(i) => s.serialize_i64(*i),
            Data::UInt(u) => s.serialize_u64(*u),
            Data::Big(t) | Data::Str(t) => s.serialize_str(t),
            Data::Float(f) => s.serialize_f64(*f),
            Data::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Data::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// The whole value, bounded to `FETCH_NODES` nodes.
pub fn fetch(dbg: &DebugInfo, v: &Val) -> Result<Data, Unavailable> {
    let mut budget = FETCH_NODES;
    Fetch {
        dbg,
        budget: &mut budget,
        depth: 0,
    }
    .this(v)
}

/// A full transfer under way: the nodes it may still hold, and how deep it is.
pub struct Fetch<'a> {
    dbg: &'a DebugInfo,
    budget: &'a mut u64,
    depth: u32,
}

impl Fetch<'_> {
    /// A value inside this one, whole.
    pub fn value(&mut self, v: &Val) -> Result<Data, Unavailable> {
        self.depth += 1;
        let data = self.this(v);
        self.depth -= 1;
        data
    }

    /// Every one of `total` children that `page` gives, whole.
    pub fn all(
        &mut self,
        total: u64,
        page: impl FnOnce(Range<u64>) -> Vec<(String, Val)>,
    ) -> Result<Vec<Data>, Unavailable> {
        if total > *self.budget {
            return Err(Unavailable::TooManyElements(total));
        }
        page(0..total)
            .iter()
            .map(|(_, kid)| self.value(kid))
            .collect()
    }

    fn this(&mut self, v: &Val) -> Result<Data, Unavailable> {
        if *self.budget == 0 {
            return Err(Unavailable::TooManyElements(FETCH_NODES));
        }
        if self.depth > 64 {
            return Err(Unavailable::NestedTooDeeply);
        }
        *self.budget -= 1;
        let ty = views::type_of(self.dbg, v);
        let view = families::view(self.dbg, v, &ty);
        let it = Typed {
            dbg: self.dbg,
            v,
            ty: &ty,
        };
        view.shown().fetch(&it, self)
    }
}
