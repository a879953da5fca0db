//! Walking typed memory by field name, as the task finder needs: a field, a
//! pointer followed, an enum's active variant, a field found some levels
//! down. Each step returns `None` where the layout is not the expected one.

use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::dwarf::types::{self, Kind, Type, Variant};
use crate::memory::place::Place;
use crate::values::views::Val;

pub fn ty(dbg: &DebugInfo, v: &Val) -> Option<std::sync::Arc<Type>> {
    v.ty.map(|t| types::get(dbg, t))
}

/// A struct's field by name.
pub fn field(dbg: &DebugInfo, v: &Val, name: &str) -> Option<Val> {
    let t = ty(dbg, v)?;
    let f = t.field(name)?;
    Some(Val::new(v.place.at(f.offset), f.ty))
}

/// A pointer followed: a reference or raw pointer, or a struct wrapping
/// one (`NonNull { pointer }`, `Unique`, `Box`), a few levels deep.
pub fn deref(dbg: &DebugInfo, v: &Val) -> Option<Val> {
    let mut cur = v.clone();
    for _ in 0..6 {
        let t = ty(dbg, &cur)?;
        match &t.kind {
            Kind::Pointer { pointee } => {
                let addr = cur.place.word(&dbg.mem, 0).ok()?;
                if addr == 0 {
                    return None;
                }
                return Some(Val::new(Place::Mem(addr), *pointee));
            }
            Kind::Struct {
                fields,
                variants: None,
            } => {
                let f = fields
                    .iter()
                    .find(|f| matches!(f.name.as_str(), "pointer" | "ptr" | "__0" | "inner"))?;
                cur = Val::new(cur.place.at(f.offset), f.ty);
            }
            _ => return None,
        }
    }
    None
}

/// The pointer value inside `v` (a pointer, or a struct wrapping one).
pub fn address(dbg: &DebugInfo, v: &Val) -> Option<u64> {
    let mut cur = v.clone();
    for _ in 0..6 {
        let t = ty(dbg, &cur)?;
        match &t.kind {
            Kind::Pointer { .. } => return cur.place.word(&dbg.mem, 0).ok(),
            Kind::Struct { fields, .. } if fields.len() == 1 || t.variants().is_some() => {
                // `Option<NonNull<T>>`: the niche makes None a null word.
                return cur.place.word(&dbg.mem, 0).ok();
            }
            Kind::Struct { fields, .. } => {
                let f = fields
                    .iter()
                    .find(|f| matches!(f.name.as_str(), "pointer" | "ptr" | "__0"))?;
                cur = Val::new(cur.place.at(f.offset), f.ty);
            }
            _ => return None,
        }
    }
    None
}

/// An enum's active variant: its name and its value (typed by the variant's
/// own struct), and the variant's member as DWARF describes it.
pub fn variant(dbg: &DebugInfo, v: &Val) -> Option<(Variant, Val)> {
    let t = ty(dbg, v)?;
    let vs = t.variants()?;
    let active = match &vs.discr {
        None => vs.variants.first(),
        Some(d) => {
            let size = d.ty.map_or(0, |t| types::get(dbg, t).size);
            let raw = v.place.uint(&dbg.mem, d.offset, size).ok()? as u64;
            vs.active(raw, size)
        }
    }?;
    let val = Val::new(v.place.at(active.member.offset), active.member.ty);
    Some((active.clone(), val))
}

/// A field named `name` anywhere inside `v`'s own bytes (not behind
/// pointers), breadth first, at most `depth` levels down.
pub fn find(dbg: &DebugInfo, v: &Val, name: &str, depth: u32) -> Option<Val> {
    search(dbg, v, name, depth, false)
}

/// As [`find`], through the active variant of enums too
/// (`Option<time::Handle>`).
pub fn find_in_variants(dbg: &DebugInfo, v: &Val, name: &str, depth: u32) -> Option<Val> {
    search(dbg, v, name, depth, true)
}

fn search(dbg: &DebugInfo, v: &Val, name: &str, depth: u32, variants: bool) -> Option<Val> {
    let mut level = vec![v.clone()];
    for _ in 0..=depth {
        let mut next = Vec::new();
        for cur in level {
            let Some(t) = ty(dbg, &cur) else { continue };
            if variants && t.variants().is_some() {
                next.extend(variant(dbg, &cur).map(|(_, val)| val));
                continue;
            }
            let fields = match &t.kind {
                Kind::Struct { fields, .. } => fields,
                Kind::Union { fields } if !variants => fields,
                _ => continue,
            };
            if let Some(f) = fields.iter().find(|f| f.name == name) {
                return Some(Val::new(cur.place.at(f.offset), f.ty));
            }
            next.extend(
                fields
                    .iter()
                    .map(|f| Val::new(cur.place.at(f.offset), f.ty)),
            );
        }
        level = next;
    }
    None
}

/// Where a field named `name` sits inside type `ty`: its offset from the
/// start of `ty` and its type, breadth first, at most `depth` levels down.
pub fn find_in_type(dbg: &DebugInfo, ty: DieRef, name: &str, depth: u32) -> Option<(u64, DieRef)> {
    let mut level = vec![(0u64, ty)];
    for _ in 0..=depth {
        let mut next = Vec::new();
        for (base, t) in level {
            let t = types::get(dbg, t);
            if let Kind::Struct { fields, .. } | Kind::Union { fields } = &t.kind {
                if let Some(f) = fields.iter().find(|f| f.name == name) {
                    return Some((base + f.offset, f.ty?));
                }
                next.extend(fields.iter().filter_map(|f| Some((base + f.offset, f.ty?))));
            }
        }
        level = next;
    }
    None
}

/// A variant's name: its struct's (`Suspend0`, `Running`), which rustc
/// spells out even where the member is only numbered (a coroutine's `3`).
pub fn variant_name(dbg: &DebugInfo, v: &Variant) -> String {
    v.member
        .ty
        .map(|t| types::get(dbg, t).name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| v.member.name.clone())
}

/// Through `Pin<P>` and `Box<T>` (tokio boxes big futures) to the value.
pub fn unwrap_box(dbg: &DebugInfo, v: &Val) -> Option<Val> {
    let mut cur = v.clone();
    for _ in 0..4 {
        let t = ty(dbg, &cur)?;
        // The type's own name, without its path or parameters.
        let (generic, _) = t.name.split_once('<').unwrap_or_default();
        let name = generic.rsplit("::").next().unwrap_or_default();
        if name == "Pin" {
            let f = match &t.kind {
                Kind::Struct { fields, .. } if fields.len() == 1 => fields[0].clone(),
                _ => return None,
            };
            cur = Val::new(cur.place.at(f.offset), f.ty);
        } else if name == "Box" {
            cur = deref(dbg, &cur)?;
        } else {
            return Some(cur);
        }
    }
    None
}
