//! The core-file host: a core (the agent's, gdb's `gcore`'s, the kernel's,
//! systemd-coredump's zstd) described to the engine, so `pmdb` serves it
//! in-process through the same dispatcher, session and views as a live
//! crash. The executable is `--exe` or the one the core maps — fetched by
//! build-id (debuginfod's `/executable`) when that path is not on this
//! machine; every object is checked against the build-id the crashed
//! process had.

mod crash;
pub(crate) mod memory;
pub(crate) mod names;
pub(crate) mod objects;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use corefile::Core;

use crate::crash::carried::{self, CarriedSource};
use crate::crash::engine::Engine;
use crate::crash::inspect::Inspector;
use crate::crash::serve::Server;
use crate::dwarf::debug_files::Wanted;
use crate::memory::process::ReadError;
use crate::memory::process::{Crash, LaterCrash, Object, Process};

use self::memory::FileMapping;

pub use self::objects::build_id_in_notes;

/// How to open a core.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The executable, instead of the path the core names.
    pub exe: Option<PathBuf>,
    /// More roots of separate debug files, laid out like `/usr/lib/debug`.
    pub debug_dirs: Vec<PathBuf>,
    /// Path prefixes to rewrite (`FROM`, `TO`), for a core made elsewhere.
    pub substitute: Vec<(String, String)>,
    /// Who fetches a missing debug file by build-id (debuginfod).
    pub fetcher: crate::dwarf::debug_files::Fetcher,
}

impl Options {
    /// `path` with the first matching `FROM` prefix replaced by its `TO`.
    pub fn substituted(&self, path: &str) -> String {
        for (from, to) in &self.substitute {
            if let Some(rest) = path.strip_prefix(from.as_str())
                && (rest.is_empty() || rest.starts_with('/') || from.ends_with('/'))
            {
                return format!("{to}{rest}");
            }
        }
        path.to_string()
    }
}

/// Why a core cannot be opened; each says what to do in one line.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Core(#[from] corefile::CoreError),
    #[error("the core maps no executable pmdb can find; give it with --exe PATH")]
    NoExecutable,
    #[error(
        "the executable {0} is not on this machine; give it with --exe PATH or --substitute-path FROM=TO"
    )]
    MissingExecutable(String),
    #[error(
        "the executable {path} is not on this machine and {why}; give it with --exe PATH or --substitute-path FROM=TO"
    )]
    MissingExecutableFetch { path: String, why: String },
    #[error("the core was made by build-id {core}; {path} has {file}")]
    BuildId {
        core: String,
        path: String,
        file: String,
    },
    #[error("not a minidump pmdb can read: {0}")]
    Minidump(String),
    #[error("the minidump is truncated: {what} {needed} bytes, the file has {have}")]
    MinidumpTruncated {
        /// What is cut short, and its verb: "its streams need".
        what: &'static str,
        needed: u64,
        have: u64,
    },
    #[error("cannot serve the core: {0}")]
    Serve(String),
}

/// A core, as the engine reads it.
pub struct CoreProcess {
    core: Core,
    files: Vec<FileMapping>,
    objects: Vec<Object>,
    later: OnceLock<Vec<LaterCrash>>,
}

impl Process for CoreProcess {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        memory::read(&self.core, &self.files, addr, buf)
    }

    fn objects(&self) -> Vec<Object> {
        self.objects.clone()
    }

    fn later_crashes(&self) -> Vec<LaterCrash> {
        self.later.get().cloned().unwrap_or_default()
    }
}

/// Opens the core at `path`: its engine and its crash.
pub fn open(path: &Path, options: &Options) -> Result<(Arc<Engine>, Crash), OpenError> {
    open_carrying(path, options).map(|(engine, crash, _)| (engine, crash))
}

/// [`open`], with the source lines the core carries (a small core's note).
fn open_carrying(
    path: &Path,
    options: &Options,
) -> Result<(Arc<Engine>, Crash, CarriedSource), OpenError> {
    let core = Core::open(path)?;
    let carried = core
        .note(carried::NOTE_NAME, carried::NOTE_TYPE)
        .and_then(CarriedSource::from_bytes)
        .unwrap_or_default();
    let entry = core
        .auxv()
        .and_then(|a| a.iter().find(|(k, _)| *k == AT_ENTRY).map(|(_, v)| *v));
    let exe_in_core = entry.and_then(|e| {
        core.mapped_files()
            .iter()
            .find(|m| m.start <= e && e < m.end)
            .map(|m| m.path.clone())
    });
    let rename = |p: &str| match (&options.exe, &exe_in_core) {
        (Some(exe), Some(named)) if p == named => exe.to_string_lossy().into_owned(),
        _ => options.substituted(p),
    };
    let mut files = memory::map_files(&core, &rename);
    let objects = {
        let read = |a: u64, b: &mut [u8]| memory::read(&core, &files, a, b);
        // The build-id as the crashed process had it: from the core's own
        // bytes (the kernel always dumps an object's first page).
        let as_dumped = |a: u64, b: &mut [u8]| {
            core.read(a, b)
                .or_else(|_| {
                    memory::read(&core, &files, a, b).map_err(|_| corefile::Unreadable { addr: a })
                })
                .map_err(|e| ReadError::Unreadable(e.addr))
        };
        objects::objects(&files, &read, &as_dumped, entry)
    };
    let exe = objects
        .first()
        .filter(|o| o.main)
        .ok_or(OpenError::NoExecutable)?;
    // Not on this machine (a core opened elsewhere): the executable by
    // its build-id from the fetcher (debuginfod's `/executable`), its
    // bytes standing in for the missing file's.
    let mut debug_file = None;
    if !files.iter().any(|f| f.path == exe.path && f.data.is_some()) {
        let id = exe.build_id.as_deref();
        let fetched = match id.map(|id| options.fetcher.fetch(id, Wanted::Executable)) {
            Some(Ok(Some(p))) => p,
            Some(Err(why)) => {
                return Err(OpenError::MissingExecutableFetch {
                    path: exe.path.clone(),
                    why,
                });
            }
            _ => return Err(OpenError::MissingExecutable(exe.path.clone())),
        };
        let data = crate::dwarf::debug_files::map(&fetched)
            .map(Arc::new)
            .ok_or_else(|| OpenError::MissingExecutable(exe.path.clone()))?;
        for f in files.iter_mut().filter(|f| f.path == exe.path) {
            f.data = Some(data.clone());
        }
        debug_file = crate::dwarf::debug_files::find(&fetched, id, &options.debug_dirs);
    }
    for o in &objects {
        check_build_id(o, &files)?;
    }
    let process = Arc::new(CoreProcess {
        core,
        files,
        objects,
        later: OnceLock::new(),
    });
    let mut engine = Engine::new(process.clone())
        .with_debug_roots(options.debug_dirs.clone())
        .with_fetcher(options.fetcher.clone());
    if let Some(d) = debug_file {
        engine = engine.with_debug_file(d);
    }
    let engine = Arc::new(engine);
    let (crash, later) = crash::of_core(&process.core, &engine, path);
    let _ = process.later.set(later);
    Ok((engine, crash, carried))
}

/// The crash record an agent keeps in memory while it serves a crash, read
/// from any process (a `gcore` of it, a ptrace snapshot of it).
pub fn agent_record(engine: &Engine) -> Option<crate::crash::record::CrashRecord> {
    crash::from_static(engine)
}

/// Opens the core at `path` and serves it in-process: the same session a
/// live crash gives.
pub fn open_session(path: &Path, options: &Options) -> Result<wire::Session, OpenError> {
    let (engine, crash, carried) = open_carrying(path, options)?;
    serve_carrying(engine, crash, carried).map_err(|e| OpenError::Serve(e.to_string()))
}

/// Serves `crash` over the in-memory transport on a thread of its own.
pub fn serve_in_process(engine: Arc<Engine>, crash: Crash) -> Result<wire::Session, wire::Error> {
    serve_carrying(engine, crash, CarriedSource::default())
}

/// [`serve_in_process`], answering source requests from `carried`.
fn serve_carrying(
    engine: Arc<Engine>,
    crash: Crash,
    carried: CarriedSource,
) -> Result<wire::Session, wire::Error> {
    let server = Server::new(Inspector::new(engine, crash), Duration::from_secs(3600))
        .without_source("a core file carries no source text")
        .with_carried_source(carried)
        .without_saving("this is a core file already: copy the file to keep it");
    crate::crash::serve::in_process(server)
}

/// `AT_ENTRY`: the program's entry point in the auxiliary vector.
const AT_ENTRY: u64 = 9;

/// Refuses an object whose file here is not what the crashed process ran.
fn check_build_id(object: &Object, files: &[FileMapping]) -> Result<(), OpenError> {
    let Some(core_id) = &object.build_id else {
        return Ok(());
    };
    let Some(data) = files
        .iter()
        .find(|f| f.path == object.path)
        .and_then(|f| f.data.clone())
    else {
        return Ok(());
    };
    let file_id = object::File::parse(&**data).ok().and_then(|f| {
        object::Object::build_id(&f)
            .ok()
            .flatten()
            .map(<[u8]>::to_vec)
    });
    match file_id {
        Some(id) if &id != core_id => Err(OpenError::BuildId {
            core: crate::dwarf::debug_files::hex(core_id),
            path: object.path.clone(),
            file: crate::dwarf::debug_files::hex(&id),
        }),
        _ => Ok(()),
    }
}
