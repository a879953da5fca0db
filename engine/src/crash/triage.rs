//! Triage in one line: what a fatal signal most likely means (a null
//! pointer plus an offset, a stack overflow into the guard page, a
//! non-canonical address, unmapped or freed memory, a misaligned access,
//! a jump into memory that is not code), as a small pure function of the
//! signal, the crashed thread's registers and the process's memory map.
//! Every host calls it with what it knows; the line travels in
//! [`wire::CrashInfo::analysis`].

use corefile::Region;

use super::signal::{SIGBUS, SIGSEGV};
use crate::memory::process::Regs;

/// Nothing can be mapped below Linux's default `vm.mmap_min_addr` (64 KiB),
/// so a fault there is a null pointer plus an offset.
const NULL_PAGE_END: u64 = 0x1_0000;
/// How far below the stack pointer a fault still counts as the stack's own
/// (one frame's locals may be that large before they are touched).
const STACK_REACH: u64 = 1 << 20;
/// The kernel's `si_code` for a fault it raised itself (a general protection
/// fault: no fault address is known).
const SI_KERNEL: i32 = 0x80;
const SEGV_MAPERR: i32 = 1;
const SEGV_ACCERR: i32 = 2;
const BUS_ADRALN: i32 = 1;

/// A fatal signal as the kernel reported it (`siginfo_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub signo: i32,
    pub code: i32,
    pub addr: u64,
}

/// The one-line analysis of `fault` in a thread whose registers at the
/// fault were `regs`, with the process's mappings `maps` (empty when the
/// host does not know them); `None` for a signal it has nothing to say
/// about (an abort, a signal sent by a process, a division by zero).
pub fn analyse(fault: Fault, regs: &Regs, maps: &[Region]) -> Option<String> {
    if fault.signo != SIGSEGV && fault.signo != SIGBUS {
        return None;
    }
    let addr = fault.addr;
    if fault.signo == SIGBUS && fault.code == BUS_ADRALN {
        // x86 reports an alignment-check fault without its address.
        return Some(match addr {
            0 => "misaligned access: a load or store at an address not aligned to its size (x86's alignment check is on)".to_string(),
            _ => format!("misaligned access at {addr:#x}: not aligned to the access's size"),
        });
    }
    if fault.code == SI_KERNEL && fault.signo == SIGSEGV {
        let named = [0usize, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15]
            .into_iter()
            .find_map(|r| regs.get(r).filter(|v| !canonical(*v)).map(|v| (r, v)));
        return Some(match named {
            Some((r, v)) => format!(
                "non-canonical address {v:#x} (in {}): a general protection fault, the address is outside the 48-bit address space",
                REG_NAMES[r]
            ),
            None => "general protection fault with no fault address: a non-canonical address or a privileged instruction".to_string(),
        });
    }
    if fault.code <= 0 {
        return None;
    }
    let region = maps.iter().find(|r| r.start <= addr && addr < r.end);
    if regs.get(16) == Some(addr) {
        return Some(match region {
            _ if addr < NULL_PAGE_END => {
                format!("execute of non-code at {addr:#x}: a call through a null function pointer")
            }
            Some(r) if !r.exec => format!(
                "execute of non-code at {addr:#x}: the jump landed in {}, which is not executable",
                name(r)
            ),
            Some(_) => format!("execute of non-code at {addr:#x}"),
            None => format!("execute of non-code at {addr:#x}: nothing is mapped there"),
        });
    }
    if addr < NULL_PAGE_END {
        return Some(match addr {
            0 => "null pointer dereference".to_string(),
            off => format!("null pointer dereference at offset {off:#x}"),
        });
    }
    let usable = region.is_some_and(|r| r.read || r.write);
    if let Some(sp) = regs.get(7)
        && !usable
        && addr <= sp.saturating_add(4096)
        && sp.saturating_sub(addr) <= STACK_REACH
    {
        return Some(format!(
            "stack overflow: the fault at {addr:#x} is in the guard page just below the stack pointer"
        ));
    }
    match (fault.code, region) {
        // The kernel's word: nothing was mapped there at the fault. A map
        // read later may show the range mapped again (an allocation of the
        // agent's or of a thread still running reusing freed pages).
        (SEGV_MAPERR, _) if !maps.is_empty() => Some(format!(
            "fault in unmapped memory at {addr:#x}: nothing is mapped there (freed, or never allocated)"
        )),
        (SEGV_ACCERR, Some(r)) => Some(format!(
            "access not allowed at {addr:#x}: {} is mapped {}",
            name(r),
            perms(r)
        )),
        _ => None,
    }
}

/// Whether `v` is a canonical x86-64 address (bits 63..47 all equal).
fn canonical(v: u64) -> bool {
    let top = v >> 47;
    top == 0 || top == (1 << 17) - 1
}

/// The mapping as a user reads it: its file, `[heap]`, or anonymous memory.
fn name(r: &Region) -> String {
    match &r.file {
        Some((p, _)) => p.clone(),
        None => "anonymous memory".to_string(),
    }
}

fn perms(r: &Region) -> String {
    [(r.read, 'r'), (r.write, 'w'), (r.exec, 'x')]
        .iter()
        .map(|&(on, c)| if on { c } else { '-' })
        .collect()
}

/// Register names in DWARF numbering.
const REG_NAMES: [&str; 17] = [
    "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15", "rip",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn regs(pc: u64, sp: u64) -> Regs {
        let mut r = Regs::from([Some(1); 17]);
        r.set(7, Some(sp));
        r.set(16, Some(pc));
        r
    }

    fn region(start: u64, end: u64, perms: &str, file: Option<&str>) -> Region {
        let p = perms.as_bytes();
        Region {
            start,
            end,
            read: p[0] == b'r',
            write: p[1] == b'w',
            exec: p[2] == b'x',
            file: file.map(|f| (f.to_string(), 0)),
        }
    }

    fn segv(code: i32, addr: u64) -> Fault {
        Fault {
            signo: SIGSEGV,
            code,
            addr,
        }
    }

    #[test]
    fn each_kind_of_fault_is_said_in_one_line() {
        let maps = [
            region(0x5000_0000, 0x5000_1000, "r-x", Some("/bin/demo")),
            region(0x5000_1000, 0x5000_2000, "r--", Some("/bin/demo")),
            region(0x6000_0000, 0x6010_0000, "rw-", Some("[heap]")),
            region(0x7fff_0000, 0x7fff_f000, "rw-", Some("[stack]")),
        ];
        let at = |f, pc, sp| analyse(f, &regs(pc, sp), &maps);
        let text = 0x5000_0100;
        assert_eq!(
            at(segv(1, 0), text, 0x7fff_8000).as_deref(),
            Some("null pointer dereference")
        );
        assert_eq!(
            at(segv(1, 0x18), text, 0x7fff_8000).as_deref(),
            Some("null pointer dereference at offset 0x18")
        );
        assert_eq!(
            at(segv(1, 0x7ffe_fff8), text, 0x7fff_0010).as_deref(),
            Some(
                "stack overflow: the fault at 0x7ffefff8 is in the guard page just below the stack pointer"
            )
        );
        assert_eq!(
            at(segv(1, 0x9000_0000), text, 0x7fff_8000).as_deref(),
            Some(
                "fault in unmapped memory at 0x90000000: nothing is mapped there (freed, or never allocated)"
            )
        );
        // Unmapped at the fault (the kernel's SEGV_MAPERR), mapped again by
        // the time the map is read: still the fault in unmapped memory.
        assert_eq!(
            at(segv(1, 0x6000_0040), text, 0x7fff_8000).as_deref(),
            Some(
                "fault in unmapped memory at 0x60000040: nothing is mapped there (freed, or never allocated)"
            )
        );
        assert_eq!(
            at(segv(2, 0x6000_0040), 0x6000_0040, 0x7fff_8000).as_deref(),
            Some(
                "execute of non-code at 0x60000040: the jump landed in [heap], which is not executable"
            )
        );
        assert_eq!(
            at(segv(1, 0), 0, 0x7fff_8000).as_deref(),
            Some("execute of non-code at 0x0: a call through a null function pointer")
        );
        assert_eq!(
            at(segv(2, 0x5000_1010), text, 0x7fff_8000).as_deref(),
            Some("access not allowed at 0x50001010: /bin/demo is mapped r--")
        );
        let mut gp = regs(text, 0x7fff_8000);
        gp.set(3, Some(0xdead_0000_0000_0000));
        assert_eq!(
            analyse(segv(SI_KERNEL, 0), &gp, &maps).as_deref(),
            Some(
                "non-canonical address 0xdead000000000000 (in rbx): a general protection fault, the address is outside the 48-bit address space"
            )
        );
        let bus = Fault {
            signo: SIGBUS,
            code: 1,
            addr: 0x6000_0003,
        };
        assert_eq!(
            at(bus, text, 0x7fff_8000).as_deref(),
            Some("misaligned access at 0x60000003: not aligned to the access's size")
        );
        assert_eq!(
            at(Fault { addr: 0, ..bus }, text, 0x7fff_8000).as_deref(),
            Some(
                "misaligned access: a load or store at an address not aligned to its size (x86's alignment check is on)"
            )
        );
        // Nothing to say of an abort, a signal sent by kill(2), or a fault
        // whose map is unknown.
        let abrt = Fault {
            signo: 6,
            code: -6,
            addr: 0,
        };
        assert_eq!(at(abrt, text, 0x7fff_8000), None);
        assert_eq!(at(segv(0, 0), text, 0x7fff_8000), None);
        assert_eq!(
            analyse(segv(1, 0x9000_0000), &regs(text, 0x7fff_8000), &[]),
            None
        );
    }
}
