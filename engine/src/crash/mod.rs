//! One crash, inspected and served: the [`engine::Engine`] that keeps what
//! is learned of a process, the crash [`record`] and its [`signal`], the
//! [`traceback`]s, the [`inspect::Inspector`] that answers each request
//! (threads, frames, locals, tasks, expressions, [`source`] text, or the
//! lines a crash file [`carried`]), the
//! [`serve`] loop over any transport, and the [`report`] a client walks.
//!
//! Uses every layer below: `memory`, `dwarf`, `values`, `eval`, `tasks`.

pub mod carried;
pub mod engine;
pub mod inspect;
pub mod record;
pub mod report;
pub mod serve;
pub mod signal;
pub mod signature;
pub mod source;
pub mod stuck;
pub mod traceback;
pub mod triage;
