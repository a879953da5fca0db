//! `engine`: pmdb's inspection engine. Given a crashed process described by
//! the small [`Process`] interface (fault-safe memory reads, loaded objects)
//! and a [`Crash`] (the record and each thread's registers), it turns memory,
//! registers and DWARF into tracebacks, locals and Rust views, served as
//! lazy remote references through [`serve::Server`].
//!
//! It runs in two hosts: inside the crashed program (`debuggee-agent`,
//! reading its own memory) and inside `pmdb` (over a core file). It never
//! depends on either.
//!
//! The path of a request through the modules: [`serve`] → [`inspect`] →
//! [`traceback`] (via [`unwind`], [`symbols`], [`debuginfo`],
//! [`shared_dwarf`]) → [`variables`] → [`views`] / [`declared_views`] / [`std_views`] / [`crate_views`] / [`unsized_views`] / [`walk`]
//! → [`values`], reading memory only through [`memory`].

mod engine;

pub mod coredump;
pub mod crate_views;
pub mod debug_files;
pub mod debuginfo;
pub mod declared_views;
pub mod eval;
pub mod globals;
pub mod inspect;
pub mod memory;
pub mod objects;
pub mod page_cache;
pub mod place;
pub mod process;
pub mod record;
pub mod report;
pub mod serve;
pub mod shared_dwarf;
pub mod signal;
pub mod source;
pub mod std_views;
pub mod symbols;
pub mod tasks;
pub mod traceback;
pub mod types;
pub mod unavailable;
pub mod unsized_views;
pub mod unwind;
pub mod values;
pub mod variables;
pub mod views;
pub mod walk;

pub use engine::Engine;
pub use inspect::Inspector;
pub use process::{Crash, LaterCrash, Object, Process, RawFrame, Regs, Stack, Thread};
pub use unavailable::Unavailable;
