//! The ELF side of reading a core: the identification and header checked
//! first (an ELF file? a core? for x86-64?), so each refusal says why in one
//! line; the program header table's extent; the notes of a `PT_NOTE`.

use std::ops::Range;

use object::elf::FileHeader64;
use object::read::elf::{FileHeader, NoteIterator};
use object::{Endianness, LittleEndian};

use crate::{CoreError, zst};

const ET_CORE: u16 = 4;
const EM_X86_64: u16 = 62;

/// A note: owner name, type, and where its descriptor lies in the file.
pub struct RawNote {
    pub name: String,
    pub ty: u32,
    pub desc: Range<usize>,
}

/// Checks what the ELF identification and header say before anything else:
/// an ELF file at all, a core, for x86-64, 64-bit little-endian.
pub fn check_ident(data: &[u8]) -> Result<(), CoreError> {
    if !data.starts_with(b"\x7fELF") {
        return Err(if zst::is_zstd(data) {
            CoreError::Zstd(
                "a compressed core opens from its file (Core::open), not from bytes".into(),
            )
        } else {
            CoreError::NotElf
        });
    }
    let u16_at = |at: usize| {
        data.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let (Some(ty), Some(machine)) = (u16_at(16), u16_at(18)) else {
        return Err(truncated_header(data));
    };
    let big_endian = data.get(5) == Some(&2);
    let (ty, machine) = if big_endian {
        (ty.swap_bytes(), machine.swap_bytes())
    } else {
        (ty, machine)
    };
    if ty != ET_CORE {
        let elf_type = match ty {
            0 => "NONE".to_string(),
            1 => "REL".to_string(),
            2 => "EXEC".to_string(),
            3 => "DYN".to_string(),
            n => format!("{n:#x}"),
        };
        return Err(CoreError::NotCore { elf_type });
    }
    match (data[4], big_endian, machine) {
        (2, false, EM_X86_64) => {}
        (2, _, m) | (1, _, m) => {
            let mut name = machine_name(m);
            if data[4] == 1 {
                name = format!("32-bit {name}");
            }
            if big_endian {
                name = format!("big-endian {name}");
            }
            return Err(CoreError::WrongArch { machine: name });
        }
        (class, _, _) => {
            return Err(CoreError::Corrupt(format!("unknown ELF class {class}")));
        }
    }
    if data.len() < 64 {
        return Err(truncated_header(data));
    }
    Ok(())
}

fn truncated_header(data: &[u8]) -> CoreError {
    CoreError::Truncated {
        what: "the ELF header".into(),
        needed: 64,
        have: data.len() as u64,
    }
}

fn machine_name(m: u16) -> String {
    match m {
        2 => "SPARC".into(),
        3 => "x86".into(),
        8 => "MIPS".into(),
        20 => "PowerPC".into(),
        21 => "PowerPC64".into(),
        22 => "S/390".into(),
        40 => "ARM".into(),
        43 => "SPARC V9".into(),
        62 => "x86-64".into(),
        183 => "AArch64".into(),
        243 => "RISC-V".into(),
        258 => "LoongArch".into(),
        n => format!("machine {n}"),
    }
}

/// The program header table lies within the file (checked here to say how
/// much is missing; `object` checks it again).
pub fn check_phdrs(
    header: &FileHeader64<Endianness>,
    endian: Endianness,
    data: &[u8],
) -> Result<(), CoreError> {
    let phoff = header.e_phoff.get(endian);
    let phentsize = header.e_phentsize.get(endian);
    if phoff == 0 {
        return Err(CoreError::Corrupt("it has no program headers".into()));
    }
    if phentsize != 56 {
        return Err(CoreError::Corrupt(format!(
            "program headers of {phentsize} bytes (ELF64 has 56)"
        )));
    }
    let phnum = header
        .phnum(endian, data)
        .map_err(|e| CoreError::Corrupt(format!("program header count: {e}")))?;
    let needed = phoff.saturating_add(56 * phnum as u64);
    if needed > data.len() as u64 {
        return Err(CoreError::Truncated {
            what: format!("{phnum} program headers"),
            needed,
            have: data.len() as u64,
        });
    }
    Ok(())
}

/// Collects the notes of one `PT_NOTE` segment that starts at file offset
/// `base`.
pub fn read_notes(seg: &[u8], base: usize, out: &mut Vec<RawNote>) -> Result<(), CoreError> {
    let mut it = NoteIterator::<FileHeader64<LittleEndian>>::new(LittleEndian, 4, seg)
        .map_err(|e| CoreError::Corrupt(format!("notes: {e}")))?;
    loop {
        match it.next() {
            Ok(Some(note)) => {
                let desc = note.desc();
                let start = base + (desc.as_ptr() as usize - seg.as_ptr() as usize);
                out.push(RawNote {
                    name: String::from_utf8_lossy(note.name()).into_owned(),
                    ty: note.n_type(LittleEndian),
                    desc: start..start + desc.len(),
                });
            }
            Ok(None) => return Ok(()),
            Err(e) => return Err(CoreError::Corrupt(format!("notes: {e}"))),
        }
    }
}
