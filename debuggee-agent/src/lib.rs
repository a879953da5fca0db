//! `debuggee_agent`: linked into a Rust program, it turns a crash into
//! something you can inspect. Call [`install`] once at the top of `main`;
//! when a thread panics, the agent records the crash, freezes that thread
//! where it stands and serves its state — traceback, frames, locals and
//! everything reachable from them — to `pmdb` over a local socket.
//!
//! The path of a crash through the modules: [`capture`] → [`server`] (with
//! [`inspect`]) → [`traceback`] → [`variables`] → [`views`] / [`values`],
//! reading memory only through [`memory`] and types through [`types`].
//!
//! Configuration is by environment: `PMDB_MODE` (`wait`, `report`, `off`),
//! `PMDB_DIR` (the socket directory) and `PMDB_WAIT` (seconds to wait).

pub mod capture;
pub mod config;
pub mod debuginfo;
pub mod freeze;
pub mod globals;
pub mod inspect;
pub mod memory;
pub mod objects;
pub mod place;
pub mod report;
pub mod server;
pub mod shared_dwarf;
pub mod signals;
pub mod std_views;
pub mod symbols;
pub mod traceback;
pub mod types;
pub mod unwind;
pub mod values;
pub mod variables;
pub mod views;
pub mod walk;

#[cfg(test)]
mod testing;

use std::sync::Once;

/// Installs the agent. Call it once, first thing in `main`; later calls do
/// nothing. Costs one environment read and one panic hook: nothing else
/// happens until a crash.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let config = config::Config::from_env();
        if config.mode != config::Mode::Off {
            freeze::install();
            signals::install(config.clone());
            capture::install(config);
        }
    });
}
