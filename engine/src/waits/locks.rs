//! Locks and guards recognised in typed memory, each by its layout (the
//! field names rustc's DWARF gives it) rather than by a name alone: std's
//! `Mutex`/`RwLock`/`Condvar`/`Once`/`OnceLock`/`LazyLock`, lock_api's
//! (parking_lot's) `Mutex`/`RwLock`, tokio's `Mutex`/`RwLock`/`Semaphore`.
//!
//! A lock is known by its *key*: the address of the part that threads wait
//! on (std's inner futex lock, lock_api's raw lock, tokio's semaphore), so
//! a waiter's futex word, a guard's pointer and a lock reached from a frame
//! all meet at the same number whichever way they were found.

use wire::WaitKind;

use crate::dwarf::debuginfo::DebugInfo;
use crate::dwarf::types::{Kind, Type};
use crate::tasks::nav;
use crate::values::views::Val;

/// A lock family: which kind of lock a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    StdMutex,
    StdRwLock,
    StdCondvar,
    StdOnce,
    ParkingLotMutex,
    ParkingLotRwLock,
    TokioMutex,
    TokioRwLock,
    TokioSemaphore,
}

impl Family {
    /// Whether a waiter of `kind` waits on a lock of this family.
    pub fn serves(self, kind: WaitKind) -> bool {
        use WaitKind as K;
        match self {
            Family::StdMutex => kind == K::Mutex,
            Family::StdRwLock => matches!(kind, K::RwLockRead | K::RwLockWrite),
            Family::StdCondvar => kind == K::Condvar,
            Family::StdOnce => kind == K::Once,
            Family::ParkingLotMutex => kind == K::ParkingLotMutex,
            Family::ParkingLotRwLock => {
                matches!(kind, K::ParkingLotRwLockRead | K::ParkingLotRwLockWrite)
            }
            Family::TokioMutex => kind == K::TokioMutex,
            Family::TokioRwLock => matches!(kind, K::TokioRwLockRead | K::TokioRwLockWrite),
            Family::TokioSemaphore => kind == K::TokioSemaphore,
        }
    }
}

/// A lock found in memory.
#[derive(Debug, Clone)]
pub struct Lock {
    pub family: Family,
    pub key: u64,
    /// The lock value's own address.
    pub address: u64,
    /// Its type as a Rust programmer writes it (`Mutex<Account>`).
    pub what: String,
}

/// The type's own name without its path or parameters (`Mutex`).
pub fn base_name(ty: &Type) -> &str {
    let generic = ty.name.split('<').next().unwrap_or_default();
    generic.rsplit("::").next().unwrap_or_default()
}

fn field_names(ty: &Type) -> Vec<&str> {
    match &ty.kind {
        Kind::Struct {
            fields,
            variants: None,
        } => fields.iter().map(|f| f.name.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// `v` as a lock, when its layout is one we know.
pub fn lock(dbg: &DebugInfo, v: &Val) -> Option<Lock> {
    let crate::memory::place::Place::Mem(address) = v.place else {
        return None;
    };
    let ty = nav::ty(dbg, v)?;
    let names = field_names(&ty);
    let has = |n: &str| names.contains(&n);
    let base = base_name(&ty);
    let at = |name: &str| ty.field(name).map(|f| address + f.offset);
    let data = || {
        ty.param("T")
            .map(|t| crate::values::render::display_type(dbg, &crate::dwarf::types::get(dbg, t)))
            .unwrap_or_else(|| "_".into())
    };
    let (family, key, what) = match base {
        "Mutex" if has("inner") && has("poison") && has("data") => {
            (Family::StdMutex, at("inner")?, format!("Mutex<{}>", data()))
        }
        "RwLock" if has("inner") && has("poison") && has("data") => (
            Family::StdRwLock,
            at("inner")?,
            format!("RwLock<{}>", data()),
        ),
        "Condvar" if has("inner") => (Family::StdCondvar, at("inner")?, "Condvar".to_string()),
        "Once" if has("inner") => (Family::StdOnce, at("inner")?, "Once".to_string()),
        "OnceLock" | "LazyLock" if has("once") => {
            let once = lock(dbg, &nav::field(dbg, v, "once")?)?;
            (Family::StdOnce, once.key, format!("{base}<{}>", data()))
        }
        "Mutex" if has("raw") && has("data") => (
            Family::ParkingLotMutex,
            at("raw")?,
            format!("parking_lot::Mutex<{}>", data()),
        ),
        "RwLock" if has("raw") && has("data") => (
            Family::ParkingLotRwLock,
            at("raw")?,
            format!("parking_lot::RwLock<{}>", data()),
        ),
        "Mutex" if has("s") && has("c") => (
            Family::TokioMutex,
            at("s")?,
            format!("tokio::sync::Mutex<{}>", data()),
        ),
        "RwLock" if has("mr") && has("s") && has("c") => (
            Family::TokioRwLock,
            at("s")?,
            format!("tokio::sync::RwLock<{}>", data()),
        ),
        "Semaphore" if has("ll_sem") => (
            Family::TokioSemaphore,
            at("ll_sem")?,
            "tokio::sync::Semaphore".to_string(),
        ),
        _ => return None,
    };
    Some(Lock {
        family,
        key,
        address,
        what,
    })
}

/// A guard found in memory: the key of the lock it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    pub key: u64,
    /// Held for writing (or a mutex): one holder at a time.
    pub exclusive: bool,
}

/// `v` as a lock guard (or `Some` of one), when its layout is one we know.
pub fn guard(dbg: &DebugInfo, v: &Val) -> Option<Guard> {
    let ty = nav::ty(dbg, v)?;
    let base = base_name(&ty);
    if base == "Option" {
        let (variant, val) = nav::variant(dbg, v)?;
        if nav::variant_name(dbg, &variant) != "Some" {
            return None;
        }
        return guard(dbg, &nav::field(dbg, &val, "__0")?);
    }
    if !base.ends_with("Guard") {
        return None;
    }
    let names = field_names(&ty);
    let has = |n: &str| names.contains(&n);
    let exclusive = !base.contains("Read");
    // A pointer field to the lock itself.
    let through = |name: &str| -> Option<Guard> {
        let target = nav::deref(dbg, &nav::field(dbg, v, name)?)?;
        let target = arc_data(dbg, &target).unwrap_or(target);
        Some(Guard {
            key: lock(dbg, &target)?.key,
            exclusive,
        })
    };
    // A pointer field to the lock's inner part, which is its key.
    let key_in = |name: &str| -> Option<Guard> {
        let key = nav::address(dbg, &nav::field(dbg, v, name)?)?;
        (key != 0).then_some(Guard { key, exclusive })
    };
    match base {
        // std: `MutexGuard { lock, poison }`, `RwLockWriteGuard { lock, poison }`.
        _ if has("lock") && has("poison") => through("lock"),
        // std: `RwLockReadGuard { data, inner_lock }`.
        "RwLockReadGuard" if has("inner_lock") => key_in("inner_lock"),
        // lock_api: `MutexGuard { mutex, marker }`, `RwLock*Guard { rwlock, marker }`.
        _ if has("mutex") => through("mutex"),
        _ if has("rwlock") => through("rwlock"),
        // tokio: `MutexGuard { lock }`, `OwnedMutexGuard { lock: Arc<Mutex> }`.
        _ if has("lock") => through("lock"),
        // tokio: `RwLockReadGuard { s, data, .. }`, `RwLockWriteGuard { s, .. }`.
        _ if has("s") && has("data") => key_in("s"),
        _ => None,
    }
}

/// Through an `ArcInner { strong, weak, data }` to its data.
fn arc_data(dbg: &DebugInfo, v: &Val) -> Option<Val> {
    let ty = nav::ty(dbg, v)?;
    if base_name(&ty) != "ArcInner" {
        return None;
    }
    nav::field(dbg, v, "data")
}

/// Whether the lock with `key` is taken at all, where its state word
/// says: `Some(false)` for a lock nobody holds (a guard of it is stale:
/// moved away or dropped), `None` when the state is not read.
pub fn taken(dbg: &DebugInfo, family: Family, key: u64) -> Option<bool> {
    match family {
        // The futex word: 0 unlocked (a writer, readers or a waiter otherwise).
        Family::StdMutex | Family::StdRwLock => Some(dbg.mem.read_uint(key, 4).ok()? != 0),
        // lock_api's raw state: bit 0 is LOCKED (the mutex), and for the
        // RwLock any reader, writer or upgradable bit above the parked ones.
        Family::ParkingLotMutex => Some(dbg.mem.read_uint(key, 1).ok()? & 1 != 0),
        Family::ParkingLotRwLock => Some(dbg.mem.read_uint(key, 8).ok()? & !0b11 != 0),
        _ => None,
    }
}
