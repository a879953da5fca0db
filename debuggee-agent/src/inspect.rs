//! The crashed process as the server presents it: the crash record, its
//! threads, their symbolised tracebacks (computed on first request), and the
//! table of handles that remote references point into.

use std::sync::Mutex;

use wire::{
    CrashInfo, ErrorKind, FrameId, FrameInfo, Handle, Page, RemoteError, ThreadInfo, ValueInfo,
};

use crate::capture::RawFrame;
use crate::debuginfo::{self, DebugInfo};
use crate::traceback::{self, Frame};
use crate::values;
use crate::variables;
use crate::views::Val;

/// Most children one request may ask for.
pub const MAX_PAGE: u64 = 10_000;

/// Most handles the agent issues for one crash (a few hundred bytes each):
/// past it, values still come with their previews but without a handle, so
/// no client can grow the table without bound.
pub const MAX_HANDLES: usize = 1 << 20;

/// Everything known about one crash.
#[derive(Clone)]
pub struct Crash {
    pub info: CrashInfo,
    /// The crashed thread's machine frames, innermost first.
    pub frames: Vec<RawFrame>,
    /// The other threads, frozen while the crash is served (wait mode).
    pub others: Vec<crate::freeze::Stopped>,
}

/// A crash being inspected.
pub struct Inspector {
    pub crash: Crash,
    tracebacks: Mutex<std::collections::HashMap<u64, std::sync::Arc<Vec<Frame>>>>,
    handles: Mutex<Vec<Val>>,
}

type Reply<T> = Result<T, RemoteError>;

fn err(kind: ErrorKind, message: impl Into<String>) -> RemoteError {
    RemoteError::new(kind, message)
}

impl Inspector {
    pub fn new(crash: Crash) -> Inspector {
        Inspector {
            crash,
            tracebacks: Mutex::new(std::collections::HashMap::new()),
            handles: Mutex::new(Vec::new()),
        }
    }

    /// The calling thread as if it had just panicked with `message`: its
    /// machine frames captured here, no other threads. For tests, fuzzing
    /// and benchmarks that drive the real dispatcher in-process.
    pub fn of_current_thread(message: &str) -> Inspector {
        let frames = crate::capture::capture_frames();
        Inspector::new(Crash {
            info: CrashInfo {
                kind: wire::CrashKind::Panic,
                message: message.into(),
                payload_type: None,
                file: None,
                line: None,
                column: None,
                thread: crate::capture::current_tid(),
                thread_name: std::thread::current().name().unwrap_or("<unnamed>").into(),
                pid: std::process::id(),
                program: crate::capture::program_name(),
                time: 0,
            },
            frames,
            others: Vec::new(),
        })
    }

    fn debug_info(&self) -> Reply<&'static DebugInfo> {
        debuginfo::get().map_err(|e| err(ErrorKind::Unavailable, format!("<no debug info>: {e}")))
    }

    /// The crashed thread first, then the frozen ones by id, then threads
    /// that crashed while this crash was being served.
    pub fn threads(&self) -> Vec<ThreadInfo> {
        let later = crate::capture::later_crashes();
        let crashed_later = |tid: u64| later.iter().any(|c| c.info.thread == tid);
        let mut out = vec![ThreadInfo {
            id: self.crash.info.thread,
            name: self.crash.info.thread_name.clone(),
            crashed: true,
        }];
        out.extend(self.crash.others.iter().map(|t| ThreadInfo {
            id: t.tid,
            name: t.name.clone(),
            crashed: crashed_later(t.tid),
        }));
        for c in &later {
            if !out.iter().any(|t| t.id == c.info.thread) {
                out.push(ThreadInfo {
                    id: c.info.thread,
                    name: c.info.thread_name.clone(),
                    crashed: true,
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
            crate::capture::later_crashes()
                .into_iter()
                .map(|c| c.info)
                .filter(|c| c.thread != self.crash.info.thread),
        );
        out
    }

    fn frames(&self, thread: u64) -> Reply<std::sync::Arc<Vec<Frame>>> {
        let later = crate::capture::later_crashes();
        let raw = if thread == self.crash.info.thread {
            &self.crash.frames
        } else if let Some(c) = later.iter().find(|c| c.info.thread == thread) {
            // Where it crashed, rather than where it waits for its turn.
            &c.frames
        } else {
            match self.crash.others.iter().find(|t| t.tid == thread) {
                Some(t) => &t.frames,
                None => return Err(err(ErrorKind::NotFound, format!("no thread {thread}"))),
            }
        };
        let dbg = self.debug_info()?;
        let mut cache = self.tracebacks.lock().unwrap_or_else(|p| p.into_inner());
        Ok(cache
            .entry(thread)
            .or_insert_with(|| std::sync::Arc::new(traceback::symbolize(dbg, thread, raw)))
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

    /// A frame's variables.
    pub fn locals(&self, id: FrameId) -> Reply<Page> {
        let dbg = self.debug_info()?;
        let frames = self.frames(id.thread)?;
        let frame = frames
            .get(id.index as usize)
            .ok_or_else(|| err(ErrorKind::NotFound, format!("no frame {}", id.index)))?;
        let vars = variables::frame_vars(dbg, frame).map_err(|e| err(ErrorKind::Unavailable, e))?;
        let values: Vec<ValueInfo> = vars
            .into_iter()
            .map(|v| self.info(dbg, v.name, v.val))
            .collect();
        Ok(Page {
            start: 0,
            total: values.len() as u64,
            values,
        })
    }

    /// A page of a value's children.
    pub fn children(&self, handle: Handle, start: u64, count: u64) -> Reply<Page> {
        let dbg = self.debug_info()?;
        let val = self.val(handle)?;
        let total = values::describe(dbg, String::new(), &val).child_count;
        let values = values::children(dbg, &val, start, count.min(MAX_PAGE))
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
        let (full, die) =
            crate::globals::find_static(dbg, name).map_err(|e| err(ErrorKind::NotFound, e))?;
        let (addr, ty) = crate::globals::static_place(dbg, die)
            .ok_or_else(|| err(ErrorKind::Unavailable, format!("{full} has no address")))?;
        let info = self.info(
            dbg,
            name.to_string(),
            Val::new(crate::place::Place::Mem(addr), ty),
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
        let data = values::fetch(dbg, &val).map_err(|e| err(ErrorKind::Unavailable, e))?;
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
        let mut info = values::describe(dbg, name, &val);
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
