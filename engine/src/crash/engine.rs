//! The engine value: one crashed process (live or a core) and everything
//! learned about it so far — its unwind tables, the executable's DWARF with
//! its type and global caches, shared objects' DWARF and symbol tables. Two
//! engines can serve two processes side by side; nothing here is global.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use crate::dwarf::debuginfo::{DebugInfo, DebugInfoError};
use crate::dwarf::objects::SymbolTable;
use crate::dwarf::shared_dwarf;
use crate::dwarf::symbols::Located;
use crate::dwarf::unwind::Tables;
use crate::memory::process::{Object, Process};
use crate::memory::read::Memory;

/// Everything the engine knows of one process.
pub struct Engine {
    mem: Memory,
    tables: OnceLock<Tables>,
    exe: OnceLock<Result<DebugInfo, DebugInfoError>>,
    /// Where the executable's DWARF is, when given.
    debug_file: Option<PathBuf>,
    /// More roots of separate debug files (`--debug-dir`).
    debug_roots: Vec<PathBuf>,
    /// Who fetches a debug file by build-id when none is here (debuginfod).
    fetcher: crate::dwarf::debug_files::Fetcher,
    shared_dwarf: shared_dwarf::Cache,
    /// Shared objects' frames named by their symbol tables only.
    libraries_by_symbol: bool,
    symbol_tables: Mutex<HashMap<String, Arc<SymbolTable>>>,
    /// Lookup address → its logical frames, shared by every thread.
    symbolized: Symbolized,
    /// What the async task finder has learnt (`tasks`).
    tasks: crate::tasks::Caches,
}

/// The symbolisation cache: lookup address → logical frames.
pub(crate) type Symbolized = Mutex<HashMap<u64, Arc<Vec<Located>>>>;

impl Engine {
    /// An engine over `process`; nothing is read until asked for.
    pub fn new(process: Arc<dyn Process>) -> Engine {
        Engine {
            mem: Memory::new(process),
            tables: OnceLock::new(),
            exe: OnceLock::new(),
            debug_file: None,
            debug_roots: Vec::new(),
            fetcher: Default::default(),
            shared_dwarf: Default::default(),
            libraries_by_symbol: false,
            symbol_tables: Default::default(),
            symbolized: Default::default(),
            tasks: Default::default(),
        }
    }

    /// Reads the executable's DWARF from `path` (a separate debug file).
    pub fn with_debug_file(mut self, path: PathBuf) -> Engine {
        self.debug_file = Some(path);
        self
    }

    /// Looks for separate debug files under these roots too.
    pub fn with_debug_roots(mut self, roots: Vec<PathBuf>) -> Engine {
        self.debug_roots = roots;
        self
    }

    /// Names frames in shared objects (libc, …) by their symbol tables
    /// alone, never reading their DWARF: for a front that shows only the
    /// program's own frames (`pmdb test`), where libc's debug file (often
    /// compressed) would be read for two frames nobody sees.
    pub fn with_libraries_by_symbol(mut self) -> Engine {
        self.libraries_by_symbol = true;
        self
    }

    /// Whether shared objects' frames are named by symbol only.
    pub fn libraries_by_symbol(&self) -> bool {
        self.libraries_by_symbol
    }

    /// Asks `fetcher` for a debug file by build-id where none is here; only
    /// when an object's DWARF is first needed.
    pub fn with_fetcher(mut self, fetcher: crate::dwarf::debug_files::Fetcher) -> Engine {
        self.fetcher = fetcher;
        self
    }

    /// The fetcher given, if any.
    pub fn fetcher(&self) -> &crate::dwarf::debug_files::Fetcher {
        &self.fetcher
    }

    /// The process's memory.
    pub fn mem(&self) -> &Memory {
        &self.mem
    }

    /// The unwind tables of every loaded object, read on first use.
    pub fn tables(&self) -> &Tables {
        self.tables
            .get_or_init(|| Tables::load(&self.mem, self.mem.process().objects()))
    }

    /// The executable, as loaded.
    pub fn executable(&self) -> Option<&Object> {
        self.tables().objects().find(|o| o.main)
    }

    /// The executable's debug information, loaded on first use.
    pub fn debug_info(&self) -> Result<&DebugInfo, &DebugInfoError> {
        self.exe
            .get_or_init(|| {
                let exe = self.executable().ok_or(DebugInfoError::NoExecutable)?;
                let (path, missing) = match &self.debug_file {
                    Some(p) => (p.clone(), None),
                    None => match crate::dwarf::debug_files::find_or_fetch(
                        std::path::Path::new(&exe.path),
                        exe.build_id.as_deref(),
                        &self.debug_roots,
                        &self.fetcher,
                    ) {
                        Ok(p) => (p, None),
                        Err(why) => (PathBuf::from(&exe.path), why),
                    },
                };
                let mut dbg = DebugInfo::load(&path, exe.bias, self.mem.clone())?;
                dbg.missing = missing;
                Ok(dbg)
            })
            .as_ref()
    }

    /// Gives the pages of the executable's DWARF back (see `DebugInfo::trim`).
    pub fn trim(&self) {
        if let Some(Ok(dbg)) = self.exe.get() {
            dbg.trim();
        }
    }

    /// DWARF units parsed so far (0 before the debug info is loaded).
    pub fn units_parsed(&self) -> u64 {
        self.exe
            .get()
            .and_then(|r| r.as_ref().ok())
            .map_or(0, DebugInfo::units_parsed)
    }

    /// Addresses already symbolised, and their logical frames.
    pub(crate) fn symbolized(&self) -> &Symbolized {
        &self.symbolized
    }

    /// The async task finder's caches.
    pub(crate) fn task_caches(&self) -> &crate::tasks::Caches {
        &self.tasks
    }

    /// The DWARF frames at runtime addresses in a shared object (none when
    /// it is named by symbol only).
    pub fn shared_frames(&self, object: &Object, addrs: &[u64]) -> Vec<Vec<Located>> {
        if self.libraries_by_symbol {
            return vec![Vec::new(); addrs.len()];
        }
        shared_dwarf::frames(
            &self.shared_dwarf,
            &self.debug_roots,
            &self.fetcher,
            object,
            addrs,
        )
    }

    /// The symbol-table name of the function at runtime address `addr` in a
    /// shared object.
    pub fn symbol_in(&self, object: &Object, addr: u64) -> Option<String> {
        let table = self
            .symbol_tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(object.path.clone())
            .or_insert_with(|| Arc::new(crate::dwarf::objects::symbol_table(object)))
            .clone();
        crate::dwarf::objects::symbol_at(&table, object, addr)
    }
}
