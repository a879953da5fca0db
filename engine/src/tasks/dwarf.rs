//! The few DWARF facts async tasks need beyond the type model: a
//! function's template parameters, where a type was declared (the await line
//! rustc records on each suspend variant), a type's full path, and a
//! generic struct found by its parameters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::dwarf::debuginfo::{DebugInfo, DieRef, R};
use crate::dwarf::types;

/// The `DW_TAG_template_type_parameter`s of a DIE, by name.
pub fn template_params(dbg: &DebugInfo, die: DieRef) -> Vec<(String, DieRef)> {
    let mut out = Vec::new();
    let Some(unit) = dbg.unit_of(die) else {
        return out;
    };
    let Some(offset) = dbg.local(unit, die) else {
        return out;
    };
    let Ok(mut tree) = unit.entries_tree(Some(offset)) else {
        return out;
    };
    let Ok(root) = tree.root() else {
        return out;
    };
    let mut children = root.children();
    while let Ok(Some(child)) = children.next() {
        let e = child.entry();
        if e.tag() == gimli::DW_TAG_template_type_parameter
            && let (Some(n), Some(t)) = (dbg.die_name(unit, e), dbg.die_type(unit, e))
        {
            out.push((n, t));
        }
    }
    out
}

/// `DW_AT_decl_file` and `DW_AT_decl_line` of a DIE.
pub fn declared_at(dbg: &DebugInfo, die: DieRef) -> (Option<String>, Option<u32>) {
    let Some(unit) = dbg.unit_of(die) else {
        return (None, None);
    };
    let Some(offset) = dbg.local(unit, die) else {
        return (None, None);
    };
    let Ok(entry) = unit.entry(offset) else {
        return (None, None);
    };
    let line = entry
        .attr_value(gimli::DW_AT_decl_line)
        .ok()
        .flatten()
        .and_then(|v| v.udata_value())
        .map(|l| l as u32);
    let file = entry
        .attr_value(gimli::DW_AT_decl_file)
        .ok()
        .flatten()
        .and_then(|v| match v {
            gimli::AttributeValue::FileIndex(i) => Some(i),
            other => other.udata_value(),
        })
        .and_then(|index| {
            let program = unit.line_program.as_ref()?;
            let header = program.header();
            let file = header.file(index)?;
            crate::dwarf::symbols::render_file(dbg.dwarf_for(unit), unit, file, header)
        });
    (file, line)
}

/// Where the member of `parent` whose type is `member_ty` was declared:
/// rustc puts a coroutine's await line on its suspend variant's member.
pub fn member_declared_at(
    dbg: &DebugInfo,
    parent: DieRef,
    member_ty: DieRef,
) -> (Option<String>, Option<u32>) {
    let found = (|| {
        let unit = dbg.unit_of(parent)?;
        let offset = dbg.local(unit, parent)?;
        let mut cursor = unit.entries_at_offset(offset).ok()?;
        let mut depth = 0isize;
        cursor.next_dfs().ok()??;
        while let Ok(Some((delta, entry))) = cursor.next_dfs() {
            depth += delta;
            if depth <= 0 {
                return None;
            }
            if entry.tag() == gimli::DW_TAG_member && dbg.die_type(unit, entry) == Some(member_ty) {
                return dbg.global(unit, entry.offset());
            }
        }
        None
    })();
    match found {
        Some(member) => declared_at(dbg, member),
        None => (None, None),
    }
}

/// Per unit: the full path of each closure-like type (`{async_fn_env#0}`,
/// `{async_block_env#0}`) and of each `Runtime`, and each struct by name,
/// found in one pass.
#[derive(Default)]
pub struct UnitIndex {
    paths: HashMap<DieRef, String>,
    structs: HashMap<String, Vec<DieRef>>,
}

/// Where a member was declared, as [`member_declared_at`] finds it; the
/// file shared by every task suspended there.
type Declared = (Option<Arc<str>>, Option<u32>);

/// Unit indexes built so far, by unit offset, and await lines found so far
/// (10,000 tasks share a few state machines).
#[derive(Default)]
pub struct Indexes {
    units: Mutex<HashMap<usize, Arc<UnitIndex>>>,
    declared: Mutex<HashMap<(DieRef, DieRef), Declared>>,
    /// What each future type is called as a frame.
    names: Mutex<HashMap<DieRef, Arc<str>>>,
}

impl Indexes {
    fn of(&self, dbg: &DebugInfo, die: DieRef) -> Option<Arc<UnitIndex>> {
        let unit = dbg.unit_of(die)?;
        let key = unit.header.offset().as_debug_info_offset()?.0;
        if let Some(i) = self
            .units
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Some(i.clone());
        }
        let index = Arc::new(index_unit(dbg, unit));
        self.units
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, index.clone());
        Some(index)
    }

    /// [`member_declared_at`], once per (parent, member type).
    pub fn declared(&self, dbg: &DebugInfo, parent: DieRef, member_ty: DieRef) -> Declared {
        let key = (parent, member_ty);
        if let Some(d) = self
            .declared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return d.clone();
        }
        let (file, line) = member_declared_at(dbg, parent, member_ty);
        let d = (file.map(Arc::from), line);
        self.declared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, d.clone());
        d
    }

    /// `name(ty)`, once per type.
    pub fn name(&self, ty: DieRef, name: impl FnOnce() -> String) -> Arc<str> {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        names.entry(ty).or_insert_with(|| Arc::from(name())).clone()
    }

    /// The full path of a type (`demo::order::{async_fn_env#0}`), when it
    /// is a closure-like type or a `Runtime`.
    pub fn path(&self, dbg: &DebugInfo, ty: DieRef) -> Option<String> {
        self.of(dbg, ty)?.paths.get(&ty).cloned()
    }

    /// A struct named `name` in the unit of `near`.
    pub fn structs(&self, dbg: &DebugInfo, near: DieRef, name: &str) -> Vec<DieRef> {
        self.of(dbg, near)
            .and_then(|i| i.structs.get(name).cloned())
            .unwrap_or_default()
    }
}

fn index_unit(dbg: &DebugInfo, unit: &gimli::Unit<R>) -> UnitIndex {
    let mut index = UnitIndex::default();
    let Ok(mut tree) = unit.entries_tree(None) else {
        return index;
    };
    let Ok(root) = tree.root() else {
        return index;
    };
    let _ = walk(dbg, unit, root, &mut Vec::new(), &mut index);
    index
}

fn walk(
    dbg: &DebugInfo,
    unit: &gimli::Unit<R>,
    node: gimli::EntriesTreeNode<R>,
    path: &mut Vec<String>,
    index: &mut UnitIndex,
) -> gimli::Result<()> {
    let mut children = node.children();
    while let Some(child) = children.next()? {
        let entry = child.entry();
        let tag = entry.tag();
        if path.len() > 32 {
            continue;
        }
        match tag {
            gimli::DW_TAG_namespace => {
                path.push(dbg.die_name(unit, entry).unwrap_or_default());
                walk(dbg, unit, child, path, index)?;
                path.pop();
            }
            gimli::DW_TAG_structure_type | gimli::DW_TAG_union_type => {
                let name = dbg.die_name(unit, entry).unwrap_or_default();
                if let Some(at) = dbg.global(unit, entry.offset()) {
                    if name.starts_with('{') || name == "Runtime" {
                        index
                            .paths
                            .insert(at, crate::dwarf::debuginfo::qualified(path, &name));
                    }
                    let short = name.split('<').next().unwrap_or_default().to_string();
                    index.structs.entry(short).or_default().push(at);
                }
                // Types nest inside types (a closure's env inside its fn's
                // namespace only, but generic structs hold their own).
                path.push(name);
                walk(dbg, unit, child, path, index)?;
                path.pop();
            }
            _ => {}
        }
    }
    Ok(())
}

/// The struct named `short` (`Cell`) in the unit of `near` whose template
/// parameters are exactly `params`.
pub fn generic_struct(
    indexes: &Indexes,
    dbg: &DebugInfo,
    near: DieRef,
    short: &str,
    params: &[(String, DieRef)],
) -> Option<DieRef> {
    indexes.structs(dbg, near, short).into_iter().find(|&s| {
        let ty = types::get(dbg, s);
        params
            .iter()
            .all(|(name, want)| ty.param(name) == Some(*want))
    })
}
