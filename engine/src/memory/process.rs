//! What the engine needs to know of a crashed process, and nothing more:
//! its memory (read fault-safely), its loaded objects, and its threads with
//! their registers. A live process (inside the agent) and a core file (inside
//! `pmdb`) both describe themselves this way; the engine never knows which.

use wire::CrashInfo;

/// A read that could not be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("<unreadable memory at {0:#x}>")]
    Unreadable(u64),
    #[error("<read of {0} bytes refused>")]
    TooLarge(u64),
    /// The crash file (a small core, a minidump) left these bytes out:
    /// the address, and what the file is ("core", "minidump").
    #[error("<not in the {1}>")]
    NotSaved(u64, &'static str),
}

/// Registers in DWARF numbering (x86-64: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi,
/// 5 rdi, 6 rbp, 7 rsp, 8–15 r8–r15, 16 the return address / rip), each
/// known or not.
///
/// Plain words and a mask of which are known, not `[Option<u64>; 17]`: the
/// agent's threads hold these in their locals while a crash is served, and
/// gdb 13 with Rust's pretty-printers stops with an internal error
/// ("Recursive internal problem") on an array of enums whose elements are
/// different variants, which took `rust-gdb`'s `bt full` of any program
/// linking the agent down with it.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Regs {
    values: [u64; REGS],
    /// Bit `i` set: `values[i]` is known (an unknown value is always 0).
    known: u32,
}

/// How many registers a [`Regs`] holds.
pub const REGS: usize = 17;

impl Regs {
    /// No register known.
    pub const NONE: Regs = Regs {
        values: [0; REGS],
        known: 0,
    };

    /// Register `i`, if known (any `i` past the last is unknown).
    pub fn get(&self, i: usize) -> Option<u64> {
        (i < REGS && self.known & (1 << i) != 0).then(|| self.values[i])
    }

    /// Sets register `i` (known or not); an `i` past the last is ignored.
    pub fn set(&mut self, i: usize, value: Option<u64>) {
        if i >= REGS {
            return;
        }
        match value {
            Some(v) => {
                self.values[i] = v;
                self.known |= 1 << i;
            }
            None => {
                self.values[i] = 0;
                self.known &= !(1 << i);
            }
        }
    }

    /// Each register in order, known or not.
    pub fn to_array(&self) -> [Option<u64>; REGS] {
        std::array::from_fn(|i| self.get(i))
    }
}

impl From<[Option<u64>; REGS]> for Regs {
    fn from(all: [Option<u64>; REGS]) -> Regs {
        let mut regs = Regs::NONE;
        for (i, v) in all.into_iter().enumerate() {
            regs.set(i, v);
        }
        regs
    }
}

impl std::fmt::Debug for Regs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.to_array()).finish()
    }
}

/// The stack pointer's DWARF register number.
pub const RSP: usize = 7;
/// The instruction pointer's DWARF register number (the return address column).
pub const RIP: usize = 16;

/// The general-purpose registers in the order lldb lists them, each with
/// its DWARF number.
const LISTED: [(&str, usize); REGS] = [
    ("rax", 0),
    ("rbx", 3),
    ("rcx", 2),
    ("rdx", 1),
    ("rdi", 5),
    ("rsi", 4),
    ("rbp", 6),
    ("rsp", RSP),
    ("r8", 8),
    ("r9", 9),
    ("r10", 10),
    ("r11", 11),
    ("r12", 12),
    ("r13", 13),
    ("r14", 14),
    ("r15", 15),
    ("rip", RIP),
];

/// `regs` by name, in lldb's order (`rax` … `r15`, `rip`), each `None`
/// where it is not known.
pub fn named_registers(regs: &Regs) -> Vec<wire::Register> {
    LISTED
        .iter()
        .map(|&(name, i)| wire::Register {
            name: name.to_string(),
            value: regs.get(i),
        })
        .collect()
}

/// The kernel's register set of a thread (ptrace's `NT_PRSTATUS`) in DWARF
/// numbering: what both ptrace hosts, the snapshot and the launcher, read.
pub fn dwarf_regs(r: &libc::user_regs_struct) -> Regs {
    Regs::from([
        Some(r.rax),
        Some(r.rdx),
        Some(r.rcx),
        Some(r.rbx),
        Some(r.rsi),
        Some(r.rdi),
        Some(r.rbp),
        Some(r.rsp),
        Some(r.r8),
        Some(r.r9),
        Some(r.r10),
        Some(r.r11),
        Some(r.r12),
        Some(r.r13),
        Some(r.r14),
        Some(r.r15),
        Some(r.rip),
    ])
}

/// One machine frame: instruction pointer, stack pointer, and whatever
/// other registers are known for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFrame {
    pub ip: u64,
    pub sp: u64,
    /// `ip` is the faulting instruction itself, not a return address.
    pub exact: bool,
    pub regs: Regs,
}

/// One loaded object: the executable or a shared library.
#[derive(Debug, Clone, Default)]
pub struct Object {
    /// Its file's path as the process saw it.
    pub path: String,
    /// The executable (as opposed to a shared library).
    pub main: bool,
    /// Runtime address minus link-time address.
    pub bias: u64,
    /// Mapped segments as (start, end, executable), runtime addresses.
    pub segments: Vec<(u64, u64, bool)>,
    /// `.eh_frame_hdr` as (runtime address, size).
    pub eh_frame_hdr: Option<(u64, u64)>,
    /// The GNU build-id, where known.
    pub build_id: Option<Vec<u8>>,
}

impl Object {
    /// Whether runtime address `addr` is in one of this object's executable segments.
    pub fn contains_code(&self, addr: u64) -> bool {
        self.segments
            .iter()
            .any(|&(s, e, x)| x && s <= addr && addr < e)
    }

    /// The end of the segment holding `addr`.
    pub fn segment_end(&self, addr: u64) -> Option<u64> {
        self.segments
            .iter()
            .find(|&&(s, e, _)| s <= addr && addr < e)
            .map(|&(_, e, _)| e)
    }

    /// The file name alone, for display.
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// How a thread's stack is known: already unwound (the live agent unwinds
/// while the thread stands), or as registers to unwind from (a core file).
#[derive(Debug, Clone)]
pub enum Stack {
    Unwound(Vec<RawFrame>),
    Regs(Box<Regs>),
}

/// One thread of the crashed process.
#[derive(Debug, Clone)]
pub struct Thread {
    pub id: u64,
    pub name: String,
    pub stack: Stack,
}

impl Thread {
    /// The registers it stands with: where it is, or for a panicking thread
    /// (whose innermost captured frame has returned since) its first frame
    /// whose stack is still intact, so a reader of a dump unwinds it too.
    pub fn standing_regs(&self) -> Regs {
        match &self.stack {
            Stack::Regs(r) => **r,
            Stack::Unwound(frames) => match frames.first() {
                Some(f) if f.exact => f.regs,
                _ => frames
                    .get(1)
                    .or(frames.first())
                    .map_or(Regs::NONE, |f| f.regs),
            },
        }
    }
}

/// One crash: its record, and the threads, the crashed one first.
#[derive(Debug, Clone)]
pub struct Crash {
    pub info: CrashInfo,
    pub threads: Vec<Thread>,
}

/// A crash that happened while another was being served (live only).
#[derive(Debug, Clone)]
pub struct LaterCrash {
    pub info: CrashInfo,
    pub frames: Vec<RawFrame>,
}

/// This machine's monotonic clock (`CLOCK_MONOTONIC`) now: the clock a
/// live process's `Instant`s and tokio's deadlines count on, so a host that
/// stops a process on this machine reads it as the snapshot's time.
pub fn monotonic_clock() -> Option<std::time::Duration> {
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).ok()?;
    Some(std::time::Duration::new(
        u64::try_from(now.tv_sec()).ok()?,
        u32::try_from(now.tv_nsec()).ok()?,
    ))
}

/// The crashed process's memory and layout.
pub trait Process: Send + Sync {
    /// Fills `buf` from `addr`, or says why not (never faults).
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError>;
    /// The loaded objects, the executable first.
    fn objects(&self) -> Vec<Object>;
    /// Whether each read is costly enough (a system call) that the engine
    /// should read whole pages and keep them for the length of a request.
    fn cache_pages(&self) -> bool {
        false
    }
    /// The monotonic clock (`CLOCK_MONOTONIC`) when the snapshot was
    /// taken, for the time left of a sleeping task; `None` when the host
    /// does not know (a core file does not record it).
    fn monotonic_now(&self) -> Option<std::time::Duration> {
        None
    }
    /// Crashes that happened while this one was being served.
    fn later_crashes(&self) -> Vec<LaterCrash> {
        Vec::new()
    }
    /// What thread `tid` was doing when it was stopped, where the host
    /// knows (a live snapshot does).
    fn thread_state(&self, _tid: u64) -> Option<wire::ThreadState> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_are_named_in_lldbs_order_and_unknown_ones_stay_unknown() {
        let mut regs = Regs::NONE;
        regs.set(RIP, Some(0x401136));
        regs.set(RSP, Some(0x7ffd_0000_1000));
        regs.set(3, Some(7)); // rbx
        let named = named_registers(&regs);
        let names: Vec<&str> = named.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "rax", "rbx", "rcx", "rdx", "rdi", "rsi", "rbp", "rsp", "r8", "r9", "r10", "r11",
                "r12", "r13", "r14", "r15", "rip"
            ]
        );
        let known: Vec<(&str, u64)> = named
            .iter()
            .filter_map(|r| Some((r.name.as_str(), r.value?)))
            .collect();
        assert_eq!(
            known,
            [("rbx", 7), ("rsp", 0x7ffd_0000_1000), ("rip", 0x401136)]
        );
    }
}
