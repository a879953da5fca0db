//! Global variables from DWARF: `static`s by name and trait-object vtables by
//! address (each vtable variable's type names the concrete type it serves).
//! The index is built by one pass over the units' top-level DIEs (descending
//! into namespaces only) the first time a static or a `dyn` value is asked for.

use std::collections::HashMap;

use crate::dwarf::debuginfo::{DebugInfo, DieRef, R};

/// Why a static was not found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaticError {
    #[error("no local or static named {0:?}")]
    NotFound(String),
    #[error("{0:?} is ambiguous: {1}")]
    Ambiguous(String, String),
}

/// The index of globals.
#[derive(Default)]
pub struct Globals {
    /// Fully qualified name (`demo::collections::GREETING`) → variable DIE.
    statics: HashMap<String, DieRef>,
    /// Link-time vtable address → concrete type DIE.
    vtables: HashMap<u64, DieRef>,
}

fn globals(dbg: &DebugInfo) -> &Globals {
    dbg.globals.get_or_init(|| build(dbg))
}

/// The concrete type behind a vtable at runtime address `addr`.
pub fn vtable_type(dbg: &DebugInfo, addr: u64) -> Option<DieRef> {
    globals(dbg)
        .vtables
        .get(&addr.wrapping_sub(dbg.bias))
        .copied()
}

/// A static by its qualified name or, when unambiguous, its last segment(s):
/// `GREETING`, `collections::GREETING`, `demo::collections::GREETING`.
pub fn find_static(dbg: &DebugInfo, name: &str) -> Result<(String, DieRef), StaticError> {
    let g = globals(dbg);
    if let Some(d) = g.statics.get(name) {
        return Ok((name.to_string(), *d));
    }
    let suffix = format!("::{name}");
    let mut found: Vec<(&String, &DieRef)> = g
        .statics
        .iter()
        .filter(|(k, _)| k.ends_with(&suffix))
        .collect();
    found.sort();
    match found.as_slice() {
        [(k, d)] => Ok(((*k).clone(), **d)),
        [] => Err(StaticError::NotFound(name.to_string())),
        many => Err(StaticError::Ambiguous(
            name.to_string(),
            many.iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

/// The static variable's address and type.
pub fn static_place(dbg: &DebugInfo, die: DieRef) -> Option<(u64, Option<DieRef>)> {
    let unit = dbg.unit_of(die)?;
    let entry = unit.entry(dbg.local(unit, die)?).ok()?;
    let ty = dbg.die_type(unit, &entry);
    Some((location_addr(dbg, &entry, unit)?.wrapping_add(dbg.bias), ty))
}

fn location_addr(
    dbg: &DebugInfo,
    entry: &gimli::DebuggingInformationEntry<R>,
    unit: &gimli::Unit<R>,
) -> Option<u64> {
    let gimli::AttributeValue::Exprloc(expr) = entry.attr_value(gimli::DW_AT_location).ok()??
    else {
        return None;
    };
    let mut ops = expr.operations(unit.encoding());
    match ops.next().ok()? {
        Some(gimli::Operation::Address { address }) => Some(address),
        // Split DWARF: the address by index into the skeleton's `.debug_addr`.
        Some(gimli::Operation::AddressIndex { index }) => {
            dbg.dwarf_for(unit).address(unit, index).ok()
        }
        _ => None,
    }
}

fn build(dbg: &DebugInfo) -> Globals {
    let mut g = Globals::default();
    for unit in dbg.content_units() {
        let Ok(mut tree) = unit.entries_tree(None) else {
            continue;
        };
        let Ok(root) = tree.root() else { continue };
        let _ = scan(dbg, unit, root, &mut Vec::new(), &mut g);
    }
    g
}

fn scan(
    dbg: &DebugInfo,
    unit: &gimli::Unit<R>,
    node: gimli::EntriesTreeNode<R>,
    path: &mut Vec<String>,
    g: &mut Globals,
) -> gimli::Result<()> {
    let mut children = node.children();
    while let Some(child) = children.next()? {
        let entry = child.entry();
        match entry.tag() {
            gimli::DW_TAG_namespace if path.len() < 32 => {
                let name = dbg.die_name(unit, entry).unwrap_or_default();
                path.push(name);
                scan(dbg, unit, child, path, g)?;
                path.pop();
            }
            gimli::DW_TAG_variable => {
                let Some(name) = dbg.die_name(unit, entry) else {
                    continue;
                };
                let Some(at) = dbg.global(unit, entry.offset()) else {
                    continue;
                };
                if name.ends_with("::{vtable}") {
                    let concrete = dbg
                        .die_type(unit, entry)
                        .and_then(|t| containing_type(dbg, t));
                    if let (Some(addr), Some(ty)) = (location_addr(dbg, entry, unit), concrete) {
                        g.vtables.insert(addr, ty);
                    }
                } else if location_addr(dbg, entry, unit).is_some_and(|a| a != 0) {
                    // Address 0: the linker dropped an unused static.
                    g.statics
                        .entry(crate::dwarf::debuginfo::qualified(path, &name))
                        .or_insert(at);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn containing_type(dbg: &DebugInfo, vtable_type: DieRef) -> Option<DieRef> {
    let unit = dbg.unit_of(vtable_type)?;
    let entry = unit.entry(dbg.local(unit, vtable_type)?).ok()?;
    dbg.die_ref(unit, entry.attr_value(gimli::DW_AT_containing_type).ok()??)
}
