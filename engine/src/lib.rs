//! `engine`: pmdb's inspection engine. Given a crashed process described by
//! the small [`Process`] interface (fault-safe memory reads, loaded objects)
//! and a [`Crash`] (the record and each thread's registers), it turns memory,
//! registers and DWARF into tracebacks, locals and Rust views, served as
//! lazy remote references through [`crash::serve::Server`].
//!
//! It runs in two hosts: inside the crashed program (`debuggee-agent`,
//! reading its own memory) and inside `pmdb` (over a core file, [`hosts`]).
//! It never depends on either.
//!
//! Its folders are its layers, from the ground up; each uses only those
//! listed before it:
//!
//! 1. [`memory`] — the process as bytes: `Process`, `Memory`, places, why
//!    a read fails;
//! 2. [`dwarf`] — what the bytes mean: debug info, types, symbols, statics,
//!    unwinding;
//! 3. [`values`] — values as a Rust programmer sees them: views of every
//!    family, previews, pages, frame variables;
//! 4. [`eval`] — the expression language over values;
//! 5. [`tasks`] — tokio's tasks and their awaited futures (beside `eval`:
//!    neither uses the other);
//! 6. [`waits`] — why it is stuck: what each thread and task waits on,
//!    who holds it, the deadlocks (over values and tasks);
//! 7. [`crash`] — one crash served: the `Engine`, tracebacks, the
//!    `Inspector`, the server, the record, the report;
//! 8. [`hosts`] — where a process comes from: core files, running
//!    processes (ptrace).

pub mod memory;

pub mod dwarf;

pub mod values;

pub mod eval;
pub mod tasks;

pub mod waits;

pub mod crash;

pub mod hosts;

pub use crash::engine::Engine;
pub use crash::inspect::Inspector;
pub use memory::process::{Crash, LaterCrash, Object, Process, RawFrame, Regs, Stack, Thread};
pub use memory::unavailable::Unavailable;
