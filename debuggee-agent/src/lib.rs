//! `debuggee_agent`: linked into a Rust program, it turns a crash into
//! something you can inspect. Call [`install`] once at the top of `main`;
//! when a thread panics or takes a fatal signal, the agent records the
//! crash, freezes the process where it stands and serves its state —
//! traceback, frames, locals and everything reachable from them — to `pmdb`
//! over a local socket.
//!
//! The agent captures, freezes and serves; everything that reads the frozen
//! process (DWARF, unwinding, types, values) is `pmdb-engine`'s, run over
//! this process through the live host. The path of a crash: `capture`
//! (panics) or `signals` (faults) → `respond` (the mode) → `freeze` →
//! `server`, with `live` describing this process to the engine.
//!
//! On request (`wire::snapshot`: pmdb asks when it may not trace the
//! program), the agent also serves a live snapshot: `snapshot` freezes the
//! other threads, serves, and lets them go when the debugger detaches.
//!
//! Configuration is by environment: `PMDB_MODE` (`wait`, `report`, `core`,
//! `off`), `PMDB_DIR` (the socket directory), `PMDB_WAIT` (seconds to wait)
//! and `PMDB_SNAPSHOT` (`off`: no live snapshots on request).

mod capture;
mod config;
mod freeze;
mod keep;
mod live;
mod registers;
mod report;
mod respond;
mod save;
mod server;
mod signals;
mod snapshot;
mod state;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod hostile_requests;

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
            snapshot::install(&config);
            signals::install(config.clone());
            capture::install(config);
        }
    });
}
