//! The agent's configuration, read once from the environment at `install()`:
//! `PMDB_MODE` (wait | report | core | minidump | off), `PMDB_DIR`,
//! `PMDB_WAIT`, `PMDB_CLIENT_TIMEOUT`, `PMDB_CORE` (small | full),
//! `PMDB_CORE_COMPRESS` and
//! `PMDB_SNAPSHOT` (`off`: the agent does not answer pmdb's request for a
//! live snapshot).

use std::path::PathBuf;
use std::time::Duration;

/// What the agent does when the program crashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Freeze the crashed thread and serve a debugger.
    Wait,
    /// Print the traceback with locals to stderr, then end as usual.
    Report,
    /// Save the crash as a core file in `PMDB_DIR`, then end as usual.
    Core,
    /// Save the crash as a minidump in `PMDB_DIR`, then end as usual.
    Minidump,
    /// Do nothing.
    Off,
}

/// What a core the agent saves holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CoreSize {
    /// The stacks and what the crash's report reads
    /// (`engine::hosts::small_core`): the default.
    #[default]
    Small,
    /// Every writable and anonymous mapping (`PMDB_CORE=full`).
    Full,
}

/// The configuration in force.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub dir: PathBuf,
    pub wait: Duration,
    /// How long one connection may stay silent before the agent closes it.
    pub client_timeout: Duration,
    /// How saved cores are stored (`PMDB_CORE_COMPRESS=zstd`: compressed).
    pub compression: corefile::Compression,
    /// What saved cores hold (`PMDB_CORE`).
    pub core: CoreSize,
    /// Whether the agent answers a request for a live snapshot
    /// (`wire::snapshot`); `PMDB_SNAPSHOT=off` turns it off.
    pub snapshots: bool,
}

/// The default wait for a debugger, in seconds.
pub const DEFAULT_WAIT_SECS: u64 = 600;

/// The default time a connected client may send nothing, in seconds.
pub const DEFAULT_CLIENT_TIMEOUT_SECS: u64 = 30;

/// `name` as positive seconds, else `default` (with a warning when set but bad).
fn seconds(name: &str, default: u64, zero_ok: bool) -> Duration {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| (*s > 0.0 || (zero_ok && *s == 0.0)) && s.is_finite() && *s < 1e9)
            .map_or_else(
                || {
                    eprintln!("pmdb: ignoring {name}={v:?} (expected seconds)");
                    Duration::from_secs(default)
                },
                Duration::from_secs_f64,
            ),
        Err(_) => Duration::from_secs(default),
    }
}

impl Config {
    /// Reads the environment. Unknown values fall back to the defaults with a
    /// warning on stderr, so a typo never disables crash output.
    pub fn from_env() -> Config {
        let mode = match std::env::var("PMDB_MODE").ok().as_deref() {
            Some("wait") => Mode::Wait,
            Some("report") => Mode::Report,
            Some("off") => Mode::Off,
            Some("core") => Mode::Core,
            Some("minidump") => Mode::Minidump,
            other => {
                if let Some(v) = other.filter(|v| !v.is_empty()) {
                    eprintln!(
                        "pmdb: ignoring PMDB_MODE={v:?} (expected wait, report, core, minidump or off)"
                    );
                }
                if stderr_is_terminal() {
                    Mode::Wait
                } else {
                    Mode::Report
                }
            }
        };
        let wait = seconds("PMDB_WAIT", DEFAULT_WAIT_SECS, true);
        // Zero would mean "no timeout" to the socket layer: refused.
        let client_timeout = seconds("PMDB_CLIENT_TIMEOUT", DEFAULT_CLIENT_TIMEOUT_SECS, false);
        let compression = match std::env::var("PMDB_CORE_COMPRESS").ok().as_deref() {
            Some("zstd") => corefile::Compression::Zstd,
            None | Some("") | Some("none") => corefile::Compression::None,
            Some(other) => {
                eprintln!("pmdb: ignoring PMDB_CORE_COMPRESS={other:?} (expected zstd or none)");
                corefile::Compression::None
            }
        };
        let core = match std::env::var("PMDB_CORE").ok().as_deref() {
            Some("full") => CoreSize::Full,
            None | Some("") | Some("small") => CoreSize::Small,
            Some(other) => {
                eprintln!("pmdb: ignoring PMDB_CORE={other:?} (expected small or full)");
                CoreSize::Small
            }
        };
        let snapshots = match std::env::var(wire::snapshot::SWITCH).ok().as_deref() {
            Some("off") => false,
            None | Some("") | Some("on") => true,
            Some(other) => {
                eprintln!(
                    "pmdb: ignoring {}={other:?} (expected on or off)",
                    wire::snapshot::SWITCH
                );
                true
            }
        };
        Config {
            mode,
            snapshots,
            dir: wire::socket::socket_dir(),
            wait,
            client_timeout,
            compression,
            core,
        }
    }
}

fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
