//! The agent's configuration, read once from the environment at `install()`:
//! `PMDB_MODE` (wait | report | off), `PMDB_DIR` and `PMDB_WAIT`.

use std::path::PathBuf;
use std::time::Duration;

/// What the agent does when the program crashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Freeze the crashed thread and serve a debugger.
    Wait,
    /// Print the traceback with locals to stderr, then end as usual.
    Report,
    /// Do nothing.
    Off,
}

/// The configuration in force.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub dir: PathBuf,
    pub wait: Duration,
}

/// The default wait for a debugger, in seconds.
pub const DEFAULT_WAIT_SECS: u64 = 600;

impl Config {
    /// Reads the environment. Unknown values fall back to the defaults with a
    /// warning on stderr, so a typo never disables crash output.
    pub fn from_env() -> Config {
        let mode = match std::env::var("PMDB_MODE").ok().as_deref() {
            Some("wait") => Mode::Wait,
            Some("report") => Mode::Report,
            Some("off") => Mode::Off,
            other => {
                if let Some(v) = other.filter(|v| !v.is_empty()) {
                    eprintln!("pmdb: ignoring PMDB_MODE={v:?} (expected wait, report or off)");
                }
                if stderr_is_terminal() {
                    Mode::Wait
                } else {
                    Mode::Report
                }
            }
        };
        let wait = match std::env::var("PMDB_WAIT") {
            Ok(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| *s >= 0.0 && s.is_finite())
                .map_or_else(
                    || {
                        eprintln!("pmdb: ignoring PMDB_WAIT={v:?} (expected seconds)");
                        Duration::from_secs(DEFAULT_WAIT_SECS)
                    },
                    Duration::from_secs_f64,
                ),
            Err(_) => Duration::from_secs(DEFAULT_WAIT_SECS),
        };
        Config {
            mode,
            dir: wire::socket::socket_dir(),
            wait,
        }
    }
}

fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
