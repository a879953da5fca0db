//! What a thread is blocked in, from its frames: the innermost frames
//! (std's, libc's, parking_lot's, tokio's — runtime machinery) say the
//! kind of wait; a generic frame among them (`Mutex<T>::lock`, compiled
//! with the program's own debug info) names the lock through its `self`;
//! and the futex word the thread sleeps on (the first argument register
//! of the innermost frame, in the kernel at `futex(2)`) confirms it, or
//! stands in when no frame names the lock (an optimized build).

use wire::WaitKind;

use crate::dwarf::debuginfo::DebugInfo;
use crate::tasks::nav;
use crate::values::variables;
use crate::values::variables::Frame;
use crate::values::views::Val;
use crate::waits::locks::{self, Lock};

/// The first argument register (rdi) in DWARF numbering.
const RDI: usize = 5;

/// A thread's blocking call, as its frames show it.
#[derive(Debug, Clone)]
pub struct Blocked {
    pub kind: WaitKind,
    /// The lock waited on, where a frame names it.
    pub lock: Option<Lock>,
    /// The lock's key where only the futex word tells.
    pub key: Option<u64>,
    /// The innermost frame outside the blocking call: where the search
    /// for how the frames reach the lock starts.
    pub caller: usize,
    /// For a join: the joined thread's id.
    pub joined: Option<u64>,
    /// For a Condvar: its mutex, which the waiter does not hold meanwhile.
    pub releases: Option<Lock>,
    /// For a channel receive: the `Receiver`.
    pub receiver: Option<Val>,
    pub detail: Option<String>,
}

impl Blocked {
    pub fn key(&self) -> Option<u64> {
        self.lock.as_ref().map(|l| l.key).or(self.key)
    }
}

/// Markers of a blocking call, innermost first: a frame whose function
/// contains the text, and the kind of wait it is.
const LOW: &[(&str, WaitKind)] = &[
    ("mutex::futex::Mutex>::lock_contended", WaitKind::Mutex),
    ("mutex::futex::Mutex::lock_contended", WaitKind::Mutex),
    (
        "rwlock::futex::RwLock>::read_contended",
        WaitKind::RwLockRead,
    ),
    (
        "rwlock::futex::RwLock::read_contended",
        WaitKind::RwLockRead,
    ),
    (
        "rwlock::futex::RwLock>::write_contended",
        WaitKind::RwLockWrite,
    ),
    (
        "rwlock::futex::RwLock::write_contended",
        WaitKind::RwLockWrite,
    ),
    ("condvar::futex::Condvar>::wait", WaitKind::Condvar),
    ("condvar::futex::Condvar::wait", WaitKind::Condvar),
    ("once::futex::Once>::call", WaitKind::Once),
    ("once::futex::Once::call", WaitKind::Once),
    ("__pthread_clockjoin_ex", WaitKind::Join),
    ("pthread_join", WaitKind::Join),
    ("RawMutex>::lock_slow", WaitKind::ParkingLotMutex),
    ("RawMutex::lock_slow", WaitKind::ParkingLotMutex),
    (
        "RawRwLock>::lock_shared_slow",
        WaitKind::ParkingLotRwLockRead,
    ),
    (
        "RawRwLock::lock_shared_slow",
        WaitKind::ParkingLotRwLockRead,
    ),
    (
        "RawRwLock>::lock_upgradable_slow",
        WaitKind::ParkingLotRwLockRead,
    ),
    (
        "RawRwLock::lock_upgradable_slow",
        WaitKind::ParkingLotRwLockRead,
    ),
    (
        "RawRwLock>::lock_exclusive_slow",
        WaitKind::ParkingLotRwLockWrite,
    ),
    (
        "RawRwLock::lock_exclusive_slow",
        WaitKind::ParkingLotRwLockWrite,
    ),
    (
        "RawRwLock>::wait_for_readers",
        WaitKind::ParkingLotRwLockWrite,
    ),
    (
        "RawRwLock::wait_for_readers",
        WaitKind::ParkingLotRwLockWrite,
    ),
    ("std::thread::functions::park", WaitKind::Park),
    ("std::thread::park", WaitKind::Park),
    ("std::thread::functions::sleep", WaitKind::Sleep),
    ("std::thread::sleep", WaitKind::Sleep),
];

/// Calls that block through others (a tokio lock parks on a std Condvar,
/// a channel receive parks the thread): they decide the kind wherever
/// they stand among the blocking frames.
const HIGH: &[(&str, WaitKind)] = &[
    ("::blocking_lock", WaitKind::TokioMutex),
    ("::blocking_read", WaitKind::TokioRwLockRead),
    ("::blocking_write", WaitKind::TokioRwLockWrite),
    ("::blocking_recv", WaitKind::TokioMpscRecv),
    ("Receiver<T>::recv", WaitKind::ChannelRecv),
    ("Receiver<T>>::recv", WaitKind::ChannelRecv),
    ("Receiver<T>::recv_timeout", WaitKind::ChannelRecv),
];

/// A frame's variables, found once per search.
fn vars_of(dbg: &DebugInfo, frame: &Frame) -> Vec<variables::Var> {
    variables::frame_vars(dbg, frame).unwrap_or_default()
}

/// A variable named `name` followed through pointers to what it names.
fn pointee(dbg: &DebugInfo, vars: &[variables::Var], name: &str) -> Option<Val> {
    let v = vars.iter().find(|v| v.name == name && !v.shadowed)?;
    Some(nav::deref(dbg, &v.val).unwrap_or_else(|| v.val.clone()))
}

/// What thread `frames` is blocked in, or `None` when it is not blocked
/// in a call we know.
pub fn blocked(dbg: &DebugInfo, frames: &[Frame]) -> Option<Blocked> {
    // The blocking call is the runtime frames inside the user's code.
    let caller = frames.iter().position(|f| !f.info.runtime)?;
    let inner = &frames[..caller];
    let find = |table: &[(&str, WaitKind)]| {
        inner.iter().enumerate().find_map(|(i, f)| {
            table
                .iter()
                .find(|(text, _)| f.info.function.contains(text))
                .map(|&(_, kind)| (i, kind))
        })
    };
    let (marker, kind) = find(HIGH).or_else(|| find(LOW))?;
    // A tokio receive's kind depends on the channel: tokio's own or std's.
    let kind = match kind {
        WaitKind::TokioMpscRecv if inner[marker].info.function.contains("oneshot") => {
            WaitKind::TokioOneshotRecv
        }
        k => k,
    };
    let futex = futex_word(frames);
    let mut out = Blocked {
        kind,
        lock: None,
        key: None,
        caller,
        joined: None,
        releases: None,
        receiver: None,
        detail: None,
    };
    // The generic frames, from the marker out, whose `self` (or `this`)
    // is a lock of the family this kind waits on: the outermost names it
    // as the user wrote it (the `OnceLock` around the `Once`).
    for f in &inner[marker..] {
        if f.die.is_none() {
            continue;
        }
        let vars = vars_of(dbg, f);
        if kind == WaitKind::ChannelRecv && out.receiver.is_none() {
            out.receiver = pointee(dbg, &vars, "self")
                .filter(|v| nav::ty(dbg, v).is_some_and(|t| locks::base_name(&t) == "Receiver"));
            continue;
        }
        let found = ["self", "this"]
            .iter()
            .filter_map(|n| pointee(dbg, &vars, n))
            .find_map(|v| locks::lock(dbg, &v).filter(|l| l.family.serves(kind)));
        let Some(lock) = found else { continue };
        if out.lock.as_ref().is_some_and(|l| l.key != lock.key) {
            break;
        }
        if kind == WaitKind::Condvar && out.releases.is_none() {
            out.releases = pointee(dbg, &vars, "guard")
                .and_then(|g| nav::field(dbg, &g, "lock"))
                .and_then(|p| nav::deref(dbg, &p))
                .and_then(|m| locks::lock(dbg, &m));
        }
        out.lock = Some(lock);
    }
    if let Some(rx) = &out.receiver {
        out.detail = senders(dbg, rx);
    }
    match kind {
        WaitKind::Join => {
            // pthread_join sleeps on the joined thread's `tid` word, which
            // holds that thread's id while it runs.
            out.joined = futex
                .and_then(|w| dbg.mem.read_uint(w, 4).ok())
                .map(|tid| tid as u64)
                .filter(|&tid| tid != 0);
        }
        // std's futex locks sleep on their inner lock's first word, the key
        // (a writer of an RwLock on the word after it).
        WaitKind::Mutex | WaitKind::Condvar | WaitKind::Once | WaitKind::RwLockRead
            if out.lock.is_none() =>
        {
            out.key = futex;
        }
        _ => {}
    }
    if kind == WaitKind::Condvar
        && let Some(m) = &out.releases
    {
        out.detail = Some(format!("with its {} at {:#x}", m.what, m.address));
    }
    Some(out)
}

/// The futex word a thread sleeps on: the first argument of `futex(2)`,
/// in the innermost frame's registers when that frame is the system
/// call's (libc's `syscall` wrapper or its futex wait).
fn futex_word(frames: &[Frame]) -> Option<u64> {
    let first = frames.first()?;
    let f = first.info.function.as_str();
    let in_call = f == "syscall" || f.contains("futex");
    if !in_call {
        return None;
    }
    first.regs.get(RDI).filter(|&a| a != 0)
}

/// Whether `frames` run the initialiser of a `Once` (a `OnceLock`, a
/// `LazyLock`): std's `Once::call` stands among them *not* asleep in its
/// futex wait (the frame inside it is the init closure's), and a generic
/// frame outside it names the lock. The key of that `Once`, if so.
pub fn initialising(dbg: &DebugInfo, frames: &[Frame]) -> Vec<u64> {
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let name = f.info.function.as_str();
        if !(name.contains("once::futex::Once>::call") || name.contains("once::futex::Once::call"))
        {
            continue;
        }
        let asleep = i > 0 && frames[i - 1].info.function.contains("futex_wait");
        if asleep {
            continue;
        }
        for outer in &frames[i + 1..] {
            if outer.die.is_none() {
                continue;
            }
            let vars = vars_of(dbg, outer);
            let found = ["self", "this"]
                .iter()
                .filter_map(|n| pointee(dbg, &vars, n))
                .find_map(|v| locks::lock(dbg, &v).filter(|l| l.family == locks::Family::StdOnce));
            if let Some(lock) = found {
                out.push(lock.key);
                break;
            }
            if !outer.info.runtime {
                break;
            }
        }
    }
    out
}

/// How many senders a std mpsc channel has: its flavour's counter
/// (`counter::Counter { senders, .. }`) behind the receiver.
fn senders(dbg: &DebugInfo, rx: &Val) -> Option<String> {
    let flavor = nav::find(dbg, rx, "flavor", 2)?;
    let (_, chosen) = nav::variant(dbg, &flavor)?;
    let counter = nav::find(dbg, &chosen, "counter", 2)?;
    let counter = nav::deref(dbg, &counter)?;
    let n = nav::find(dbg, &counter, "senders", 1)?
        .place
        .word(&dbg.mem, 0)
        .ok()?;
    Some(match n {
        1 => "1 sender alive".to_string(),
        n => format!("{n} senders alive"),
    })
}
