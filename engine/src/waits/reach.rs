//! How a thread's (or a task's) frames reach a lock: a variable that is
//! the lock or points at it (`to`), a path through fields and elements
//! (`self.stats`, `b.accounts[1]`), or a `static` holding it. Searched
//! breadth first through the same views the locals tree shows, bounded in
//! depth and in values read, so a frame of big containers costs little.

use crate::dwarf::debuginfo::DebugInfo;
use crate::memory::place::Place;
use crate::values::render as values;
use crate::values::views::Val;
use crate::waits::locks;

/// Levels below a variable searched (`self.accounts[1]` is three).
const DEPTH: usize = 4;
/// Children looked at per value.
const CHILDREN: u64 = 64;
/// Values looked at per variable.
const BUDGET: usize = 2_000;

/// What a search looks for.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// The lock whose key this is.
    Lock(u64),
    /// A value of this type (by its base name) at this address.
    At(u64, &'a str),
    /// A value of this type whose first word is this (a handle moved
    /// into an await leaves its bytes where it was: both copies hold the
    /// same pointer).
    Holding(&'a str, u64),
}

impl Target<'_> {
    /// Whether `v` is the target; `None` when it is a lock that is not
    /// (the search does not look inside a lock's own parts).
    fn matches(&self, dbg: &DebugInfo, v: &Val) -> Option<bool> {
        if let Some(lock) = locks::lock(dbg, v) {
            return match self {
                Target::Lock(key) if lock.key == *key => Some(true),
                _ => None,
            };
        }
        let base = || crate::tasks::nav::ty(dbg, v).map(|t| locks::base_name(&t).to_string());
        Some(match *self {
            Target::Lock(_) => false,
            Target::At(addr, name) => {
                v.place == Place::Mem(addr) && base().as_deref() == Some(name)
            }
            Target::Holding(name, word) => {
                base().as_deref() == Some(name) && v.place.word(&dbg.mem, 0).ok() == Some(word)
            }
        })
    }
}

/// The path (from one of `vars`) of the lock whose key is `key`, the
/// shortest first; `None` when none of them reaches it.
pub fn path_to(dbg: &DebugInfo, vars: &[(String, Val)], key: u64) -> Option<String> {
    find(dbg, vars, Target::Lock(key))
}

/// The path (from one of `vars`) of `target`, the shortest first.
pub fn find(dbg: &DebugInfo, vars: &[(String, Val)], target: Target) -> Option<String> {
    let mut level: Vec<(String, Val)> = vars.to_vec();
    let mut seen = 0usize;
    for _ in 0..=DEPTH {
        let mut next = Vec::new();
        for (path, v) in level {
            seen += 1;
            if seen > BUDGET * vars.len().max(1) {
                return None;
            }
            match target.matches(dbg, &v) {
                Some(true) => return Some(path),
                // A lock's own parts are not paths a user writes.
                None => continue,
                Some(false) => {}
            }
            for (name, child) in values::children(dbg, &v, 0, CHILDREN) {
                next.push((join(&path, &name), child));
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    None
}

/// `path` extended by a child's name as path expressions write it: a
/// pointee adds nothing (paths see through pointers), an element its
/// index, a field `.name`.
fn join(path: &str, name: &str) -> String {
    if name == "*" {
        path.to_string()
    } else if name.starts_with('[') {
        format!("{path}{name}")
    } else {
        format!("{path}.{name}")
    }
}

/// The `static` whose bytes hold the lock with `key`, and the path inside
/// it: `demo::QUEUE`, `demo::STATE.queue`.
pub fn static_holding(dbg: &DebugInfo, key: u64) -> Option<String> {
    let (name, start) = dbg.object_symbol_at(key.wrapping_sub(dbg.bias))?;
    let (full, die) = crate::dwarf::globals::find_static(dbg, &name).ok()?;
    let (addr, ty) = crate::dwarf::globals::static_place(dbg, die)?;
    if addr.wrapping_sub(dbg.bias) != start {
        return None;
    }
    let root = Val::new(Place::Mem(addr), ty);
    let path = path_to(dbg, &[(full, root)], key)?;
    Some(format!("static {path}"))
}
