//! The views of what the language itself lays out: a struct as its fields,
//! an enum as its active variant, and the fat pointers and buffers every
//! other family builds on — `&str`, `&[T]`, `String`, `Vec`, and trait
//! objects (`&dyn`, `Box<dyn>`) typed by the concrete type their vtable
//! names. Recognised by name *and* layout; the layout facts (a fat
//! pointer's parts, a `Vec`'s buffer) are here for the other families too.

use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::dwarf::types::{self, Field, Kind, Type};
use crate::memory::place::Place;
use crate::memory::unavailable::Unavailable;
use crate::values::shapes::{Fields, Seq, Show, Str, Style, Wrapper, tuple_index};
use crate::values::views::{Val, View, checked};

/// This family's view of `v`: strings, slices, vectors and trait objects,
/// by their whole name; `None` when the layout is not the one we know.
pub fn view(dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
    let Kind::Struct { fields, .. } = &ty.kind else {
        return None;
    };
    let name = ty.name.as_str();
    let is = |prefix: &str| name.starts_with(prefix);
    if name == "&str" || name == "&mut str" {
        let (ptr, len) = fat_pointer(dbg, v, ty)?;
        return Some(checked(len, View::Str(Str { ptr, len })));
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
        return Some(checked(len, View::Seq(Seq { ptr, len, elem })));
    }
    if name == "String" && fields.len() == 1 && fields[0].name == "vec" {
        let vec = Val::new(v.place.at(fields[0].offset), fields[0].ty);
        let vty = types::get(dbg, vec.ty?);
        let (ptr, len) = vec_parts(dbg, &vec, &vty)?;
        return Some(checked(len, View::Str(Str { ptr, len })));
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
            View::Seq(Seq {
                ptr,
                len,
                elem: ty.param("T"),
            }),
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
    Some(View::Wrapper(Wrapper {
        show: Show::Child(0),
        kids: vec![("*".into(), Val::new(Place::Mem(data), Some(concrete)))],
        pointer: true,
    }))
}

/// A struct as it is laid out: its fields.
pub fn struct_view(ty: &Type, fields: &[Field]) -> View {
    let anonymous = ty.name.starts_with('(');
    // `{:?}` of a derived Debug writes the bare name: `Pair { .. }`, not `Pair<u8> { .. }`.
    let short = types::short_name(&ty.name);
    let label = match short.split_once('<') {
        Some((bare, _)) if !fields.is_empty() && !bare.is_empty() => bare.to_string(),
        _ => short,
    };
    View::Fields(Fields {
        label: if anonymous { String::new() } else { label },
        style: fields_style(fields, anonymous),
        fields: fields.to_vec(),
        base: 0,
        variant: false,
    })
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

/// An enum as its active variant, chosen by its discriminant.
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
    View::Fields(Fields {
        label: active.member.name.clone(),
        style: fields_style(&fields, false),
        fields,
        base: active.member.offset,
        variant: true,
    })
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
        View::Fields(Fields {
            label,
            fields,
            base,
            ..
        }) => Some((label, fields, base)),
        _ => None,
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
