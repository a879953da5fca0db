//! Addresses to source, read lazily from one DWARF: which compile unit holds
//! an address (one pass over `.debug_aranges` for a whole traceback), which
//! function and inlined calls contain it (one walk of that unit's DIEs,
//! stopped as soon as every address asked is placed), and its file and line
//! (the unit's line program, read only until every address is found).
//!
//! Nothing is indexed beyond what the addresses asked need: a 250 MB binary's
//! first traceback reads a few of its thousand units. The same code serves
//! the executable and shared objects' separate debug files.

use gimli::Reader;

/// A unit's position in `.debug_info`.
pub type UnitStart = gimli::DebugInfoOffset<usize>;

/// One frame at an address: a function or an inlined call, where it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Located {
    /// Demangled linkage name, else the DIE's plain name.
    pub function: Option<String>,
    /// True when the name came from `DW_AT_linkage_name`, i.e. it is a full path.
    pub qualified: bool,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The subprogram's or inlined call's DIE.
    pub die: Option<gimli::DebugInfoOffset<usize>>,
}

/// For each address, the unit `.debug_aranges` says holds it, in one pass
/// over the section whatever the number of addresses.
pub fn units_by_aranges<R: Reader<Offset = usize>>(
    aranges: &gimli::DebugAranges<R>,
    addrs: &[u64],
) -> Vec<Option<UnitStart>> {
    let mut out = vec![None; addrs.len()];
    let mut headers = aranges.headers();
    while let Ok(Some(header)) = headers.next() {
        let mut entries = header.entries();
        while let Ok(Some(entry)) = entries.next() {
            let range = entry.range();
            // Functions the linker dropped keep address 0.
            if range.begin == 0 {
                continue;
            }
            for (slot, &a) in out.iter_mut().zip(addrs) {
                if slot.is_none() && range.begin <= a && a < range.end {
                    *slot = Some(header.debug_info_offset());
                }
            }
        }
        if out.iter().all(Option::is_some) {
            break;
        }
    }
    out
}

/// Runs `frames` once per unit over the addresses `units` places in it,
/// and puts the frames found back in the addresses' order (empty for
/// addresses no unit holds).
pub fn per_unit(
    units: &[Option<UnitStart>],
    addrs: &[u64],
    mut frames: impl FnMut(UnitStart, &[u64]) -> Vec<Vec<Located>>,
) -> Vec<Vec<Located>> {
    let mut starts: Vec<UnitStart> = units.iter().flatten().copied().collect();
    starts.sort_by_key(|u| u.0);
    starts.dedup();
    let mut out = vec![Vec::new(); addrs.len()];
    for start in starts {
        let index: Vec<usize> = (0..addrs.len())
            .filter(|&i| units[i] == Some(start))
            .collect();
        let here: Vec<u64> = index.iter().map(|&i| addrs[i]).collect();
        for (i, f) in index.into_iter().zip(frames(start, &here)) {
            out[i] = f;
        }
    }
    out
}

/// The address ranges `unit`'s root DIE covers (for DWARF without
/// `.debug_aranges`).
pub fn unit_ranges<R: Reader<Offset = usize>>(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
) -> Vec<gimli::Range> {
    let Ok(mut entries) = unit.entries_raw(None) else {
        return Vec::new();
    };
    let Ok(Some(abbrev)) = entries.read_abbreviation() else {
        return Vec::new();
    };
    read_ranges(dwarf, unit, &mut entries, abbrev, &mut |_| {}).unwrap_or_default()
}

/// Where a subprogram or inlined call was entered from.
#[derive(Debug, Clone, Copy)]
struct Call {
    depth: isize,
    offset: gimli::UnitOffset<usize>,
    file: Option<u64>,
    line: u32,
    column: u32,
}

/// The frames at each address (all in `unit`), innermost inlined call
/// first, the out-of-line function last. `origin` finds the unit holding a
/// DIE another unit refers to (for names behind `DW_AT_abstract_origin`).
pub fn frames_in_unit<'u, R: Reader<Offset = usize>>(
    dwarf: &gimli::Dwarf<R>,
    unit: &'u gimli::Unit<R>,
    addrs: &[u64],
    origin: &dyn Fn(gimli::DebugInfoOffset<usize>) -> Option<&'u gimli::Unit<R>>,
) -> Vec<Vec<Located>> {
    let chains = call_chains(dwarf, unit, addrs);
    let lines = lines_at(dwarf, unit, addrs);
    let file = |index: u64| -> Option<String> {
        let program = unit.line_program.as_ref()?;
        let header = program.header();
        render_file(dwarf, unit, header.file(index)?, header)
    };
    chains
        .into_iter()
        .zip(lines)
        .map(|(chain, line)| {
            let mut out = Vec::with_capacity(chain.len());
            // The innermost call is at the address's own line; each outer
            // one at the line its callee was inlined from.
            let mut at = line.unwrap_or_default();
            for call in chain.iter().rev() {
                let (function, qualified) = name_of(dwarf, unit, call.offset, origin, 16)
                    .map_or((None, false), |(n, q)| (Some(n), q));
                out.push(Located {
                    function,
                    qualified,
                    file: at.0.take(),
                    line: at.1,
                    column: at.2,
                    die: call.offset.to_debug_info_offset(&unit.header),
                });
                at = (
                    call.file.and_then(file),
                    (call.line != 0).then_some(call.line),
                    (call.column != 0).then_some(call.column),
                );
            }
            out
        })
        .collect()
}

type LineAt = (Option<String>, Option<u32>, Option<u32>);

/// For each address, the chain of subprogram and inlined-call DIEs holding
/// it, outermost first. One walk of the unit, stopped once every address
/// has left the function that holds it. The inlined calls inside a
/// function or call that holds none of the addresses lie within its
/// ranges, so hold none either: their attributes are skipped unread.
fn call_chains<R: Reader<Offset = usize>>(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
    addrs: &[u64],
) -> Vec<Vec<Call>> {
    let mut chains: Vec<Vec<Call>> = vec![Vec::new(); addrs.len()];
    let mut done = vec![false; addrs.len()];
    let Ok(mut entries) = unit.entries_raw(None) else {
        return chains;
    };
    // The depth of a function or call that holds no address, while its
    // subtree is being read.
    let mut holds_none: Option<isize> = None;
    while !entries.is_empty() {
        let depth = entries.next_depth();
        let offset = entries.next_offset();
        let Ok(abbrev) = entries.read_abbreviation() else {
            break;
        };
        let Some(abbrev) = abbrev else { continue };
        if holds_none.is_some_and(|d| depth <= d) {
            holds_none = None;
        }
        // Leaving the innermost DIE that holds an address places it: no
        // sibling or later DIE can hold it too.
        for (chain, done) in chains.iter().zip(done.iter_mut()) {
            if chain.last().is_some_and(|c| c.depth >= depth) {
                *done = true;
            }
        }
        if done.iter().all(|d| *d) {
            break;
        }
        let tag = abbrev.tag();
        // (A function nested in another is not within its ranges.)
        let skipped = holds_none.is_some() && tag == gimli::DW_TAG_inlined_subroutine;
        if skipped || tag != gimli::DW_TAG_subprogram && tag != gimli::DW_TAG_inlined_subroutine {
            if entries.skip_attributes(abbrev.attributes()).is_err() {
                break;
            }
            continue;
        }
        let mut call = Call {
            depth,
            offset,
            file: None,
            line: 0,
            column: 0,
        };
        let version = unit.header.version();
        let ranges = read_ranges(
            dwarf,
            unit,
            &mut entries,
            abbrev,
            &mut |attr| match attr.name() {
                gimli::DW_AT_call_file => {
                    // DWARF 5 numbers files from 0; before, 0 meant none.
                    if let gimli::AttributeValue::FileIndex(fi) = attr.value()
                        && (fi > 0 || version >= 5)
                    {
                        call.file = Some(fi);
                    }
                }
                gimli::DW_AT_call_line => call.line = attr.udata_value().unwrap_or(0) as u32,
                gimli::DW_AT_call_column => call.column = attr.udata_value().unwrap_or(0) as u32,
                _ => {}
            },
        );
        let Some(ranges) = ranges else { break };
        let mut holds = false;
        for (&a, done) in addrs.iter().zip(&done) {
            if !*done && ranges.iter().any(|r| r.begin <= a && a < r.end) {
                holds = true;
            }
        }
        for ((chain, done), &a) in chains.iter_mut().zip(&done).zip(addrs) {
            let nests = if tag == gimli::DW_TAG_subprogram {
                chain.is_empty()
            } else {
                !chain.is_empty()
            };
            if !*done && nests && ranges.iter().any(|r| r.begin <= a && a < r.end) {
                chain.push(call);
            }
        }
        holds_none = if holds { None } else { Some(depth) };
    }
    chains
}

/// Reads one DIE's attributes, returning its address ranges (those at 0,
/// left by the linker for dropped code, removed) and handing every other
/// attribute to `other`. `None` when the DIE cannot be read.
fn read_ranges<R: Reader<Offset = usize>>(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
    entries: &mut gimli::EntriesRaw<'_, '_, R>,
    abbrev: &gimli::Abbreviation,
    other: &mut dyn FnMut(&gimli::Attribute<R>),
) -> Option<Vec<gimli::Range>> {
    let (mut low, mut high, mut size, mut list) = (None, None, None, None);
    for spec in abbrev.attributes() {
        let attr = entries.read_attribute(*spec).ok()?;
        match (attr.name(), attr.value()) {
            (gimli::DW_AT_low_pc, gimli::AttributeValue::Addr(a)) => low = Some(a),
            (gimli::DW_AT_low_pc, gimli::AttributeValue::DebugAddrIndex(i)) => {
                low = dwarf.address(unit, i).ok();
            }
            (gimli::DW_AT_high_pc, gimli::AttributeValue::Addr(a)) => high = Some(a),
            (gimli::DW_AT_high_pc, gimli::AttributeValue::DebugAddrIndex(i)) => {
                high = dwarf.address(unit, i).ok();
            }
            (gimli::DW_AT_high_pc, v) => size = v.udata_value(),
            (gimli::DW_AT_ranges, v) => list = dwarf.attr_ranges_offset(unit, v).ok().flatten(),
            _ => other(&attr),
        }
    }
    let mut out = Vec::new();
    if let Some(begin) = low {
        let end = high.or_else(|| size.map(|s| begin.wrapping_add(s)));
        if let Some(end) = end {
            out.push(gimli::Range { begin, end });
        }
    }
    if let Some(offset) = list
        && let Ok(mut ranges) = dwarf.ranges(unit, offset)
    {
        while let Ok(Some(r)) = ranges.next() {
            out.push(r);
        }
    }
    out.retain(|r| r.begin != 0 && r.begin < r.end);
    Some(out)
}

/// A Rust symbol demangled without its hash; other names unchanged.
pub fn demangle(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}

/// The name of a subprogram or inlined call: its linkage name demangled,
/// else its plain name, else the name of the DIE it stands for.
fn name_of<'u, R: Reader<Offset = usize>>(
    dwarf: &gimli::Dwarf<R>,
    unit: &'u gimli::Unit<R>,
    offset: gimli::UnitOffset<usize>,
    origin: &dyn Fn(gimli::DebugInfoOffset<usize>) -> Option<&'u gimli::Unit<R>>,
    limit: u32,
) -> Option<(String, bool)> {
    let mut entries = unit.entries_raw(Some(offset)).ok()?;
    let abbrev = entries.read_abbreviation().ok()??;
    let (mut name, mut next) = (None, None);
    for spec in abbrev.attributes() {
        let attr = entries.read_attribute(*spec).ok()?;
        match attr.name() {
            gimli::DW_AT_linkage_name | gimli::DW_AT_MIPS_linkage_name => {
                if let Some(raw) = attr_text(dwarf, unit, attr.value()) {
                    return Some((demangle(&raw), true));
                }
            }
            gimli::DW_AT_name => name = attr_text(dwarf, unit, attr.value()),
            gimli::DW_AT_abstract_origin | gimli::DW_AT_specification => next = Some(attr.value()),
            _ => {}
        }
    }
    if let Some(name) = name {
        return Some((name, false));
    }
    if limit == 0 {
        return None;
    }
    match next? {
        gimli::AttributeValue::UnitRef(o) => name_of(dwarf, unit, o, origin, limit - 1),
        gimli::AttributeValue::DebugInfoRef(o) => {
            let other = origin(o)?;
            let o = o.to_unit_offset(&other.header)?;
            name_of(dwarf, other, o, origin, limit - 1)
        }
        _ => None,
    }
}

/// A string attribute's text (inline or in a string section).
fn attr_text<R: Reader<Offset = usize>>(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
    value: gimli::AttributeValue<R>,
) -> Option<String> {
    let s = dwarf.attr_string(unit, value).ok()?;
    Some(s.to_string_lossy().ok()?.into_owned())
}

/// The file, line and column of each address, from the unit's line
/// program, read only until every address is placed.
fn lines_at<R: Reader<Offset = usize>>(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
    addrs: &[u64],
) -> Vec<Option<LineAt>> {
    let Some(program) = unit.line_program.clone() else {
        return vec![None; addrs.len()];
    };
    // File index, line, column.
    type Row = (u64, Option<u32>, Option<u32>);
    let mut found: Vec<Option<Row>> = vec![None; addrs.len()];
    let mut left = addrs.len();
    let mut rows = program.rows();
    // The last row seen in the current sequence (of rows at one address,
    // the last wins), and whether the sequence starts at 0 (dropped code).
    let mut prev: Option<gimli::LineRow> = None;
    let mut dropped = false;
    while let Ok(Some((_, row))) = rows.next_row() {
        if let Some(p) = prev.filter(|p| p.address() < row.address() && !dropped) {
            for (slot, &a) in found.iter_mut().zip(addrs) {
                if slot.is_none() && p.address() <= a && a < row.address() {
                    let line = p.line().map(|l| l.get() as u32);
                    let column = line.map(|_| match p.column() {
                        gimli::ColumnType::LeftEdge => 0,
                        gimli::ColumnType::Column(c) => c.get() as u32,
                    });
                    *slot = Some((p.file_index(), line, column));
                    left -= 1;
                }
            }
        }
        if row.end_sequence() {
            prev = None;
            dropped = false;
        } else {
            if prev.is_none() {
                dropped = row.address() == 0;
            }
            prev = Some(*row);
        }
        if left == 0 {
            break;
        }
    }
    // File indexes become paths only for the rows found.
    let header = rows.header();
    found
        .into_iter()
        .map(|f| {
            f.map(|(index, line, column)| {
                let file = header
                    .file(index)
                    .and_then(|f| render_file(dwarf, unit, f, header));
                (file, line, column)
            })
        })
        .collect()
}

/// A file entry as a path: the unit's directory, the entry's directory,
/// its name (an absolute part replaces what comes before it).
pub(crate) fn render_file<R: Reader<Offset = usize>>(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
    file: &gimli::FileEntry<R>,
    header: &gimli::LineProgramHeader<R>,
) -> Option<String> {
    let text = |v: gimli::AttributeValue<R>| attr_text(dwarf, unit, v);
    let mut path = match &unit.comp_dir {
        Some(dir) => dir.to_string_lossy().ok()?.into_owned(),
        None => String::new(),
    };
    let push = |path: &mut String, part: &str| {
        if part.starts_with('/') {
            *path = part.to_string();
        } else {
            if !path.is_empty() && !path.ends_with('/') {
                path.push('/');
            }
            path.push_str(part);
        }
    };
    if file.directory_index() != 0
        && let Some(dir) = file.directory(header).and_then(text)
    {
        push(&mut path, &dir);
    }
    push(&mut path, &text(file.path_name())?);
    Some(path)
}
