//! Views of std types beyond strings and vectors: collections walked through
//! their storage (`VecDeque`, `HashMap`/`HashSet`, `BTreeMap`/`BTreeSet`,
//! `BinaryHeap`, `LinkedList`), smart pointers with their counts (`Rc`,
//! `Arc`, `Weak`), cells and locks with their state, and the small wrappers
//! whose `{:?}` is their content (`Pin`, `Cow`, `NonZero`, atomics);
//! `std::net`'s addresses, `Instant` and `SystemTime` as the line of text
//! they are, and platform strings (`PathBuf`, `OsString`, `&Path`) as
//! `{:?}` writes them, bytes that are not UTF-8 as `\xFF`. Each is
//! recognised by name *and* layout ([`view`]): any field missing means
//! `None`, and the value shows as its raw struct instead. The date and
//! time arithmetic the date-time views share ([`rfc3339`]) lives here too.

use std::sync::Arc;

use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::dwarf::types::{self, Encoding, Kind, Type};
use crate::memory::place::Place;
use crate::memory::unavailable::Unavailable;
use crate::values::core_views;
use crate::values::shapes::{Items, OsStr, Said, Seq, Shape, Show, Str, Wrapper};
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
        "Ipv4Addr" | "Ipv6Addr" | "SocketAddrV4" | "SocketAddrV6" => address(dbg, v, ty, base),
        // `{:?}` of these enums is their address alone, not `V4(..)`.
        "IpAddr" | "SocketAddr" => {
            let (_, fields, at) = core_views::active_variant(dbg, v)?;
            let f = fields.first()?;
            transparent(v.place.at(at + f.offset), f.ty, false)
        }
        "Instant" | "SystemTime" => time(dbg, v, base),
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
            Some(checked(len, View::Own(Arc::new(OsStr(Str { ptr, len })))))
        }
        "CString" => {
            let boxed = field(dbg, v, ty, "inner")?;
            let bty = types::get(dbg, boxed.ty?);
            let (ptr, len) = core_views::fat_pointer(dbg, &boxed, &bty)?;
            Some(c_text(ptr, len))
        }
        "&Path" | "&OsStr" | "&mut Path" | "&mut OsStr" => {
            let (ptr, len) = core_views::fat_pointer(dbg, v, ty)?;
            Some(checked(len, View::Own(Arc::new(OsStr(Str { ptr, len })))))
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

/// `std::net`'s addresses as `{:?}` writes them (`127.0.0.1:8080`,
/// `[::1]:443`, `[fe80::1%2]:22`): `Ipv4Addr { octets }`,
/// `Ipv6Addr { octets }`, `SocketAddrV4 { ip, port }`,
/// `SocketAddrV6 { ip, port, flowinfo, scope_id }`.
fn address(dbg: &DebugInfo, v: &Val, ty: &Type, base: &str) -> Option<View> {
    let octets = |ip: &Val, n: usize| -> Option<Vec<u8>> {
        let ity = types::get(dbg, ip.ty?);
        let o = field(dbg, ip, &ity, "octets")?;
        (types::get(dbg, o.ty?).size == n as u64).then_some(())?;
        o.place.read(&dbg.mem, 0, n).ok()
    };
    let v4 = |b: Vec<u8>| Some(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(b).ok()?));
    let v6 = |b: Vec<u8>| Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?));
    let kids = |names: &[&str]| -> Option<Vec<(String, Val)>> {
        names
            .iter()
            .map(|n| Some((n.to_string(), field(dbg, v, ty, n)?)))
            .collect()
    };
    let port = || number(dbg, &field(dbg, v, ty, "port")?);
    let (text, kids) = match base {
        "Ipv4Addr" => (v4(octets(v, 4)?)?.to_string(), kids(&["octets"])?),
        "Ipv6Addr" => (v6(octets(v, 16)?)?.to_string(), kids(&["octets"])?),
        "SocketAddrV4" => {
            let ip = v4(octets(&field(dbg, v, ty, "ip")?, 4)?)?;
            (format!("{ip}:{}", port()?), kids(&["ip", "port"])?)
        }
        _ => {
            let ip = v6(octets(&field(dbg, v, ty, "ip")?, 16)?)?;
            let scope = number(dbg, &field(dbg, v, ty, "scope_id")?)?;
            let kids = kids(&["ip", "port", "flowinfo", "scope_id"])?;
            let text = match scope {
                0 => format!("[{ip}]:{}", port()?),
                id => format!("[{ip}%{id}]:{}", port()?),
            };
            (text, kids)
        }
    };
    Some(View::Own(Arc::new(Said::text(text, kids))))
}

/// `Instant` and `SystemTime` as a time, from the `Timespec { tv_sec,
/// tv_nsec }` inside them: a `SystemTime` as its UTC date and time
/// (`SystemTime(2025-12-03T17:05:08.123456789Z)`), an `Instant` as its
/// reading of the monotonic clock and, where the host knows that clock's
/// reading at the snapshot, how long before it (`Instant(923.204961300 s
/// monotonic, 90.002 s ago)`).
fn time(dbg: &DebugInfo, v: &Val, base: &str) -> Option<View> {
    // Instant(time::Instant { t: Timespec }), SystemTime likewise.
    let mut cur = v.clone();
    let spec = loop {
        let ty = types::get(dbg, cur.ty?);
        if ty.field("tv_sec").is_some() {
            break cur;
        }
        let fields = ty.struct_fields()?;
        let [only] = fields else { return None };
        cur = Val::new(cur.place.at(only.offset), only.ty);
    };
    let sty = types::get(dbg, spec.ty?);
    let sec_val = field(dbg, &spec, &sty, "tv_sec")?;
    let nsec_val = deep_scalar(dbg, &field(dbg, &spec, &sty, "tv_nsec")?)?;
    let secs = signed(dbg, &sec_val)?;
    let nanos = number(dbg, &nsec_val)?;
    if nanos >= 1_000_000_000 {
        return Some(unknown_layout(dbg, v, base));
    }
    let nanos = nanos as u32;
    let text = if base == "SystemTime" {
        format!("SystemTime({})", rfc3339(secs, nanos, Zone::Z))
    } else {
        let reading = format!("{secs}.{nanos:09} s monotonic");
        let at = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
        match dbg.mem.process().monotonic_now() {
            Some(now) => {
                let ago = now.as_nanos() as i128 - at;
                let text = |ns: i128| {
                    format!(
                        "{}.{:03} s",
                        ns / 1_000_000_000,
                        ns % 1_000_000_000 / 1_000_000
                    )
                };
                if ago >= 0 {
                    format!("Instant({reading}, {} ago)", text(ago))
                } else {
                    format!("Instant({reading}, {} from now)", text(-ago))
                }
            }
            None => format!("Instant({reading})"),
        }
    };
    Some(View::Own(Arc::new(Said::text(
        text,
        vec![("tv_sec".into(), sec_val), ("tv_nsec".into(), nsec_val)],
    ))))
}

/// A signed scalar of `v`'s own type.
pub(crate) fn signed(dbg: &DebugInfo, v: &Val) -> Option<i64> {
    let ty = types::get(dbg, v.ty?);
    let raw = number(dbg, v)?;
    Some(crate::values::shapes::sign_extend(u128::from(raw), ty.size) as i64)
}

/// The scalar inside `v` through single-field wrappers (`NonZero`,
/// `Nanoseconds`, ranged integers): as an unsigned number of its size.
pub(crate) fn deep_number(dbg: &DebugInfo, v: &Val) -> Option<u64> {
    number(dbg, &deep_scalar(dbg, v)?)
}

/// The scalar inside `v` through single-field wrappers.
pub(crate) fn deep_scalar(dbg: &DebugInfo, v: &Val) -> Option<Val> {
    let mut cur = v.clone();
    for _ in 0..8 {
        let ty = types::get(dbg, cur.ty?);
        match &ty.kind {
            Kind::Base(_) => return Some(cur),
            Kind::Struct {
                fields,
                variants: None,
            } if fields.len() == 1 && fields[0].offset == 0 && ty.size <= 8 => {
                cur = Val::new(cur.place.clone(), fields[0].ty);
            }
            _ => return None,
        }
    }
    None
}

/// The one line a value of a known name but an unknown layout shows
/// (`Regex(<a layout pmdb does not know>)`), its raw fields as children,
/// so that no value is read from a place it may not be.
pub(crate) fn unknown_layout(dbg: &DebugInfo, v: &Val, label: &str) -> View {
    let ty = crate::values::views::type_of(dbg, v);
    let kids = match &ty.kind {
        Kind::Struct { fields, .. } | Kind::Union { fields } => fields
            .iter()
            .map(|f| {
                let name = crate::values::shapes::tuple_index(&f.name).unwrap_or(&f.name);
                (name.to_string(), Val::new(v.place.at(f.offset), f.ty))
            })
            .collect(),
        _ => Vec::new(),
    };
    View::Own(Arc::new(Said::text(
        format!("{label}(<a layout pmdb does not know>)"),
        kids,
    )))
}

/// How a date-time's offset from UTC is written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Zone {
    /// No offset: a naive date-time.
    Naive,
    /// UTC itself, `Z`.
    Z,
    /// `+01:00`, `-05:30`, `+00:00` (seconds when there are some), the
    /// time shown being local to it.
    Offset(i32),
}

/// Seconds and nanoseconds since 1970 (UTC) in RFC 3339's form, as
/// chrono's `{:?}` writes it: `2025-12-03T17:05:08.123456789Z`, the
/// fraction in 3, 6 or 9 digits and left out when zero, the time local to
/// `zone`'s offset. Nanoseconds past a second are a leap second (`:60`).
pub(crate) fn rfc3339(secs: i64, nanos: u32, zone: Zone) -> String {
    let (local, suffix) = match zone {
        Zone::Naive => (secs, String::new()),
        Zone::Z => (secs, "Z".into()),
        Zone::Offset(off) => (secs + i64::from(off), offset_text(off)),
    };
    format!(
        "{}T{}{suffix}",
        date_text(local.div_euclid(86_400)),
        time_text(local.rem_euclid(86_400) as u32, nanos)
    )
}

/// An offset from UTC as chrono writes it: `+01:00`, `-05:30`, with
/// seconds when there are some.
fn offset_text(off: i32) -> String {
    let (sign, abs) = if off < 0 { ('-', -off) } else { ('+', off) };
    let hm = format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60);
    match abs % 60 {
        0 => hm,
        s => format!("{hm}:{s:02}"),
    }
}

/// Days since 1970-01-01 as a date, `2024-02-29` (`+10000-01-01`,
/// `-0001-01-01` beyond four digits).
pub(crate) fn date_text(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    if (0..=9999).contains(&year) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:+05}-{month:02}-{day:02}")
    }
}

/// Seconds of a day and nanoseconds as a time, `17:05:08.123456789`;
/// nanoseconds past a second in the last second of a minute are a leap
/// second, `23:59:60.5`.
pub(crate) fn time_text(secs: u32, nanos: u32) -> String {
    let (sec, nanos) = if nanos >= 1_000_000_000 && secs % 60 == 59 {
        (60, nanos - 1_000_000_000)
    } else {
        (secs % 60, nanos)
    };
    format!(
        "{:02}:{:02}:{sec:02}{}",
        secs / 3600,
        secs % 3600 / 60,
        fraction(nanos)
    )
}

/// A fraction of a second as chrono writes it: none, or 3, 6 or 9 digits.
pub(crate) fn fraction(nanos: u32) -> String {
    if nanos == 0 {
        String::new()
    } else if nanos.is_multiple_of(1_000_000) {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    }
}

/// Days since 1970-01-01 as (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The days since 1970-01-01 of January 1st of `year` (Hinnant's
/// `days_from_civil`).
pub(crate) fn days_to_year(year: i64) -> i64 {
    let y = year - 1; // January is counted in the year before, from March
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = 306; // January 1st, counted from March 1st
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether `year` has 366 days.
pub(crate) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

#[cfg(test)]
mod tests {
    use super::{Zone, civil_from_days, days_to_year, rfc3339};

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0, 0, Zone::Z), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(951_782_400, 5, Zone::Naive),
            "2000-02-29T00:00:00.000000005"
        );
        assert_eq!(
            rfc3339(1_764_781_508, 123_456_789, Zone::Offset(3600)),
            "2025-12-03T18:05:08.123456789+01:00"
        );
        assert_eq!(
            rfc3339(1_764_781_508, 120_000_000, Zone::Offset(-19_800)),
            "2025-12-03T11:35:08.120-05:30"
        );
        assert_eq!(rfc3339(-1, 0, Zone::Z), "1969-12-31T23:59:59Z");
        assert_eq!(
            rfc3339(-62_198_755_200, 0, Zone::Z),
            "-0001-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(253_402_300_800, 0, Zone::Z),
            "+10000-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(86_399, 1_500_000_000, Zone::Z),
            "1970-01-01T23:59:60.500Z"
        );
    }

    #[test]
    fn days_and_years_agree() {
        for year in [-400, -1, 0, 1, 1900, 1970, 2000, 2024, 2025, 9999] {
            assert_eq!(civil_from_days(days_to_year(year)), (year, 1, 1), "{year}");
        }
    }
}
