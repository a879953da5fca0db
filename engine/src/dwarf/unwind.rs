//! Unwinding from a register set with our own CFI evaluation: each step
//! finds the frame's unwind row in its object's `.eh_frame` (located via
//! `.eh_frame_hdr`, read through the process's fault-safe memory), computes
//! the CFA and recovers the caller's registers, callee-saved ones included,
//! so optimized frames can still find locals kept in registers.

use gimli::UnwindSection;

use crate::memory::process::{Object, REGS, RIP, RSP, RawFrame, Regs};
use crate::memory::read::Memory;

/// rbx, rbp, r12–r15: preserved across calls, so unchanged unless a rule says otherwise.
const CALLEE_SAVED: [usize; 6] = [3, 6, 12, 13, 14, 15];
/// Largest `.eh_frame` copied from one object (64 MiB).
const MAX_EH_FRAME: u64 = 64 << 20;

type Slice = gimli::EndianSlice<'static, gimli::LittleEndian>;

/// One object's unwind tables, read once.
pub struct Cfi {
    pub object: Object,
    hdr: Option<gimli::ParsedEhFrameHdr<Slice>>,
    eh_frame: Option<gimli::EhFrame<Slice>>,
    bases: gimli::BaseAddresses,
}

/// Every object's unwind tables, read from memory once.
pub struct Tables {
    cfi: Vec<Cfi>,
    mem: Memory,
}

impl Tables {
    pub fn load(mem: &Memory, objects: Vec<Object>) -> Tables {
        Tables {
            cfi: objects.into_iter().map(|o| load(mem, o)).collect(),
            mem: mem.clone(),
        }
    }

    /// The object holding code address `pc`.
    pub fn object_of(&self, pc: u64) -> Option<&Object> {
        self.cfi
            .iter()
            .map(|c| &c.object)
            .find(|o| o.contains_code(pc))
    }

    /// The objects, the executable first.
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.cfi.iter().map(|c| &c.object)
    }

    /// The machine frames of a thread stopped at `regs` (whose rip is the
    /// exact instruction it stands at), innermost first.
    pub fn raw_frames(&self, regs: Regs, max: usize) -> Vec<RawFrame> {
        self.unwind(regs, max)
            .into_iter()
            .enumerate()
            .map(|(i, r)| RawFrame {
                ip: r.get(RIP).unwrap_or(0),
                sp: r.get(RSP).unwrap_or(0),
                exact: i == 0,
                regs: r,
            })
            .collect()
    }

    /// Unwinds from `regs`, yielding each frame's registers, innermost first.
    pub fn unwind(&self, regs: Regs, max: usize) -> Vec<Regs> {
        let mut frames = vec![regs];
        let mut ctx = gimli::UnwindContext::new();
        let mut cur = regs;
        while frames.len() < max {
            let Some(next) = self.step(&mut ctx, &cur, frames.len() == 1) else {
                break;
            };
            let (Some(pc), Some(sp)) = (next.get(RIP), next.get(RSP)) else {
                break;
            };
            if pc == 0 || sp <= cur.get(RSP).unwrap_or(0) {
                break; // the end of the stack, or no progress (corrupt stack)
            }
            frames.push(next);
            cur = next;
        }
        frames
    }

    fn step(
        &self,
        ctx: &mut gimli::UnwindContext<usize>,
        regs: &Regs,
        exact: bool,
    ) -> Option<Regs> {
        let pc = regs.get(RIP)?;
        // A return address points after the call; look up the call itself.
        let lookup = if exact { pc } else { pc.checked_sub(1)? };
        let cfi = self.cfi.iter().find(|c| c.object.contains_code(lookup))?;
        let table = cfi.hdr.as_ref()?.table()?;
        let eh_frame = cfi.eh_frame.as_ref()?;
        let row = table
            .unwind_info_for_address(
                eh_frame,
                &cfi.bases,
                ctx,
                lookup,
                gimli::EhFrame::cie_from_offset,
            )
            .ok()?;
        let cfa = match row.cfa() {
            gimli::CfaRule::RegisterAndOffset { register, offset } => {
                regs.get(register.0 as usize)?.wrapping_add_signed(*offset)
            }
            gimli::CfaRule::Expression(_) => return None,
        };
        let mut next = Regs::NONE;
        for i in 0..REGS {
            let value = match row.register(gimli::Register(i as u16)) {
                gimli::RegisterRule::Undefined if CALLEE_SAVED.contains(&i) => regs.get(i),
                gimli::RegisterRule::Undefined => None,
                gimli::RegisterRule::SameValue => regs.get(i),
                gimli::RegisterRule::Offset(o) => {
                    self.mem.read_word(cfa.wrapping_add_signed(o)).ok()
                }
                gimli::RegisterRule::ValOffset(o) => Some(cfa.wrapping_add_signed(o)),
                gimli::RegisterRule::Register(r) => regs.get(r.0 as usize),
                _ => None,
            };
            next.set(i, value);
        }
        next.set(RSP, Some(cfa));
        Some(next)
    }
}

fn load(mem: &Memory, object: Object) -> Cfi {
    let mut cfi = Cfi {
        object,
        hdr: None,
        eh_frame: None,
        bases: gimli::BaseAddresses::default(),
    };
    let Some((hdr_addr, hdr_len)) = cfi.object.eh_frame_hdr else {
        return cfi;
    };
    let Ok(hdr_bytes) = mem.read_large(hdr_addr, hdr_len.min(MAX_EH_FRAME)) else {
        return cfi;
    };
    // The tables live as long as the engine's process description, which
    // is the life of the agent's process or of one opened core.
    let hdr_bytes: &'static [u8] = Box::leak(hdr_bytes.into_boxed_slice());
    let bases = gimli::BaseAddresses::default().set_eh_frame_hdr(hdr_addr);
    let Ok(hdr) = gimli::EhFrameHdr::new(hdr_bytes, gimli::LittleEndian).parse(&bases, 8) else {
        return cfi;
    };
    let gimli::Pointer::Direct(eh_addr) = hdr.eh_frame_ptr() else {
        return cfi;
    };
    let Some(end) = cfi.object.segment_end(eh_addr) else {
        return cfi;
    };
    let len = (end - eh_addr).min(MAX_EH_FRAME);
    // What the loader mapped, up to the end of its segment (big binaries
    // have tables of several MiB: read in chunks).
    let data = mem.read_large(eh_addr, len).unwrap_or_default();
    let data: &'static [u8] = Box::leak(data.into_boxed_slice());
    let text = cfi.object.segments.iter().find(|s| s.2).map_or(0, |s| s.0);
    cfi.bases = bases.set_eh_frame(eh_addr).set_text(text);
    cfi.eh_frame = Some(gimli::EhFrame::new(data, gimli::LittleEndian));
    cfi.hdr = Some(hdr);
    cfi
}
