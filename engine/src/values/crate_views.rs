//! Views of the crates services use, shown the way their users think of
//! them: `bytes` (`Bytes`, `BytesMut` as `b"…"`), `indexmap` (`IndexMap`,
//! `IndexSet` in insertion order), `smallvec`, `arrayvec` (`ArrayVec`,
//! `ArrayString`), `hashbrown` used directly, `lock_api`/`parking_lot` and
//! `tokio::sync` locks and `OnceCell`, `dashmap`, `serde_json` (`Value`,
//! `Map` as JSON-like maps and arrays), `uuid`, `smol_str`, `compact_str`,
//! and std's `OnceLock`/`LazyLock`.
//!
//! DWARF names types without their crate, so each is recognised by its
//! name *and* its layout ([`view`]): any field missing means `None`, and
//! the value shows as its raw struct instead. A view that shows its type
//! its own way implements `Shown` here (`Uuid`).

use std::ops::Range;
use std::sync::Arc;

use wire::ValueKind;

use crate::dwarf::debuginfo::DebugInfo;
use crate::dwarf::types::{self, Encoding, Kind, Type};
use crate::memory::place::Place;
use crate::memory::unavailable::Unavailable;
use crate::values::core_views;
use crate::values::families;
use crate::values::render::{Data, Fetch, Preview, Shown, Typed};
use crate::values::shapes::{Bytes, Fields, Items, Seq, Shape, Show, Str, Wrapper};
use crate::values::std_views::{field, hash, hash_table, inner, number, synth, transparent};
use crate::values::unsized_views::{self, Meta};
use crate::values::views::{MAX_LEN, Val, View, checked};
use crate::values::walk::{Concat, Entries, Walk};

/// Shards of a `DashMap` the agent reads (dashmap makes a few per core).
const MAX_SHARDS: u64 = 4096;

/// The view of `v`, whose type is named `base` (no path, no generic
/// arguments), if it is one of the crates' we know.
pub fn view(dbg: &DebugInfo, v: &Val, ty: &Type, base: &str) -> Option<View> {
    match base {
        "Bytes" | "BytesMut" => bytes(dbg, v, ty),
        "IndexMap" => index_map(dbg, v, ty, true),
        "IndexSet" => {
            let map = field(dbg, v, ty, "map")?;
            index_map(dbg, &map, &types::get(dbg, map.ty?), false)
        }
        "SmallVec" => small_vec(dbg, v, ty),
        "ArrayVec" => array_vec(dbg, v, ty, false),
        "ArrayString" => array_vec(dbg, v, ty, true),
        // hashbrown's own: the table is a field of the map, not of `base`.
        "HashMap" => hash(dbg, v, &["table"], true),
        "HashSet" => hash(dbg, v, &["map", "table"], false),
        "Mutex" | "RwLock" => lock_api(dbg, v, ty, base).or_else(|| tokio_lock(dbg, v, ty, base)),
        "DashMap" => dash_map(dbg, v, ty),
        "Value" => json_value(dbg, v, ty),
        "Map" => {
            // serde_json's `Map { map: BTreeMap | IndexMap }`.
            let map = field(dbg, v, ty, "map")?;
            let mty = types::get(dbg, map.ty?);
            let inner_name = types::short_name(&mty.name);
            (inner_name.starts_with("BTreeMap<") || inner_name.starts_with("IndexMap<"))
                .then(|| families::view(dbg, &map, &mty))
        }
        "Uuid" => uuid(dbg, v, ty),
        "SmolStr" => smol_str(dbg, v, ty),
        "CompactString" => compact_str(dbg, v, ty),
        "OnceLock" => once_lock(dbg, v, ty),
        "LazyLock" => lazy_lock(dbg, v, ty),
        "OnceCell" => tokio_once_cell(dbg, v, ty),
        _ => None,
    }
}

/// The address a pointer-like field (`*const u8`, `NonNull<u8>`) holds.
fn pointer_in(dbg: &DebugInfo, v: &Val, ty: &Type, name: &str) -> Option<u64> {
    let f = ty.field(name)?;
    let at = core_views::first_pointer(dbg, f.ty?, 0)?;
    v.place.word(&dbg.mem, f.offset + at).ok()
}

/// Through `UnsafeCell`, `MaybeUninit` and `ManuallyDrop` (std's and
/// tokio's) to the value they hold.
fn unwrap_cells(dbg: &DebugInfo, v: Val) -> Option<Val> {
    let mut cur = v;
    for _ in 0..8 {
        let ty = types::get(dbg, cur.ty?);
        let name = types::short_name(&ty.name);
        let base = name.split('<').next().unwrap_or("");
        if !matches!(base, "UnsafeCell" | "MaybeUninit" | "ManuallyDrop") {
            return Some(cur);
        }
        cur = field(dbg, &cur, &ty, "value").or_else(|| field(dbg, &cur, &ty, "__0"))?;
    }
    None
}

fn bytes(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    // `Bytes { ptr, len, data, vtable }`, `BytesMut { ptr, len, cap, data }`.
    ty.field("vtable").or_else(|| ty.field("cap"))?;
    ty.field("data")?;
    let ptr = pointer_in(dbg, v, ty, "ptr")?;
    let len = number(dbg, &field(dbg, v, ty, "len")?)?;
    Some(checked(len, View::Bytes(Bytes(Str { ptr, len }))))
}

fn index_map(dbg: &DebugInfo, v: &Val, ty: &Type, map: bool) -> Option<View> {
    let entries = inner(dbg, v, &["core", "entries"])?;
    let ety = types::get(dbg, entries.ty?);
    let (ptr, len) = core_views::vec_parts(dbg, &entries, &ety)?;
    let bucket = types::get(dbg, ety.param("T")?);
    let key = bucket.field("key")?;
    let value = bucket.field("value")?;
    let _ = ty;
    Some(checked(
        len,
        View::Items(Items {
            shape: if map { Shape::Map } else { Shape::Set },
            len,
            walk: Arc::new(Entries {
                ptr,
                stride: bucket.size,
                key: (key.offset, key.ty),
                value: map.then_some((value.offset, value.ty)),
            }),
        }),
    ))
}

fn small_vec(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let capacity = number(dbg, &field(dbg, v, ty, "capacity")?)?;
    let data = field(dbg, v, ty, "data")?;
    let Kind::Array {
        elem,
        count: Some(inline),
    } = types::get(dbg, ty.param("A")?).kind
    else {
        return None;
    };
    let (label, fields, base) = core_views::active_variant(dbg, &data)?;
    // Inline, `capacity` is the length; spilled, the heap's own `len` is.
    let (ptr, len) = match (label.as_str(), capacity <= inline) {
        ("Inline", true) => {
            let Place::Mem(at) = data.place.at(base + fields.first()?.offset) else {
                return None;
            };
            (at, capacity)
        }
        ("Heap", false) => {
            let heap = Val::new(data.place.at(base), None);
            let ptr_f = fields.iter().find(|f| f.name == "ptr")?;
            let len_f = fields.iter().find(|f| f.name == "len")?;
            let ptr = heap
                .place
                .word(
                    &dbg.mem,
                    ptr_f.offset + core_views::first_pointer(dbg, ptr_f.ty?, 0)?,
                )
                .ok()?;
            (ptr, heap.place.word(&dbg.mem, len_f.offset).ok()?)
        }
        _ => return None,
    };
    Some(checked(len, View::Seq(Seq { ptr, len, elem })))
}

fn array_vec(dbg: &DebugInfo, v: &Val, ty: &Type, text: bool) -> Option<View> {
    let len = number(dbg, &field(dbg, v, ty, "len")?)?;
    let xs = ty.field("xs")?;
    let Kind::Array { count, .. } = types::get(dbg, xs.ty?).kind else {
        return None;
    };
    let Place::Mem(ptr) = v.place.at(xs.offset) else {
        return None;
    };
    if len > count.unwrap_or(0) {
        return Some(View::Error(Unavailable::CorruptLength(len)));
    }
    Some(if text {
        View::Str(Str { ptr, len })
    } else {
        View::Seq(Seq {
            ptr,
            len,
            elem: ty.param("T"),
        })
    })
}

/// `lock_api::Mutex`/`RwLock` (parking_lot's): `{ raw: { state }, data }`.
fn lock_api(dbg: &DebugInfo, v: &Val, ty: &Type, label: &str) -> Option<View> {
    let raw = field(dbg, v, ty, "raw")?;
    let rty = types::get(dbg, raw.ty?);
    let state = rty.field("state")?;
    let size = types::get(dbg, state.ty?).size;
    let locked = raw.place.uint(&dbg.mem, state.offset, size).ok()? != 0;
    let data = unwrap_cells(dbg, field(dbg, v, ty, "data")?)?;
    Some(locked_struct(dbg, label, data, locked))
}

/// `tokio::sync::Mutex { s, c }` and `RwLock { mr, s, c }`: the semaphore's
/// permits (shifted by one bit) say whether it is held.
fn tokio_lock(dbg: &DebugInfo, v: &Val, ty: &Type, label: &str) -> Option<View> {
    let sem = field(dbg, v, ty, "s")?;
    let sty = types::get(dbg, sem.ty?);
    let permits = sem
        .place
        .word(&dbg.mem, sty.field("permits")?.offset)
        .ok()?
        >> 1;
    let data = unwrap_cells(dbg, field(dbg, v, ty, "c")?)?;
    let locked = match ty.field("mr") {
        Some(mr) => permits < v.place.uint(&dbg.mem, mr.offset, 4).ok()? as u64,
        None => permits == 0,
    };
    Some(locked_struct(dbg, label, data, locked))
}

fn locked_struct(dbg: &DebugInfo, label: &str, data: Val, locked: bool) -> View {
    View::Wrapper(Wrapper {
        show: Show::Struct {
            label: label.into(),
            shown: vec![0, 1],
            more: false,
        },
        kids: vec![
            ("data".into(), data),
            (
                "locked".into(),
                synth(dbg, Encoding::Bool, u64::from(locked)),
            ),
        ],
        pointer: false,
    })
}

/// Every shard's table, one after another.
fn dash_map(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    ty.field("shift")?;
    let shards = field(dbg, v, ty, "shards")?;
    let sty = types::get(dbg, shards.ty?);
    let slice = unsized_views::target(dbg, &shards, &sty)?;
    let Some(Meta::Slice(n)) = slice.meta else {
        return None;
    };
    let Place::Mem(first) = slice.place else {
        return None;
    };
    if n > MAX_SHARDS {
        return Some(View::Error(Unavailable::CorruptLength(n)));
    }
    let shard_ty = types::get(dbg, slice.ty?);
    let value_ty = ty.param("V");
    let mut parts = Vec::new();
    let mut total = 0u64;
    for i in 0..n {
        let shard = Val::new(Place::Mem(first + i * shard_ty.size), slice.ty);
        // CachePadded { value: RwLock { raw, data: UnsafeCell { value: RawTable } } }
        let lock = inner(dbg, &shard, &["value"])?;
        let table = unwrap_cells(dbg, inner(dbg, &lock, &["data"])?)?;
        let Ok((len, mut walk)) = hash_table(dbg, &table, &[], true)? else {
            return None;
        };
        if len > MAX_LEN {
            return None;
        }
        // Values are `SharedValue<V>`: the `V` at the same place.
        if let Some((_, ty)) = &mut walk.value {
            *ty = value_ty;
        }
        total += len;
        parts.push((len, Arc::new(walk) as Arc<dyn Walk>));
    }
    Some(checked(
        total,
        View::Items(Items {
            shape: Shape::Map,
            len: total,
            walk: Arc::new(Concat(parts)),
        }),
    ))
}

/// serde_json's `Value`: `null`, `true`, `7`, `"a"`, `[..]`, `{"k": ..}`.
fn json_value(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let Kind::Struct {
        variants: Some(vs), ..
    } = &ty.kind
    else {
        return None;
    };
    let names: Vec<&str> = vs
        .variants
        .iter()
        .map(|var| var.member.name.as_str())
        .collect();
    if names != ["Null", "Bool", "Number", "String", "Array", "Object"] {
        return None;
    }
    let View::Fields(Fields {
        label,
        fields,
        base,
        ..
    }) = core_views::enum_view(dbg, v, vs)
    else {
        return None;
    };
    if label == "Null" {
        return Some(View::Wrapper(Wrapper {
            show: Show::Text("null".into()),
            kids: Vec::new(),
            pointer: false,
        }));
    }
    let f = fields.first()?;
    let payload = Val::new(v.place.at(base + f.offset), f.ty);
    match label.as_str() {
        "Bool" => transparent(payload.place, payload.ty, false),
        "Number" => {
            // Number { n: PosInt(u64) | NegInt(i64) | Float(f64) }
            let n = inner(dbg, &payload, &["n"])?;
            let (_, fields, base) = core_views::active_variant(dbg, &n)?;
            let f = fields.first()?;
            transparent(n.place.at(base + f.offset), f.ty, false)
        }
        // Strings, arrays and maps are their payload's view, which stands
        // on its own (it names the storage, not the place).
        _ => {
            let pty = types::get(dbg, payload.ty?);
            Some(families::view(dbg, &payload, &pty))
        }
    }
}

fn uuid(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let bytes = field(dbg, v, ty, "__0")?;
    if ty.size != 16 || types::get(dbg, bytes.ty?).size != 16 {
        return None;
    }
    let b = bytes.place.read(&dbg.mem, 0, 16).ok()?;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let text = format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    Some(View::Own(Arc::new(Uuid { text, bytes })))
}

/// A UUID, shown as uuid's `{:?}` writes it and transferred as that text;
/// its one child is its 16 bytes.
#[derive(Debug)]
struct Uuid {
    text: String,
    bytes: Val,
}

impl Shown for Uuid {
    fn kind(&self) -> (ValueKind, Option<u64>) {
        (ValueKind::Struct, None)
    }

    fn count(&self) -> u64 {
        1
    }

    fn page(&self, _: &Typed<'_>, range: Range<u64>) -> Vec<(String, Val)> {
        [("bytes".to_string(), self.bytes.clone())][range.start as usize..range.end as usize]
            .to_vec()
    }

    fn preview(&self, _: &Typed<'_>, p: &mut Preview<'_>) {
        p.push(&self.text);
    }

    fn fetch(&self, _: &Typed<'_>, _: &mut Fetch<'_>) -> Result<Data, Unavailable> {
        Ok(Data::Str(self.text.clone()))
    }
}

/// `SmolStr(Repr)`: inline bytes, a `&'static str`, or an `Arc<str>`.
fn smol_str(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let repr = field(dbg, v, ty, "__0")?;
    let (label, fields, base) = core_views::active_variant(dbg, &repr)?;
    match label.as_str() {
        "Inline" => {
            let len_f = fields.iter().find(|f| f.name == "len")?;
            let buf = fields.iter().find(|f| f.name == "buf")?;
            let len = repr.place.uint(&dbg.mem, base + len_f.offset, 1).ok()? as u64;
            let Place::Mem(ptr) = repr.place.at(base + buf.offset) else {
                return None;
            };
            (len <= 23).then_some(View::Str(Str { ptr, len }))
        }
        "Static" | "Heap" => {
            let f = fields.first()?;
            let payload = Val::new(repr.place.at(base + f.offset), f.ty);
            let pty = types::get(dbg, payload.ty?);
            Some(families::view(dbg, &payload, &pty))
        }
        _ => None,
    }
}

/// `CompactString(Repr)`: 24 bytes whose last says where the text is —
/// inline (up to 24 bytes), or on the heap or in static memory.
fn compact_str(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    if ty.size != 24 {
        return None;
    }
    field(dbg, v, ty, "__0")?;
    let raw = v.place.read(&dbg.mem, 0, 24).ok()?;
    let Place::Mem(at) = v.place else {
        return None;
    };
    let word = |i: usize| u64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let (ptr, len) = match raw[23] {
        last if last < 192 => (at, 24),
        last if last < 192 + 24 => (at, u64::from(last - 192)),
        216 | 217 => (word(0), word(1)),
        _ => return None,
    };
    Some(checked(len, View::Str(Str { ptr, len })))
}

/// std's `Once` is complete when its state word is 0 (the futex Once).
fn once_done(dbg: &DebugInfo, once: &Val) -> Option<bool> {
    let state = inner(dbg, once, &["inner", "state_and_queued"])?;
    Some(state.place.uint(&dbg.mem, 0, 4).ok()? == 0)
}

fn uninit(label: &str) -> View {
    View::Wrapper(Wrapper {
        show: Show::Text(format!("{label}(<uninit>)")),
        kids: Vec::new(),
        pointer: false,
    })
}

fn once_lock(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let done = once_done(dbg, &field(dbg, v, ty, "once")?)?;
    let value = unwrap_cells(dbg, field(dbg, v, ty, "value")?)?;
    if !done {
        return Some(uninit("OnceLock"));
    }
    transparent(value.place, value.ty, false)
}

fn lazy_lock(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let done = once_done(dbg, &field(dbg, v, ty, "once")?)?;
    // data: UnsafeCell<Data<T, F>>, a union of `value` and `f`.
    let data = unwrap_cells(dbg, field(dbg, v, ty, "data")?)?;
    let dty = types::get(dbg, data.ty?);
    let value = unwrap_cells(dbg, field(dbg, &data, &dty, "value")?)?;
    if !done {
        return Some(uninit("LazyLock"));
    }
    transparent(value.place, value.ty, false)
}

fn tokio_once_cell(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let set = field(dbg, v, ty, "value_set")?;
    field(dbg, v, ty, "semaphore")?;
    let set = set.place.uint(&dbg.mem, 0, 1).ok()? != 0;
    let value = unwrap_cells(dbg, field(dbg, v, ty, "value")?)?;
    if !set {
        return Some(uninit("OnceCell"));
    }
    transparent(value.place, value.ty, false)
}
