//! Types an expression's result needs that DWARF may not hold: the scalar
//! types of computed numbers, `&T` of `&x`, `*const T` of a cast, the `&[T]`
//! and `&str` of a slice, the type of a filter's matches. Each is put in
//! the type cache under an offset no DIE can have (the high bit set), keyed
//! by its description so the same type gets the same offset. Also: a type
//! named in a cast, found in DWARF by name.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::dwarf::debuginfo::{DebugInfo, DieRef, die_name};
use crate::dwarf::types::{self, Encoding, Field, Kind, Type};

/// The DIE offset a synthesized type lives under.
fn key(desc: &str) -> DieRef {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    desc.hash(&mut h);
    // Below the builtins (`types::builtin` uses the last few offsets).
    gimli::DebugInfoOffset((1usize << 63) | (h.finish() as usize >> 2))
}

fn put(dbg: &DebugInfo, desc: &str, ty: Type) -> DieRef {
    let at = key(desc);
    dbg.types
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(at)
        .or_insert_with(|| Arc::new(ty));
    at
}

/// A base type by its Rust name (`u8`, `f64`, `bool`, `char`).
pub fn base(dbg: &DebugInfo, name: &str, enc: Encoding, size: u64) -> DieRef {
    put(
        dbg,
        &format!("base {name}"),
        Type {
            name: name.into(),
            size,
            kind: Kind::Base(enc),
            params: Vec::new(),
        },
    )
}

/// A pointer type named `name` (`&Account`, `*const u8`) to `pointee`.
pub fn pointer(dbg: &DebugInfo, name: &str, pointee: Option<DieRef>) -> DieRef {
    put(
        dbg,
        &format!("ptr {name} {pointee:?}"),
        Type {
            name: name.into(),
            size: 8,
            kind: Kind::Pointer { pointee },
            params: Vec::new(),
        },
    )
}

/// A fat pointer `&[T]` (or `&str` when `elem` is `None`): `data_ptr` and
/// `length`, as rustc describes them, so the usual views show it.
pub fn slice(dbg: &DebugInfo, elem: Option<DieRef>, elem_name: &str) -> DieRef {
    let (name, data) = match elem {
        Some(e) => (
            format!("&[{elem_name}]"),
            pointer(dbg, &format!("*const {elem_name}"), Some(e)),
        ),
        None => (
            "&str".to_string(),
            pointer(
                dbg,
                "*const u8",
                Some(base(dbg, "u8", Encoding::Unsigned, 1)),
            ),
        ),
    };
    let usize_ty = base(dbg, "usize", Encoding::Unsigned, 8);
    put(
        dbg,
        &format!("slice {name} {elem:?}"),
        Type {
            name: name.clone(),
            size: 16,
            kind: Kind::Struct {
                fields: vec![
                    Field {
                        name: "data_ptr".into(),
                        offset: 0,
                        ty: Some(data),
                    },
                    Field {
                        name: "length".into(),
                        offset: 8,
                        ty: Some(usize_ty),
                    },
                ],
                variants: None,
            },
            params: Vec::new(),
        },
    )
}

/// A named placeholder type (a filter's result); its view comes from the value.
pub fn named(dbg: &DebugInfo, name: &str) -> DieRef {
    put(
        dbg,
        &format!("named {name}"),
        Type {
            name: name.into(),
            size: 0,
            kind: Kind::Struct {
                fields: Vec::new(),
                variants: None,
            },
            params: Vec::new(),
        },
    )
}

/// A type DWARF defines under `name`: qualified (`demo::bank::Account`), or
/// as written in source (`Account`, `Vec<u8>`). Walks the units' type
/// definitions (namespaces included); the first definition wins.
pub fn find(dbg: &DebugInfo, name: &str) -> Option<DieRef> {
    let lock = || dbg.named_types.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = lock().get(name) {
        return *found;
    }
    let found = search(dbg, name);
    lock().insert(name.to_string(), found);
    found
}

/// The search [`find`] remembers. First the few units whose functions'
/// names mention the type (its methods, impls, drop glue: those units use
/// it, so they describe it); an exact definition there is what the whole
/// pass would find, up to which of rustc's per-unit copies. Only when
/// those hold none (a type no function names, or a short name that is
/// also the tail of another path), every unit, parsed and dropped in turn.
fn search(dbg: &DebugInfo, name: &str) -> Option<DieRef> {
    let want = name.replace(' ', "");
    let want_short = types::short_name(&want).replace(' ', "");
    // The path without generic arguments: what symbol names spell alike.
    let base = name.split('<').next().unwrap_or(name).trim();
    if let Some(units) = dbg.units_naming(base) {
        for start in units {
            // `scan` returns what the whole pass would stop at: an exact
            // definition, or for a name without `::` its first short match.
            let mut short_only = None;
            if let Some(found) = search_unit(dbg, start, &want, &want_short, &mut short_only) {
                return Some(found);
            }
        }
    }
    search_all(dbg, &want, &want_short)
}

/// [`scan`] over the one unit starting at `start`.
fn search_unit(
    dbg: &DebugInfo,
    start: DieRef,
    want: &str,
    want_short: &str,
    fallback: &mut Option<DieRef>,
) -> Option<DieRef> {
    let header = dbg.dwarf.debug_info.header_from_offset(start).ok()?;
    // Parsed here and dropped: a search must not grow the unit cache.
    let unit = dbg.dwarf.unit(header).ok()?;
    let mut tree = unit.entries_tree(None).ok()?;
    let root = tree.root().ok()?;
    let mut path = Vec::new();
    scan(dbg, &unit, root, &mut path, want, want_short, fallback)
}

/// What [`find`] finds, from a pass over every unit in order: what the
/// lazy lookup must agree with (pmdb's tests compare them).
pub fn find_in_every_unit(dbg: &DebugInfo, name: &str) -> Option<DieRef> {
    let want = name.replace(' ', "");
    search_all(dbg, &want, &types::short_name(&want).replace(' ', ""))
}

/// Every unit, parsed and dropped in turn.
fn search_all(dbg: &DebugInfo, want: &str, want_short: &str) -> Option<DieRef> {
    let mut headers = dbg.dwarf.units();
    let mut fallback = None;
    while let Ok(Some(header)) = headers.next() {
        let Some(start) = header.offset().as_debug_info_offset() else {
            continue;
        };
        if let Some(found) = search_unit(dbg, start, want, want_short, &mut fallback) {
            return Some(found);
        }
    }
    fallback
}

fn scan(
    dbg: &DebugInfo,
    unit: &gimli::Unit<crate::dwarf::debuginfo::R>,
    node: gimli::EntriesTreeNode<crate::dwarf::debuginfo::R>,
    path: &mut Vec<String>,
    want: &str,
    want_short: &str,
    fallback: &mut Option<DieRef>,
) -> Option<DieRef> {
    let mut children = node.children();
    while let Ok(Some(child)) = children.next() {
        let entry = child.entry();
        let tag = entry.tag();
        let name = die_name(&dbg.dwarf, unit, entry);
        match tag {
            gimli::DW_TAG_namespace if path.len() < 32 => {
                path.push(name.unwrap_or_default());
                let found = scan(dbg, unit, child, path, want, want_short, fallback);
                path.pop();
                if found.is_some() {
                    return found;
                }
            }
            gimli::DW_TAG_structure_type
            | gimli::DW_TAG_union_type
            | gimli::DW_TAG_enumeration_type
            | gimli::DW_TAG_base_type => {
                let Some(name) = name else { continue };
                if entry
                    .attr_value(gimli::DW_AT_declaration)
                    .ok()
                    .flatten()
                    .is_some()
                {
                    continue;
                }
                let full = crate::dwarf::debuginfo::qualified(path, &name).replace(' ', "");
                let at = entry.offset().to_debug_info_offset(&unit.header);
                if full == want {
                    return at;
                }
                if fallback.is_none() && types::short_name(&full).replace(' ', "") == want_short {
                    if !want.contains("::") {
                        return at;
                    }
                    *fallback = at;
                }
            }
            _ => {}
        }
    }
    None
}
