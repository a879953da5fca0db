//! The lazy lookups of globals agree with one pass over every unit, on the
//! demo's own DWARF: each vtable's concrete type found from its address
//! alone, each static found by its name (qualified, and by its last
//! segment where that is unambiguous), each reading only the units that
//! hold what was asked.

use std::collections::HashMap;
use std::sync::Arc;

use engine::dwarf::debuginfo::DebugInfo;
use engine::dwarf::globals;
use engine::memory::process::ReadError;
use engine::memory::read::Memory;

/// A process with no memory: the lookups read only the file.
struct NoMemory;

impl engine::Process for NoMemory {
    fn read_into(&self, addr: u64, _: &mut [u8]) -> Result<(), ReadError> {
        Err(ReadError::Unreadable(addr))
    }
    fn objects(&self) -> Vec<engine::Object> {
        Vec::new()
    }
}

fn load() -> DebugInfo {
    load_from(&tests::bin("demo"))
}

fn load_from(path: &std::path::Path) -> DebugInfo {
    DebugInfo::load(path, 0, Memory::new(Arc::new(NoMemory))).expect("the demo's DWARF")
}

#[test]
fn every_vtable_is_found_from_its_address_alone() {
    vtables_agree(&tests::bin("demo"));
}

#[test]
fn every_vtable_of_a_packed_dwp_is_found_from_its_address_alone() {
    // Split units: `.debug_aranges` names the skeleton, whose split unit
    // in the `.dwp` holds the variables.
    vtables_agree(&tests::fixtures::DEMO_SPLIT_DWARF.path());
}

fn vtables_agree(program: &std::path::Path) {
    let whole = load_from(program);
    let (_, vtables) = globals::whole_program(&whole);
    // The demo holds `dyn` values of its own types, of std's and of crates'.
    assert!(vtables.len() > 100, "{} vtables", vtables.len());
    let lazy = load_from(program);
    // At address 0: vtables the linker dropped, which no pointer names.
    for (addr, concrete) in vtables.iter().filter(|(a, _)| *a != 0) {
        assert_eq!(
            globals::vtable_type(&lazy, *addr),
            Some(*concrete),
            "vtable at {addr:#x}"
        );
    }
    // Not a vtable: an address in code, one past the data, and zero.
    assert_eq!(globals::vtable_type(&lazy, 0), None);
    assert_eq!(globals::vtable_type(&lazy, u64::MAX - 7), None);
}

#[test]
fn one_vtable_parses_one_unit() {
    let whole = load();
    let (_, vtables) = globals::whole_program(&whole);
    let all = whole.units_parsed();
    let lazy = load();
    let (addr, _) = vtables.iter().find(|(a, _)| *a != 0).expect("a vtable");
    assert!(globals::vtable_type(&lazy, *addr).is_some());
    assert_eq!(lazy.units_parsed(), 1, "of {all}");
}

#[test]
fn every_static_is_found_by_name_as_before() {
    let whole = load();
    let (statics, _) = globals::whole_program(&whole);
    assert!(
        statics
            .iter()
            .any(|(q, _)| q == "demo::collections::GREETING"),
        "{statics:?}"
    );
    let lazy = load();
    // By its full name: the same DIE.
    for (qualified, die) in &statics {
        assert_eq!(
            globals::find_static(&lazy, qualified),
            Ok((qualified.clone(), *die)),
        );
    }
    // By its last segment: the one static of that name, or ambiguous
    // between the same names, as one pass over every unit decides.
    let mut by_last: HashMap<&str, Vec<&String>> = HashMap::new();
    for (q, _) in &statics {
        by_last
            .entry(q.rsplit("::").next().unwrap())
            .or_default()
            .push(q);
    }
    for (last, mut names) in by_last {
        names.sort();
        let got = globals::find_static(&lazy, last);
        match names.as_slice() {
            [one] if *one == last => assert_eq!(got.map(|g| g.0), Ok(last.to_string())),
            [one] => assert_eq!(got.map(|g| g.0), Ok((*one).clone()), "{last}"),
            many => {
                let exact = many.iter().any(|n| *n == last);
                let suffixed: Vec<&str> = many
                    .iter()
                    .filter(|n| n.ends_with(&format!("::{last}")))
                    .map(|n| n.as_str())
                    .collect();
                match (exact, suffixed.as_slice()) {
                    (true, _) => assert_eq!(got.map(|g| g.0), Ok(last.to_string())),
                    (false, [one]) => assert_eq!(got.map(|g| g.0), Ok(one.to_string())),
                    (false, all) => assert_eq!(
                        got,
                        Err(globals::StaticError::Ambiguous(
                            last.to_string(),
                            all.join(", ")
                        ))
                    ),
                }
            }
        }
    }
    assert_eq!(
        globals::find_static(&lazy, "NO_SUCH_STATIC"),
        Err(globals::StaticError::NotFound("NO_SUCH_STATIC".into()))
    );
}

#[test]
fn one_static_parses_the_unit_that_holds_it() {
    let lazy = load();
    let (name, _) = globals::find_static(&lazy, "GREETING").unwrap();
    assert_eq!(name, "demo::collections::GREETING");
    assert_eq!(lazy.units_parsed(), 1);
}

/// A type named in a cast (`x as *const demo::bank::Account`) is found in
/// the units whose functions name it, not by a pass over every unit: the
/// same type as that pass finds, from a few of the demo's units.
#[test]
fn a_type_by_name_is_found_in_the_units_naming_it() {
    let program = tests::bin("demo");
    let whole = load_from(&program);
    let lazy = load_from(&program);
    let mut headers = whole.dwarf.units();
    let mut all = 0;
    while let Ok(Some(_)) = headers.next() {
        all += 1;
    }
    // A partial path (`bank::Account`) agrees too, but through the whole
    // pass: only that pass can tell no type is named exactly so.
    for (name, lazily) in [
        ("bank::Account", false),
        ("demo::bank::Account", true),
        ("Account", true),
        // What a core's thread names need (`hosts::coredump::names`).
        ("std::thread::thread::Inner", true),
    ] {
        let expected = engine::eval::synth::find_in_every_unit(&whole, name)
            .unwrap_or_else(|| panic!("{name} is in the demo's DWARF"));
        let found = engine::eval::synth::find(&lazy, name).expect(name);
        let (a, b) = (
            engine::dwarf::types::get(&whole, expected),
            engine::dwarf::types::get(&lazy, found),
        );
        assert_eq!((&a.name, a.size), (&b.name, b.size), "{name}");
        if !lazily {
            continue;
        }
        // Found without the whole pass: in one of the few units naming it.
        let base = name.rsplit("::").next().unwrap();
        let units = lazy.units_naming(name).expect("a symbol table and aranges");
        let unit = lazy.unit_of(found).unwrap().header.offset();
        assert!(
            units
                .iter()
                .any(|u| unit.as_debug_info_offset() == Some(*u)),
            "{name} ({base}) came from the whole pass"
        );
        assert!(
            units.len() * 10 < all,
            "{name}: {} of {all} units name it",
            units.len()
        );
    }
}
