//! Fuzz target: what a debuginfod server answers. Arbitrary bytes, as the
//! body of `/buildid/ID/debuginfo` or `/executable`, go through the check
//! `pmdb` makes before a fetched file enters the cache
//! (`engine::dwarf::debug_files::check_fetched`): a verdict for any bytes,
//! never a panic; and only an ELF file carrying the build-id asked for is
//! taken.

#![no_main]

use engine::dwarf::debug_files::{Wanted, check_fetched};
use libfuzzer_sys::fuzz_target;
use object::Object as _;

fuzz_target!(|input: (Vec<u8>, bool, Vec<u8>)| {
    let (id, executable, body) = input;
    let wanted = if executable {
        Wanted::Executable
    } else {
        Wanted::DebugInfo
    };
    if check_fetched(&body, &id, wanted).is_ok() {
        let file = object::File::parse(&*body).expect("a taken file parses");
        assert_eq!(file.build_id().ok().flatten(), Some(&id[..]));
    }
});
