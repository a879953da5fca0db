//! Shared objects' symbol tables, read from their own files and from their
//! build-id debug files, to name code DWARF does not describe.

use object::{Object as _, ObjectSymbol, SymbolKind};

use crate::memory::process::Object;

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
    let (mut table, build_id) =
        match crate::dwarf::debug_files::map(std::path::Path::new(&object.path)) {
            Some(data) => functions(&data),
            None => (Vec::new(), None),
        };
    if let Some(path) = build_id
        .as_deref()
        .and_then(crate::dwarf::debug_files::build_id_path)
        && let Some(data) = crate::dwarf::debug_files::map(&path)
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
    (svma < start + (*size).max(1)).then(|| crate::dwarf::symbols::demangle(name))
}
