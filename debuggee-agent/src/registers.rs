//! Register capture, the one place the agent reads machine registers: the
//! calling function's own (for a panic) and a signal context's (for a fault,
//! or a thread being frozen). Both give DWARF-numbered register sets.

use engine::memory::process::{RIP, RSP, Regs};

/// The calling function's callee-saved registers, stack pointer and a code
/// address inside it: enough to unwind from here. Frame 0 of the unwound
/// result is this function's caller, at the return address of this call.
#[inline(never)]
pub fn capture() -> Regs {
    let (rsp, rbp, rbx, r12, r13, r14, r15, rip): (u64, u64, u64, u64, u64, u64, u64, u64);
    // SAFETY: only reads registers into outputs; touches no memory and keeps
    // the stack and flags as they are.
    unsafe {
        std::arch::asm!(
            "mov {rsp}, rsp",
            "mov {rbp}, rbp",
            "mov {rbx}, rbx",
            "lea {rip}, [rip]",
            rsp = out(reg) rsp,
            rbp = out(reg) rbp,
            rbx = out(reg) rbx,
            rip = out(reg) rip,
            out("r12") r12,
            out("r13") r13,
            out("r14") r14,
            out("r15") r15,
            options(nomem, nostack, preserves_flags),
        );
    }
    let mut regs = Regs::NONE;
    regs.set(12, Some(r12));
    regs.set(13, Some(r13));
    regs.set(14, Some(r14));
    regs.set(15, Some(r15));
    regs.set(RSP, Some(rsp));
    regs.set(6, Some(rbp));
    regs.set(3, Some(rbx));
    regs.set(RIP, Some(rip));
    regs
}

/// The general registers of a signal context, in DWARF numbering (rax rdx
/// rcx rbx rsi rdi rbp rsp r8..r15 rip). Async-signal-safe.
///
/// # Safety
/// `context` must be the kernel's `ucontext_t` for the signal being handled.
pub(crate) unsafe fn of_context(context: *mut libc::c_void) -> [u64; 17] {
    const ORDER: [libc::c_int; 17] = [
        libc::REG_RAX,
        libc::REG_RDX,
        libc::REG_RCX,
        libc::REG_RBX,
        libc::REG_RSI,
        libc::REG_RDI,
        libc::REG_RBP,
        libc::REG_RSP,
        libc::REG_R8,
        libc::REG_R9,
        libc::REG_R10,
        libc::REG_R11,
        libc::REG_R12,
        libc::REG_R13,
        libc::REG_R14,
        libc::REG_R15,
        libc::REG_RIP,
    ];
    // SAFETY: per this function's contract, `context` is a valid ucontext_t.
    let g = unsafe { &(*(context as *const libc::ucontext_t)).uc_mcontext.gregs };
    ORDER.map(|r| g[r as usize] as u64)
}
