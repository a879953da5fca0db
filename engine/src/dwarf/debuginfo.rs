//! The executable's own debug information: its ELF file mapped once, the load
//! bias, the DWARF sections (through gimli), and a cache of parsed units so
//! any DIE can be read by its offset; addresses become functions and lines
//! through `symbols`. Nothing is indexed until a request needs it.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use object::{Object, ObjectSection};

use crate::memory::read::Memory;

use crate::dwarf::symbols::{self, Located};

/// The reader every DWARF structure here is built on: slices of the mapped
/// executable, which stays mapped for the life of the process.
pub type R = gimli::EndianSlice<'static, gimli::RunTimeEndian>;

/// A DIE's global position: the unit that holds it and its offset there.
pub type DieRef = gimli::DebugInfoOffset<usize>;

/// Why debug information is not available.
#[derive(Debug, thiserror::Error)]
pub enum DebugInfoError {
    #[error("cannot read the executable {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot parse the executable: {0}")]
    Object(#[from] object::Error),
    #[error("the process description names no executable")]
    NoExecutable,
    #[error("malformed DWARF: {0}")]
    Dwarf(#[from] gimli::Error),
}

struct UnitSlot {
    offset: DieRef,
    header: gimli::UnitHeader<R>,
    unit: OnceLock<Option<gimli::Unit<R>>>,
}

/// The executable's debug information, with the caches built over it (types,
/// globals, parsed units) and the memory of the process it describes.
pub struct DebugInfo {
    /// Runtime address minus link-time address.
    pub bias: u64,
    pub dwarf: Arc<gimli::Dwarf<R>>,
    pub has_dwarf: bool,
    /// Why the DWARF is missing, when a fetcher was asked and had none.
    pub missing: Option<String>,
    /// The crashed process's memory, which this DWARF describes.
    pub mem: Memory,
    has_aranges: bool,
    /// The file's mapping, kept to give its pages back (`trim`).
    map: &'static memmap2::Mmap,
    file: object::File<'static>,
    units: OnceLock<Vec<UnitSlot>>,
    /// Without `.debug_aranges`, every unit with its root DIE's ranges
    /// (found once, on the first lookup).
    unit_ranges: OnceLock<Vec<(DieRef, Vec<gimli::Range>)>>,
    /// Compile units parsed so far (for stats: laziness is measurable).
    units_parsed: AtomicU64,
    /// Types read so far, by DIE.
    pub(crate) types: crate::dwarf::types::Cache,
    /// Types an expression named (`*const Posting`), found by name: each
    /// search walks every unit, so each name is searched once.
    pub(crate) named_types: std::sync::Mutex<std::collections::HashMap<String, Option<DieRef>>>,
    /// Statics and vtables found so far (`globals`).
    pub(crate) globals: crate::dwarf::globals::Globals,
    /// rustc's `-C split-debuginfo=packed`: the `.dwp` beside the file, whose
    /// split units hold what the skeleton units here only point to.
    package: Option<gimli::DwarfPackage<R>>,
    /// Split units read so far (kept for the life of the process).
    splits: std::sync::Mutex<Vec<&'static Split>>,
}

/// Where split units' DIEs live in the global DIE numbering: their offset
/// in the package's `.debug_info.dwo`, above every offset of `.debug_info`
/// (and below the engine's synthesised builtin types, at the very top).
const SPLIT_BASE: usize = 1 << 60;

/// One split unit of a `.dwp`, with its own sections and its skeleton's
/// relocated attributes.
struct Split {
    dwarf: gimli::Dwarf<R>,
    unit: gimli::Unit<R>,
    /// Where its DIEs start in the global numbering.
    base: usize,
    len: usize,
    /// Its skeleton unit in the executable.
    skeleton: DieRef,
}

impl DebugInfo {
    /// Maps the file at `path` (the executable, or its separate debug file)
    /// and reads its DWARF for a process that loaded it at `bias`.
    pub fn load(path: &Path, bias: u64, mem: Memory) -> Result<DebugInfo, DebugInfoError> {
        let read_err = |source| DebugInfoError::Read {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        // SAFETY: the file is mapped read-only and kept for the life of the
        // process; an executable that is running cannot be written to
        // (ETXTBSY), and pmdb treats a file changed under it as untrusted
        // input, which every reader here tolerates.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(read_err)?;
        // Lookups jump around a file of hundreds of megabytes: without this,
        // each read would map its neighbours too (fault-around, readahead),
        // growing the crashed process's RSS by tens of megabytes.
        let _ = map.advise(memmap2::Advice::Random);
        let map: &'static memmap2::Mmap = Box::leak(Box::new(map));
        let data: &'static [u8] = map;
        let file = object::File::parse(data)?;
        let endian = endian_of(&file);
        let load = |id: gimli::SectionId| -> Result<R, gimli::Error> {
            let bytes: &'static [u8] = match file.section_by_name(id.name()) {
                Some(section) => match section.uncompressed_data() {
                    Ok(std::borrow::Cow::Borrowed(b)) => b,
                    Ok(std::borrow::Cow::Owned(v)) => Box::leak(v.into_boxed_slice()),
                    Err(_) => &[],
                },
                None => &[],
            };
            Ok(gimli::EndianSlice::new(bytes, endian))
        };
        let dwarf = gimli::Dwarf::load(load)?;
        let package = load_package(path, endian);
        let has_dwarf = file.section_by_name(".debug_info").is_some();
        let has_aranges = file
            .section_by_name(".debug_aranges")
            .is_some_and(|s| s.size() > 0);
        Ok(DebugInfo {
            bias,
            dwarf: Arc::new(dwarf),
            has_dwarf,
            missing: None,
            mem,
            has_aranges,
            map,
            file,
            units: OnceLock::new(),
            unit_ranges: OnceLock::new(),
            units_parsed: AtomicU64::new(0),
            types: Default::default(),
            named_types: Default::default(),
            globals: Default::default(),
            package,
            splits: Default::default(),
        })
    }

    /// Gives the mapped file's pages back to the kernel: the next read
    /// faults them in again from the page cache. Run between requests inside
    /// a crashed process, whose RSS should not grow by the DWARF it lent us.
    pub fn trim(&self) {
        // SAFETY: the mapping is a read-only shared mapping of a file, so
        // MADV_DONTNEED only drops our page-table entries: the next access
        // reads the same bytes again, and every slice into it stays valid.
        let _ = unsafe {
            self.map
                .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)
        };
    }

    /// How many compile units have been parsed.
    pub fn units_parsed(&self) -> u64 {
        self.units_parsed.load(Ordering::Relaxed)
    }

    fn slots(&self) -> &[UnitSlot] {
        self.units.get_or_init(|| {
            let mut out = Vec::new();
            let mut iter = self.dwarf.units();
            while let Ok(Some(header)) = iter.next() {
                if let Some(offset) = header.offset().as_debug_info_offset() {
                    out.push(UnitSlot {
                        offset,
                        header,
                        unit: OnceLock::new(),
                    });
                }
            }
            out
        })
    }

    /// The unit holding the DIE at `offset`, parsed on first use.
    pub fn unit_of(&self, offset: DieRef) -> Option<&gimli::Unit<R>> {
        if offset.0 >= SPLIT_BASE {
            return self.split_holding(offset).map(|s| &s.unit);
        }
        let units = self.slots();
        let i = units
            .partition_point(|u| u.offset.0 <= offset.0)
            .checked_sub(1)?;
        let slot = &units[i];
        if offset.0 >= slot.offset.0 + slot.header.length_including_self() {
            return None;
        }
        slot.unit
            .get_or_init(|| {
                self.units_parsed.fetch_add(1, Ordering::Relaxed);
                self.dwarf.unit(slot.header).ok()
            })
            .as_ref()
    }

    /// The frames at each link-time address, innermost inlined call first
    /// (empty where DWARF does not describe the address). Reads only the
    /// units that hold the addresses, and of those only what is needed.
    pub fn locate(&self, addrs: &[u64]) -> Vec<Vec<Located>> {
        // rustc (through LLVM) and gcc describe every unit that has code in
        // `.debug_aranges`; the units left out hold only types. Without the
        // section, each unit's root DIE says what it covers.
        let units = if self.has_aranges {
            symbols::units_by_aranges(&self.dwarf.debug_aranges, addrs)
        } else {
            let all = self.unit_ranges.get_or_init(|| self.root_ranges());
            addrs
                .iter()
                .map(|&a| {
                    all.iter()
                        .find(|(_, ranges)| ranges.iter().any(|r| r.begin <= a && a < r.end))
                        .map(|(u, _)| *u)
                })
                .collect()
        };
        let origin = |o: DieRef| self.unit_of(o);
        symbols::per_unit(&units, addrs, |start, here| match self.unit_of(start) {
            Some(unit) => match self.split_of(start, unit) {
                // A skeleton: its functions are in the split unit, its
                // lines stay here.
                Some(split) => {
                    let mut frames =
                        symbols::frames_in_unit(&split.dwarf, &split.unit, here, &origin);
                    for f in frames.iter_mut().flatten() {
                        f.die = f.die.map(|d| gimli::DebugInfoOffset(d.0 + split.base));
                    }
                    frames
                }
                None => symbols::frames_in_unit(&self.dwarf, unit, here, &origin),
            },
            None => vec![Vec::new(); here.len()],
        })
    }

    /// The split unit of the skeleton unit at `start`, read on first use,
    /// when the executable came with a `.dwp`.
    fn split_of(&self, start: DieRef, skeleton: &gimli::Unit<R>) -> Option<&'static Split> {
        let package = self.package.as_ref()?;
        let id = skeleton.dwo_id?;
        let mut splits = self.splits.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = splits.iter().find(|s| s.skeleton == start) {
            return Some(s);
        }
        let dwarf = package.find_cu(id, &self.dwarf).ok()??;
        let header = dwarf.units().next().ok()??;
        let mut unit = dwarf.unit(header).ok()?;
        unit.copy_relocated_attributes(skeleton);
        // Line tables are not split: the skeleton's serve the split unit.
        unit.line_program = skeleton.line_program.clone();
        unit.comp_dir = skeleton.comp_dir;
        let whole = gimli::Section::reader(&package.debug_info).slice().as_ptr() as usize;
        let here = gimli::Section::reader(&dwarf.debug_info).slice();
        let base = SPLIT_BASE + (here.as_ptr() as usize).checked_sub(whole)?;
        self.units_parsed.fetch_add(1, Ordering::Relaxed);
        let split: &'static Split = Box::leak(Box::new(Split {
            len: here.len(),
            dwarf,
            unit,
            base,
            skeleton: start,
        }));
        splits.push(split);
        Some(split)
    }

    /// The split unit whose DIEs hold global offset `offset`.
    fn split_holding(&self, offset: DieRef) -> Option<&'static Split> {
        let splits = self.splits.lock().unwrap_or_else(|p| p.into_inner());
        splits
            .iter()
            .find(|s| s.base <= offset.0 && offset.0 < s.base + s.len)
            .copied()
    }

    /// The split unit `unit` is, if it is one.
    fn split_unit(&self, unit: &gimli::Unit<R>) -> Option<&'static Split> {
        let splits = self.splits.lock().unwrap_or_else(|p| p.into_inner());
        splits.iter().find(|s| std::ptr::eq(&s.unit, unit)).copied()
    }

    /// The sections `unit`'s attributes refer to (its split unit's own, for
    /// a unit of a `.dwp`).
    pub fn dwarf_for(&self, unit: &gimli::Unit<R>) -> &gimli::Dwarf<R> {
        match self.split_unit(unit) {
            Some(s) => &s.dwarf,
            None => &self.dwarf,
        }
    }

    /// Every unit whose DIEs describe the program: the executable's, and in
    /// place of each skeleton its split unit.
    pub fn content_units(&self) -> Vec<&gimli::Unit<R>> {
        self.slots()
            .iter()
            .filter_map(|s| self.content_unit(s.offset))
            .collect()
    }

    /// The unit starting at `start` — its split unit, for a skeleton —
    /// parsed on first use.
    pub fn content_unit(&self, start: DieRef) -> Option<&gimli::Unit<R>> {
        let unit = self.unit_of(start)?;
        Some(match self.split_of(start, unit) {
            Some(split) => &split.unit,
            None => unit,
        })
    }

    /// Whether the file has `.debug_aranges` (which places every function
    /// and global variable in its unit).
    pub fn has_aranges(&self) -> bool {
        self.has_aranges
    }

    /// The link-time address ranges of the file's code sections.
    pub fn code_ranges(&self) -> Vec<(u64, u64)> {
        self.file
            .sections()
            .filter(|s| s.kind() == object::SectionKind::Text && s.size() > 0)
            .map(|s| (s.address(), s.address().saturating_add(s.size())))
            .collect()
    }

    /// The link-time addresses of the data symbols whose demangled name's
    /// last segment is `last` (`GREETING` for `demo::collections::GREETING`,
    /// and for a `#[no_mangle]` static of that name): one pass over the
    /// symbol table, demangling only names that contain `last`. `None` when
    /// the file has no symbol table.
    pub fn objects_named(&self, last: &str) -> Option<Vec<u64>> {
        objects_named(&self.file, last)
    }

    /// The units holding the code of the functions whose demangled names
    /// mention `path` (`std::thread::thread::Inner`, `Account`): its methods,
    /// its trait impls, its drop glue. Those units use the type, so rustc
    /// describes it there too. In unit order, each once; `None` without a
    /// symbol table or `.debug_aranges`. One pass over the symbol table,
    /// demangling only names holding `path`'s last segment.
    pub fn units_naming(&self, path: &str) -> Option<Vec<DieRef>> {
        if !self.has_aranges {
            return None;
        }
        let addrs = functions_naming(&self.file, path)?;
        let mut units: Vec<DieRef> = symbols::units_by_aranges(&self.dwarf.debug_aranges, &addrs)
            .into_iter()
            .flatten()
            .collect();
        units.sort();
        units.dedup();
        Some(units)
    }

    /// A DIE of `unit` in the global numbering.
    pub fn global(
        &self,
        unit: &gimli::Unit<R>,
        offset: gimli::UnitOffset<usize>,
    ) -> Option<DieRef> {
        let at = offset.to_debug_info_offset(&unit.header)?;
        Some(match self.split_unit(unit) {
            Some(s) => gimli::DebugInfoOffset(at.0 + s.base),
            None => at,
        })
    }

    /// A global DIE offset within `unit`, the unit holding it.
    pub fn local(&self, unit: &gimli::Unit<R>, die: DieRef) -> Option<gimli::UnitOffset<usize>> {
        let at = match self.split_unit(unit) {
            Some(s) => gimli::DebugInfoOffset(die.0.checked_sub(s.base)?),
            None => die,
        };
        at.to_unit_offset(&unit.header)
    }

    /// Reads a DIE reference attribute as a global offset.
    pub fn die_ref(
        &self,
        unit: &gimli::Unit<R>,
        value: gimli::AttributeValue<R>,
    ) -> Option<DieRef> {
        match value {
            gimli::AttributeValue::UnitRef(o) => self.global(unit, o),
            gimli::AttributeValue::DebugInfoRef(o) => Some(o),
            _ => None,
        }
    }

    /// The type a DIE names with `DW_AT_type`, as a global offset.
    pub fn die_type(
        &self,
        unit: &gimli::Unit<R>,
        entry: &gimli::DebuggingInformationEntry<R>,
    ) -> Option<DieRef> {
        let value = entry.attr_value(gimli::DW_AT_type).ok().flatten()?;
        self.die_ref(unit, value)
    }

    /// A DIE's name.
    pub fn die_name(
        &self,
        unit: &gimli::Unit<R>,
        entry: &gimli::DebuggingInformationEntry<R>,
    ) -> Option<String> {
        die_name(self.dwarf_for(unit), unit, entry)
    }

    /// Every unit with its root DIE's ranges.
    pub fn root_ranges(&self) -> Vec<(DieRef, Vec<gimli::Range>)> {
        self.slots()
            .iter()
            .filter_map(|s| {
                let unit = self.unit_of(s.offset)?;
                Some((s.offset, symbols::unit_ranges(&self.dwarf, unit)))
            })
            .collect()
    }

    /// The symbol-table name of the function containing link-time address
    /// `svma`, demangled (for code DWARF does not name fully).
    pub fn symbol_name(&self, svma: u64) -> Option<String> {
        self.symbol_names(&[svma]).pop().flatten()
    }

    /// The data symbol (a `static`) whose bytes hold link-time address
    /// `svma`: its name, demangled without the hash, and its start.
    pub fn object_symbol_at(&self, svma: u64) -> Option<(String, u64)> {
        use object::read::elf::Sym;
        let object::File::Elf64(elf) = &self.file else {
            return None;
        };
        let endian = elf.endian();
        let table = elf.elf_symbol_table();
        table.symbols().iter().find_map(|s| {
            let (start, size) = (s.st_value(endian), s.st_size(endian));
            let data = s.st_type() == object::elf::STT_OBJECT;
            (data && start != 0 && start <= svma && svma < start.saturating_add(size.max(1)))
                .then(|| {
                    let name = s.name(endian, table.strings()).ok()?;
                    Some((
                        crate::dwarf::symbols::demangle(&String::from_utf8_lossy(name)),
                        start,
                    ))
                })
                .flatten()
        })
    }

    /// The same for several addresses, in one pass over the symbols.
    pub fn symbol_names(&self, svmas: &[u64]) -> Vec<Option<String>> {
        symbols_at(&self.file, svmas)
            .into_iter()
            .map(|n| n.map(|n| symbols::demangle(&n)))
            .collect()
    }
}

/// The byte order of an ELF file, as gimli names it.
pub fn endian_of(file: &object::File<'_>) -> gimli::RunTimeEndian {
    if file.is_little_endian() {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    }
}

/// The raw names of the function symbols containing link-time addresses
/// `svmas`: one pass over the raw symbol entries, decoding only the names
/// that match. A 250 MB binary has hundreds of thousands of symbols;
/// sorting them, or building each one's `object` view, costs milliseconds.
pub fn symbols_at(file: &object::File<'_>, svmas: &[u64]) -> Vec<Option<String>> {
    use object::read::elf::Sym;
    let mut out = vec![None; svmas.len()];
    let object::File::Elf64(elf) = file else {
        return out;
    };
    if svmas.is_empty() {
        return out;
    }
    let endian = elf.endian();
    let table = elf.elf_symbol_table();
    for s in table.symbols() {
        let (start, size) = (s.st_value(endian), s.st_size(endian));
        if s.st_type() != object::elf::STT_FUNC || start == 0 {
            continue;
        }
        let end = start.saturating_add(size.max(1));
        for (slot, &a) in out.iter_mut().zip(svmas) {
            if slot.is_none() && start <= a && a < end {
                *slot = s
                    .name(endian, table.strings())
                    .ok()
                    .map(|n| String::from_utf8_lossy(n).into_owned());
            }
        }
    }
    out
}

/// See [`DebugInfo::units_naming`]: the link-time addresses of those
/// functions.
fn functions_naming(file: &object::File<'_>, path: &str) -> Option<Vec<u64>> {
    let last = path.rsplit("::").next().unwrap_or(path);
    // `path` as a whole path in the name: not the tail of a longer segment
    // (`Inner` in `ArcInner`) nor the head of one (`Inner2`).
    let whole = |name: &str| {
        name.match_indices(path).any(|(i, _)| {
            let before = name[..i].chars().next_back();
            let after = name[i + path.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    symbols_where(file, object::elf::STT_FUNC, last, whole)
}

/// See [`DebugInfo::objects_named`].
pub fn objects_named(file: &object::File<'_>, last: &str) -> Option<Vec<u64>> {
    symbols_where(file, object::elf::STT_OBJECT, last, |name| {
        name.rsplit("::").next() == Some(last)
    })
}

/// The addresses of the ELF symbols of type `kind` whose raw name contains
/// `needle` and whose demangled name passes `keep`; `None` without a symbol
/// table (nothing to say), empty for an empty `needle`.
fn symbols_where(
    file: &object::File<'_>,
    kind: u8,
    needle: &str,
    keep: impl Fn(&str) -> bool,
) -> Option<Vec<u64>> {
    use object::read::elf::Sym;
    let object::File::Elf64(elf) = file else {
        return None;
    };
    let endian = elf.endian();
    let table = elf.elf_symbol_table();
    if table.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    if needle.is_empty() {
        return Some(out);
    }
    // The raw (mangled) name holds every path segment as written: a cheap
    // filter before demangling.
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    for s in table.symbols() {
        if s.st_type() != kind || s.st_value(endian) == 0 {
            continue;
        }
        let Ok(raw) = s.name(endian, table.strings()) else {
            continue;
        };
        if finder.find(raw).is_none() {
            continue;
        }
        if keep(&symbols::demangle(&String::from_utf8_lossy(raw))) {
            out.push(s.st_value(endian));
        }
    }
    Some(out)
}

/// A DIE's name attribute as a string.
pub fn die_name(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
    entry: &gimli::DebuggingInformationEntry<R>,
) -> Option<String> {
    let attr = entry.attr_value(gimli::DW_AT_name).ok()??;
    let s = dwarf.attr_string(unit, attr).ok()?;
    Some(s.to_string_lossy().into_owned())
}

/// `name` under the namespaces (and types) of `path`: `demo::bank::Account`
/// for `["demo", "bank"]` and `Account`; `name` alone at the top.
pub fn qualified(path: &[String], name: &str) -> String {
    let mut full = path.join("::");
    if !full.is_empty() {
        full.push_str("::");
    }
    full.push_str(name);
    full
}

/// The `.dwp` beside `path` (`path.dwp`, as rustc's `-C
/// split-debuginfo=packed` writes it), mapped and read.
fn load_package(path: &Path, endian: gimli::RunTimeEndian) -> Option<gimli::DwarfPackage<R>> {
    let dwp = {
        let mut p = path.as_os_str().to_owned();
        p.push(".dwp");
        std::path::PathBuf::from(p)
    };
    let map = crate::dwarf::debug_files::map(&dwp)?;
    let map: &'static memmap2::Mmap = Box::leak(Box::new(map));
    let file: &'static object::File<'static> =
        Box::leak(Box::new(object::File::parse(&map[..]).ok()?));
    let load = |id: gimli::SectionId| -> Result<R, gimli::Error> {
        let bytes: &'static [u8] = id
            .dwo_name()
            .and_then(|n| file.section_by_name(n))
            .and_then(|s| s.data().ok())
            .unwrap_or(&[]);
        Ok(gimli::EndianSlice::new(bytes, endian))
    };
    gimli::DwarfPackage::load(load, gimli::EndianSlice::new(&[], endian)).ok()
}
