//! Fuzz target: the source note of a small core ("PMDS",
//! `engine::crash::carried`), which the core host decodes at open and asks
//! for each frame's lines. Arbitrary bytes are decoded as the note; what
//! decodes is asked for lines of each run's path and of the given one over
//! the given range. Nothing may panic; an answer holds only lines within
//! the range asked, as many as it says, marked carried; what decodes
//! encodes back to the same note.

#![no_main]

use engine::crash::carried::CarriedSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Vec<u8>, String, u32, u32)| {
    let (note, path, first, last) = input;
    let Some(carried) = CarriedSource::from_bytes(&note) else {
        return;
    };
    assert_eq!(
        CarriedSource::from_bytes(&carried.to_bytes()).as_ref(),
        Some(&carried)
    );
    let paths = carried.files.iter().map(|f| f.path.as_str()).take(16);
    for p in paths.chain([path.as_str()]) {
        for (from, to) in [(first, last), (1, u32::MAX), (0, 0), (last, first)] {
            let Some(text) = carried.lines(p, from, to) else {
                continue;
            };
            assert!(text.carried);
            assert!(!text.lines.is_empty());
            assert!(text.first_line >= from, "{} < {from}", text.first_line);
            let end = u64::from(text.first_line) + text.lines.len() as u64 - 1;
            assert!(end <= u64::from(to), "{end} > {to}");
        }
    }
});
