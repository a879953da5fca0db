//! Views of std types beyond strings and vectors: collections walked through
//! their storage (`VecDeque`, `HashMap`/`HashSet`, `BTreeMap`/`BTreeSet`,
//! `BinaryHeap`, `LinkedList`), smart pointers with their counts (`Rc`,
//! `Arc`, `Weak`), cells and locks with their state, and the small wrappers
//! whose `{:?}` is their content (`Pin`, `Cow`, `NonZero`, atomics). Each is
//! recognised by name *and* layout ([`view`]): any field missing means
//! `None`, and the value shows as its raw struct instead.

use std::sync::Arc;

use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::dwarf::types::{self, Encoding, Kind, Type};
use crate::memory::place::Place;
use crate::memory::unavailable::Unavailable;
use crate::values::core_views;
use crate::values::shapes::{Items, Seq, Shape, Show, Str, Wrapper};
use crate::values::views::{MAX_LEN, Val, View, checked};
use crate::values::walk::{Hash, List, Ring, Tree};

/// The std view of `v`, whose type is named `base` (no path, no generic
/// arguments), if it is one we know.
pub fn view(dbg: &DebugInfo, v: &Val, ty: &Type, base: &str) -> Option<View> {
    match base {
        "VecDeque" => vec_deque(dbg, v, ty),
        "BinaryHeap" => {
            let data = field(dbg, v, ty, "data")?;
            let dty = types::get(dbg, data.ty?);
            let (ptr, len) = core_views::vec_parts(dbg, &data, &dty)?;
            Some(checked(
                len,
                View::Seq(Seq {
                    ptr,
                    len,
                    elem: ty.param("T"),
                }),
            ))
        }
        "HashMap" => hash(dbg, v, &["base", "table"], true),
        "HashSet" => hash(dbg, v, &["base", "map", "table"], false),
        "BTreeMap" => btree(dbg, v, ty, true),
        "BTreeSet" => {
            let map = field(dbg, v, ty, "map")?;
            let mty = types::get(dbg, map.ty?);
            btree(dbg, &map, &mty, false)
        }
        "LinkedList" => linked_list(dbg, v, ty),
        "Rc" | "Arc" => counted(dbg, v, ty, false),
        "Weak" => counted(dbg, v, ty, true),
        "Cell" => {
            let value = inner(dbg, v, &["value", "value"])?;
            Some(wrapper_struct(
                base,
                vec![("value".into(), value)],
                1,
                false,
            ))
        }
        "UnsafeCell" | "SyncUnsafeCell" => {
            let value = inner(dbg, v, &["value"])?;
            Some(wrapper_struct(
                base,
                vec![("value".into(), value)],
                1,
                false,
            ))
        }
        "RefCell" => ref_cell(dbg, v, ty),
        "Ref" | "RefMut" => {
            let target = deref(dbg, &field(dbg, v, ty, "value")?)?;
            Some(View::Wrapper(Wrapper {
                show: Show::Child(0),
                kids: vec![("*".into(), target)],
                pointer: true,
            }))
        }
        "Mutex" | "RwLock" => lock(dbg, v, ty, base),
        "ManuallyDrop" => {
            let value = inner(dbg, v, &["value"])?;
            Some(wrapper_struct(
                base,
                vec![("value".into(), value)],
                1,
                false,
            ))
        }
        "MaybeDangling" => {
            let (_, f) = only_field(ty)?;
            transparent(v.place.at(f.offset), f.ty, false)
        }
        "Pin" => {
            let (_, f) = only_field(ty)?;
            transparent(v.place.at(f.offset), f.ty, false)
        }
        "Cow" => cow(dbg, v),
        "NonZero" => {
            let value = inner(dbg, v, &["__0", "__0"])?;
            transparent(value.place, value.ty, false)
        }
        n if n.starts_with("Atomic") => atomic(dbg, v, n),
        "Duration" => duration(dbg, v),
        "PathBuf" | "OsString" => {
            let vec = inner(dbg, v, &["inner", "inner"])?;
            let vty = types::get(dbg, vec.ty?);
            // `OsString { inner: Buf { inner: Vec<u8> } }`, one level deeper for PathBuf.
            let vec = if vty.field("inner").is_some() {
                inner(dbg, &vec, &["inner"])?
            } else {
                vec
            };
            let vty = types::get(dbg, vec.ty?);
            let (ptr, len) = core_views::vec_parts(dbg, &vec, &vty)?;
            Some(checked(len, View::Str(Str { ptr, len })))
        }
        "CString" => {
            let boxed = field(dbg, v, ty, "inner")?;
            let bty = types::get(dbg, boxed.ty?);
            let (ptr, len) = core_views::fat_pointer(dbg, &boxed, &bty)?;
            Some(c_text(ptr, len))
        }
        "&Path" | "&OsStr" | "&mut Path" | "&mut OsStr" => {
            let (ptr, len) = core_views::fat_pointer(dbg, v, ty)?;
            Some(checked(len, View::Str(Str { ptr, len })))
        }
        "&CStr" => {
            let (ptr, len) = core_views::fat_pointer(dbg, v, ty)?;
            Some(c_text(ptr, len))
        }
        _ => None,
    }
}

/// The text of a C string's `len` stored bytes, which end with the NUL
/// terminator `{:?}` does not show.
fn c_text(ptr: u64, len: u64) -> View {
    checked(
        len,
        View::Str(Str {
            ptr,
            len: len.saturating_sub(1),
        }),
    )
}

/// A raw struct field of `v` (no views applied; a DST's tail as its
/// metadata says).
pub(crate) fn field(dbg: &DebugInfo, v: &Val, ty: &Type, name: &str) -> Option<Val> {
    let f = ty.field(name)?;
    Some(crate::values::unsized_views::member(dbg, v, ty, f, 0))
}

/// Follows raw struct fields by name.
pub(crate) fn inner(dbg: &DebugInfo, v: &Val, path: &[&str]) -> Option<Val> {
    let mut cur = v.clone();
    for name in path {
        let ty = types::get(dbg, cur.ty?);
        cur = field(dbg, &cur, &ty, name)?;
    }
    Some(cur)
}

fn only_field(ty: &Type) -> Option<(usize, &types::Field)> {
    match &ty.kind {
        Kind::Struct {
            fields,
            variants: None,
        } => fields.iter().enumerate().next(),
        _ => None,
    }
}

/// The pointee of a pointer, `NonNull` or `Unique`: the first raw pointer
/// inside `v`, and the type it points to (with its metadata when unsized).
pub(crate) fn deref(dbg: &DebugInfo, v: &Val) -> Option<Val> {
    let mut cur = v.clone();
    for _ in 0..8 {
        let ty = types::get(dbg, cur.ty?);
        if let Some(target) = crate::values::unsized_views::target(dbg, &cur, &ty) {
            return Some(target);
        }
        match &ty.kind {
            Kind::Pointer { pointee } => {
                let target = cur.place.word(&dbg.mem, 0).ok()?;
                return Some(Val::new(Place::Mem(target), *pointee));
            }
            Kind::Struct {
                fields,
                variants: None,
            } => {
                let f = fields.first()?;
                cur = Val::new(cur.place.at(f.offset), f.ty);
            }
            _ => return None,
        }
    }
    None
}

/// A scalar of `v`'s own type, as an unsigned number.
pub(crate) fn number(dbg: &DebugInfo, v: &Val) -> Option<u64> {
    let ty = types::get(dbg, v.ty?);
    matches!(ty.kind, Kind::Base(_)).then_some(())?;
    v.place.uint(&dbg.mem, 0, ty.size).ok().map(|n| n as u64)
}

/// A synthesised value of a builtin type.
pub(crate) fn synth(dbg: &DebugInfo, enc: Encoding, n: u64) -> Val {
    Val::new(
        Place::Bytes(n.to_le_bytes().to_vec()),
        Some(types::builtin(dbg, enc)),
    )
}

pub(crate) fn transparent(place: Place, ty: Option<DieRef>, pointer: bool) -> Option<View> {
    Some(View::Wrapper(Wrapper {
        show: Show::Child(0),
        kids: vec![("value".into(), Val::new(place, ty))],
        pointer,
    }))
}

fn wrapper_struct(label: &str, kids: Vec<(String, Val)>, shown: usize, more: bool) -> View {
    View::Wrapper(Wrapper {
        show: Show::Struct {
            label: label.into(),
            shown: (0..shown).collect(),
            more,
        },
        kids,
        pointer: false,
    })
}

fn vec_deque(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let head = number(dbg, &field(dbg, v, ty, "head")?)?;
    let len = number(dbg, &field(dbg, v, ty, "len")?)?;
    let buf = field(dbg, v, ty, "buf")?;
    let ptr = deref(dbg, &inner(dbg, &buf, &["inner", "ptr"])?)?.place;
    let Place::Mem(ptr) = ptr else { return None };
    let cap_field = inner(dbg, &buf, &["inner", "cap"])?;
    let cap = cap_field.place.word(&dbg.mem, 0).ok()?;
    let elem = ty.param("T");
    let stride = elem.map_or(0, |e| types::get(dbg, e).size);
    if len > cap || head > cap {
        return Some(View::Error(Unavailable::CorruptLength(len)));
    }
    Some(View::Items(Items {
        shape: Shape::Seq,
        len,
        walk: Arc::new(Ring {
            ptr,
            cap,
            head,
            stride,
            elem,
        }),
    }))
}

/// A hashbrown table (`RawTable`) at `path` inside `v`, as a map's or a
/// set's items.
pub(crate) fn hash(dbg: &DebugInfo, v: &Val, path: &[&str], map: bool) -> Option<View> {
    let shape = if map { Shape::Map } else { Shape::Set };
    Some(match hash_table(dbg, v, path, map)? {
        Ok((items, walk)) => checked(
            items,
            View::Items(Items {
                shape,
                len: items,
                walk: Arc::new(walk),
            }),
        ),
        Err(corrupt) => View::Error(corrupt),
    })
}

/// A hashbrown table's length and walk, or why its length is corrupt;
/// `None` when the layout is not hashbrown's.
pub(crate) fn hash_table(
    dbg: &DebugInfo,
    v: &Val,
    path: &[&str],
    map: bool,
) -> Option<Result<(u64, Hash), Unavailable>> {
    let raw = inner(dbg, v, path)?; // RawTable<T>
    let rty = types::get(dbg, raw.ty?);
    let elem = rty.param("T")?;
    let table = inner(dbg, &raw, &["table"])?; // RawTableInner
    let mask = number(dbg, &inner(dbg, &table, &["bucket_mask"])?)?;
    let items = number(dbg, &inner(dbg, &table, &["items"])?)?;
    let Place::Mem(ctrl) = deref(dbg, &inner(dbg, &table, &["ctrl"])?)?.place else {
        return None;
    };
    let ety = types::get(dbg, elem);
    let key = ety.field("__0")?;
    let value = if map {
        let f = ety.field("__1")?;
        Some((f.offset, f.ty))
    } else {
        None
    };
    if items > mask.saturating_add(1) {
        return Some(Err(Unavailable::CorruptLength(items)));
    }
    if key.offset != 0 {
        return None; // keys are always first in hashbrown's (K, V) buckets
    }
    let walk = Hash {
        ctrl,
        buckets: if items == 0 { 0 } else { mask + 1 },
        stride: ety.size,
        key: key.ty,
        value,
    };
    Some(Ok((items, walk)))
}

/// An `Option`-like enum's payload: `Some(Some(field))` for `Some(x)`,
/// `Some(None)` for `None`, `None` when `v` is not such an enum.
fn some_payload(dbg: &DebugInfo, v: &Val) -> Option<Option<Val>> {
    match core_views::active_variant(dbg, v)? {
        (label, fields, base) if label == "Some" => {
            let f = fields.first()?;
            Some(Some(Val::new(v.place.at(base + f.offset), f.ty)))
        }
        _ => Some(None),
    }
}

fn btree(dbg: &DebugInfo, v: &Val, ty: &Type, map: bool) -> Option<View> {
    let length = number(dbg, &field(dbg, v, ty, "length")?)?;
    let shape = if map { Shape::Map } else { Shape::Set };
    let root = field(dbg, v, ty, "root")?;
    let Some(node_ref) = some_payload(dbg, &root)? else {
        // No root: an empty map.
        return Some(View::Items(Items {
            shape,
            len: 0,
            walk: Arc::new(List {
                head: 0,
                next: 0,
                elem: (0, None),
            }),
        }));
    };
    let nty = types::get(dbg, node_ref.ty?);
    let height = number(dbg, &field(dbg, &node_ref, &nty, "height")?)?;
    let leaf = deref(dbg, &field(dbg, &node_ref, &nty, "node")?)?;
    let Place::Mem(root_addr) = leaf.place else {
        return None;
    };
    let lty = types::get(dbg, leaf.ty?);
    let len_at = lty.field("len")?.offset;
    let keys = lty.field("keys")?;
    let key_stride = array_stride(dbg, keys.ty?)?;
    let vals = if map {
        let f = lty.field("vals")?;
        Some((f.offset, array_stride(dbg, f.ty?)?, ty.param("V")))
    } else {
        None
    };
    if length > MAX_LEN {
        return Some(View::Error(Unavailable::CorruptLength(length)));
    }
    Some(View::Items(Items {
        shape,
        len: length,
        walk: Arc::new(Tree {
            root: root_addr,
            height,
            len_at,
            keys_at: keys.offset,
            key_stride,
            key: ty.param("K"),
            vals,
            edges_at: lty.size.div_ceil(8) * 8,
        }),
    }))
}

fn array_stride(dbg: &DebugInfo, array: DieRef) -> Option<u64> {
    match types::get(dbg, array).kind {
        Kind::Array { elem, .. } => Some(types::get(dbg, elem?).size),
        _ => None,
    }
}

fn linked_list(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let len = number(dbg, &field(dbg, v, ty, "len")?)?;
    let head = field(dbg, v, ty, "head")?;
    let (head_addr, node_ty) = match some_payload(dbg, &head)? {
        Some(first) => {
            let node = deref(dbg, &first)?;
            match node.place {
                Place::Mem(a) => (a, node.ty),
                _ => return None,
            }
        }
        None => (0, None),
    };
    let (next, elem_at) = match node_ty {
        Some(t) => {
            let nty = types::get(dbg, t);
            (nty.field("next")?.offset, nty.field("element")?.offset)
        }
        None => (0, 0),
    };
    Some(checked(
        len,
        View::Items(Items {
            shape: Shape::Seq,
            len,
            walk: Arc::new(List {
                head: head_addr,
                next,
                elem: (elem_at, ty.param("T")),
            }),
        }),
    ))
}

fn counted(dbg: &DebugInfo, v: &Val, ty: &Type, weak: bool) -> Option<View> {
    let ptr = field(dbg, v, ty, "ptr")?;
    let inner_val = deref(dbg, &ptr)?;
    let Place::Mem(addr) = inner_val.place else {
        return None;
    };
    // `Weak::new()` points nowhere (usize::MAX): no counts to read.
    if weak && addr == u64::MAX {
        return Some(View::Wrapper(Wrapper {
            show: Show::Text("(Weak)".into()),
            kids: Vec::new(),
            pointer: false,
        }));
    }
    let ity = types::get(dbg, inner_val.ty?);
    let count = |name: &str| -> Option<Val> {
        let c = field(dbg, &inner_val, &ity, name)?;
        // Cell<usize> { value: UnsafeCell { value } } or AtomicUsize { v: UnsafeCell { value } }
        let cty = types::get(dbg, c.ty?);
        let path: &[&str] = if cty.field("v").is_some() {
            &["v", "value"]
        } else {
            &["value", "value"]
        };
        inner(dbg, &c, path)
    };
    let strong = count("strong")?;
    let weak_count = count("weak")?;
    let value =
        field(dbg, &inner_val, &ity, "value").or_else(|| field(dbg, &inner_val, &ity, "data"))?;
    // As `Rc::strong_count` and `Rc::weak_count` report them: the weak
    // field also counts the one weak reference all strong ones share.
    // Unreadable counts (a dangling pointer) stay as they are, and say why.
    let strong_now = number(dbg, &strong);
    let alive = strong_now.is_some_and(|n| n > 0);
    let (strong, weak_count) = match (strong_now, number(dbg, &weak_count)) {
        (Some(s), Some(w)) => (
            synth(dbg, Encoding::Unsigned, s),
            synth(
                dbg,
                Encoding::Unsigned,
                if alive { w.saturating_sub(1) } else { 0 },
            ),
        ),
        _ => (strong, weak_count),
    };
    let mut kids = Vec::new();
    if !weak || alive {
        kids.push(("*".to_string(), value));
    }
    kids.push(("strong".into(), strong));
    kids.push(("weak".into(), weak_count));
    Some(View::Wrapper(Wrapper {
        show: if weak {
            Show::Text("(Weak)".into())
        } else {
            Show::Child(0)
        },
        kids,
        pointer: true,
    }))
}

fn ref_cell(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let borrow = inner(dbg, v, &["borrow", "value", "value"])?;
    let value = inner(dbg, v, &["value", "value"])?;
    let _ = ty;
    let state = borrow.place.uint(&dbg.mem, 0, 8).ok()? as u64 as i64;
    let kids = vec![("value".to_string(), value), ("borrow".to_string(), borrow)];
    if state < 0 {
        // Mutably borrowed: `{:?}` does not look inside, and neither do we.
        return Some(View::Wrapper(Wrapper {
            show: Show::Text("RefCell { value: <borrowed> }".into()),
            kids,
            pointer: false,
        }));
    }
    Some(wrapper_struct("RefCell", kids, 1, false))
}

fn lock(dbg: &DebugInfo, v: &Val, ty: &Type, label: &str) -> Option<View> {
    let data = inner(dbg, v, &["data", "value"])?;
    let poisoned = inner(dbg, v, &["poison", "failed", "v", "value"])?;
    let state = inner(dbg, v, &["inner"])?;
    let sty = types::get(dbg, state.ty?);
    let word = sty.field("futex").or_else(|| sty.field("state"))?;
    let locked = state.place.uint(&dbg.mem, word.offset, 4).ok()? != 0;
    let _ = ty;
    let poisoned_now = poisoned.place.uint(&dbg.mem, 0, 1).ok()? != 0;
    let kids = vec![
        ("data".to_string(), data),
        (
            "poisoned".to_string(),
            synth(dbg, Encoding::Bool, u64::from(poisoned_now)),
        ),
        (
            "locked".to_string(),
            synth(dbg, Encoding::Bool, u64::from(locked)),
        ),
    ];
    Some(wrapper_struct(label, kids, 2, true))
}

fn cow(dbg: &DebugInfo, v: &Val) -> Option<View> {
    let (_, fields, base) = core_views::active_variant(dbg, v)?;
    let f = fields.first()?;
    transparent(v.place.at(base + f.offset), f.ty, false)
}

fn atomic(dbg: &DebugInfo, v: &Val, name: &str) -> Option<View> {
    let value = inner(dbg, v, &["v", "value"])?;
    if name == "AtomicBool" {
        let b = value.place.uint(&dbg.mem, 0, 1).ok()? as u64;
        return transparent(
            synth(dbg, Encoding::Bool, b).place,
            Some(types::builtin(dbg, Encoding::Bool)),
            false,
        );
    }
    transparent(value.place, value.ty, false)
}

fn duration(dbg: &DebugInfo, v: &Val) -> Option<View> {
    let secs = inner(dbg, v, &["secs"])?;
    let nanos = inner(dbg, v, &["nanos", "__0"])?;
    let s = number(dbg, &secs)?;
    let n = number(dbg, &nanos)?;
    let text = if n < 1_000_000_000 {
        format!("{:?}", std::time::Duration::new(s, n as u32))
    } else {
        format!("<invalid duration nanos {n}>")
    };
    Some(View::Wrapper(Wrapper {
        show: Show::Text(text),
        kids: vec![("secs".into(), secs), ("nanos".into(), nanos)],
        pointer: false,
    }))
}
