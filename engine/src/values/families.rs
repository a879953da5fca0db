//! Which view a value has, decided in one place: first what the value itself
//! says (a map entry, picked items, a missing place, an unsized pointee,
//! bytes too few for its type, a composite behind a bad pointer), then its
//! DWARF kind; a struct is offered to the families of views in
//! [`FAMILIES`] order, the first that knows its name and layout showing it,
//! else it shows as it is laid out (`core_views`: its fields, or an enum's
//! active variant).
//!
//! A family registers here with the function that recognises its types
//! and gives their views; a view names the shape that renders, previews,
//! counts and pages it. Adding a type to a family is one arm in that
//! family's file; adding a family, a file and one line here.

use crate::dwarf::debuginfo::DebugInfo;
use crate::dwarf::types::{self, Kind, Type};
use crate::memory::place::Place;
use crate::memory::unavailable::Unavailable;
use crate::values::shapes::{
    Array, CEnum, Entry, Fields, Function, Items, Pointer, Scalar, Style, sign_extend,
};
use crate::values::views::{Val, View};
use crate::values::{
    core_views, crate_text_views, crate_views, declared_views, std_views, unsized_views,
};

/// The families of views, in the order a struct is offered to them.
pub const FAMILIES: &[Family] = &[
    // The user's, from `views.toml` files: they win over any built in.
    Family::Own(declared_views::view),
    // What the language lays out: `&str`, slices, `String`, `Vec`, `dyn`.
    Family::Own(core_views::view),
    // Std's collections, smart pointers, cells, locks and wrappers.
    Family::Named(std_views::view),
    // The crates services use.
    Family::Named(crate_views::view),
    // The crates' types whose `{:?}` is a line of text: regex, url,
    // chrono, time, http.
    Family::Named(crate_text_views::view),
    // Pointers to unsized values, known by their layout.
    Family::Own(unsized_views::view),
];

/// A family of views, and how it recognises a struct.
pub enum Family {
    /// By its name, without path or generic arguments (`HashMap`): its
    /// view, `None` when the family does not know the name, or the layout
    /// is not the one it knows (then the next family is asked).
    Named(fn(&DebugInfo, &Val, &Type, &str) -> Option<View>),
    /// Some other way (a list read at run time, the whole name, the
    /// layout): its view, or `None`.
    Own(fn(&DebugInfo, &Val, &Type) -> Option<View>),
}

impl Family {
    fn view(&self, dbg: &DebugInfo, v: &Val, ty: &Type) -> Option<View> {
        match self {
            Family::Own(view) => view(dbg, v, ty),
            Family::Named(view) => {
                let name = types::short_name(&ty.name);
                view(dbg, v, ty, name.split('<').next().unwrap_or(""))
            }
        }
    }
}

/// The view of `v`, whose type is `ty`.
pub fn view(dbg: &DebugInfo, v: &Val, ty: &Type) -> View {
    if let Some(entry) = &v.entry {
        return View::Entry(Entry(entry.clone()));
    }
    if let Some(p) = &v.picked {
        return View::Items(Items {
            shape: p.shape,
            len: p.len(),
            walk: p.clone(),
        });
    }
    if let Place::Missing(why) = &v.place {
        return View::Error(why.clone());
    }
    if let Some(view) = unsized_views::own_view(v) {
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
        Kind::Base(enc) => View::Scalar(Scalar {
            enc: *enc,
            size: ty.size,
        }),
        Kind::Pointer { pointee } => match v.place.word(&dbg.mem, 0) {
            Ok(target)
                if pointee.is_some_and(|p| matches!(types::get(dbg, p).kind, Kind::Function)) =>
            {
                View::Function(Function(target))
            }
            Ok(target) => View::Pointer(Pointer {
                target,
                pointee: *pointee,
                raw: ty.name.starts_with('*'),
            }),
            Err(e) => View::Error(e),
        },
        Kind::Array { elem, count } => View::Array(Array {
            elem: *elem,
            count: count.unwrap_or(0),
        }),
        Kind::Function => View::Function(Function(v.place.word(&dbg.mem, 0).unwrap_or(0))),
        Kind::CEnum { signed, values } => match v.place.uint(&dbg.mem, 0, ty.size) {
            Ok(raw) => {
                let n = if *signed {
                    sign_extend(raw, ty.size)
                } else {
                    raw as i128
                };
                View::CEnum(CEnum(values.iter().find(|(_, val)| *val == n).map_or_else(
                    || format!("<invalid discriminant {n}>"),
                    |(name, _)| name.clone(),
                )))
            }
            Err(e) => View::Error(e),
        },
        Kind::Union { fields } => View::Fields(Fields {
            label: types::short_name(&ty.name),
            style: Style::Named,
            fields: fields.clone(),
            base: 0,
            variant: false,
        }),
        Kind::Struct { fields, variants } => FAMILIES
            .iter()
            .find_map(|family| family.view(dbg, v, ty))
            .unwrap_or_else(|| match variants {
                Some(vs) => core_views::enum_view(dbg, v, vs),
                None => core_views::struct_view(ty, fields),
            }),
        Kind::Unknown => View::Error(Unavailable::NoDebugInfo),
    }
}
