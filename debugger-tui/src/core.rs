//! Core files: the options that say where a core's executable, debug files
//! and sources are, and opening a core as a session. The engine runs inside
//! `pmdb`, served over the in-memory transport, so everything downstream
//! (TUI, report, DAP) sees the same `Session` a live crash gives.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::source::SourceArgs;

/// How to find what a core names.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CoreArgs {
    /// The executable that crashed, when not at the path the core names.
    #[arg(long, value_name = "PATH")]
    pub exe: Option<PathBuf>,
    /// A directory of separate debug files laid out like /usr/lib/debug
    /// (`.build-id/xx/rest.debug`); repeatable.
    #[arg(long = "debug-dir", value_name = "DIR")]
    pub debug_dirs: Vec<PathBuf>,
}

impl CoreArgs {
    /// The engine's options; `--substitute-path` (shared with the source
    /// options) rewrites the paths of the objects the core names too.
    pub fn options(&self, sources: &SourceArgs) -> engine::hosts::coredump::Options {
        engine::hosts::coredump::Options {
            exe: self.exe.clone(),
            debug_dirs: self.debug_dirs.clone(),
            substitute: sources.substitute_path.clone(),
            fetcher: crate::debuginfod::fetcher(),
        }
    }
}

/// Opens the core (or minidump) at `path` as a session.
pub fn open(
    path: &Path,
    options: &engine::hosts::coredump::Options,
) -> anyhow::Result<wire::Session> {
    if !path.exists() {
        anyhow::bail!("no such core file: {}", path.display());
    }
    if is_minidump(path) {
        return engine::hosts::minidump::open_session(path, options)
            .with_context(|| format!("cannot open {}", path.display()));
    }
    engine::hosts::coredump::open_session(path, options)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// Whether the file starts as a minidump does ("MDMP").
pub fn is_minidump(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"MDMP"
}

/// Opens a core with only an executable given (the DAP adapter's attach).
pub fn open_core(core: &Path, exe: Option<&Path>) -> anyhow::Result<wire::Session> {
    open(
        core,
        &engine::hosts::coredump::Options {
            exe: exe.map(Path::to_path_buf),
            fetcher: crate::debuginfod::fetcher(),
            ..Default::default()
        },
    )
}
