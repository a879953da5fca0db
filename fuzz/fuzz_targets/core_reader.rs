//! Fuzz target: the core reader. Arbitrary bytes are parsed as an ELF core;
//! what parses is read through every accessor (threads, notes, NT_FILE,
//! auxv, memory at each segment's edges). Nothing may panic or allocate
//! beyond the input's size.

#![no_main]

use corefile::Core;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(core) = Core::parse(data.to_vec()) else {
        return;
    };
    let _ = (core.threads().len(), core.siginfo(), core.psinfo());
    let _ = (core.mapped_files().len(), core.auxv(), core.note("CORE", 1));
    let mut buf = [0u8; 64];
    let segs: Vec<_> = core.segments().collect();
    for (vaddr, memsz, filesz) in segs {
        let _ = core.read(vaddr, &mut buf);
        if core
            .read(vaddr, &mut buf[..filesz.min(64) as usize])
            .is_err()
        {
            // The segment's first bytes are in the file, so they read.
            assert_eq!(filesz, 0);
        }
        let _ = core.read(vaddr.wrapping_add(filesz).wrapping_sub(8), &mut buf);
        let _ = core.read(vaddr.wrapping_add(memsz), &mut buf);
    }
});
