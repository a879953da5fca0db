//! Issue 24, point 3: a third party reads pmdb's minidumps. rust-minidump's
//! processor — the library `minidump-stackwalk` is the command line of, its
//! `--json` output being the processor's own `print_json` — reads the
//! minidump the agent writes of `demo bank`'s panic and of `demo segfault`'s
//! SIGSEGV: the crashing thread, the exception, the modules with their
//! build-ids, and each thread's walk from its registers.
//!
//! The processor is built without its default features (no symbol server,
//! no DWARF symbolizer): frames past the first are found by rust-minidump's
//! frame-pointer and stack-scanning walkers, so the test asserts what holds
//! whatever the walker: the context frame of every thread, in a listed
//! module.

use std::path::Path;

use serde_json::Value;
use tests::{TempDir, bin};

/// What `minidump-stackwalk --json` prints for `dump`: the processor's
/// state as JSON.
fn stackwalk_json(dump: &Path) -> Value {
    let md = minidump::Minidump::read_path(dump).expect("rust-minidump reads it");
    let symbolizer =
        minidump_unwind::Symbolizer::new(minidump_unwind::simple_symbol_supplier(Vec::new()));
    let state = pollster::block_on(minidump_processor::process_minidump(&md, &symbolizer))
        .expect("the processor reads it");
    let mut out = Vec::new();
    state.print_json(&mut out, false).unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// The demo's GNU build-id in hex.
fn build_id_hex(file: &Path) -> String {
    use object::Object;
    let bytes = std::fs::read(file).unwrap();
    let elf = object::File::parse(&*bytes).unwrap();
    let id = elf.build_id().unwrap().expect("a build-id");
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every thread's first frame stands at its registers, in a module the
/// minidump lists; the demo is listed with its build-id.
fn assert_threads_and_modules(state: &Value) {
    let demo = bin("demo");
    let modules = state["modules"].as_array().unwrap();
    let listed = modules
        .iter()
        .find(|m| m["filename"] == "demo")
        .unwrap_or_else(|| panic!("no module demo in {modules:#?}"));
    let id = build_id_hex(&demo);
    assert_eq!(listed["code_id"], id);
    // Breakpad's debug id: the build-id's first 16 bytes as a GUID (its
    // first three fields byte-swapped), upper case, then the age 0.
    let b = |i: usize| id[2 * i..2 * i + 2].to_uppercase();
    let guid: String = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]
        .into_iter()
        .map(b)
        .collect();
    assert_eq!(listed["debug_id"], guid + "0");
    assert_eq!(listed["debug_file"], "demo");
    let names: Vec<&str> = modules
        .iter()
        .map(|m| m["filename"].as_str().unwrap())
        .collect();
    for thread in state["threads"].as_array().unwrap() {
        let first = &thread["frames"][0];
        assert_eq!(first["trust"], "context", "{thread:#}");
        let module = first["module"].as_str().unwrap_or("");
        assert!(names.contains(&module), "{module:?} not in {names:?}");
    }
}

/// The crashing thread's index, asserting both of the state's ways of
/// saying it agree.
fn crashing(state: &Value) -> usize {
    let at = state["crash_info"]["crashing_thread"].as_u64().unwrap() as usize;
    assert_eq!(state["crashing_thread"]["threads_index"], at);
    at
}

#[test]
fn the_processor_reads_a_panics_minidump_thread_exception_modules_and_frames() {
    let dir = TempDir::new("stackwalk-panic");
    let state = stackwalk_json(&tests::agent_minidump("bank", &dir.0));
    assert_eq!(
        (
            &state["status"],
            &state["system_info"]["os"],
            &state["system_info"]["cpu_arch"]
        ),
        (&"OK".into(), &"Linux".into(), &"amd64".into())
    );
    assert_threads_and_modules(&state);
    // A panic is a dump the program asked for (Breakpad's Linux code for
    // one), on the panicking thread, which stands in the demo.
    assert_eq!(state["crash_info"]["type"], "DUMP_REQUESTED");
    assert_eq!(state["crash_info"]["address"], "0x0000000000000000");
    let thread = &state["threads"][crashing(&state)];
    assert_eq!(thread["thread_name"], "main");
    assert_eq!(thread["frames"][0]["module"], "demo");
}

#[test]
fn the_processor_reads_a_segfaults_minidump_as_a_sigsegv_at_null() {
    let dir = TempDir::new("stackwalk-segv");
    let state = stackwalk_json(&tests::agent_minidump("segv", &dir.0));
    assert_eq!(state["status"], "OK");
    assert_threads_and_modules(&state);
    assert_eq!(state["crash_info"]["type"], "SIGSEGV / SEGV_MAPERR");
    assert_eq!(state["crash_info"]["address"], "0x0000000000000000");
    let thread = &state["threads"][crashing(&state)];
    assert_eq!(thread["thread_name"], "main");
    // The faulting write is the demo's own instruction.
    assert_eq!(thread["frames"][0]["module"], "demo");
}
