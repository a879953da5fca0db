//! One generated crate of the size benchmark: its types and functions come
//! from its build script, the demo's (`demo/build.rs`); `touch_all` calls
//! every function, so the linker keeps them and their debug info describes
//! live code.

#![allow(dead_code)]

include!(concat!(env!("OUT_DIR"), "/big.rs"));
