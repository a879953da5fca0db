//! The `pmdb` debugger as a library, so its screens and report can be tested
//! without a terminal: [`report`] (the non-interactive dump), [`tui`] (state,
//! drawing, keys), [`target`], [`run`] and [`list`] for the commands.

pub mod commands;
pub mod dap;
pub mod list;
pub mod report;
pub mod run;
pub mod target;
pub mod tui;
