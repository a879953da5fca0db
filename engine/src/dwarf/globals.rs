//! Global variables from DWARF, found lazily: the concrete type behind a
//! trait object's vtable, from the vtable's address, and a `static`, from its
//! name.
//!
//! Both start from an address. A vtable's is the `dyn` pointer's metadata; a
//! static's comes from the symbol table, by its last path segment (rustc
//! names vtables nowhere but in DWARF: they are private constants with no
//! symbol). `.debug_aranges` places every address in its unit: LLVM lists
//! there each global variable it gives a location, not only code. So a
//! lookup walks one unit — the one holding the variable — once, for all its
//! statics and vtables, and remembers them; no pass over every unit.
//!
//! Without `.debug_aranges` (vtables) or a symbol table (statics), one pass
//! over every unit's top-level DIEs (descending into namespaces only) builds
//! the same index, on the first lookup that needs it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::dwarf::debuginfo::{DebugInfo, DieRef, R};

/// Why a static was not found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaticError {
    #[error("no local or static named {0:?}")]
    NotFound(String),
    #[error("{0:?} is ambiguous: {1}")]
    Ambiguous(String, String),
}

/// A static found: its qualified name and its variable's DIE.
pub type Found = Result<(String, DieRef), StaticError>;

/// Every static (qualified name, DIE) and every vtable (link-time address,
/// concrete type).
pub type Everything = (Vec<(String, DieRef)>, Vec<(u64, DieRef)>);

/// What one DebugInfo has learnt of its globals so far.
#[derive(Default)]
pub struct Globals {
    /// `.debug_aranges` entries outside code (global variables), sorted:
    /// link-time start, end, and the unit's offset.
    data: OnceLock<Vec<(u64, u64, DieRef)>>,
    /// The globals of each unit walked so far, by its offset.
    units: Mutex<HashMap<DieRef, Arc<UnitGlobals>>>,
    /// Statics asked for by name, and what was found.
    named: Mutex<HashMap<String, Found>>,
    /// Every unit's globals at once: only without `.debug_aranges` or a
    /// symbol table.
    whole: OnceLock<UnitGlobals>,
}

/// The statics and vtables of one unit (or of all, for `whole`).
#[derive(Default)]
pub struct UnitGlobals {
    /// Fully qualified name (`demo::collections::GREETING`) → variable DIE;
    /// a name seen twice keeps its first DIE.
    statics: HashMap<String, DieRef>,
    /// Link-time address → the static's qualified name.
    static_at: HashMap<u64, String>,
    /// Link-time vtable address → the vtable's type DIE (whose
    /// `DW_AT_containing_type` is the concrete type).
    vtables: HashMap<u64, DieRef>,
}

/// The concrete type behind a vtable at runtime address `addr`.
pub fn vtable_type(dbg: &DebugInfo, addr: u64) -> Option<DieRef> {
    let svma = addr.wrapping_sub(dbg.bias);
    let ty = if dbg.has_aranges() {
        units_at(dbg, svma)
            .into_iter()
            .find_map(|u| unit_globals(dbg, u)?.vtables.get(&svma).copied())
    } else {
        whole(dbg).vtables.get(&svma).copied()
    }?;
    containing_type(dbg, ty)
}

/// A static by its qualified name or, when unambiguous, its last segment(s):
/// `GREETING`, `collections::GREETING`, `demo::collections::GREETING`.
pub fn find_static(dbg: &DebugInfo, name: &str) -> Found {
    let g = &dbg.globals;
    let lock = || g.named.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = lock().get(name) {
        return found.clone();
    }
    let found = search_static(dbg, name);
    lock().insert(name.to_string(), found.clone());
    found
}

/// [`find_static`] without its memory: candidates by name from the symbol
/// table, each placed in its unit and named as DWARF names it.
fn search_static(dbg: &DebugInfo, name: &str) -> Found {
    let last = name.rsplit("::").next().unwrap_or(name);
    // Qualified DWARF name → DIE: the first one, as one pass over the units
    // in order keeps.
    let mut known: HashMap<String, DieRef> = HashMap::new();
    let mut add = |qualified: &str, die: DieRef| {
        let slot = known.entry(qualified.to_string()).or_insert(die);
        *slot = (*slot).min(die);
    };
    match (dbg.has_aranges(), dbg.objects_named(last)) {
        (true, Some(addrs)) => {
            for svma in addrs {
                let units = units_at(dbg, svma);
                for &unit in &units {
                    let Some(g) = unit_globals(dbg, unit) else {
                        continue;
                    };
                    if let Some((q, die)) = g
                        .static_at
                        .get(&svma)
                        .and_then(|q| g.statics.get_key_value(q))
                    {
                        add(q, *die);
                    }
                }
                if units.is_empty() {
                    // A C static (gcc lists only code in `.debug_aranges`).
                    let w = whole(dbg);
                    if let Some((q, die)) = w
                        .static_at
                        .get(&svma)
                        .and_then(|q| w.statics.get_key_value(q))
                    {
                        add(q, *die);
                    }
                }
            }
        }
        _ => {
            for (q, die) in &whole(dbg).statics {
                add(q, *die);
            }
        }
    }
    if let Some(die) = known.get(name) {
        return Ok((name.to_string(), *die));
    }
    let suffix = format!("::{name}");
    let mut found: Vec<(&String, DieRef)> = known
        .iter()
        .filter(|(k, _)| k.ends_with(&suffix))
        .map(|(k, d)| (k, *d))
        .collect();
    found.sort();
    match found.as_slice() {
        [(k, d)] => Ok(((*k).clone(), *d)),
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

/// Every static (qualified name and DIE) and every vtable (link-time
/// address and concrete type) of the program, from one pass over every unit:
/// what the lazy lookups must agree with (pmdb's tests compare them).
pub fn whole_program(dbg: &DebugInfo) -> Everything {
    let w = whole(dbg);
    let mut statics: Vec<(String, DieRef)> =
        w.statics.iter().map(|(q, d)| (q.clone(), *d)).collect();
    statics.sort();
    let mut vtables: Vec<(u64, DieRef)> = w
        .vtables
        .iter()
        .filter_map(|(&a, &t)| Some((a, containing_type(dbg, t)?)))
        .collect();
    vtables.sort();
    (statics, vtables)
}

/// The units `.debug_aranges` says hold a global variable at link-time
/// address `svma` (usually one).
fn units_at(dbg: &DebugInfo, svma: u64) -> Vec<DieRef> {
    let data = dbg.globals.data.get_or_init(|| data_ranges(dbg));
    let end = data.partition_point(|&(begin, _, _)| begin <= svma);
    data[..end]
        .iter()
        .rev()
        // Variables are small: look back over a few entries only.
        .take(16)
        .filter(|&&(begin, end, _)| begin <= svma && svma < end)
        .map(|&(_, _, unit)| unit)
        .collect()
}

/// One pass over `.debug_aranges`, keeping the entries outside code.
fn data_ranges(dbg: &DebugInfo) -> Vec<(u64, u64, DieRef)> {
    let code = dbg.code_ranges();
    let in_code = |a: u64| code.iter().any(|&(b, e)| b <= a && a < e);
    let mut out = Vec::new();
    let mut headers = dbg.dwarf.debug_aranges.headers();
    while let Ok(Some(header)) = headers.next() {
        let unit = header.debug_info_offset();
        let mut entries = header.entries();
        while let Ok(Some(entry)) = entries.next() {
            let range = entry.range();
            // Variables the linker dropped keep address 0.
            if range.begin != 0 && range.begin < range.end && !in_code(range.begin) {
                out.push((range.begin, range.end, unit));
            }
        }
    }
    out.sort();
    out
}

/// The globals of the unit starting at `start`, walked on first use.
fn unit_globals(dbg: &DebugInfo, start: DieRef) -> Option<Arc<UnitGlobals>> {
    let lock = || dbg.globals.units.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(g) = lock().get(&start) {
        return Some(g.clone());
    }
    let unit = dbg.content_unit(start)?;
    let mut g = UnitGlobals::default();
    walk_unit(dbg, unit, &mut g);
    let g = Arc::new(g);
    lock().insert(start, g.clone());
    Some(g)
}

fn whole(dbg: &DebugInfo) -> &UnitGlobals {
    dbg.globals.whole.get_or_init(|| {
        let mut g = UnitGlobals::default();
        for unit in dbg.content_units() {
            walk_unit(dbg, unit, &mut g);
        }
        g
    })
}

fn walk_unit(dbg: &DebugInfo, unit: &gimli::Unit<R>, g: &mut UnitGlobals) {
    let Ok(mut tree) = unit.entries_tree(None) else {
        return;
    };
    let Ok(root) = tree.root() else { return };
    let _ = scan(dbg, unit, root, &mut Vec::new(), g);
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

fn scan(
    dbg: &DebugInfo,
    unit: &gimli::Unit<R>,
    node: gimli::EntriesTreeNode<R>,
    path: &mut Vec<String>,
    g: &mut UnitGlobals,
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
                let Some(addr) = location_addr(dbg, entry, unit) else {
                    continue;
                };
                if name.ends_with("::{vtable}") {
                    if let Some(ty) = dbg.die_type(unit, entry) {
                        g.vtables.insert(addr, ty);
                    }
                } else if addr != 0 {
                    // Address 0: the linker dropped an unused static.
                    let qualified = crate::dwarf::debuginfo::qualified(path, &name);
                    g.static_at.entry(addr).or_insert_with(|| qualified.clone());
                    g.statics.entry(qualified).or_insert(at);
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
