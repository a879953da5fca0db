//! Why a process is stuck: the wait-for graph of its threads and tasks.
//!
//! For each thread blocked in a call we know ([`threads`]) and each idle
//! tokio task parked at a future we know ([`tasks`]): what it waits on
//! (the kind, the lock and its address), how its frames reach it
//! ([`reach`]), and who holds it where memory tells — a thread or task
//! whose frames hold a guard of that lock ([`locks`]), the thread joined,
//! the task awaited, the thread running a `Once`'s initialiser. A cycle of
//! waiting ([`cycles`]) is a deadlock.
//!
//! Everything is computed from frames and memory, over any host. Nothing
//! is guessed: a lock no frame holds a guard of says so.

pub mod cycles;
pub mod locks;
pub mod reach;
pub mod tasks;
pub mod threads;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use wire::{Holder, Wait, WaitKind, Waiter};

use crate::dwarf::debuginfo::DebugInfo;
use crate::tasks::{State, Task};
use crate::values::variables;
use crate::values::variables::Frame;
use crate::values::views::Val;

/// What the graph is computed from.
pub struct Input<'a> {
    pub dbg: &'a DebugInfo,
    /// Each thread's id and frames (innermost first).
    pub threads: Vec<(u64, &'a [Frame])>,
    /// The tokio tasks, or why they are not known.
    pub tasks: Result<&'a [Task], String>,
    /// The monotonic clock when the snapshot was taken, if the host knows.
    pub now: Option<Duration>,
}

/// Why no frame is named as a lock's holder.
pub const NO_FRAME: &str =
    "held by no frame (the guard may have been forgotten, moved, or optimized out)";

/// A guard some frame holds.
struct Held {
    who: Waiter,
    guard: String,
    exclusive: bool,
}

/// The wait-for graph of `input`.
pub fn find(input: &Input) -> wire::Waits {
    let dbg = input.dbg;
    let mut out = wire::Waits::default();
    // What each thread and task waits on.
    let blocked: Vec<(u64, threads::Blocked)> = input
        .threads
        .iter()
        .filter_map(|&(id, frames)| threads::blocked(dbg, frames).map(|b| (id, b)))
        .collect();
    let empty: &[Task] = &[];
    let tasks = match &input.tasks {
        Ok(t) => *t,
        Err(why) => {
            out.tasks_unavailable = Some(why.clone());
            empty
        }
    };
    let awaiting: Vec<(u64, tasks::Awaiting)> = tasks
        .iter()
        .filter(|t| t.state == State::Idle)
        .filter_map(|t| tasks::awaiting(dbg, t, input.now).map(|a| (t.id, a)))
        .collect();

    // Guards, found only when some wait is for a lock.
    let wants_holders = blocked.iter().any(|(_, b)| b.kind.has_holder())
        || awaiting.iter().any(|(_, a)| a.kind.has_holder());
    let mut held: HashMap<u64, Vec<Held>> = HashMap::new();
    if wants_holders {
        for &(id, frames) in &input.threads {
            // A thread waiting on a Condvar does not hold its mutex
            // meanwhile, whatever guard its frames still show.
            let released = blocked
                .iter()
                .find(|(t, _)| *t == id)
                .and_then(|(_, b)| b.releases.as_ref().map(|l| l.key));
            for f in frames.iter().filter(|f| !f.info.runtime && f.die.is_some()) {
                let vars: Vec<(String, Val)> = variables::frame_vars(dbg, f)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|v| (v.name, v.val))
                    .collect();
                collect_guards(
                    dbg,
                    &vars,
                    &f.info.function,
                    Waiter::Thread(id),
                    released,
                    &mut held,
                );
            }
        }
        for t in tasks {
            for f in t.frames.iter().filter(|f| f.held.is_some()) {
                let vars = f.locals(dbg);
                collect_guards(dbg, &vars, &f.function, Waiter::Task(t.id), None, &mut held);
            }
        }
    }
    // Threads running a Once's initialiser.
    let mut initialising: HashMap<u64, Vec<u64>> = HashMap::new();
    if blocked.iter().any(|(_, b)| b.kind == WaitKind::Once) {
        for &(id, frames) in &input.threads {
            for key in threads::initialising(dbg, frames) {
                initialising.entry(key).or_default().push(id);
            }
        }
    }
    let thread_ids: BTreeSet<u64> = input.threads.iter().map(|(id, _)| *id).collect();
    let task_of_header: HashMap<u64, u64> = tasks.iter().map(|t| (t.header, t.id)).collect();

    let holders_of = |key: Option<u64>,
                      me: Waiter,
                      family: Option<locks::Family>|
     -> (Vec<Holder>, Option<String>) {
        let Some(key) = key else {
            return (
                Vec::new(),
                Some("the lock's address is not known here".into()),
            );
        };
        // A lock whose state word says nobody holds it has only stale guards.
        if let Some(family) = family
            && locks::taken(dbg, family, key) == Some(false)
        {
            return (
                Vec::new(),
                Some("not held: its state word says it is free".into()),
            );
        }
        let found: Vec<Holder> = held
            .get(&key)
            .map(|hs| {
                hs.iter()
                    .filter(|h| h.who != me || h.exclusive)
                    .map(|h| Holder {
                        who: h.who,
                        guard: Some(h.guard.clone()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if found.is_empty() {
            (found, Some(NO_FRAME.into()))
        } else {
            (found, None)
        }
    };

    for (id, b) in &blocked {
        let me = Waiter::Thread(*id);
        let frames = input
            .threads
            .iter()
            .find(|(t, _)| t == id)
            .map(|(_, f)| *f)
            .unwrap_or(&[]);
        let key = b.key();
        let receiver = b.receiver.as_ref().and_then(|rx| match rx.place {
            crate::memory::place::Place::Mem(a) => Some(a),
            _ => None,
        });
        let (reached_as, frame) = match (key, receiver) {
            (Some(key), _) => reach_in_thread(dbg, frames, b.caller, reach::Target::Lock(key)),
            (None, Some(addr)) => {
                reach_in_thread(dbg, frames, b.caller, reach::Target::At(addr, "Receiver"))
            }
            _ => (None, None),
        };
        let what = match (&b.lock, &b.receiver) {
            (Some(l), _) => l.what.clone(),
            (None, Some(rx)) => crate::tasks::nav::ty(dbg, rx)
                .map(|t| format!("mpsc::{}", crate::values::render::display_type(dbg, &t)))
                .unwrap_or_else(|| default_what(b.kind)),
            _ => default_what(b.kind),
        };
        let mut wait = Wait {
            kind: b.kind,
            what,
            address: b.lock.as_ref().map(|l| l.address).or(b.key).or(receiver),
            reached_as,
            frame,
            held_by: Vec::new(),
            no_holder: None,
            detail: b.detail.clone(),
        };
        match b.kind {
            WaitKind::Join => match b.joined {
                Some(tid) if thread_ids.contains(&tid) => wait.held_by.push(Holder {
                    who: Waiter::Thread(tid),
                    guard: None,
                }),
                Some(tid) => {
                    wait.no_holder = Some(format!("thread {tid} is not among the threads"))
                }
                None => wait.no_holder = Some("the joined thread is not known here".into()),
            },
            WaitKind::Once => {
                let who: Vec<u64> = key
                    .and_then(|k| initialising.get(&k))
                    .cloned()
                    .unwrap_or_default();
                if who.is_empty() {
                    wait.no_holder = Some("no frame runs its initialiser".into());
                }
                wait.held_by = who
                    .into_iter()
                    .filter(|t| t != id)
                    .map(|t| Holder {
                        who: Waiter::Thread(t),
                        guard: Some("running its initialiser".into()),
                    })
                    .collect();
            }
            k if k.has_holder() => {
                let (h, why) = holders_of(
                    key,
                    me,
                    b.lock.as_ref().map(|l| l.family).or(match k {
                        WaitKind::Mutex => Some(locks::Family::StdMutex),
                        _ => None,
                    }),
                );
                wait.held_by = h;
                wait.no_holder = why;
            }
            _ => {}
        }
        out.threads.push(wire::ThreadWait { thread: *id, wait });
    }

    for (id, a) in &awaiting {
        let me = Waiter::Task(*id);
        let task = tasks
            .iter()
            .find(|t| t.id == *id)
            .expect("an awaiting task is listed");
        let (reached_as, frame) = match &a.target {
            Some(target) => reach_in_task(dbg, task, a.caller, target.borrow(), a.root_only),
            None => (None, None),
        };
        let mut wait = Wait {
            kind: a.kind,
            what: a.what.clone(),
            address: a.lock.as_ref().map(|l| l.address).or(a.address),
            reached_as,
            frame,
            held_by: Vec::new(),
            no_holder: None,
            detail: a.detail.clone(),
        };
        match a.kind {
            WaitKind::TokioJoin => match a.header.and_then(|h| task_of_header.get(&h)) {
                Some(&task) => wait.held_by.push(Holder {
                    who: Waiter::Task(task),
                    guard: None,
                }),
                None => wait.no_holder = Some("the awaited task is not in the task list".into()),
            },
            k if k.has_holder() => {
                let (h, why) = holders_of(a.address, me, a.lock.as_ref().map(|l| l.family));
                wait.held_by = h;
                wait.no_holder = why;
            }
            _ => {}
        }
        out.tasks.push(wire::TaskWait { task: *id, wait });
    }

    // The graph: each waiter to those it waits for; a running task to
    // the thread that runs it.
    let mut edges: BTreeMap<Waiter, BTreeSet<Waiter>> = BTreeMap::new();
    for t in &out.threads {
        if t.wait.kind.has_holder() {
            edges
                .entry(Waiter::Thread(t.thread))
                .or_default()
                .extend(t.wait.held_by.iter().map(|h| h.who));
        }
    }
    for t in &out.tasks {
        if t.wait.kind.has_holder() {
            edges
                .entry(Waiter::Task(t.task))
                .or_default()
                .extend(t.wait.held_by.iter().map(|h| h.who));
        }
    }
    for (task, thread) in running_on(dbg, &input.threads, tasks) {
        edges
            .entry(Waiter::Task(task))
            .or_default()
            .insert(Waiter::Thread(thread));
    }
    out.deadlocks = cycles::cycles(&edges)
        .into_iter()
        .map(|members| wire::Deadlock { members })
        .collect();
    out
}

/// The guards among `vars` (of a frame of `function`, held by `who`),
/// each under its lock's key.
fn collect_guards(
    dbg: &DebugInfo,
    vars: &[(String, Val)],
    function: &str,
    who: Waiter,
    released: Option<u64>,
    held: &mut HashMap<u64, Vec<Held>>,
) {
    for (name, val) in vars {
        let Some(g) = locks::guard(dbg, val) else {
            continue;
        };
        if Some(g.key) == released {
            continue;
        }
        let list = held.entry(g.key).or_default();
        if !list.iter().any(|h| h.who == who) {
            list.push(Held {
                who,
                guard: format!("`{name}` in {function}"),
                exclusive: g.exclusive,
            });
        }
    }
}

/// How a thread's frames reach the lock with `key`: the first frame from
/// `caller` outwards (user frames only) whose variables reach it, else a
/// `static` holding it.
fn reach_in_thread(
    dbg: &DebugInfo,
    frames: &[Frame],
    caller: usize,
    target: reach::Target,
) -> (Option<String>, Option<u32>) {
    for f in frames
        .iter()
        .skip(caller)
        .filter(|f| !f.info.runtime)
        .take(8)
    {
        let vars: Vec<(String, Val)> = variables::frame_vars(dbg, f)
            .unwrap_or_default()
            .into_iter()
            .filter(|v| !v.shadowed)
            .map(|v| (v.name, v.val))
            .collect();
        if let Some(path) = reach::find(dbg, &vars, target) {
            return (
                Some(format!("`{path}` in {}", f.info.function)),
                Some(f.info.id.index),
            );
        }
    }
    match target {
        reach::Target::Lock(key) => (reach::static_holding(dbg, key), None),
        _ => (None, None),
    }
}

/// How a task's futures reach `target`, from frame `caller` outwards.
fn reach_in_task(
    dbg: &DebugInfo,
    task: &Task,
    caller: usize,
    target: reach::Target,
    root_only: bool,
) -> (Option<String>, Option<u32>) {
    for (i, f) in task.frames.iter().enumerate().skip(caller).take(8) {
        let vars = f.locals(dbg);
        if let Some(mut path) = reach::find(dbg, &vars, target) {
            if root_only {
                path.truncate(path.find(['.', '[']).unwrap_or(path.len()));
            }
            return (Some(format!("`{path}` in {}", f.function)), Some(i as u32));
        }
    }
    match target {
        reach::Target::Lock(key) => (reach::static_holding(dbg, key), None),
        _ => (None, None),
    }
}

/// The thread each running task is polled on: a thread whose frames
/// stand in tokio's `raw::poll` (or the harness's) for that task's header.
fn running_on(dbg: &DebugInfo, threads: &[(u64, &[Frame])], tasks: &[Task]) -> Vec<(u64, u64)> {
    let running: HashMap<u64, u64> = tasks
        .iter()
        .filter(|t| t.state == State::Running)
        .map(|t| (t.header, t.id))
        .collect();
    if running.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for &(id, frames) in threads {
        for f in frames.iter().filter(|f| f.die.is_some()) {
            let name = f.info.function.as_str();
            if !(name.contains("tokio::runtime::task::raw::poll")
                || name.contains("Harness<T, S>::poll"))
            {
                continue;
            }
            let vars = variables::frame_vars(dbg, f).unwrap_or_default();
            let header = vars.iter().find_map(|v| match v.name.as_str() {
                "ptr" | "header" => crate::tasks::nav::address(dbg, &v.val),
                "self" => crate::tasks::nav::field(dbg, &v.val, "cell")
                    .and_then(|c| crate::tasks::nav::address(dbg, &c)),
                _ => None,
            });
            if let Some(task) = header.and_then(|h| running.get(&h)) {
                out.push((*task, id));
                break;
            }
        }
    }
    out
}

/// A wait's object named by its kind, when no frame typed it.
fn default_what(kind: WaitKind) -> String {
    match kind {
        WaitKind::Mutex => "Mutex",
        WaitKind::RwLockRead | WaitKind::RwLockWrite => "RwLock",
        WaitKind::Condvar => "Condvar",
        WaitKind::Once => "Once",
        WaitKind::Join => "JoinHandle",
        WaitKind::ChannelRecv => "mpsc::Receiver",
        WaitKind::Park => "thread::park",
        WaitKind::Sleep => "thread::sleep",
        WaitKind::ParkingLotMutex => "parking_lot::Mutex",
        WaitKind::ParkingLotRwLockRead | WaitKind::ParkingLotRwLockWrite => "parking_lot::RwLock",
        WaitKind::TokioMutex => "tokio::sync::Mutex",
        WaitKind::TokioRwLockRead | WaitKind::TokioRwLockWrite => "tokio::sync::RwLock",
        WaitKind::TokioMpscRecv => "tokio::sync::mpsc::Receiver",
        WaitKind::TokioOneshotRecv => "tokio::sync::oneshot::Receiver",
        _ => "",
    }
    .to_string()
}
