//! Writing a core: ELF header, one `PT_NOTE`, one `PT_LOAD` per region, then
//! the dumped bytes in page-aligned runs. Uncompressed, pages of zeros are
//! holes (skipped, never written); with zstd the whole file goes through one
//! streaming encoder, so memory stays bounded by one chunk.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;

use crate::maps::{dump_plan, is_file};
use crate::notes::{self, NT_FILE, NT_PRPSINFO, NT_PRSTATUS, NT_SIGINFO, PAGE};
use crate::{Compression, CoreError, CoreSpec, MappedFile, Region, WriteStats};

const EHDR_SIZE: u64 = 64;
const PHDR_SIZE: u64 = 56;
const SHDR_SIZE: u64 = 64;
/// More program headers than this are counted in section header 0.
const PN_XNUM: u64 = 0xffff;
/// Bytes read from the process at a time.
const CHUNK: usize = 1 << 20;
const ZSTD_LEVEL: i32 = 1;

/// One `PT_LOAD` to write.
struct Load {
    vaddr: u64,
    memsz: u64,
    offset: u64,
    filesz: u64,
    flags: u32,
    /// Private anonymous memory (no file, the heap, a stack): a page never
    /// touched reads as zeros, so the page tables may say to skip it unread.
    anon: bool,
}

/// Writes the core of `spec` to `out`, which must be a new, empty file.
/// `read(addr, buf)` fills `buf` from the process's memory or returns false
/// when it cannot; such bytes are stored as zeros (a hole). Without
/// [`CoreSpec::kept`], regions are dumped whole as [`crate::dump_plan`]
/// says; of the other regions, those that map the start of an ELF file get
/// their first page (as the kernel does: ELF header, program headers,
/// build-id), and the rest a `PT_LOAD` with `p_filesz` 0. With it, each
/// region is cut where the kept ranges begin and end: what they cover (and
/// an ELF file's first page) is dumped, and every other piece is a
/// `PT_LOAD` with `p_filesz` 0, so the core still lists every mapping.
///
/// When `spec.pid` is this process, `/proc/self/pagemap` is consulted:
/// anonymous memory whose pages were never touched (neither present nor
/// swapped out) is left as holes without calling `read`.
///
/// As in the kernel's cores, every thread's `pr_cursig` holds the fatal
/// signal: a thread whose own `signal` is 0 gets the first thread's. (gdb
/// takes the process's signal from the last `NT_PRSTATUS` note.)
///
/// Notes, in order: `NT_PRSTATUS` of the first thread, `NT_PRPSINFO`,
/// `NT_SIGINFO` (if given), `NT_FILE`, `NT_PRSTATUS` of the other threads,
/// then `extra_notes`.
pub fn write(
    spec: &CoreSpec,
    read: &mut dyn FnMut(u64, &mut [u8]) -> bool,
    out: &mut File,
    compression: Compression,
) -> Result<WriteStats, CoreError> {
    let notes = build_notes(spec);
    let phoff = EHDR_SIZE;
    // Offsets are counted from the first page after the headers and notes,
    // whose length depends on how many segments there are.
    let mut offset = 0u64;
    let plan = dump_plan(&spec.regions);
    let mut loads = Vec::with_capacity(spec.regions.len());
    for (r, &dump) in spec.regions.iter().zip(&plan) {
        let flags = u32::from(r.read) * 4 + u32::from(r.write) * 2 + u32::from(r.exec);
        let anon = r.file.as_ref().is_none_or(|f| zero_fill(&f.0));
        let elf_page = (!dump || spec.kept.is_some()) && is_elf_start(r, read);
        for (start, end, filesz) in pieces(r, dump, elf_page, spec.kept.as_deref()) {
            let memsz = end - start;
            loads.push(Load {
                vaddr: start,
                memsz,
                offset,
                filesz,
                flags,
                anon,
            });
            offset = align_page(offset + filesz);
        }
    }
    let phnum = 1 + loads.len() as u64;
    let xnum = phnum >= PN_XNUM;
    let shoff = phoff + phnum * PHDR_SIZE;
    let notes_off = shoff + if xnum { SHDR_SIZE } else { 0 };
    let first = align_page(notes_off + notes.len() as u64);
    for l in &mut loads {
        l.offset += first;
    }
    offset += first;
    let total = offset;

    let mut head = Vec::with_capacity(notes_off as usize + notes.len());
    head.extend_from_slice(&ehdr(phnum, xnum, shoff));
    put_phdr(
        &mut head,
        4, /* PT_NOTE */
        0,
        0,
        0,
        notes_off,
        notes.len() as u64,
        4,
    );
    for l in &loads {
        put_phdr(
            &mut head, 1, /* PT_LOAD */
            l.flags, l.vaddr, l.memsz, l.offset, l.filesz, PAGE,
        );
    }
    if xnum {
        // Section header 0 (SHT_NULL) carries the real count in sh_info.
        let mut sh = [0u8; SHDR_SIZE as usize];
        sh[44..48].copy_from_slice(&(phnum as u32).to_le_bytes());
        head.extend_from_slice(&sh);
    }
    head.extend_from_slice(&notes);

    let pages = PageMap::open(spec.pid);
    let mut stats = WriteStats {
        bytes_written: 0,
        bytes_dumped: loads.iter().map(|l| l.filesz).sum(),
        segments: loads.len(),
    };
    match compression {
        Compression::None => {
            out.write_all_at(&head, 0)?;
            let mut sink = |at: u64, bytes: &[u8]| -> std::io::Result<()> {
                write_nonzero_pages(out, at, bytes)
            };
            dump(&loads, &pages, read, &mut sink)?;
            out.set_len(total)?;
            stats.bytes_written = total;
        }
        Compression::Zstd => {
            let mut enc = zstd::stream::write::Encoder::new(&mut *out, ZSTD_LEVEL)
                .map_err(|e| CoreError::Zstd(e.to_string()))?;
            enc.set_pledged_src_size(Some(total))
                .map_err(|e| CoreError::Zstd(e.to_string()))?;
            let mut pos = 0u64;
            let mut sink = |at: u64, bytes: &[u8]| -> std::io::Result<()> {
                write_zeros(&mut enc, at - pos)?;
                enc.write_all(bytes)?;
                pos = at + bytes.len() as u64;
                Ok(())
            };
            sink(0, &head)?;
            dump(&loads, &pages, read, &mut sink)?;
            sink(total, &[])?;
            enc.finish()?;
            stats.bytes_written = out.metadata()?.len();
        }
    }
    Ok(stats)
}

/// Whether a pseudo-file is memory that starts as zeros (heap, stacks,
/// named anonymous memory); `[vdso]` and the like hold bytes from the
/// kernel even where this process has not touched them yet.
fn zero_fill(name: &str) -> bool {
    name == "[heap]" || name.starts_with("[stack") || name.starts_with("[anon:")
}

/// Whether the region maps the start of an ELF file (its first bytes in
/// memory are the ELF magic): the kernel's `MMF_DUMP_ELF_HEADERS`. Its first
/// page (ELF header, program headers and, usually, the build-id note) goes
/// into the core, so a debugger can place the object and match its build-id
/// from the core alone.
fn is_elf_start(r: &Region, read: &mut dyn FnMut(u64, &mut [u8]) -> bool) -> bool {
    let mut magic = [0u8; 4];
    r.read
        && is_file(r)
        && r.file.as_ref().is_some_and(|f| f.1 == 0)
        && r.end.saturating_sub(r.start) >= PAGE
        && read(r.start, &mut magic)
        && magic == *b"\x7fELF"
}

/// A region cut into the `PT_LOAD`s it is written as: `(start, end,
/// filesz)`. Without `kept` ranges it is one segment, dumped whole as
/// [`crate::dump_plan`] says, else only its first page for the start of an
/// ELF file, else none of it. With them, the pieces inside a range (and an
/// ELF file's first page) are dumped whole and the rest are segments with
/// no file bytes: mapped in the process, left out of the core.
fn pieces(
    r: &Region,
    dump: bool,
    elf_page: bool,
    kept: Option<&[(u64, u64)]>,
) -> Vec<(u64, u64, u64)> {
    let (start, end) = (r.start, r.end.max(r.start));
    let first_page = (start, start.saturating_add(PAGE).min(end));
    let Some(ranges) = kept else {
        let filesz = match (dump, elf_page) {
            (true, _) => end - start,
            (false, true) => first_page.1 - start,
            (false, false) => 0,
        };
        return vec![(start, end, filesz)];
    };
    // The kept ranges that meet this region, page-aligned, clipped and merged.
    let cut: Vec<(u64, u64)> = ranges
        .iter()
        .map(|&(s, e)| (s & !(PAGE - 1), align_page(e)))
        .chain(elf_page.then_some(first_page))
        .filter_map(|(s, e)| {
            let (s, e) = (s.max(start), e.min(end));
            (s < e).then_some((s, e))
        })
        .collect();
    let merged = merge_ranges(cut);
    let mut out = Vec::with_capacity(merged.len() * 2 + 1);
    let mut at = start;
    for (s, e) in merged {
        if at < s {
            out.push((at, s, 0));
        }
        out.push((s, e, e - s));
        at = e;
    }
    if at < end || out.is_empty() {
        out.push((at, end, 0));
    }
    out
}

fn align_page(x: u64) -> u64 {
    x.saturating_add(PAGE - 1) / PAGE * PAGE
}

/// The notes, in the order [`write()`] documents.
fn build_notes(spec: &CoreSpec) -> Vec<u8> {
    let ids = notes::proc_ids(spec.pid);
    let mut out = Vec::new();
    let fatal = spec.threads.first().map_or(0, |t| t.signal);
    let prstatus = |t: &crate::ThreadRegs| {
        let mut t = t.clone();
        if t.signal == 0 {
            t.signal = fatal;
        }
        notes::prstatus(&t, &ids)
    };
    let mut threads = spec.threads.iter();
    if let Some(first) = threads.next() {
        notes::push_note(&mut out, "CORE", NT_PRSTATUS, &prstatus(first));
    }
    let mut ps = spec.psinfo.clone();
    if ps.pid == 0 {
        ps.pid = spec.pid;
    }
    notes::push_note(&mut out, "CORE", NT_PRPSINFO, &notes::prpsinfo(&ps, &ids));
    if let Some(si) = &spec.siginfo {
        notes::push_note(&mut out, "CORE", NT_SIGINFO, &notes::siginfo(si));
    }
    let files: Vec<MappedFile> = spec
        .regions
        .iter()
        .filter(|r| is_file(r))
        .filter_map(|r| {
            let (path, offset) = r.file.clone()?;
            Some(MappedFile {
                start: r.start,
                end: r.end,
                offset,
                path,
            })
        })
        .collect();
    notes::push_note(&mut out, "CORE", NT_FILE, &notes::nt_file(&files));
    for t in threads {
        notes::push_note(&mut out, "CORE", NT_PRSTATUS, &prstatus(t));
    }
    for n in &spec.extra_notes {
        notes::push_note(&mut out, &n.name, n.ty, &n.desc);
    }
    out
}

fn ehdr(phnum: u64, xnum: bool, shoff: u64) -> [u8; EHDR_SIZE as usize] {
    let mut h = [0u8; EHDR_SIZE as usize];
    h[..7].copy_from_slice(&[
        0x7f, b'E', b'L', b'F', 2, /* 64-bit */
        1, /* LE */
        1,
    ]);
    h[16..18].copy_from_slice(&4u16.to_le_bytes()); // ET_CORE
    h[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    h[20..24].copy_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
    h[32..40].copy_from_slice(&EHDR_SIZE.to_le_bytes()); // e_phoff
    h[52..54].copy_from_slice(&(EHDR_SIZE as u16).to_le_bytes());
    h[54..56].copy_from_slice(&(PHDR_SIZE as u16).to_le_bytes());
    h[56..58].copy_from_slice(&(phnum.min(PN_XNUM) as u16).to_le_bytes());
    if xnum {
        h[40..48].copy_from_slice(&shoff.to_le_bytes()); // e_shoff
        h[58..60].copy_from_slice(&(SHDR_SIZE as u16).to_le_bytes());
        h[60..62].copy_from_slice(&1u16.to_le_bytes()); // e_shnum
    }
    h
}

#[allow(clippy::too_many_arguments)]
fn put_phdr(
    out: &mut Vec<u8>,
    ty: u32,
    flags: u32,
    vaddr: u64,
    memsz: u64,
    offset: u64,
    filesz: u64,
    align: u64,
) {
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    for v in [offset, vaddr, 0 /* paddr */, filesz, memsz, align] {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Reads each dumped segment chunk by chunk and hands its bytes to `sink`
/// with their file offset, in increasing order. A chunk that cannot be read
/// is retried page by page; unreadable pages are zeros. A chunk of
/// anonymous memory that the page tables say was never touched is skipped
/// unread (a hole): thread stacks and reserved heap are mostly that.
fn dump(
    loads: &[Load],
    pages: &PageMap,
    read: &mut dyn FnMut(u64, &mut [u8]) -> bool,
    sink: &mut dyn FnMut(u64, &[u8]) -> std::io::Result<()>,
) -> Result<(), CoreError> {
    let mut buf = vec![0u8; CHUNK];
    for l in loads.iter().filter(|l| l.filesz > 0) {
        let mut done = 0u64;
        while done < l.filesz {
            let n = (l.filesz - done).min(CHUNK as u64) as usize;
            let chunk = &mut buf[..n];
            let addr = l.vaddr + done;
            if l.anon && !pages.any_touched(addr, n as u64) {
                done += n as u64;
                continue;
            }
            if !read(addr, chunk) {
                for (i, page) in chunk.chunks_mut(PAGE as usize).enumerate() {
                    if !read(addr + i as u64 * PAGE, page) {
                        page.fill(0);
                    }
                }
            }
            sink(l.offset + done, chunk)?;
            done += n as u64;
        }
    }
    Ok(())
}

/// `/proc/self/pagemap`, when the core is of this process: which pages of
/// private anonymous memory are present or swapped out (the others were
/// never written and read as zeros).
struct PageMap(Option<File>);

impl PageMap {
    fn open(pid: u32) -> PageMap {
        let own = pid == std::process::id();
        PageMap(own.then(|| File::open("/proc/self/pagemap").ok()).flatten())
    }

    /// Whether any page of `addr..addr + len` may hold data; true when the
    /// page tables cannot be read.
    fn any_touched(&self, addr: u64, len: u64) -> bool {
        const PRESENT: u64 = 1 << 63;
        const SWAPPED: u64 = 1 << 62;
        let Some(f) = &self.0 else { return true };
        let first = addr / PAGE;
        let count = len.div_ceil(PAGE) as usize;
        let mut entries = vec![0u8; count * 8];
        if f.read_exact_at(&mut entries, first * 8).is_err() {
            return true;
        }
        entries.chunks_exact(8).any(|e| {
            let e = u64::from_le_bytes(e.try_into().unwrap_or([0xff; 8]));
            e & (PRESENT | SWAPPED) != 0
        })
    }
}

fn is_zero(page: &[u8]) -> bool {
    let mut words = page.chunks_exact(16);
    words.all(|w| u128::from_ne_bytes(w.try_into().unwrap_or_default()) == 0)
        && words.remainder().iter().all(|&b| b == 0)
}

/// Writes the pages of `bytes` that are not all zeros at `at`, runs of
/// consecutive non-zero pages in one call; zero pages stay holes.
fn write_nonzero_pages(out: &File, at: u64, bytes: &[u8]) -> std::io::Result<()> {
    let page = PAGE as usize;
    let mut run_start: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let end = (i + page).min(bytes.len());
        if is_zero(&bytes[i..end]) {
            if let Some(s) = run_start.take() {
                out.write_all_at(&bytes[s..i], at + s as u64)?;
            }
        } else if run_start.is_none() {
            run_start = Some(i);
        }
        i = end;
    }
    if let Some(s) = run_start {
        out.write_all_at(&bytes[s..], at + s as u64)?;
    }
    Ok(())
}

fn write_zeros(w: &mut dyn Write, mut n: u64) -> std::io::Result<()> {
    static ZEROS: [u8; 4096] = [0; 4096];
    while n > 0 {
        let k = n.min(ZEROS.len() as u64) as usize;
        w.write_all(&ZEROS[..k])?;
        n -= k as u64;
    }
    Ok(())
}

/// Address ranges `[start, end)` sorted, with those that overlap or touch
/// merged into one.
pub fn merge_ranges(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(start: u64, pages: u64) -> Region {
        Region {
            start,
            end: start + pages * PAGE,
            read: true,
            write: true,
            exec: false,
            file: None,
        }
    }

    #[test]
    fn kept_ranges_cut_a_region_into_dumped_and_left_out_pieces() {
        let r = region(0x10000, 8);
        // Whole, as dump_plan says, without kept ranges.
        assert_eq!(pieces(&r, true, false, None), [(0x10000, 0x18000, 0x8000)]);
        assert_eq!(pieces(&r, false, true, None), [(0x10000, 0x18000, 0x1000)]);
        // Ranges rounded out to pages, merged, clipped to the region.
        let kept = [(0x11010, 0x11020), (0x11ff0, 0x12010), (0x17f00, 0x19000)];
        assert_eq!(
            pieces(&r, true, false, Some(&kept)),
            [
                (0x10000, 0x11000, 0),
                (0x11000, 0x13000, 0x2000),
                (0x13000, 0x17000, 0),
                (0x17000, 0x18000, 0x1000),
            ]
        );
        // An ELF file's first page is always kept; a region no range meets
        // is one segment without bytes.
        assert_eq!(
            pieces(&r, false, true, Some(&[])),
            [(0x10000, 0x11000, 0x1000), (0x11000, 0x18000, 0)]
        );
        assert_eq!(
            pieces(&r, true, false, Some(&[(0x1000, 0x2000)])),
            [(0x10000, 0x18000, 0)]
        );
    }
}
