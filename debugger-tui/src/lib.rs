//! The `pmdb` debugger as a library, so its screens and report can be tested
//! without a terminal: [`report`] (the non-interactive dump), [`tui`] (state,
//! drawing, keys), [`target`], [`run`], [`list`] and [`core`] (core files)
//! for the commands, and [`dap`], the Debug Adapter for editors.

pub mod commands;
pub mod core;
pub mod dap;
pub mod list;
pub mod report;
pub mod run;
pub mod target;
pub mod tui;
