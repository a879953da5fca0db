//! Shared objects' own files: their symbol tables (to name code DWARF does
//! not describe) and where their DWARF lives (a separate debug file found by
//! build-id, else the object itself).

use std::path::PathBuf;

use object::{Object as _, ObjectSymbol, SymbolKind};

use crate::process::Object;

/// A shared object's function symbols, sorted by link-time address:
/// (start, size, mangled name).
pub type SymbolTable = Vec<(u64, u64, String)>;

/// Reads `object`'s function symbols from its file and, where one is
/// installed, its build-id debug file (which has the full table).
pub fn symbol_table(object: &Object) -> SymbolTable {
    let functions = |data: &[u8]| -> (SymbolTable, Option<Vec<u8>>) {
        match object::File::parse(data) {
            Ok(file) => (
                file.symbols()
                    .chain(file.dynamic_symbols())
                    .filter(|s| s.kind() == SymbolKind::Text && s.address() != 0)
                    .filter_map(|s| Some((s.address(), s.size(), s.name().ok()?.to_string())))
                    .collect(),
                file.build_id().ok().flatten().map(<[u8]>::to_vec),
            ),
            Err(_) => (Vec::new(), None),
        }
    };
    let (mut table, build_id) = match crate::debug_files::map(std::path::Path::new(&object.path)) {
        Some(data) => functions(&data),
        None => (Vec::new(), None),
    };
    if let Some(path) = build_id.as_deref().and_then(build_id_path)
        && let Some(data) = crate::debug_files::map(&path)
    {
        table.extend(functions(&data).0);
    }
    table.sort();
    table.dedup_by_key(|e| e.0);
    table
}

/// The demangled name of the function holding runtime address `addr` in
/// `object`, from its symbol table.
pub fn symbol_at(table: &SymbolTable, object: &Object, addr: u64) -> Option<String> {
    let svma = addr.wrapping_sub(object.bias);
    let i = table.partition_point(|s| s.0 <= svma).checked_sub(1)?;
    let (start, size, name) = &table[i];
    (svma < start + (*size).max(1)).then(|| crate::debuginfo::demangle(name))
}

/// Where a separate debug file with this build-id is installed
/// (`/usr/lib/debug/.build-id/xx/rest.debug`, as gdb looks for it).
pub fn build_id_path(id: &[u8]) -> Option<PathBuf> {
    build_id_path_in(std::path::Path::new("/usr/lib/debug"), id)
}

/// The same under another root laid out like `/usr/lib/debug`.
pub fn build_id_path_in(root: &std::path::Path, id: &[u8]) -> Option<PathBuf> {
    if id.len() < 2 {
        return None;
    }
    let hex = hex(id);
    Some(root.join(format!(".build-id/{}/{}.debug", &hex[..2], &hex[2..])))
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
