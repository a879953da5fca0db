//! Where std's panic machinery is entered, found in the program's symbol
//! table, and the breakpoints (`int3`) pmdb puts there.
//!
//! Two functions every panic that runs the panic hook goes through (rustc
//! 1.95; the older names too):
//! - `std::panicking::panic_with_hook` (`rust_panic_with_hook` before):
//!   its arguments are the payload (`&mut dyn PanicPayload`) and the
//!   `&Location` of the panic. pmdb notes them and lets the thread go on.
//! - `__rustc::rust_panic` (`rust_panic` before), which std names "on which
//!   to slap yer breakpoints": the hook has run (the message is printed and
//!   the payload's `String` formatted), nothing has unwound yet, and every
//!   frame of the panicking thread stands as it was. pmdb stops here.
//!
//! Both begin with `push rbp` (std is built with frame pointers): going on
//! from a breakpoint there is done by doing that push for the thread, so no
//! other thread can run past a breakpoint taken out for a single step.

use std::path::Path;

use object::{Object, ObjectSymbol, SymbolKind};

use super::sys::{self, Tid};

/// The names the hook's entry has had.
const HOOK: &[&str] = &[
    "std::panicking::panic_with_hook",
    "std::panicking::rust_panic_with_hook",
];
/// The names the raise has had.
const RAISE: &[&str] = &[
    "__rustc::rust_panic",
    "rust_panic",
    "std::panicking::rust_panic",
];

/// `int3`.
const INT3: u8 = 0xcc;
/// `push rbp`.
const PUSH_RBP: u8 = 0x55;

/// The panic entry's addresses in a running program (load bias applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanicEntry {
    /// The hook's entry, where known.
    pub hook: Option<u64>,
    /// The raise.
    pub raise: u64,
}

/// Why a program has no panic entry to stop at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// Its symbol table was stripped.
    Stripped,
    /// It has symbols but no Rust panic machinery (not a Rust program, or
    /// one built with `panic_immediate_abort`).
    NotRust,
    /// Its file could not be read.
    Unreadable,
}

/// Finds the panic entry in the executable at `path`, loaded `bias` above
/// its link-time addresses.
pub fn find(path: &Path, bias: u64) -> Result<PanicEntry, Missing> {
    let data = crate::dwarf::debug_files::map(path).ok_or(Missing::Unreadable)?;
    let file = object::File::parse(&*data).map_err(|_| Missing::Unreadable)?;
    let mut any = false;
    let (mut hook, mut raise) = (None, None);
    for s in file.symbols() {
        any = true;
        if s.kind() != SymbolKind::Text || s.address() == 0 {
            continue;
        }
        let Ok(raw) = s.name() else { continue };
        // Demangle only the few names that can match.
        if !raw.contains("rust_panic") && !raw.contains("panic_with_hook") {
            continue;
        }
        let name = crate::dwarf::symbols::demangle(raw);
        if HOOK.contains(&name.as_str()) {
            hook = Some(s.address().wrapping_add(bias));
        } else if RAISE.contains(&name.as_str()) {
            raise = Some(s.address().wrapping_add(bias));
        }
    }
    match raise {
        Some(raise) => Ok(PanicEntry { hook, raise }),
        None if !any => Err(Missing::Stripped),
        None => Err(Missing::NotRust),
    }
}

/// The executable's load bias: where the kernel put its entry point minus
/// where the file says it is.
pub fn bias(path: &Path, entry: u64) -> Option<u64> {
    let data = crate::dwarf::debug_files::map(path)?;
    let file = object::File::parse(&*data).ok()?;
    Some(entry.wrapping_sub(file.entry()))
}

/// One breakpoint as placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trap {
    pub addr: u64,
    /// The byte the `int3` replaced.
    pub saved: u8,
}

impl Trap {
    /// Places an `int3` at `addr` in `tid`'s process.
    pub fn place(tid: Tid, addr: u64) -> std::io::Result<Trap> {
        let word = sys::peek(tid, addr)?;
        sys::poke(tid, addr, (word & !0xff) | u64::from(INT3))?;
        Ok(Trap {
            addr,
            saved: word as u8,
        })
    }

    /// Puts the original byte back in `tid`'s process.
    pub fn remove(&self, tid: Tid) -> std::io::Result<()> {
        let word = sys::peek(tid, self.addr)?;
        sys::poke(tid, self.addr, (word & !0xff) | u64::from(self.saved))
    }

    /// Whether `regs` are those of a thread that just hit this trap (its
    /// `rip` one past the `int3`).
    pub fn hit(&self, regs: &libc::user_regs_struct) -> bool {
        regs.rip == self.addr.wrapping_add(1)
    }

    /// Moves a thread stopped by this trap (`rip` one past it) on past the
    /// replaced instruction, as if it had run: `push rbp` is done for it;
    /// anything else is run for real with the original byte back for one
    /// single step, while every other thread stays stopped.
    pub fn step_over(&self, tid: Tid, mut regs: libc::user_regs_struct) -> std::io::Result<()> {
        if self.saved == PUSH_RBP {
            regs.rsp = regs.rsp.wrapping_sub(8);
            sys::poke(tid, regs.rsp, regs.rbp)?;
            regs.rip = self.addr.wrapping_add(1);
            return sys::set_regs(tid, regs);
        }
        regs.rip = self.addr;
        sys::set_regs(tid, regs)?;
        self.remove(tid)?;
        sys::step(tid)?;
        // The step's own trap; a signal that came first stays pending
        // and is taken when the thread goes on.
        loop {
            match sys::wait(tid)? {
                (_, sys::Status::Stopped { .. }) if sys::regs(tid)?.rip != self.addr => break,
                (_, sys::Status::Stopped { .. }) => sys::step(tid)?,
                _ => return Ok(()),
            }
        }
        Trap::place(tid, self.addr).map(|_| ())
    }
}

/// Whether the executable at `path` links pmdb's agent (it has the
/// agent's crash-record static), which serves its own crashes.
pub fn links_agent(path: &Path) -> bool {
    let Some(data) = crate::dwarf::debug_files::map(path) else {
        return false;
    };
    object::File::parse(&*data).is_ok_and(|file| {
        file.symbols()
            .any(|s| s.name() == Ok(crate::crash::record::STATIC_SYMBOL))
    })
}
