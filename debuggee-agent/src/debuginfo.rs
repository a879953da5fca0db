//! The executable's own debug information: its ELF file mapped once, the load
//! bias, the DWARF sections (through gimli), the addr2line context that maps
//! addresses to functions and lines, and a cache of parsed units so any DIE
//! can be read by its offset. Nothing is indexed until a request needs it.

use std::sync::{Arc, OnceLock};

use addr2line::gimli;
use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol, SymbolKind};

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
    #[error("malformed DWARF: {0}")]
    Dwarf(#[from] gimli::Error),
    #[error("the executable is not mapped in /proc/self/maps")]
    NotMapped,
}

struct UnitSlot {
    offset: DieRef,
    header: gimli::UnitHeader<R>,
    unit: OnceLock<Option<gimli::Unit<R>>>,
}

/// The executable's debug information, loaded lazily once per process.
pub struct DebugInfo {
    /// Runtime address minus link-time address.
    pub bias: u64,
    pub dwarf: Arc<gimli::Dwarf<R>>,
    /// addr2line's context caches lazily in cells, so it is used under a lock.
    pub ctx: std::sync::Mutex<addr2line::Context<R>>,
    pub has_dwarf: bool,
    file: object::File<'static>,
    units: OnceLock<Vec<UnitSlot>>,
}

/// Compile units parsed so far (for stats: laziness is measurable).
static UNITS_PARSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many compile units the agent has parsed.
pub fn units_parsed() -> u64 {
    UNITS_PARSED.load(std::sync::atomic::Ordering::Relaxed)
}

static DEBUG_INFO: OnceLock<Result<DebugInfo, String>> = OnceLock::new();

/// The process's debug information, loaded on first use.
pub fn get() -> Result<&'static DebugInfo, String> {
    DEBUG_INFO
        .get_or_init(|| DebugInfo::load().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

impl DebugInfo {
    fn load() -> Result<DebugInfo, DebugInfoError> {
        let path = std::fs::read_link("/proc/self/exe").unwrap_or_else(|_| "/proc/self/exe".into());
        let read_err = |source| DebugInfoError::Read {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open("/proc/self/exe").map_err(read_err)?;
        // SAFETY: the executable of a running process is not modified while it
        // runs (the kernel refuses writes with ETXTBSY), so the mapping stays valid.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(read_err)?;
        let data: &'static [u8] = Box::leak(Box::new(map));
        let file = object::File::parse(data)?;
        let endian = if file.is_little_endian() {
            gimli::RunTimeEndian::Little
        } else {
            gimli::RunTimeEndian::Big
        };
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
        let has_dwarf = file.section_by_name(".debug_info").is_some();
        let dwarf = Arc::new(dwarf);
        let ctx = addr2line::Context::from_arc_dwarf(dwarf.clone())?;
        let bias = load_bias(&file, &path)?;
        Ok(DebugInfo {
            bias,
            dwarf,
            ctx: std::sync::Mutex::new(ctx),
            has_dwarf,
            file,
            units: OnceLock::new(),
        })
    }

    /// The unit holding the DIE at `offset`, parsed on first use.
    pub fn unit_of(&self, offset: DieRef) -> Option<&gimli::Unit<R>> {
        let units = self.units.get_or_init(|| {
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
        });
        let i = units
            .partition_point(|u| u.offset.0 <= offset.0)
            .checked_sub(1)?;
        let slot = &units[i];
        if offset.0 >= slot.offset.0 + slot.header.length_including_self() {
            return None;
        }
        slot.unit
            .get_or_init(|| {
                UNITS_PARSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.dwarf.unit(slot.header).ok()
            })
            .as_ref()
    }

    /// The symbol-table name of the function containing the link-time
    /// address `svma`, demangled (for code without DWARF).
    pub fn symbol_name(&self, svma: u64) -> Option<String> {
        // One pass over the symbol entries, decoding only the name that
        // matches: a 250 MB binary has hundreds of thousands of symbols, and
        // sorting them all (or validating every name) costs ~100 ms.
        self.file
            .symbols()
            .find(|s| {
                s.kind() == SymbolKind::Text
                    && s.address() != 0
                    && s.address() <= svma
                    && svma < s.address() + s.size().max(1)
            })
            .and_then(|s| s.name().ok().map(demangle))
    }
}

/// A Rust symbol demangled without its hash; other names unchanged.
pub fn demangle(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}

/// Where the executable was loaded: the mapping of file offset 0 minus the
/// link-time address of the segment at file offset 0.
fn load_bias(file: &object::File<'static>, path: &std::path::Path) -> Result<u64, DebugInfoError> {
    let first_vaddr = file
        .segments()
        .find(|s| s.file_range().0 == 0)
        .map_or(0, |s| s.address());
    let maps =
        std::fs::read_to_string("/proc/self/maps").map_err(|source| DebugInfoError::Read {
            path: "/proc/self/maps".into(),
            source,
        })?;
    let path = path.to_string_lossy();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(_perms), Some(offset)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Some(name) = fields.nth(2) else { continue };
        if name != path || u64::from_str_radix(offset, 16) != Ok(0) {
            continue;
        }
        let start = range
            .split('-')
            .next()
            .and_then(|s| u64::from_str_radix(s, 16).ok());
        if let Some(start) = start {
            return Ok(start.wrapping_sub(first_vaddr & !0xfff));
        }
    }
    Err(DebugInfoError::NotMapped)
}

/// Reads a DIE reference attribute as a global offset.
pub fn die_ref(unit: &gimli::Unit<R>, value: gimli::AttributeValue<R>) -> Option<DieRef> {
    match value {
        gimli::AttributeValue::UnitRef(o) => o.to_debug_info_offset(&unit.header),
        gimli::AttributeValue::DebugInfoRef(o) => Some(o),
        _ => None,
    }
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
