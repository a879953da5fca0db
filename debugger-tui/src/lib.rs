//! The `pmdb` debugger as a library, so its screens and report can be tested
//! without a terminal: [`report`] (the non-interactive dump), [`tui`] (state,
//! drawing, keys), [`target`], [`run`], [`cargo_test`] (`pmdb test`) and [`list`] for the
//! commands,
//! [`core`] for core files, [`live`] for running processes, [`save`] for
//! writing cores, [`remote`] and [`bridge`] for a crash on another
//! machine, [`source`] for where source text comes from, [`debuginfod`] for
//! fetching debug files by build-id, [`dap`] for editors.

pub mod bridge;
pub mod cargo_test;
pub mod commands;
pub mod core;
pub mod dap;
pub mod debuginfod;
pub mod evaluate;
pub mod group;
pub mod list;
pub mod live;
pub mod minidump;
pub mod remote;
pub mod report;
pub mod run;
pub mod save;
pub mod source;
pub mod stacks;
pub mod target;
pub mod tui;
