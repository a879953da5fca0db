//! Where a process comes from, when it is not the engine's own caller: each
//! host implements `memory::process::Process` and serves its crash through
//! `crash`. The agent (inside the crashed program) is a crate of its own.
//!
//! - [`coredump`]: a core file;
//! - [`minidump`]: minidumps, written from any process and read back;
//! - [`gcore`]: cores written from any process (the agent's, a ptrace
//!   snapshot);
//! - [`small_core`]: what a small core of a crash keeps (its report's
//!   walk, recorded);
//! - [`launch`]: a program pmdb starts under ptrace (`pmdb run`, `pmdb test`);
//! - [`ptrace`]: a running process pmdb did not start, stopped through ptrace
//!   for a snapshot;
//! - [`file_crash`]: the record of a crash read from a file without the
//!   agent's record (both file readers).
//!
//! Uses every layer.

pub mod coredump;
pub mod file_crash;
pub mod gcore;
pub mod launch;
pub mod minidump;
pub mod ptrace;
pub mod small_core;
