//! Views: what a typed value *is* to a Rust programmer. A DWARF type plus a
//! place becomes a [`View`]: a scalar, a string, a sequence with a length, a
//! pointer with a pointee, a struct, an enum's active variant. Std types
//! (`String`, `&str`, `Vec`, slices, `Box`) are recognised by name *and*
//! layout; a layout we do not recognise falls back to the raw struct.

use std::sync::Arc;

use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::dwarf::types::{self, Encoding, Field, Kind, Type};
use crate::memory::place::Place;
use crate::memory::read::Memory;
use crate::memory::unavailable::Unavailable;
use crate::values::unsized_views::Meta;

/// A typed value in the frozen process.
#[derive(Debug, Clone)]
pub struct Val {
    pub place: Place,
    pub ty: Option<DieRef>,
    /// Set for a map entry, which has no place of its own: (key, value).
    pub entry: Option<Box<(Val, Val)>>,
    /// Set for an unsized value: what its pointer said about its size.
    pub meta: Option<Meta>,
    /// Set for an expression's result made of picked items (a filter's
    /// matches), which has no place of its own either.
    pub picked: Option<Arc<crate::values::picked::Picked>>,
}

impl Val {
    pub fn new(place: Place, ty: Option<DieRef>) -> Val {
        Val {
            place,
            ty,
            entry: None,
            meta: None,
            picked: None,
        }
    }

    /// An unsized value: a slice, a `str`, or a custom DST.
    pub fn with_meta(place: Place, ty: Option<DieRef>, meta: Meta) -> Val {
        Val {
            place,
            ty,
            entry: None,
            meta: Some(meta),
            picked: None,
        }
    }

    /// A map entry made of its key and value.
    pub fn entry(key: Val, value: Val) -> Val {
        Val {
            place: Place::Bytes(Vec::new()),
            ty: None,
            entry: Some(Box::new((key, value))),
            meta: None,
            picked: None,
        }
    }
}

/// How a container of items is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `[1, 2]`
    Seq,
    /// `{1, 2}`
    Set,
    /// `{"a": 1}`
    Map,
}

/// What a std wrapper's preview shows.
#[derive(Debug, Clone)]
pub enum Show {
    /// The preview of child `i`, as `{:?}` of `Rc`, `Pin`, `Cow`, atomics does.
    Child(usize),
    /// `Label { a: .., b: .. }` from the named children, then `, ..` if `more`.
    Struct {
        label: String,
        shown: Vec<usize>,
        more: bool,
    },
    /// Fixed text.
    Text(String),
    /// Fixed text that is also the value a full transfer gives (a UUID).
    Literal(String),
}

/// How a struct-like value's fields are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `Point { x: 1, y: 2 }`
    Named,
    /// `Meters(3.5)`, `Some(42)`
    Tuple,
    /// `(1, 2)`
    Anonymous,
    /// `Empty`, `None`
    Unit,
}

/// What a value is.
#[derive(Debug, Clone)]
pub enum View {
    Scalar(Encoding, u64),
    /// UTF-8 text at `ptr`, `len` bytes.
    Str {
        ptr: u64,
        len: u64,
    },
    /// A byte string at `ptr`, `len` bytes, written `b"…"`.
    Bytes {
        ptr: u64,
        len: u64,
    },
    /// `len` elements of `elem` from `ptr` (Vec, slices).
    Seq {
        ptr: u64,
        len: u64,
        elem: Option<DieRef>,
    },
    /// An inline array.
    Array {
        elem: Option<DieRef>,
        count: u64,
    },
    /// A reference, `Box`, or raw pointer.
    Pointer {
        target: u64,
        pointee: Option<DieRef>,
        raw: bool,
    },
    /// Fields (already placed relative to the value) written in `style`,
    /// under `label` (the struct or variant name).
    Fields {
        label: String,
        style: Style,
        fields: Vec<Field>,
        base: u64,
        variant: bool,
    },
    /// A C-like enum's variant name (or its number when unknown).
    CEnum(String),
    Function(u64),
    /// Items found by walking a std container's storage.
    Items {
        shape: Shape,
        len: u64,
        walk: crate::values::walk::Walk,
    },
    /// A std wrapper (`Rc`, `Cell`, `Mutex`, …): its preview and children.
    Wrapper {
        show: Show,
        kids: Vec<(String, Val)>,
        pointer: bool,
    },
    /// A map entry.
    Entry(Box<(Val, Val)>),
    /// The value cannot be shown; the text says why.
    Error(Unavailable),
}

/// Upper bound on any length the agent believes (2^32 elements); above it the
/// length is reported as corrupt instead of being used.
pub const MAX_LEN: u64 = 1 << 32;

/// The value's type, or a placeholder when it has none.
pub fn type_of(dbg: &DebugInfo, v: &Val) -> Arc<Type> {
    match v.ty {
        Some(t) => types::get(dbg, t),
        None => Arc::new(Type {
            name: "()".into(),
            size: 0,
            kind: Kind::Base(Encoding::Unit),
            params: Vec::new(),
        }),
    }
}

/// Classifies a value.
pub fn view(dbg: &DebugInfo, v: &Val, ty: &Type) -> View {
    if let Some(entry) = &v.entry {
        return View::Entry(entry.clone());
    }
    if let Some(p) = &v.picked {
        return View::Items {
            shape: p.shape,
            len: p.len(),
            walk: crate::values::walk::Walk::Picked(p.clone()),
        };
    }
    if let Place::Missing(why) = &v.place {
        return View::Error(why.clone());
    }
    if let Some(view) = crate::values::unsized_views::own_view(v) {
        return view;
    }
    // Pieces that cover less than the type: part of the value is unknown.
    if let Place::Bytes(b) = &v.place
        && (b.len() as u64) < ty.size
    {
        return View::Error(Unavailable::OptimizedOut);
    }
    // A composite behind a bad pointer is one unreadable value, not a
    // struct of unreadable fields.
    if let (Place::Mem(addr), Kind::Struct { .. } | Kind::Union { .. } | Kind::Array { .. }) =
        (&v.place, &ty.kind)
        && ty.size > 0
        && let Err(e) = dbg.mem.read(*addr, 1)
    {
        return View::Error(e.into());
    }
    match &ty.kind {
        Kind::Base(enc) => View::Scalar(*enc, ty.size),
        Kind::Pointer { pointee } => match v.place.word(&dbg.mem, 0) {
            Ok(target)
                if pointee.is_some_and(|p| matches!(types::get(dbg, p).kind, Kind::Function)) =>
            {
                View::Function(target)
            }
            Ok(target) => View::Pointer {
                target,
                pointee: *pointee,
                raw: ty.name.starts_with('*'),
            },
            Err(e) => View::Error(e),
        },
        Kind::Array { elem, count } => View::Array {
            elem: *elem,
            count: count.unwrap_or(0),
        },
        Kind::Function => View::Function(v.place.word(&dbg.mem, 0).unwrap_or(0)),
        Kind::CEnum { signed, values } => match v.place.uint(&dbg.mem, 0, ty.size) {
            Ok(raw) => {
                let n = if *signed {
                    sign_extend(raw, ty.size)
                } else {
                    raw as i128
                };
                View::CEnum(values.iter().find(|(_, val)| *val == n).map_or_else(
                    || format!("<invalid discriminant {n}>"),
                    |(name, _)| name.clone(),
                ))
            }
            Err(e) => View::Error(e),
        },
        Kind::Union { fields } => View::Fields {
            label: types::short_name(&ty.name),
            style: Style::Named,
            fields: fields.clone(),
            base: 0,
            variant: false,
        },
        Kind::Struct { fields, variants } => crate::values::declared_views::view(dbg, v, ty)
            .or_else(|| std_view(dbg, v, ty, fields))
            .or_else(|| crate::values::std_views::view(dbg, v, ty))
            .or_else(|| crate::values::crate_views::view(dbg, v, ty))
            .or_else(|| crate::values::unsized_views::view(dbg, v, ty))
            .unwrap_or_else(|| match variants {
                Some(vs) => enum_view(dbg, v, vs),
                None => struct_view(ty, fields),
            }),
        Kind::Unknown => View::Error(Unavailable::NoDebugInfo),
    }
}

fn struct_view(ty: &Type, fields: &[Field]) -> View {
    let anonymous = ty.name.starts_with('(');
    // `{:?}` of a derived Debug writes the bare name: `Pair { .. }`, not `Pair<u8> { .. }`.
    let short = types::short_name(&ty.name);
    let label = match short.split_once('<') {
        Some((bare, _)) if !fields.is_empty() && !bare.is_empty() => bare.to_string(),
        _ => short,
    };
    View::Fields {
        label: if anonymous { String::new() } else { label },
        style: fields_style(fields, anonymous),
        fields: fields.to_vec(),
        base: 0,
        variant: false,
    }
}

fn fields_style(fields: &[Field], anonymous: bool) -> Style {
    if anonymous {
        Style::Anonymous
    } else if fields.is_empty() {
        Style::Unit
    } else if fields.iter().all(|f| tuple_index(&f.name).is_some()) {
        Style::Tuple
    } else {
        Style::Named
    }
}

/// `__0` → `0`: rustc names tuple fields `__N`.
pub fn tuple_index(name: &str) -> Option<&str> {
    name.strip_prefix("__")
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub fn enum_view(dbg: &DebugInfo, v: &Val, vs: &types::Variants) -> View {
    let active = match &vs.discr {
        None => vs.variants.first(),
        Some(d) => {
            let size = d.ty.map_or(0, |t| types::get(dbg, t).size);
            let raw = match v.place.uint(&dbg.mem, d.offset, size) {
                Ok(raw) => raw as u64,
                Err(e) => return View::Error(e),
            };
            vs.active(raw, size)
        }
    };
    let Some(active) = active else {
        return View::Error(Unavailable::InvalidDiscriminant);
    };
    let vty = active.member.ty.map(|t| types::get(dbg, t));
    let fields = match vty.as_deref().map(|t| &t.kind) {
        Some(Kind::Struct { fields, .. }) => fields.clone(),
        _ => Vec::new(),
    };
    View::Fields {
        label: active.member.name.clone(),
        style: fields_style(&fields, false),
        fields,
        base: active.member.offset,
        variant: true,
    }
}

/// The active variant of `v`, whose own type is an enum: its name, its
/// fields, and where in `v` they start; `None` for anything else.
pub fn active_variant(dbg: &DebugInfo, v: &Val) -> Option<(String, Vec<Field>, u64)> {
    let ty = types::get(dbg, v.ty?);
    let Kind::Struct {
        variants: Some(vs), ..
    } = &ty.kind
    else {
        return None;
    };
    match enum_view(dbg, v, vs) {
        View::Fields {
            label,
            fields,
            base,
            ..
        } => Some((label, fields, base)),
        _ => None,
    }
}

/// Std types by name and layout; `None` when the layout is not the one we know.
fn std_view(dbg: &DebugInfo, v: &Val, ty: &Type, fields: &[Field]) -> Option<View> {
    let name = ty.name.as_str();
    let is = |prefix: &str| name.starts_with(prefix);
    if name == "&str" || name == "&mut str" {
        let (ptr, len) = fat_pointer(dbg, v, ty)?;
        return Some(checked(len, View::Str { ptr, len }));
    }
    if (is("&[") || is("&mut [")) && name.ends_with(']') {
        let (ptr, len) = fat_pointer(dbg, v, ty)?;
        let elem = ty
            .field("data_ptr")?
            .ty
            .and_then(|p| match types::get(dbg, p).kind {
                Kind::Pointer { pointee } => pointee,
                _ => None,
            });
        return Some(checked(len, View::Seq { ptr, len, elem }));
    }
    if name == "String" && fields.len() == 1 && fields[0].name == "vec" {
        let vec = Val::new(v.place.at(fields[0].offset), fields[0].ty);
        let vty = types::get(dbg, vec.ty?);
        let (ptr, len) = vec_parts(dbg, &vec, &vty)?;
        return Some(checked(len, View::Str { ptr, len }));
    }
    let short = types::short_name(name);
    if ["&dyn ", "&mut dyn ", "Box<dyn ", "*const dyn ", "*mut dyn "]
        .iter()
        .any(|p| short.starts_with(p))
        && ty.field("vtable").is_some()
    {
        return dyn_view(dbg, v, ty);
    }
    if is("Vec<") {
        let (ptr, len) = vec_parts(dbg, v, ty)?;
        return Some(checked(
            len,
            View::Seq {
                ptr,
                len,
                elem: ty.param("T"),
            },
        ));
    }
    None
}

/// A trait object: the data pointer, typed by the concrete type its vtable names.
fn dyn_view(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let data = v.place.word(&dbg.mem, ty.field("pointer")?.offset).ok()?;
    let vtable = v.place.word(&dbg.mem, ty.field("vtable")?.offset).ok()?;
    let Some(concrete) = crate::dwarf::globals::vtable_type(dbg, vtable) else {
        return Some(View::Error(Unavailable::UnknownVtable(vtable)));
    };
    Some(View::Wrapper {
        show: Show::Child(0),
        kids: vec![("*".into(), Val::new(Place::Mem(data), Some(concrete)))],
        pointer: true,
    })
}

pub fn checked(len: u64, view: View) -> View {
    if len > MAX_LEN {
        View::Error(Unavailable::CorruptLength(len))
    } else {
        view
    }
}

/// `data_ptr` and `length` of a `&str` / `&[T]`.
pub fn fat_pointer(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<(u64, u64)> {
    let ptr = ty.field("data_ptr")?;
    let len = ty.field("length")?;
    Some((
        v.place.word(&dbg.mem, ptr.offset).ok()?,
        v.place.word(&dbg.mem, len.offset).ok()?,
    ))
}

/// The buffer pointer and `len` of a `Vec`: `len` is a field, the pointer the
/// first raw pointer found inside `buf`.
pub fn vec_parts(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<(u64, u64)> {
    let len = ty.field("len")?;
    let buf = ty.field("buf")?;
    let ptr_off = first_pointer(dbg, buf.ty?, 0)?;
    let ptr = v.place.word(&dbg.mem, buf.offset + ptr_off).ok()?;
    let len = v.place.word(&dbg.mem, len.offset).ok()?;
    Some((ptr, len))
}

/// Offset of the first pointer inside a struct, searched depth-first.
pub fn first_pointer(dbg: &DebugInfo, ty: DieRef, depth: u32) -> Option<u64> {
    if depth > 8 {
        return None;
    }
    let t = types::get(dbg, ty);
    match &t.kind {
        Kind::Pointer { .. } => Some(0),
        Kind::Struct {
            fields,
            variants: None,
        } => fields
            .iter()
            .find_map(|f| Some(f.offset + first_pointer(dbg, f.ty?, depth + 1)?)),
        _ => None,
    }
}

fn sign_extend(raw: u128, size: u64) -> i128 {
    let bits = (size.clamp(1, 16) * 8) as u32;
    let shift = 128 - bits;
    ((raw << shift) as i128) >> shift
}

/// Reads a scalar as text in `{:?}` style.
pub fn scalar_text(
    mem: &Memory,
    place: &Place,
    enc: Encoding,
    size: u64,
) -> Result<String, Unavailable> {
    if enc == Encoding::Unit {
        return Ok("()".into());
    }
    let raw = place.uint(mem, 0, size)?;
    Ok(match enc {
        Encoding::Signed => sign_extend(raw, size).to_string(),
        Encoding::Unsigned => raw.to_string(),
        Encoding::Bool => match raw {
            0 => "false".into(),
            1 => "true".into(),
            n => format!("<invalid bool {n}>"),
        },
        Encoding::Char => match char::from_u32(raw as u32) {
            Some(c) => format!("{c:?}"),
            None => format!("<invalid char {raw:#x}>"),
        },
        Encoding::Float => match size {
            4 => format!("{:?}", f32::from_bits(raw as u32)),
            8 => format!("{:?}", f64::from_bits(raw as u64)),
            _ => format!("<{size}-byte float>"),
        },
        Encoding::Unit => unreachable!(),
    })
}

/// Signed scalars as i128, unsigned as u128 (for full transfers).
pub fn scalar_number(
    mem: &Memory,
    place: &Place,
    enc: Encoding,
    size: u64,
) -> Result<Result<i128, u128>, Unavailable> {
    let raw = place.uint(mem, 0, size)?;
    Ok(match enc {
        Encoding::Signed => Ok(sign_extend(raw, size)),
        _ => Err(raw),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No memory at all: these values are held as bytes.
    struct NoProcess;

    impl crate::memory::process::Process for NoProcess {
        fn read_into(
            &self,
            addr: u64,
            _: &mut [u8],
        ) -> Result<(), crate::memory::process::ReadError> {
            Err(crate::memory::process::ReadError::Unreadable(addr))
        }
        fn objects(&self) -> Vec<crate::memory::process::Object> {
            Vec::new()
        }
    }

    #[test]
    fn scalars_read_in_debug_style() {
        let p = |b: &[u8]| Place::Bytes(b.to_vec());
        let mem = Memory::new(std::sync::Arc::new(NoProcess));
        assert_eq!(
            scalar_text(&mem, &p(&[0xf8]), Encoding::Signed, 1).unwrap(),
            "-8"
        );
        assert_eq!(
            scalar_text(&mem, &p(&[0xff; 16]), Encoding::Unsigned, 16).unwrap(),
            u128::MAX.to_string()
        );
        assert_eq!(
            scalar_text(&mem, &p(&(-0.00225f64).to_le_bytes()), Encoding::Float, 8).unwrap(),
            "-0.00225"
        );
        assert_eq!(
            scalar_text(&mem, &p(&1.5f32.to_le_bytes()), Encoding::Float, 4).unwrap(),
            "1.5"
        );
        assert_eq!(
            scalar_text(&mem, &p(&('é' as u32).to_le_bytes()), Encoding::Char, 4).unwrap(),
            "'é'"
        );
        assert_eq!(
            scalar_text(&mem, &p(&[1]), Encoding::Bool, 1).unwrap(),
            "true"
        );
        assert_eq!(
            scalar_text(&mem, &p(&[7]), Encoding::Bool, 1).unwrap(),
            "<invalid bool 7>"
        );
        assert_eq!(scalar_text(&mem, &p(&[]), Encoding::Unit, 0).unwrap(), "()");
        assert_eq!(sign_extend(0x80, 1), -128);
    }

    #[test]
    fn tuple_fields_are_recognised() {
        assert_eq!(tuple_index("__0"), Some("0"));
        assert_eq!(tuple_index("__12"), Some("12"));
        assert_eq!(tuple_index("__x"), None);
        assert_eq!(tuple_index("x"), None);
    }
}
