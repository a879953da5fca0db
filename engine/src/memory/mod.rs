//! The ground floor: the crashed process as bytes. What a host must tell the
//! engine ([`process::Process`]: fault-safe reads, loaded objects, threads
//! and their registers), the only door to its memory ([`read::Memory`],
//! with whole pages kept per request by [`page_cache`]), where a value's
//! bytes are ([`place::Place`]), and why they cannot be read
//! ([`unavailable::Unavailable`]).
//!
//! Uses nothing else of the engine.

pub mod page_cache;
pub mod place;
pub mod process;
pub mod read;
pub mod unavailable;
