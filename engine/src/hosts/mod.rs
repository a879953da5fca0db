//! Where a process comes from, when it is not the engine's own caller: each
//! host implements `memory::process::Process` and serves its crash through
//! `crash`. The agent (inside the crashed program) is a crate of its own.
//! `coredump`: core files; `launch`: programs pmdb starts under ptrace.
//!
//! Uses every layer.

pub mod coredump;
pub mod launch;
