//! The little state the agent's parts share across a crash: whether a panic
//! was already served, the agent's signal thread, when the process froze,
//! and the crashes recorded while another was being served. A leaf: it imports no other agent module.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use engine::LaterCrash;

/// A panic was already served; the abort that follows (`panic = "abort"`) is
/// part of that crash, not a new one.
static PANIC_SERVED: AtomicBool = AtomicBool::new(false);
/// The id of the agent's signal thread (0 before it runs).
static AGENT_TID: AtomicU64 = AtomicU64::new(0);
/// This machine's monotonic clock (ns) when the last crash froze the
/// process (0 before any).
static FROZEN_AT: AtomicU64 = AtomicU64::new(0);
/// Panics that happened while another crash was being served.
static LATER: Mutex<Vec<LaterCrash>> = Mutex::new(Vec::new());
/// Other sources of such crashes (the signal path's slots, converted on read).
static SOURCES: Mutex<Vec<LaterSource>> = Mutex::new(Vec::new());

/// A function that lists crashes recorded elsewhere.
pub type LaterSource = fn() -> Vec<LaterCrash>;

pub fn note_panic_served() {
    PANIC_SERVED.store(true, Ordering::SeqCst);
}

pub fn panic_served() -> bool {
    PANIC_SERVED.load(Ordering::SeqCst)
}

pub fn set_agent_tid(tid: u64) {
    AGENT_TID.store(tid, Ordering::SeqCst);
}

pub fn agent_tid() -> u64 {
    AGENT_TID.load(Ordering::SeqCst)
}

/// Notes that the process freezes now, for the time left of its sleeps.
pub fn note_frozen() {
    if let Some(now) = engine::memory::process::monotonic_clock() {
        let ns = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        FROZEN_AT.store(ns.max(1), Ordering::SeqCst);
    }
}

/// When the process last froze for a crash, on the monotonic clock.
pub fn frozen_at() -> Option<std::time::Duration> {
    match FROZEN_AT.load(Ordering::SeqCst) {
        0 => None,
        ns => Some(std::time::Duration::from_nanos(ns)),
    }
}

/// Records a crash that must wait its turn.
pub fn push_later(crash: LaterCrash) {
    LATER.lock().unwrap_or_else(|p| p.into_inner()).push(crash);
}

/// Forgets the waiting crash of thread `tid` (its turn has come).
pub fn forget_later(tid: u64) {
    LATER
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|c| c.info.thread != tid);
}

/// Adds a source of later crashes.
pub fn add_later_source(source: LaterSource) {
    SOURCES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(source);
}

/// Every crash recorded while another was being served.
pub fn later() -> Vec<LaterCrash> {
    let mut out = LATER.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let sources = SOURCES.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for source in sources {
        out.extend(source());
    }
    out
}
