//! The loaded objects of a core: each ELF file the core maps, located by its
//! ELF header and program headers as they stand in the crashed process's
//! memory (the kernel always dumps the header page), with the build-id from
//! its notes there, so what the process ran is known even where the files
//! on this machine differ.

use crate::memory::process::Object;
use crate::memory::process::ReadError;

use super::memory::FileMapping;

const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const PT_GNU_EH_FRAME: u32 = 0x6474_e550;
const PF_X: u32 = 1;
const NT_GNU_BUILD_ID: u32 = 3;

/// One program header.
struct Phdr {
    ty: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
}

type Read<'a> = &'a dyn Fn(u64, &mut [u8]) -> Result<(), ReadError>;

fn u16_at(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

/// The program headers of the ELF image whose header is at `base`.
fn phdrs(read: Read<'_>, base: u64) -> Option<Vec<Phdr>> {
    let mut ehdr = [0u8; 64];
    read(base, &mut ehdr).ok()?;
    // 64-bit, little-endian ELF only.
    if &ehdr[..4] != b"\x7fELF" || ehdr[4] != 2 || ehdr[5] != 1 {
        return None;
    }
    let (phoff, entsize, phnum) = (
        u64_at(&ehdr, 0x20),
        u16_at(&ehdr, 0x36),
        u16_at(&ehdr, 0x38),
    );
    if entsize != 56 || phnum == 0 || phnum > 256 {
        return None;
    }
    let mut table = vec![0u8; (phnum * 56) as usize];
    read(base.checked_add(phoff)?, &mut table).ok()?;
    Some(
        table
            .chunks_exact(56)
            .map(|p| Phdr {
                ty: u32_at(p, 0),
                flags: u32_at(p, 4),
                offset: u64_at(p, 8),
                vaddr: u64_at(p, 16),
                filesz: u64_at(p, 32),
                memsz: u64_at(p, 40),
            })
            .collect(),
    )
}

/// The GNU build-id in a block of notes.
pub fn build_id_in_notes(notes: &[u8]) -> Option<Vec<u8>> {
    let mut at = 0usize;
    let align = |n: usize| n.checked_add(3).map(|n| n & !3);
    while at.checked_add(12)? <= notes.len() {
        let namesz = u32_at(notes, at) as usize;
        let descsz = u32_at(notes, at + 4) as usize;
        let ty = u32_at(notes, at + 8);
        let name_at = at + 12;
        let desc_at = name_at.checked_add(align(namesz)?)?;
        let end = desc_at.checked_add(align(descsz)?)?;
        if ty == NT_GNU_BUILD_ID && notes.get(name_at..name_at + namesz)? == b"GNU\0" {
            return notes.get(desc_at..desc_at + descsz).map(<[u8]>::to_vec);
        }
        at = end;
    }
    None
}

/// Every ELF object the core maps, the one holding `entry` (the program's
/// entry point, from the auxiliary vector) marked as the executable; where
/// no entry is known, the first object is.
pub fn objects(
    files: &[FileMapping],
    read: Read<'_>,
    build_id_read: Read<'_>,
    entry: Option<u64>,
) -> Vec<Object> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for m in files {
        if m.offset != 0 || seen.contains(&m.path.as_str()) {
            continue;
        }
        seen.push(&m.path);
        let Some(phdrs) = phdrs(read, m.start) else {
            continue;
        };
        let Some(first) = phdrs
            .iter()
            .filter(|p| p.ty == PT_LOAD)
            .min_by_key(|p| p.vaddr)
        else {
            continue;
        };
        let bias = m
            .start
            .wrapping_sub(first.vaddr.wrapping_sub(first.offset) & !0xfff);
        let segments: Vec<(u64, u64, bool)> = phdrs
            .iter()
            .filter(|p| p.ty == PT_LOAD)
            .map(|p| {
                let start = p.vaddr.wrapping_add(bias);
                (start, start.wrapping_add(p.memsz), p.flags & PF_X != 0)
            })
            .collect();
        let eh_frame_hdr = phdrs
            .iter()
            .find(|p| p.ty == PT_GNU_EH_FRAME)
            .map(|p| (p.vaddr.wrapping_add(bias), p.memsz));
        let build_id = phdrs.iter().filter(|p| p.ty == PT_NOTE).find_map(|p| {
            let mut notes = vec![0u8; p.filesz.min(4096) as usize];
            build_id_read(p.vaddr.wrapping_add(bias), &mut notes).ok()?;
            build_id_in_notes(&notes)
        });
        out.push(Object {
            path: m.path.clone(),
            main: false,
            bias,
            segments,
            eh_frame_hdr,
            build_id,
        });
    }
    let main = entry
        .and_then(|e| {
            out.iter()
                .position(|o| o.segments.iter().any(|&(s, end, _)| s <= e && e < end))
        })
        .unwrap_or(0);
    if let Some(o) = out.get_mut(main) {
        o.main = true;
    }
    if main > 0 {
        let exe = out.remove(main);
        out.insert(0, exe);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::build_id_in_notes;

    #[test]
    fn the_build_id_is_found_among_notes_and_garbage_is_not_one() {
        let mut notes = Vec::new();
        // An ABI tag note first, then the build-id.
        notes.extend_from_slice(&4u32.to_le_bytes());
        notes.extend_from_slice(&16u32.to_le_bytes());
        notes.extend_from_slice(&1u32.to_le_bytes());
        notes.extend_from_slice(b"GNU\0");
        notes.extend_from_slice(&[0; 16]);
        notes.extend_from_slice(&4u32.to_le_bytes());
        notes.extend_from_slice(&3u32.to_le_bytes());
        notes.extend_from_slice(&3u32.to_le_bytes());
        notes.extend_from_slice(b"GNU\0");
        notes.extend_from_slice(&[0xab, 0xcd, 0xef, 0]);
        assert_eq!(build_id_in_notes(&notes), Some(vec![0xab, 0xcd, 0xef]));
        assert_eq!(build_id_in_notes(&notes[..30]), None);
        assert_eq!(build_id_in_notes(&[0xff; 40]), None);
    }
}
