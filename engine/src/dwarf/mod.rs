//! What the bytes mean: the executable's DWARF ([`debuginfo`], found by
//! [`debug_files`]), its types ([`types`]), addresses to functions and lines
//! ([`symbols`]), statics and vtables ([`globals`]), shared objects' symbol
//! tables and DWARF ([`objects`], [`shared_dwarf`]), and the CFI unwinder
//! ([`unwind`]).
//!
//! Uses `memory` only.

pub mod debug_files;
pub mod debuginfo;
pub mod globals;
pub mod objects;
pub mod shared_dwarf;
pub mod symbols;
pub mod types;
pub mod unwind;
