//! A shared object's DWARF (libc's, from its separate build-id debug file),
//! read as lazily as the executable's: compressed sections are inflated
//! only as far as the units a lookup needs. libc's units for process
//! start-up sit at the front of its 5.8 MB `.debug_info`, so naming
//! `__libc_start_call_main` inflates a few kilobytes instead of the whole
//! section (60 ms of zlib on this machine).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use gimli::{Reader, RunTimeEndian};
use object::{Object as _, ObjectSection};

use crate::dwarf::symbols::{self, Located, UnitStart};
use crate::memory::process::Object;

type R<'a> = gimli::EndianSlice<'a, RunTimeEndian>;

/// One DWARF section of the file: stored as it is, inflated as far as
/// asked (zlib), or inflated whole (other compression).
enum Section {
    Raw(Range<usize>),
    Zlib {
        input: Range<usize>,
        size: usize,
        inflater: flate2::Decompress,
        out: Vec<u8>,
    },
    Whole(Vec<u8>),
}

impl Section {
    fn load(file: &object::File<'_>, name: &str) -> Section {
        let Some(section) = file.section_by_name(name) else {
            return Section::Whole(Vec::new());
        };
        let Ok(range) = section.compressed_file_range() else {
            return Section::Whole(Vec::new());
        };
        let (start, len) = (range.offset as usize, range.compressed_size as usize);
        match range.format {
            object::CompressionFormat::None => Section::Raw(start..start + len),
            object::CompressionFormat::Zlib => Section::Zlib {
                input: start..start + len,
                size: range.uncompressed_size as usize,
                inflater: flate2::Decompress::new(true),
                out: Vec::new(),
            },
            _ => Section::Whole(
                section
                    .uncompressed_data()
                    .map(|d| d.into_owned())
                    .unwrap_or_default(),
            ),
        }
    }

    /// Makes at least the first `len` bytes readable (fewer if the section
    /// is shorter, or its compressed stream is corrupt).
    fn ensure(&mut self, file: &[u8], len: usize) {
        let Section::Zlib {
            input,
            size,
            inflater,
            out,
        } = self
        else {
            return;
        };
        let want = len.min(*size);
        while out.len() < want {
            out.reserve((want - out.len()).max(64 << 10).min(*size - out.len()));
            let consumed = input.start + inflater.total_in() as usize;
            let before = out.len();
            let Some(rest) = file.get(consumed..input.end) else {
                return;
            };
            match inflater.decompress_vec(rest, out, flate2::FlushDecompress::None) {
                Ok(flate2::Status::StreamEnd) => return,
                Ok(_) if out.len() > before => {}
                _ => return,
            }
        }
    }

    fn ensure_all(&mut self, file: &[u8]) {
        self.ensure(file, usize::MAX);
    }

    fn bytes<'a>(&'a self, file: &'a [u8]) -> &'a [u8] {
        match self {
            Section::Raw(r) => file.get(r.clone()).unwrap_or_default(),
            Section::Zlib { out, .. } | Section::Whole(out) => out,
        }
    }
}

/// The debug sections of one file, inflated on demand.
pub struct SharedDwarf {
    /// Mapped, not read: only the pages of what is inflated are touched.
    file: memmap2::Mmap,
    endian: RunTimeEndian,
    info: Section,
    abbrev: Section,
    line: Section,
    aranges: Section,
    /// Small sections read whole: strings, string offsets, ranges, addresses.
    rest: Vec<(gimli::SectionId, Section)>,
}

const WHOLE: [gimli::SectionId; 6] = [
    gimli::SectionId::DebugStr,
    gimli::SectionId::DebugLineStr,
    gimli::SectionId::DebugStrOffsets,
    gimli::SectionId::DebugRngLists,
    gimli::SectionId::DebugRanges,
    gimli::SectionId::DebugAddr,
];

impl SharedDwarf {
    /// Reads `path`'s section headers; inflates nothing yet.
    pub fn open(path: &std::path::Path) -> Option<SharedDwarf> {
        let file = crate::dwarf::debug_files::map(path)?;
        let (endian, info, abbrev, line, aranges, rest) = {
            let parsed = object::File::parse(&*file).ok()?;
            let load = |id: gimli::SectionId| Section::load(&parsed, id.name());
            (
                crate::dwarf::debuginfo::endian_of(&parsed),
                load(gimli::SectionId::DebugInfo),
                load(gimli::SectionId::DebugAbbrev),
                load(gimli::SectionId::DebugLine),
                load(gimli::SectionId::DebugAranges),
                WHOLE.iter().map(|&id| (id, load(id))).collect(),
            )
        };
        let mut dwarf = SharedDwarf {
            file,
            endian,
            info,
            abbrev,
            line,
            aranges,
            rest,
        };
        dwarf.aranges.ensure_all(&dwarf.file);
        for (_, s) in &mut dwarf.rest {
            s.ensure_all(&dwarf.file);
        }
        Some(dwarf)
    }

    /// The frames at each link-time address, innermost first (empty where
    /// this DWARF does not describe the address).
    pub fn locate(&mut self, addrs: &[u64]) -> Vec<Vec<Located>> {
        let units = symbols::units_by_aranges(
            &gimli::DebugAranges::new(self.aranges.bytes(&self.file), self.endian),
            addrs,
        );
        let mut ready = std::collections::HashSet::new();
        for &start in units.iter().flatten() {
            if !ready.contains(&start.0) && self.prepare(start).is_some() {
                ready.insert(start.0);
            }
        }
        let dwarf = self.dwarf();
        symbols::per_unit(&units, addrs, |start, here| {
            let unit = ready
                .contains(&start.0)
                .then(|| dwarf.debug_info.header_from_offset(start).ok())
                .flatten()
                .and_then(|header| dwarf.unit(header).ok());
            match unit {
                Some(unit) => symbols::frames_in_unit(&dwarf, &unit, here, &|_| None),
                None => vec![Vec::new(); here.len()],
            }
        })
    }

    /// How much of `.debug_info` is readable so far.
    #[cfg(test)]
    fn inflated_info(&self) -> usize {
        match &self.info {
            Section::Zlib { out, .. } => out.len(),
            Section::Raw(r) => r.len(),
            Section::Whole(v) => v.len(),
        }
    }

    /// Inflates what the unit at `start` needs: the unit itself, its
    /// abbreviations and its line program.
    fn prepare(&mut self, start: UnitStart) -> Option<()> {
        let file = &self.file;
        let unit_end = grow_to_entry(&mut self.info, file, start.0, self.endian)?;
        let info = gimli::DebugInfo::new(&self.info.bytes(file)[..unit_end], self.endian);
        let header = info.header_from_offset(start).ok()?;
        // Abbreviations end with a zero code: grow until they parse.
        let at = header.debug_abbrev_offset().0;
        let mut want = 4 << 10;
        let abbrevs = loop {
            self.abbrev.ensure(file, at + want);
            let bytes = self.abbrev.bytes(file);
            match gimli::DebugAbbrev::new(bytes, self.endian)
                .abbreviations(header.debug_abbrev_offset())
            {
                Ok(a) => break a,
                Err(_) if bytes.len() >= at + want => want *= 2,
                Err(_) => return None,
            }
        };
        let mut entries = header.entries(&abbrevs);
        let (_, root) = entries.next_dfs().ok()??;
        if let Ok(Some(gimli::AttributeValue::DebugLineRef(line))) =
            root.attr_value(gimli::DW_AT_stmt_list)
        {
            grow_to_entry(&mut self.line, file, line.0, self.endian)?;
        }
        Some(())
    }

    fn dwarf(&self) -> gimli::Dwarf<R<'_>> {
        let file = &self.file;
        let pick = |id: gimli::SectionId| -> R<'_> {
            let bytes = match id {
                gimli::SectionId::DebugInfo => self.info.bytes(file),
                gimli::SectionId::DebugAbbrev => self.abbrev.bytes(file),
                gimli::SectionId::DebugLine => self.line.bytes(file),
                gimli::SectionId::DebugAranges => self.aranges.bytes(file),
                _ => self
                    .rest
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map_or(&[][..], |(_, s)| s.bytes(file)),
            };
            gimli::EndianSlice::new(bytes, self.endian)
        };
        gimli::Dwarf::load(|id| Ok::<_, gimli::Error>(pick(id)))
            .unwrap_or_else(|_: gimli::Error| gimli::Dwarf::default())
    }
}

/// Grows `section` to hold the length-prefixed entry (a unit, a line
/// program) at `at`; returns where the entry ends.
fn grow_to_entry(
    section: &mut Section,
    file: &[u8],
    at: usize,
    endian: RunTimeEndian,
) -> Option<usize> {
    section.ensure(file, at.checked_add(12)?);
    let mut head = gimli::EndianSlice::new(section.bytes(file).get(at..)?, endian);
    let before = head.len();
    let (length, _format) = head.read_initial_length().ok()?;
    let end = at.checked_add(before - head.len())?.checked_add(length)?;
    section.ensure(file, end);
    (section.bytes(file).len() >= end).then_some(end)
}

/// Shared objects' DWARF opened so far, by path (`None`: it has none).
pub type Cache = Mutex<HashMap<String, Option<Arc<Mutex<SharedDwarf>>>>>;

/// The frames at each runtime address in `object`, from its own DWARF or
/// its separate debug file, innermost first; empty where neither knows.
pub fn frames(
    cache: &Cache,
    roots: &[std::path::PathBuf],
    fetcher: &crate::dwarf::debug_files::Fetcher,
    object: &Object,
    addrs: &[u64],
) -> Vec<Vec<Located>> {
    let dwarf = cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(object.path.clone())
        .or_insert_with(|| {
            let path = crate::dwarf::debug_files::find_or_fetch(
                std::path::Path::new(&object.path),
                object.build_id.as_deref(),
                roots,
                fetcher,
            )
            .ok()?;
            SharedDwarf::open(&path).map(|d| Arc::new(Mutex::new(d)))
        })
        .clone();
    let Some(dwarf) = dwarf else {
        return vec![Vec::new(); addrs.len()];
    };
    let probes: Vec<u64> = addrs.iter().map(|a| a.wrapping_sub(object.bias)).collect();
    dwarf
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .locate(&probes)
}

#[cfg(test)]
mod tests {
    use object::{Object as _, ObjectSection, ObjectSymbol};

    use super::SharedDwarf;
    use crate::dwarf::symbols;

    /// libc's separate debug file (libc6-dbg, which `.ci/run` installs).
    fn libc_debug_file() -> std::path::PathBuf {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let path = maps
            .lines()
            .filter_map(|l| l.split_whitespace().nth(5))
            .find(|p| p.contains("/libc.so"))
            .expect("libc is loaded");
        let libc = crate::memory::process::Object {
            path: path.into(),
            ..Default::default()
        };
        crate::dwarf::debug_files::find(std::path::Path::new(&libc.path), None, &[])
            .expect("libc's debug file: install libc6-dbg")
    }

    #[test]
    fn a_prefix_inflated_gives_the_frames_the_whole_file_gives() {
        let path = libc_debug_file();
        let data = std::fs::read(&path).unwrap();
        let file = object::File::parse(&*data).unwrap();
        let names = [
            "__libc_start_call_main",
            "abort",
            "__pthread_kill_implementation",
        ];
        let addrs: Vec<u64> = names
            .iter()
            .map(|n| {
                let s = file.symbols().find(|s| s.name() == Ok(n)).unwrap();
                s.address() + 4
            })
            .collect();

        // The whole file inflated at once, as a reference.
        // Every section a lookup reads, `.debug_info` first.
        let sections: Vec<gimli::SectionId> = [
            gimli::SectionId::DebugInfo,
            gimli::SectionId::DebugAbbrev,
            gimli::SectionId::DebugLine,
            gimli::SectionId::DebugAranges,
        ]
        .into_iter()
        .chain(super::WHOLE)
        .collect();
        let whole: Vec<Vec<u8>> = sections
            .iter()
            .map(|id| {
                file.section_by_name(id.name())
                    .map(|s| s.uncompressed_data().unwrap().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        let endian = crate::dwarf::debuginfo::endian_of(&file);
        let dwarf = gimli::Dwarf::load(|id| {
            let bytes = sections
                .iter()
                .position(|x| *x == id)
                .map_or(&[][..], |i| &whole[i][..]);
            Ok::<_, gimli::Error>(gimli::EndianSlice::new(bytes, endian))
        })
        .unwrap();
        let units = symbols::units_by_aranges(&dwarf.debug_aranges, &addrs);
        let expected: Vec<Vec<symbols::Located>> = units
            .iter()
            .zip(&addrs)
            .map(|(u, &a)| {
                let header = dwarf.debug_info.header_from_offset(u.unwrap()).unwrap();
                let unit = dwarf.unit(header).unwrap();
                symbols::frames_in_unit(&dwarf, &unit, &[a], &|_| None).remove(0)
            })
            .collect();

        let mut lazy = SharedDwarf::open(&path).unwrap();
        assert_eq!(lazy.inflated_info(), 0, "nothing inflated before a lookup");
        // Process start-up alone needs only the front of `.debug_info`.
        let start = lazy.locate(&addrs[..1]);
        assert_eq!(start[0], expected[0]);
        assert!(
            lazy.inflated_info() * 10 < whole[0].len(),
            "{}",
            lazy.inflated_info()
        );
        let got = lazy.locate(&addrs);
        assert_eq!(got, expected);
        let outer: Vec<_> = got
            .iter()
            .map(|f| f.last().and_then(|f| f.function.as_deref()))
            .collect();
        // DWARF names `abort` by glibc's internal alias.
        assert_eq!(
            outer,
            [
                Some("__libc_start_call_main"),
                Some("__GI_abort"),
                Some("__pthread_kill_implementation")
            ]
        );
        assert_eq!(
            got[0][0].file.as_deref(),
            Some("./csu/../sysdeps/nptl/libc_start_call_main.h")
        );
    }
}
