//! The crashed process as the server presents it: the crash record, its
//! threads, their symbolised tracebacks (computed on first request), and the
//! table of handles that remote references point into.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wire::{
    CrashInfo, ErrorKind, FrameId, FrameInfo, Handle, Page, RemoteError, ThreadInfo, ValueInfo,
};

use crate::crash::engine::Engine;
use crate::crash::traceback;
use crate::dwarf::debuginfo::DebugInfo;
use crate::memory::process::{Crash, RawFrame, Stack};
use crate::values::render;
use crate::values::variables::{self, Frame};
use crate::values::views::Val;

/// Most handles the agent issues for one crash (a few hundred bytes each):
/// past it, values still come with their previews but without a handle, so
/// no client can grow the table without bound.
pub const MAX_HANDLES: usize = 1 << 20;

/// Most machine frames unwound per thread.
pub const MAX_FRAMES: usize = 1024;

/// A crash being inspected.
pub struct Inspector {
    pub crash: Crash,
    engine: Arc<Engine>,
    tracebacks: Mutex<HashMap<u64, Arc<Vec<Frame>>>>,
    /// The async tasks, found on first request (the process is frozen).
    tasks: Mutex<Option<FoundTasks>>,
    /// Why each thread and task is stuck, found on first request.
    waits: Mutex<Option<Arc<wire::Waits>>>,
    handles: Mutex<Vec<Val>>,
}

type Reply<T> = Result<T, RemoteError>;

/// The async tasks as found, or why not.
type FoundTasks = Arc<Result<Vec<crate::tasks::Task>, crate::tasks::TasksError>>;

fn err(kind: ErrorKind, message: impl Into<String>) -> RemoteError {
    RemoteError::new(kind, message)
}

impl Inspector {
    pub fn new(engine: Arc<Engine>, crash: Crash) -> Inspector {
        Inspector {
            crash,
            engine,
            tracebacks: Mutex::new(HashMap::new()),
            tasks: Mutex::new(None),
            waits: Mutex::new(None),
            handles: Mutex::new(Vec::new()),
        }
    }

    /// The engine behind this inspection.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn debug_info(&self) -> Reply<&DebugInfo> {
        self.engine
            .debug_info()
            .map_err(|e| err(ErrorKind::Unavailable, format!("<no debug info>: {e}")))
    }

    /// The crashed thread first, then the others by id, then threads that
    /// crashed while this crash was being served.
    pub fn threads(&self) -> Vec<ThreadInfo> {
        let later = self.engine.mem().process().later_crashes();
        let crashed_later = |tid: u64| later.iter().any(|c| c.info.thread == tid);
        let process = self.engine.mem().process();
        // A snapshot of a running process has no crashed thread.
        let first_crashed = self.crash.info.kind != wire::CrashKind::Snapshot;
        let mut out: Vec<ThreadInfo> = self
            .crash
            .threads
            .iter()
            .enumerate()
            .map(|(i, t)| ThreadInfo {
                id: t.id,
                // A thread the freeze could not stop that crashed since is
                // named as its crash record names it.
                name: match t.name.split_once(" (not frozen: ") {
                    Some((name, _)) if crashed_later(t.id) => name.to_string(),
                    _ => t.name.clone(),
                },
                crashed: (i == 0 && first_crashed) || crashed_later(t.id),
                state: process.thread_state(t.id),
            })
            .collect();
        for c in &later {
            if !out.iter().any(|t| t.id == c.info.thread) {
                out.push(ThreadInfo {
                    id: c.info.thread,
                    name: c.info.thread_name.clone(),
                    crashed: true,
                    state: None,
                });
            }
        }
        out
    }

    /// Every crash record: this one first, then those that happened while it
    /// was being served.
    pub fn crashes(&self) -> Vec<CrashInfo> {
        let mut out = vec![self.crash.info.clone()];
        out.extend(
            self.engine
                .mem()
                .process()
                .later_crashes()
                .into_iter()
                .map(|c| c.info)
                .filter(|c| c.thread != self.crash.info.thread),
        );
        out
    }

    fn frames(&self, thread: u64) -> Reply<Arc<Vec<Frame>>> {
        if let Some(done) = self
            .tracebacks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&thread)
        {
            return Ok(done.clone());
        }
        let later = self.engine.mem().process().later_crashes();
        let is_crashed = self.crash.threads.first().is_some_and(|t| t.id == thread);
        let (raw, lasts): (Vec<RawFrame>, bool) = if let Some(c) = later
            .into_iter()
            .find(|c| c.info.thread == thread && !is_crashed)
        {
            // Where it crashed, rather than where it waits for its turn.
            (c.frames, true)
        } else {
            match self.crash.threads.iter().find(|t| t.id == thread) {
                Some(t) => (
                    match &t.stack {
                        Stack::Unwound(frames) => frames.clone(),
                        Stack::Regs(regs) => self.engine.tables().raw_frames(**regs, MAX_FRAMES),
                    },
                    // A thread the freeze could not stop may crash later:
                    // its frames then are its crash's, not these.
                    !t.name.contains(" (not frozen: "),
                ),
                None => return Err(err(ErrorKind::NotFound, format!("no thread {thread}"))),
            }
        };
        let dbg = self.debug_info()?;
        if !lasts {
            return Ok(Arc::new(traceback::symbolize(
                &self.engine,
                dbg,
                thread,
                &raw,
            )));
        }
        let mut cache = self.tracebacks.lock().unwrap_or_else(|p| p.into_inner());
        Ok(cache
            .entry(thread)
            .or_insert_with(|| Arc::new(traceback::symbolize(&self.engine, dbg, thread, &raw)))
            .clone())
    }

    /// A thread's frames, innermost first.
    pub fn traceback(&self, thread: u64) -> Reply<Vec<FrameInfo>> {
        Ok(self
            .frames(thread)?
            .iter()
            .map(|f| f.info.clone())
            .collect())
    }

    /// Lines of a source file this crash's frames name (see `source`).
    pub fn source(&self, path: &str, first: u32, last: u32) -> Reply<wire::SourceText> {
        let local = self.known_source(path)?;
        crate::crash::source::lines(path, &local, first, last)
    }

    /// Lines of a source file the crash's frames name, fetched by the
    /// executable's build-id (debuginfod's `/source/PATH`); `None` when
    /// there is no fetcher or no build-id to ask by.
    pub fn fetched_source(
        &self,
        path: &str,
        first: u32,
        last: u32,
    ) -> Option<Reply<wire::SourceText>> {
        let fetcher = self.engine.fetcher();
        fetcher.0.as_ref()?;
        let id = self.engine.executable()?.build_id.clone()?;
        let name = match self.known_source(path) {
            Ok(n) => n,
            Err(e) => return Some(Err(e)),
        };
        Some(
            match fetcher.fetch(&id, crate::dwarf::debug_files::Wanted::Source(&name)) {
                Ok(Some(file)) => {
                    crate::crash::source::lines(path, &file.to_string_lossy(), first, last)
                }
                Ok(None) => return None,
                Err(why) => Err(err(ErrorKind::Unavailable, why)),
            },
        )
    }

    /// The full name of a source file this crash's line tables name.
    fn known_source(&self, path: &str) -> Reply<String> {
        // The crashed thread's traceback, at least, names its files.
        let _ = self.frames(self.crash.info.thread);
        let known: Vec<String> = {
            let cache = self.tracebacks.lock().unwrap_or_else(|p| p.into_inner());
            cache
                .values()
                .flat_map(|frames| frames.iter().filter_map(|f| f.info.file.clone()))
                .chain(self.crash.info.file.clone())
                .collect()
        };
        crate::crash::source::resolve(path, known.iter().map(String::as_str)).ok_or_else(|| {
            err(
                ErrorKind::NotFound,
                format!("{path} is not a source file of this program"),
            )
        })
    }

    /// The registers of frame `id` as the unwinder knows them (see
    /// [`wire::Request::Registers`]).
    pub fn registers(&self, id: FrameId) -> Reply<Vec<wire::Register>> {
        if id.thread & wire::TASK_FRAMES != 0 {
            return Err(err(
                ErrorKind::NotFound,
                "a task's future is not a machine frame: it has no registers",
            ));
        }
        let frames = self.frames(id.thread)?;
        let frame = frames
            .get(id.index as usize)
            .ok_or_else(|| err(ErrorKind::NotFound, format!("no frame {}", id.index)))?;
        Ok(crate::memory::process::named_registers(&frame.regs))
    }

    /// A thread id, with `wire::CRASHED_THREAD` read as the crashed thread's.
    pub fn thread_named(&self, thread: u64) -> u64 {
        if thread == wire::CRASHED_THREAD {
            self.crash.info.thread
        } else {
            thread
        }
    }

    /// A frame id, with `wire::CRASHED_THREAD` and `wire::CRASHED_FRAME`
    /// read as the crashed thread and its innermost non-runtime frame.
    pub fn frame_named(&self, frame: FrameId) -> Reply<FrameId> {
        let thread = self.thread_named(frame.thread);
        if frame.index != wire::CRASHED_FRAME {
            return Ok(FrameId { thread, ..frame });
        }
        let frames = self.traceback(thread)?;
        let index = frames
            .iter()
            .find(|f| !f.runtime)
            .or(frames.first())
            .map_or(0, |f| f.id.index);
        Ok(FrameId { thread, index })
    }

    /// Every async task of every tokio runtime in the process, found once
    /// per inspection from the threads inside a runtime (see
    /// [`crate::tasks::Roots`]).
    fn found_tasks(&self) -> Reply<FoundTasks> {
        let dbg = self.debug_info()?;
        let mut cache = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(done) = &*cache {
            return Ok(done.clone());
        }
        let mut roots = crate::tasks::Roots::default();
        for t in &self.crash.threads {
            let Ok(frames) = self.frames(t.id) else {
                continue;
            };
            for f in frames.iter() {
                let Some(name) = roots.variable_in(&f.info.function) else {
                    continue;
                };
                if let Ok(vars) = variables::frame_vars(dbg, f)
                    && let Some(v) = vars.into_iter().find(|v| v.name == name)
                {
                    roots.inside.push(v.val);
                }
            }
        }
        // No thread inside a runtime: the crashed thread's own `Runtime`s.
        if roots.inside.is_empty()
            && let Ok(frames) = self.frames(self.crash.info.thread)
        {
            for f in frames.iter().filter(|f| !f.info.runtime) {
                for v in variables::frame_vars(dbg, f).unwrap_or_default() {
                    if self.engine.task_caches().holds_tokio_runtime(dbg, &v.val) {
                        roots.held.push(v.val);
                    }
                }
            }
        }
        let found = Arc::new(crate::tasks::find(dbg, self.engine.task_caches(), &roots));
        *cache = Some(found.clone());
        Ok(found)
    }

    /// The async tasks, each with its awaited futures as frames (their
    /// locals on request, through [`Inspector::locals`]); or why not.
    pub fn tasks(&self) -> Reply<wire::Tasks> {
        Ok(match &*self.found_tasks()? {
            Ok(tasks) => wire::Tasks {
                tasks: tasks
                    .iter()
                    .enumerate()
                    .map(|(position, task)| wire::TaskInfo {
                        id: task.id,
                        state: task.state.name().to_string(),
                        frames: task
                            .frames
                            .iter()
                            .enumerate()
                            .map(|(index, f)| wire::TaskFrame {
                                info: FrameInfo {
                                    id: FrameId {
                                        thread: wire::TASK_FRAMES | position as u64,
                                        index: index as u32,
                                    },
                                    function: f.function.to_string(),
                                    file: f.file.as_deref().map(str::to_string),
                                    line: f.line,
                                    column: None,
                                    pc: 0,
                                    inlined: false,
                                    runtime: false,
                                },
                            })
                            .collect(),
                    })
                    .collect(),
                unavailable: None,
            },
            Err(e) => wire::Tasks {
                tasks: Vec::new(),
                unavailable: Some(e.to_string()),
            },
        })
    }

    /// Why each thread and task is stuck, and the deadlocks (see
    /// [`crate::waits`]): found once per inspection, from every thread's
    /// frames and every task's futures.
    pub fn waits(&self) -> Reply<wire::Waits> {
        if let Some(done) = &*self.waits.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok((**done).clone());
        }
        let dbg = self.debug_info()?;
        let frames: Vec<(u64, Arc<Vec<Frame>>)> = self
            .crash
            .threads
            .iter()
            .filter_map(|t| Some((t.id, self.frames(t.id).ok()?)))
            .collect();
        let found = self.found_tasks()?;
        let input = crate::waits::Input {
            dbg,
            threads: frames.iter().map(|(id, f)| (*id, f.as_slice())).collect(),
            tasks: match &*found {
                Ok(tasks) => Ok(tasks.as_slice()),
                Err(e) => Err(e.to_string()),
            },
            now: self.engine.mem().process().monotonic_now(),
        };
        let waits = Arc::new(crate::waits::find(&input));
        *self.waits.lock().unwrap_or_else(|p| p.into_inner()) = Some(waits.clone());
        Ok((*waits).clone())
    }

    /// The locals a task frame holds across its await.
    fn task_locals(&self, id: FrameId) -> Reply<Page> {
        let dbg = self.debug_info()?;
        let found = self.found_tasks()?;
        let position = (id.thread & !wire::TASK_FRAMES) as usize;
        let frame = found
            .as_ref()
            .as_ref()
            .ok()
            .and_then(|tasks| tasks.get(position))
            .and_then(|t| t.frames.get(id.index as usize))
            .ok_or_else(|| {
                err(
                    ErrorKind::NotFound,
                    format!("no task frame {position}.{}", id.index),
                )
            })?;
        let values: Vec<ValueInfo> = frame
            .locals(dbg)
            .into_iter()
            .map(|(name, val)| self.info(dbg, name, val))
            .collect();
        Ok(Page {
            start: 0,
            total: values.len() as u64,
            values,
        })
    }

    /// A frame's variables.
    pub fn locals(&self, id: FrameId) -> Reply<Page> {
        if id.thread & wire::TASK_FRAMES != 0 {
            return self.task_locals(id);
        }
        let dbg = self.debug_info()?;
        if let (false, Some(why)) = (dbg.has_dwarf, &dbg.missing) {
            return Err(err(
                ErrorKind::Unavailable,
                format!("<no debug info>: {why}"),
            ));
        }
        let frames = self.frames(id.thread)?;
        let frame = frames
            .get(id.index as usize)
            .ok_or_else(|| err(ErrorKind::NotFound, format!("no frame {}", id.index)))?;
        let mut vars = variables::frame_vars(dbg, frame)
            .map_err(|e| err(ErrorKind::Unavailable, e.to_string()))?;
        // An async fn's body (its poll, with `_task_context`) has DWARF
        // for each argument twice: the upvar of its state machine and the
        // argument's binding. Each is listed once.
        if vars.iter().any(|v| v.name == "_task_context") {
            let mut seen: Vec<(String, Option<crate::dwarf::debuginfo::DieRef>)> = Vec::new();
            vars.retain(|v| {
                let key = (v.name.clone(), v.val.ty);
                let fresh = !seen.contains(&key);
                seen.push(key);
                fresh
            });
        }
        let values: Vec<ValueInfo> = vars
            .into_iter()
            .map(|v| ValueInfo {
                shadowed: v.shadowed,
                ..self.info(dbg, v.name, v.val)
            })
            .collect();
        Ok(Page {
            start: 0,
            total: values.len() as u64,
            values,
        })
    }

    /// An expression evaluated in a frame (see [`crate::eval`]), as a
    /// one-value page named `expr`; errors point at their column.
    pub fn eval(&self, id: FrameId, expr: &str) -> Reply<Page> {
        let dbg = self.debug_info()?;
        let frames = self.frames(id.thread)?;
        let frame = frames
            .get(id.index as usize)
            .ok_or_else(|| err(ErrorKind::NotFound, format!("no frame {}", id.index)))?;
        // The frame's variables, found once and only when a name needs them.
        let vars = std::cell::OnceCell::new();
        let local = |name: &str| {
            vars.get_or_init(|| variables::frame_vars(dbg, frame).unwrap_or_default())
                .iter()
                .find(|v: &&variables::Var| v.name == name && !v.shadowed)
                .map(|v| v.val.clone())
        };
        let val = crate::eval::evaluate(dbg, &local, expr).map_err(|e| {
            use crate::eval::EvalError as E;
            let kind = match &e {
                E::Syntax { .. } | E::Invalid { .. } => ErrorKind::BadRequest,
                E::NotFound { .. } => ErrorKind::NotFound,
                E::Unavailable { .. } => ErrorKind::Unavailable,
            };
            RemoteError::at_column(kind, e.to_string(), e.column(expr))
        })?;
        Ok(Page {
            start: 0,
            total: 1,
            values: vec![self.info(dbg, expr.to_string(), val)],
        })
    }

    /// A page of a value's children.
    pub fn children(&self, handle: Handle, start: u64, count: u64) -> Reply<Page> {
        let dbg = self.debug_info()?;
        let val = self.val(handle)?;
        let total = render::describe(dbg, String::new(), &val).child_count;
        let values = render::children(dbg, &val, start, count.min(render::MAX_PAGE))
            .into_iter()
            .map(|(name, v)| self.info(dbg, name, v))
            .collect();
        Ok(Page {
            start,
            total,
            values,
        })
    }

    /// A `static` by name, as a one-value page.
    pub fn static_value(&self, name: &str) -> Reply<Page> {
        let dbg = self.debug_info()?;
        let (full, die) = crate::dwarf::globals::find_static(dbg, name)
            .map_err(|e| err(ErrorKind::NotFound, e.to_string()))?;
        let (addr, ty) = crate::dwarf::globals::static_place(dbg, die)
            .ok_or_else(|| err(ErrorKind::Unavailable, format!("{full} has no address")))?;
        let info = self.info(
            dbg,
            name.to_string(),
            Val::new(crate::memory::place::Place::Mem(addr), ty),
        );
        Ok(Page {
            start: 0,
            total: 1,
            values: vec![info],
        })
    }

    /// The whole value, MessagePack-encoded.
    pub fn fetch(&self, handle: Handle) -> Reply<Vec<u8>> {
        let dbg = self.debug_info()?;
        let val = self.val(handle)?;
        let data =
            render::fetch(dbg, &val).map_err(|e| err(ErrorKind::Unavailable, e.to_string()))?;
        wire::frame::encode(&data).map_err(|e| err(ErrorKind::Internal, e.to_string()))
    }

    fn val(&self, handle: Handle) -> Reply<Val> {
        let handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        handle
            .checked_sub(1)
            .and_then(|i| handles.get(i as usize))
            .cloned()
            .ok_or_else(|| err(ErrorKind::UnknownHandle, format!("unknown handle {handle}")))
    }

    fn info(&self, dbg: &DebugInfo, name: String, val: Val) -> ValueInfo {
        let mut info = render::describe(dbg, name, &val);
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        if handles.len() >= MAX_HANDLES {
            info.handle = None;
            return info;
        }
        handles.push(val);
        info.handle = Some(handles.len() as Handle);
        info
    }
}
