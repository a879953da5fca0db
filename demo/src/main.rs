//! `demo`: a program that crashes on purpose, one named scenario at a time,
//! so pmdb can be tried (`pmdb run -- demo bank`) and tested end to end.

mod bank;
#[cfg(feature = "big")]
mod big;
mod collections;
mod config;
mod corrupt;
mod crates;
mod declared;
mod hang;
mod ledger;
mod pool;
mod signals;
mod threads;
mod twice;
mod unsized_values;
mod values;

const SCENARIOS: &[(&str, &str, fn())] = &[
    (
        "bank",
        "a transfer between accounts panics three calls deep",
        bank::run,
    ),
    (
        "values",
        "a panic in a frame holding one local of every value kind",
        values::run,
    ),
    (
        "collections",
        "a panic in a frame holding std collections, smart pointers, cells and locks",
        collections::run,
    ),
    (
        "config",
        "a config parser panics on a line that is not `key = value`",
        config::run,
    ),
    (
        "crates",
        "a panic in a handler holding bytes, indexmap, smallvec, serde_json, uuid, locks and more",
        crates::run,
    ),
    (
        "declared",
        "a panic next to the demo's own types, viewed as demo/.pmdb/views.toml declares",
        declared::run,
    ),
    (
        "corrupt",
        "a panic next to garbage pointers, a corrupt length, a cycle and a 10M vector",
        corrupt::run,
    ),
    (
        "ledger",
        "a panic next to 10M postings, accounts and maps, for expressions",
        ledger::run,
    ),
    (
        "segv",
        "a write through a null pointer: SIGSEGV",
        signals::segv,
    ),
    ("abort", "std::process::abort(): SIGABRT", signals::abort),
    (
        "overflow",
        "unbounded recursion: a stack overflow",
        signals::overflow,
    ),
    ("fpe", "a hardware divide by zero: SIGFPE", signals::fpe),
    (
        "null-field",
        "a field read through a null pointer: SIGSEGV at the field's offset",
        signals::null_field,
    ),
    (
        "noncanonical",
        "a load from an address outside the 48-bit address space: SIGSEGV",
        signals::noncanonical,
    ),
    (
        "use-after-free",
        "a read of a freed 1 MiB vector: SIGSEGV in unmapped memory",
        signals::use_after_free,
    ),
    (
        "misaligned",
        "a load from an odd address with alignment checking on: SIGBUS",
        signals::misaligned,
    ),
    (
        "call-data",
        "a call into bytes on the stack: SIGSEGV, execute of non-code",
        signals::call_data,
    ),
    (
        "threads",
        "two workers wait while a third thread panics",
        threads::run,
    ),
    (
        "twice",
        "a second thread panics while the first crash is being served",
        twice::run,
    ),
    (
        "twice-cue",
        "a second thread panics, when a line arrives on stdin, while the first crash is being served",
        twice::run_on_cue,
    ),
    (
        "twice-segv",
        "a second thread faults while the first fault is being served",
        twice::run_segv,
    ),
    (
        "pool",
        "2,000 worker threads parked (`demo pool N` for N) while main panics",
        pool::run,
    ),
    (
        "unsized",
        "a panic next to unsized pointees, counted references and shadowed bindings",
        unsized_values::run,
    ),
    (
        "hang",
        "runs on, a waiter blocked on a channel until `quit` on stdin (status 3)",
        hang::run,
    ),
    ("ok", "exits normally with status 0", || {}),
];

fn main() {
    debuggee_agent::install();
    let name = std::env::args().nth(1).unwrap_or_default();
    #[cfg(feature = "big")]
    if name == "big" {
        return big::run();
    }
    match SCENARIOS.iter().find(|(n, _, _)| *n == name) {
        Some((_, _, run)) => run(),
        None => {
            eprintln!("usage: demo SCENARIO\n\nscenarios:");
            for (n, what, _) in SCENARIOS {
                eprintln!("  {n:<8} {what}");
            }
            std::process::exit(2);
        }
    }
}
