//! What an idle tokio task waits on, from its chain of awaited futures:
//! the innermost future (a leaf such as tokio's `Acquire`, `Notified`,
//! `Sleep`, a oneshot `Receiver`, a `JoinHandle`, `Readiness`) and the
//! tokio async fns around it (`Mutex::lock`, `RwLock::write`,
//! `mpsc::Receiver::recv`) say the kind; their fields and locals say the
//! lock, channel, deadline or task.

use std::time::Duration;

use wire::WaitKind;

use crate::dwarf::debuginfo::DebugInfo;
use crate::tasks::{AsyncFrame, Task, nav};
use crate::values::views::Val;
use crate::waits::locks::{self, Lock};
use crate::waits::reach::Target;

/// A task's wait, as its futures show it.
#[derive(Debug, Clone)]
pub struct Awaiting {
    pub kind: WaitKind,
    pub what: String,
    pub lock: Option<Lock>,
    /// The key (a lock's) or the address (a Notify's, a channel's).
    pub address: Option<u64>,
    /// How to find it among the outer frames' locals.
    pub target: Option<TargetOwned>,
    /// The first frame outside tokio's own futures.
    pub caller: usize,
    /// For a JoinHandle: the awaited task's header.
    pub header: Option<u64>,
    pub detail: Option<String>,
    /// Say only the variable that reaches it (`listener`, not the path
    /// into tokio's registration inside it).
    pub root_only: bool,
}

/// A [`Target`] that owns its type name.
#[derive(Debug, Clone)]
pub enum TargetOwned {
    Lock(u64),
    At(u64, String),
    Holding(String, u64),
}

impl TargetOwned {
    pub fn borrow(&self) -> Target<'_> {
        match self {
            TargetOwned::Lock(k) => Target::Lock(*k),
            TargetOwned::At(a, n) => Target::At(*a, n),
            TargetOwned::Holding(n, w) => Target::Holding(n, *w),
        }
    }
}

/// A frame's own value's type, by its base name.
fn base(dbg: &DebugInfo, v: &Val) -> String {
    nav::ty(dbg, v)
        .map(|t| locks::base_name(&t).to_string())
        .unwrap_or_default()
}

/// A task frame's local by name, through pointers.
fn local(dbg: &DebugInfo, f: &AsyncFrame, name: &str) -> Option<Val> {
    let (_, v) = f.locals(dbg).into_iter().find(|(n, _)| n == name)?;
    Some(nav::deref(dbg, &v).unwrap_or(v))
}

/// What `task` waits on; `None` for a task that is not parked at a
/// future we know.
pub fn awaiting(dbg: &DebugInfo, task: &Task, now: Option<Duration>) -> Option<Awaiting> {
    let frames = &task.frames;
    let leaf = frames.first()?;
    let caller = frames
        .iter()
        .position(|f| f.held.is_some() && !f.function.starts_with("tokio::"))
        .unwrap_or(frames.len());
    let outer = |text: &str| {
        frames[..caller]
            .iter()
            .find(|f| f.function.starts_with("tokio::") && f.function.contains(text))
    };
    let future = leaf.future.clone()?;
    let leaf_base = if leaf.held.is_none() {
        base(dbg, &future)
    } else {
        String::new()
    };
    let mut out = Awaiting {
        kind: WaitKind::Other,
        what: leaf.function.to_string(),
        lock: None,
        address: None,
        target: None,
        caller,
        header: None,
        detail: None,
        root_only: false,
    };
    match leaf_base.as_str() {
        "Acquire" => {
            let key = nav::address(dbg, &nav::field(dbg, &future, "semaphore")?)?;
            let (kind, frame) = if let Some(f) = outer("tokio::sync::mutex::") {
                (WaitKind::TokioMutex, f)
            } else if let Some(f) =
                outer("tokio::sync::rwlock::").filter(|f| f.function.contains("::write"))
            {
                (WaitKind::TokioRwLockWrite, f)
            } else if let Some(f) = outer("tokio::sync::rwlock::") {
                (WaitKind::TokioRwLockRead, f)
            } else if let Some(f) = outer("tokio::sync::semaphore::") {
                (WaitKind::TokioSemaphore, f)
            } else {
                return None;
            };
            out.kind = kind;
            // The tokio frames around the leaf name the lock as `self`
            // (an async block inside them as `_ref__self`).
            let prefix = frame
                .function
                .split("::{")
                .next()
                .unwrap_or_default()
                .to_string();
            out.lock = frames[..caller]
                .iter()
                .filter(|f| f.function.starts_with(&prefix))
                .flat_map(|f| ["self", "_ref__self"].map(|n| local(dbg, f, n)))
                .flatten()
                .find_map(|v| locks::lock(dbg, &v).filter(|l| l.key == key));
            out.what = out
                .lock
                .as_ref()
                .map_or_else(|| "tokio::sync lock".to_string(), |l| l.what.clone());
            out.address = Some(key);
            out.target = Some(TargetOwned::Lock(key));
        }
        "Notified" => {
            let addr = nav::address(dbg, &nav::field(dbg, &future, "notify")?)?;
            out.kind = WaitKind::TokioNotify;
            out.what = "tokio::sync::Notify".into();
            out.address = Some(addr);
            out.target = Some(TargetOwned::At(addr, "Notify".into()));
        }
        "Sleep" => {
            out.kind = WaitKind::TokioSleep;
            out.what = "tokio::time::Sleep".into();
            let deadline = nav::field(dbg, &future, "deadline")?;
            let secs = nav::find(dbg, &deadline, "tv_sec", 4)?
                .place
                .word(&dbg.mem, 0)
                .ok()?;
            let nanos = nav::find(dbg, &deadline, "tv_nsec", 4)
                .and_then(|n| n.place.uint(&dbg.mem, 0, 4).ok())
                .unwrap_or(0) as u32;
            let deadline = Duration::new(secs, nanos);
            let started = runtime_start(dbg, &future);
            out.detail = Some(match (now, started) {
                (Some(now), _) if deadline >= now => {
                    format!("{} left", seconds(deadline - now))
                }
                (Some(now), _) => format!("its deadline passed {} ago", seconds(now - deadline)),
                (None, Some(start)) if deadline >= start => format!(
                    "its deadline is {} after the runtime started (the snapshot does not say when it was taken)",
                    seconds(deadline - start)
                ),
                (None, _) => format!(
                    "its deadline is {} on the monotonic clock (the snapshot does not say when it was taken)",
                    seconds(deadline)
                ),
            });
        }
        "JoinHandle" => {
            let raw = nav::field(dbg, &future, "raw")?;
            let header = nav::address(dbg, &nav::field(dbg, &raw, "ptr")?)?;
            out.kind = WaitKind::TokioJoin;
            out.what = leaf.function.to_string();
            out.header = Some(header);
            out.target = Some(TargetOwned::Holding("JoinHandle".into(), header));
        }
        "Receiver" => {
            let inner = future.place.word(&dbg.mem, 0).ok()?;
            out.kind = WaitKind::TokioOneshotRecv;
            out.what = format!("tokio::sync::oneshot::{}", leaf.function);
            out.address = Some(inner);
            out.target = Some(TargetOwned::Holding("Receiver".into(), inner));
        }
        "Readiness" => {
            let io = nav::address(dbg, &nav::field(dbg, &future, "scheduled_io")?)?;
            out.kind = WaitKind::TokioIo;
            out.what = "I/O readiness".into();
            out.address = Some(io);
            out.target = Some(TargetOwned::At(io, "ScheduledIo".into()));
            out.root_only = true;
            let interest = outer("registration::")
                .and_then(|f| local(dbg, f, "interest"))
                .and_then(|i| i.place.uint(&dbg.mem, 0, 1).ok());
            out.detail = interest.map(|bits| interest_words(bits as u8));
        }
        _ => {
            if let Some(f) = outer("tokio::sync::mpsc::").filter(|f| f.function.contains("::recv"))
            {
                let rx = local(dbg, f, "self")?;
                let addr = match rx.place {
                    crate::memory::place::Place::Mem(a) => a,
                    _ => return None,
                };
                out.kind = WaitKind::TokioMpscRecv;
                out.what = format!(
                    "tokio::sync::mpsc::{}",
                    nav::ty(dbg, &rx).map_or_else(
                        || "Receiver".into(),
                        |t| { crate::values::render::display_type(dbg, &t) }
                    )
                );
                out.address = Some(addr);
                out.target = Some(TargetOwned::At(addr, "Receiver".into()));
                out.detail = senders(dbg, &rx);
            } else {
                return None;
            }
        }
    }
    Some(out)
}

/// When the runtime a `Sleep` belongs to started its clock: the timer
/// driver's `time_source.start_time`, behind the sleep's runtime handle.
fn runtime_start(dbg: &DebugInfo, sleep: &Val) -> Option<Duration> {
    let handle = nav::field(dbg, sleep, "driver")?;
    let (_, flavour) = nav::variant(dbg, &handle)?;
    let arc = nav::field(dbg, &flavour, "__0")?;
    let inner = nav::deref(dbg, &arc)?;
    let inner = nav::field(dbg, &inner, "data").unwrap_or(inner);
    let source = nav::find_in_variants(dbg, &inner, "time_source", 4)?;
    let start = nav::find(dbg, &source, "start_time", 2)?;
    let secs = nav::find(dbg, &start, "tv_sec", 4)?
        .place
        .word(&dbg.mem, 0)
        .ok()?;
    let nanos = nav::find(dbg, &start, "tv_nsec", 4)?
        .place
        .uint(&dbg.mem, 0, 4)
        .ok()? as u32;
    Some(Duration::new(secs, nanos))
}

/// `3599 s`, `12.5 s`, `250 ms`.
fn seconds(d: Duration) -> String {
    if d >= Duration::from_secs(100) {
        format!("{} s", d.as_secs())
    } else if d >= Duration::from_secs(1) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// tokio's `Interest` bits in words.
fn interest_words(bits: u8) -> String {
    let names = [
        (1, "readable"),
        (2, "writable"),
        (4, "AIO"),
        (8, "LIO"),
        (16, "priority"),
        (32, "error"),
    ];
    let words: Vec<&str> = names
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if words.is_empty() {
        "no interest".into()
    } else {
        words.join(" or ")
    }
}

/// How many senders a tokio mpsc channel has (`Chan::tx_count`).
fn senders(dbg: &DebugInfo, rx: &Val) -> Option<String> {
    let chan = nav::find(dbg, rx, "inner", 3)?;
    let chan = nav::deref(dbg, &chan)?;
    let chan = nav::field(dbg, &chan, "data").unwrap_or(chan);
    let count = nav::find(dbg, &chan, "tx_count", 2)?;
    let n = count.place.word(&dbg.mem, 0).ok()?;
    Some(match n {
        1 => "1 sender alive".to_string(),
        n => format!("{n} senders alive"),
    })
}
