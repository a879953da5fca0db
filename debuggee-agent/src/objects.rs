//! The process's loaded objects (the executable and every shared library),
//! as the dynamic loader reports them through `dl_iterate_phdr`: where each is
//! loaded, its executable segments, and its `.eh_frame_hdr` in memory.

use std::ffi::CStr;

/// One loaded object.
#[derive(Debug, Clone)]
pub struct Object {
    pub name: String,
    /// Runtime address minus link-time address.
    pub bias: u64,
    /// Mapped segments as (start, end, executable), runtime addresses.
    pub segments: Vec<(u64, u64, bool)>,
    /// `.eh_frame_hdr` as (runtime address, size).
    pub eh_frame_hdr: Option<(u64, u64)>,
}

impl Object {
    /// Whether runtime address `addr` is in one of this object's executable segments.
    pub fn contains_code(&self, addr: u64) -> bool {
        self.segments
            .iter()
            .any(|&(s, e, x)| x && s <= addr && addr < e)
    }

    /// The end of the segment holding `addr`.
    pub fn segment_end(&self, addr: u64) -> Option<u64> {
        self.segments
            .iter()
            .find(|&&(s, e, _)| s <= addr && addr < e)
            .map(|&(_, e, _)| e)
    }
}

/// The name of the function containing runtime address `addr` in a shared
/// object, from that object's own symbol tables (read from its file once).
pub fn symbol_in(object: &Object, addr: u64) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use object::{Object as _, ObjectSymbol, SymbolKind};

    type Table = Vec<(u64, u64, String)>;
    static TABLES: OnceLock<Mutex<HashMap<String, std::sync::Arc<Table>>>> = OnceLock::new();
    if object.name.is_empty() {
        return None; // the executable: see debuginfo
    }
    let table = {
        let mut tables = TABLES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        tables
            .entry(object.name.clone())
            .or_insert_with(|| {
                let functions = |data: &[u8]| -> (Table, Option<Vec<u8>>) {
                    match object::File::parse(data) {
                        Ok(file) => (
                            file.symbols()
                                .chain(file.dynamic_symbols())
                                .filter(|s| s.kind() == SymbolKind::Text && s.address() != 0)
                                .filter_map(|s| {
                                    Some((s.address(), s.size(), s.name().ok()?.to_string()))
                                })
                                .collect(),
                            file.build_id().ok().flatten().map(<[u8]>::to_vec),
                        ),
                        Err(_) => (Vec::new(), None),
                    }
                };
                let (mut table, build_id) =
                    functions(&std::fs::read(&object.name).unwrap_or_default());
                // A separate debug file, found by build-id, has the full symbol table.
                if let Some(path) = build_id.as_deref().and_then(build_id_path)
                    && let Ok(data) = std::fs::read(path)
                {
                    table.extend(functions(&data).0);
                }
                table.sort();
                table.dedup_by_key(|e| e.0);
                std::sync::Arc::new(table)
            })
            .clone()
    };
    let svma = addr.wrapping_sub(object.bias);
    let i = table.partition_point(|s| s.0 <= svma).checked_sub(1)?;
    let (start, size, name) = &table[i];
    (svma < start + (*size).max(1)).then(|| crate::debuginfo::demangle(name))
}

/// A shared object's own DWARF: its separate debug file found by build-id,
/// else the object itself when it carries `.debug_info`.
pub fn dwarf_path(object: &Object) -> Option<std::path::PathBuf> {
    use object::Object as _;
    let data = std::fs::read(&object.name).ok()?;
    let file = object::File::parse(&*data).ok()?;
    if let Some(path) = file.build_id().ok().flatten().and_then(build_id_path)
        && path.exists()
    {
        return Some(path);
    }
    file.section_by_name(".debug_info")
        .map(|_| std::path::PathBuf::from(&object.name))
}

/// Where a separate debug file with this build-id is installed
/// (`/usr/lib/debug/.build-id/xx/rest.debug`, as gdb looks for it).
fn build_id_path(id: &[u8]) -> Option<std::path::PathBuf> {
    if id.len() < 2 {
        return None;
    }
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("/usr/lib/debug/.build-id/{}/{}.debug", &hex[..2], &hex[2..]).into())
}

/// Every loaded object, the executable first.
pub fn loaded() -> Vec<Object> {
    let mut out: Vec<Object> = Vec::new();
    // SAFETY: the callback only reads the `dl_phdr_info` the loader passes for
    // the duration of the call, and `data` is the `&mut Vec` we pass here.
    unsafe {
        libc::dl_iterate_phdr(Some(visit), (&mut out as *mut Vec<Object>).cast());
    }
    out
}

unsafe extern "C" fn visit(
    info: *mut libc::dl_phdr_info,
    _size: usize,
    data: *mut libc::c_void,
) -> libc::c_int {
    // SAFETY: `dl_iterate_phdr` passes a valid `info` whose `dlpi_phdr` points
    // to `dlpi_phnum` program headers, and `data` is our `Vec<Object>`.
    unsafe {
        let out = &mut *(data as *mut Vec<Object>);
        let info = &*info;
        let name = if info.dlpi_name.is_null() {
            String::new()
        } else {
            CStr::from_ptr(info.dlpi_name)
                .to_string_lossy()
                .into_owned()
        };
        let bias = info.dlpi_addr;
        let phdrs = std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize);
        let mut segments = Vec::new();
        let mut eh_frame_hdr = None;
        for ph in phdrs {
            let start = bias.wrapping_add(ph.p_vaddr);
            match ph.p_type {
                libc::PT_LOAD => {
                    segments.push((start, start + ph.p_memsz, ph.p_flags & libc::PF_X != 0))
                }
                libc::PT_GNU_EH_FRAME => eh_frame_hdr = Some((start, ph.p_memsz)),
                _ => {}
            }
        }
        out.push(Object {
            name,
            bias,
            segments,
            eh_frame_hdr,
        });
    }
    0
}
