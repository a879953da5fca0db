//! Work done before the process is stopped, so the pause is short: the
//! objects are placed, the unwind tables and the executable's DWARF opened,
//! and every thread blocked in a system call — whose stack cannot change
//! while it waits — is unwound from the stack and instruction pointers
//! `/proc/PID/task/TID/syscall` shows and symbolised. The engine keeps what
//! that found (units parsed, the symbolisation cache by address), so once
//! the process is stopped, the same threads cost only cache lookups. A
//! thread that moved meanwhile is simply symbolised again.

use crate::Engine;
use crate::crash::inspect::MAX_FRAMES;
use crate::memory::process::{RIP, RSP, RawFrame, Regs};

use super::procfs;

/// The stack and instruction pointers of a thread blocked in a system
/// call (`NR ARGS… SP PC`; a running thread says `running`).
pub fn parse_syscall_line(text: &str) -> Option<(u64, u64)> {
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
    if fields.len() < 3 {
        return None;
    }
    let hex = |s: &str| u64::from_str_radix(s.strip_prefix("0x")?, 16).ok();
    Some((
        hex(fields[fields.len() - 2])?,
        hex(fields[fields.len() - 1])?,
    ))
}

/// Most bytes of one thread's stack scanned for return addresses.
const MAX_SCAN: u64 = 256 << 10;

/// Opens what the engine needs and symbolises every blocked thread as it
/// stands, without stopping anything.
pub fn warm(engine: &Engine, pid: u32, maps: &[procfs::Mapping]) {
    let tables = engine.tables();
    let Ok(dbg) = engine.debug_info() else {
        return;
    };
    let Ok(tids) = procfs::tasks(pid) else {
        return;
    };
    let mem = engine.mem();
    let _pages = mem.cached();
    let mut raw: Vec<RawFrame> = Vec::new();
    for tid in tids {
        let Some((sp, pc)) = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall"))
            .ok()
            .as_deref()
            .and_then(parse_syscall_line)
        else {
            continue;
        };
        let mut regs = Regs::NONE;
        regs.set(RSP, Some(sp));
        regs.set(RIP, Some(pc));
        // The unwinder goes as far as the stack and instruction pointers
        // alone allow (a frame whose CFA is its frame pointer ends it)…
        raw.extend(tables.raw_frames(regs, MAX_FRAMES));
        // …and the return addresses on the stack give the rest.
        let Some(stack) = maps.iter().find(|m| m.start <= sp && sp < m.end) else {
            continue;
        };
        let Ok(words) = mem.read_large(sp & !7, (stack.end - (sp & !7)).min(MAX_SCAN)) else {
            continue;
        };
        for word in words.chunks_exact(8) {
            let addr = u64::from_le_bytes(word.try_into().unwrap_or_default());
            if tables.object_of(addr.wrapping_sub(1)).is_some() && after_call(engine, addr) {
                raw.push(RawFrame {
                    ip: addr,
                    sp: 0,
                    exact: false,
                    regs: Regs::NONE,
                });
            }
        }
    }
    raw.sort_unstable_by_key(|r| (r.ip, r.exact));
    raw.dedup_by_key(|r| (r.ip, r.exact));
    let _ = crate::crash::traceback::symbolize(engine, dbg, 0, &raw);
}

/// Whether the bytes before `addr` end with a call instruction, as they do
/// before a return address: `call rel32`, or an indirect `call` through a
/// register or memory (`FF /2`, two to seven bytes long).
fn after_call(engine: &Engine, addr: u64) -> bool {
    let Ok(code) = engine.mem().read(addr.wrapping_sub(7), 7) else {
        return false;
    };
    if code[2] == 0xe8 {
        return true;
    }
    (0..6).any(|i| {
        code[i] == 0xff && (code[i + 1] >> 3) & 7 == 2 && modrm_len(&code[i + 1..]) == 7 - i
    })
}

/// The length of an `FF /2` call from its ModRM byte on (ModRM, SIB,
/// displacement), plus the opcode byte.
fn modrm_len(rest: &[u8]) -> usize {
    let modrm = rest[0];
    let (mode, rm) = (modrm >> 6, modrm & 7);
    let sib = usize::from(mode != 3 && rm == 4);
    let disp = match mode {
        0 if rm == 5 => 4,
        0 if rm == 4 && rest.get(1).is_some_and(|s| s & 7 == 5) => 4,
        1 => 1,
        2 => 4,
        _ => 0,
    };
    1 + 1 + sib + disp
}

#[cfg(test)]
mod tests {
    use super::parse_syscall_line;

    #[test]
    fn blocked_threads_give_their_pointers_and_running_ones_nothing() {
        assert_eq!(
            parse_syscall_line("202 0x7f00 0x80 0x0 0x0 0x0 0x0 0x7ffc1000 0x7f2a3b4c\n"),
            Some((0x7ffc_1000, 0x7f2a_3b4c))
        );
        assert_eq!(
            parse_syscall_line("-1 0x7ffc2000 0x401000\n"),
            Some((0x7ffc_2000, 0x40_1000))
        );
        assert_eq!(parse_syscall_line("running\n"), None);
        assert_eq!(parse_syscall_line(""), None);
    }
}
