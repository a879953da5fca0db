//! Thread names a core does not record: the kernel's and gdb's cores keep
//! no per-thread name, but each Rust thread's own memory does. Through its
//! thread pointer (`fs_base`), std's thread-local `CURRENT` (in the
//! executable's static TLS block, which on x86-64 ends at the thread
//! pointer) points at the thread's `std::thread::thread::Inner`, whose
//! `name` is what `Builder::name` gave. The layout is read from DWARF;
//! anything not as expected leaves the thread unnamed.

use std::collections::HashMap;

use object::{Object, ObjectSymbol};

use crate::Engine;
use crate::memory::place::Place;
use crate::tasks::nav;
use crate::values::views::Val;

/// std's thread-local holding the current thread's handle.
const CURRENT: &str = "std::thread::current::CURRENT";
/// The type a thread handle points at.
const INNER: &str = "std::thread::thread::Inner";

/// The name each of `threads` (kernel id, thread pointer) was given, for
/// those whose memory says.
pub fn from_memory(engine: &Engine, threads: &[(u64, u64)]) -> HashMap<u64, String> {
    let mut out = HashMap::new();
    let Some(offset) = current_offset(engine) else {
        return out;
    };
    let Ok(dbg) = engine.debug_info() else {
        return out;
    };
    let mem = engine.mem();
    let mut inner_ty = None;
    for &(tid, tp) in threads {
        if tp == 0 {
            continue;
        }
        let Ok(handle) = mem.read_word(tp.wrapping_sub(offset)) else {
            continue;
        };
        // Null, or std's markers for "being set" and "destroyed".
        if handle < 4096 {
            continue;
        }
        let ty = *inner_ty.get_or_insert_with(|| crate::eval::synth::find(dbg, INNER));
        let Some(ty) = ty else {
            return out;
        };
        if let Some(name) = name_of(dbg, &Val::new(Place::Mem(handle), Some(ty))) {
            out.insert(tid, name);
        }
    }
    out
}

/// `CURRENT`'s distance below the thread pointer: the executable's TLS
/// block sits right below it (rounded up to the block's alignment), and
/// the symbol's value is its offset in that block.
fn current_offset(engine: &Engine) -> Option<u64> {
    let exe = engine.executable()?;
    let data = crate::dwarf::debug_files::map(std::path::Path::new(&exe.path))?;
    let file = object::File::parse(&*data).ok()?;
    let object::File::Elf64(elf) = &file else {
        return None;
    };
    let endian = elf.endian();
    let tls = elf
        .elf_program_headers()
        .iter()
        .find(|p| object::read::elf::ProgramHeader::p_type(*p, endian) == object::elf::PT_TLS)?;
    let (vaddr, memsz, align) = {
        use object::read::elf::ProgramHeader as _;
        (
            tls.p_vaddr(endian),
            tls.p_memsz(endian),
            tls.p_align(endian).max(1),
        )
    };
    let sym = file.symbols().find(|s| {
        s.kind() == object::SymbolKind::Tls
            && s.name()
                .is_ok_and(|n| crate::dwarf::symbols::demangle(n) == CURRENT)
    })?;
    // glibc's placement of the first module's block (TLS_TCB_AT_TP).
    let first_byte = vaddr.wrapping_neg() & (align - 1);
    let block = (memsz - first_byte).div_ceil(align) * align + first_byte;
    block.checked_sub(sym.address())
}

/// `Inner.name`: `Some(ThreadNameString { inner: CString })`.
fn name_of(dbg: &crate::dwarf::debuginfo::DebugInfo, inner: &Val) -> Option<String> {
    let name = nav::field(dbg, inner, "name")?;
    let (variant, val) = nav::variant(dbg, &name)?;
    if nav::variant_name(dbg, &variant) != "Some" {
        return None;
    }
    let string = nav::field(dbg, &val, "__0")?;
    // Down to the `Box<[u8]>` of the CString: a fat pointer.
    let mut cur = string;
    for _ in 0..4 {
        let ty = nav::ty(dbg, &cur)?;
        if let Some((ptr, len)) = crate::values::core_views::fat_pointer(dbg, &cur, &ty) {
            if len == 0 || len > 4096 {
                return None;
            }
            let bytes = dbg.mem.read(ptr, len as usize).ok()?;
            let text = bytes.strip_suffix(&[0]).unwrap_or(&bytes);
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        cur = nav::field(dbg, &cur, "inner")?;
    }
    None
}
