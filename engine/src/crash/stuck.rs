//! Why a process is stuck, in words, for every front: the sentence each
//! waiting thread or task gets ("waits for Mutex<Account> at 0x… (`to` in
//! demo::transfer), held by thread 'teller-2' (`source` in demo::transfer)")
//! and the deadlock paragraph said first, as jstack says Java's ("Found one
//! deadlock: …"). Pure functions of the engine's [`wire::Waits`] and the
//! names of threads and tasks; [`walk`] asks a session for both.

use std::collections::HashMap;
use std::fmt::Write;

use wire::{Deadlock, Holder, Session, ThreadInfo, Wait, WaitKind, Waiter, Waits};

/// Names of threads and tasks, as sentences say them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    pub threads: HashMap<u64, String>,
    /// Each task's outermost future (`demo::serve`).
    pub tasks: HashMap<u64, String>,
}

impl Names {
    /// `thread 'teller-1'`, `task 3 (demo::left)`.
    pub fn of(&self, w: Waiter) -> String {
        match w {
            Waiter::Thread(id) => match self.threads.get(&id) {
                Some(name) => format!("thread '{name}'"),
                None => format!("thread {id}"),
            },
            Waiter::Task(id) => match self.tasks.get(&id) {
                Some(f) => format!("task {id} ({f})"),
                None => format!("task {id}"),
            },
        }
    }

    /// The short name a list of deadlocked members uses: `teller-1`, `task 3`.
    pub fn short(&self, w: Waiter) -> String {
        match w {
            Waiter::Thread(id) => self
                .threads
                .get(&id)
                .cloned()
                .unwrap_or_else(|| id.to_string()),
            Waiter::Task(id) => format!("task {id}"),
        }
    }
}

/// The waits and the names they need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stuck {
    pub waits: Waits,
    pub names: Names,
}

impl Stuck {
    /// The wait of a thread or task, if it waits.
    pub fn wait_of(&self, w: Waiter) -> Option<&Wait> {
        match w {
            Waiter::Thread(id) => self
                .waits
                .threads
                .iter()
                .find(|t| t.thread == id)
                .map(|t| &t.wait),
            Waiter::Task(id) => self
                .waits
                .tasks
                .iter()
                .find(|t| t.task == id)
                .map(|t| &t.wait),
        }
    }

    /// The sentence for one thread or task, without its subject.
    pub fn line(&self, w: Waiter) -> Option<String> {
        Some(wait_text(self.wait_of(w)?, &self.names, None, w))
    }
}

/// Asks `session` why its threads and tasks are stuck; `Err` with one
/// line when it cannot tell (an agent that predates the request).
pub fn walk(session: &Session) -> Result<Stuck, String> {
    let threads = session.threads().map_err(|e| e.to_string())?;
    walk_with(session, &threads)
}

/// [`walk`] for a front that already holds the threads (from the first
/// screen): one request, the waits, instead of two.
pub fn walk_with(session: &Session, threads: &[ThreadInfo]) -> Result<Stuck, String> {
    let waits = session.waits().map_err(|e| e.to_string())?;
    let mut names = Names {
        threads: threads.iter().map(|t| (t.id, t.name.clone())).collect(),
        tasks: HashMap::new(),
    };
    let tasks_named = waits.tasks.iter().map(|t| t.task).chain(
        waits
            .threads
            .iter()
            .chain([])
            .flat_map(|t| t.wait.held_by.iter().map(|h| h.who))
            .filter_map(|w| match w {
                Waiter::Task(id) => Some(id),
                Waiter::Thread(_) => None,
            }),
    );
    if tasks_named.count() > 0
        && let Ok(list) = session.tasks()
    {
        names.tasks = list
            .tasks
            .iter()
            .filter_map(|t| Some((t.id, t.frames.last()?.info.function.clone())))
            .collect();
    }
    Ok(Stuck { waits, names })
}

/// `Mutex<Account> at 0x7f…`.
fn object(w: &Wait) -> String {
    match w.address {
        Some(a) if !w.what.is_empty() => format!("{} at {a:#x}", w.what),
        Some(a) => format!("{a:#x}"),
        None => w.what.clone(),
    }
}

/// One holder: `thread 'teller-2' (`source` in demo::transfer)`.
fn holder(h: &Holder, names: &Names) -> String {
    match &h.guard {
        Some(g) => format!("{} ({g})", names.of(h.who)),
        None => names.of(h.who),
    }
}

/// The sentence for a wait of `subject`, without the subject: "waits for
/// Mutex<T> at 0x… (`to` in f), held by thread 'b' (`g` in f)". With
/// `only`, the holders named are that one (a deadlock's next member).
pub fn wait_text(w: &Wait, names: &Names, only: Option<Waiter>, subject: Waiter) -> String {
    let task = matches!(subject, Waiter::Task(_));
    use WaitKind as K;
    let holders: Vec<&Holder> = w
        .held_by
        .iter()
        .filter(|h| only.is_none_or(|o| h.who == o))
        .collect();
    let held = |verb: &str| -> String {
        if holders.is_empty() {
            match &w.no_holder {
                Some(why) => format!(", {why}"),
                None => String::new(),
            }
        } else {
            let list: Vec<String> = holders.iter().map(|h| holder(h, names)).collect();
            format!(", {verb} {}", list.join(" and "))
        }
    };
    let reached = w
        .reached_as
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let thing = format!("{}{reached}", object(w));
    let detail = w
        .detail
        .as_ref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    match w.kind {
        K::Mutex | K::ParkingLotMutex => format!("waits for {thing}{}", held("held by")),
        K::RwLockRead | K::ParkingLotRwLockRead => {
            format!("waits to read {thing}{}", held("written by"))
        }
        K::RwLockWrite | K::ParkingLotRwLockWrite => {
            format!("waits to write {thing}{}", held("held by"))
        }
        K::Condvar => {
            let with = w
                .detail
                .as_ref()
                .map(|d| format!(", {d}"))
                .unwrap_or_default();
            format!("waits on {thing}{with}, for a notification")
        }
        K::Once => {
            let by = held("by");
            format!(
                "waits for {thing} to be initialised{}",
                by.strip_prefix(',').unwrap_or(&by)
            )
        }
        K::Join => match holders.first() {
            Some(h) => format!("waits to join {}", names.of(h.who)),
            None => format!("waits to join a thread{}", held("")),
        },
        K::ChannelRecv => format!("waits to receive on {thing}{detail}"),
        K::Park => "is parked (std::thread::park)".to_string(),
        K::Sleep => "sleeps (std::thread::sleep)".to_string(),
        K::TokioMutex if !task => format!("waits for {thing}{}", held("held by")),
        K::TokioRwLockRead if !task => format!("waits to read {thing}{}", held("written by")),
        K::TokioRwLockWrite if !task => format!("waits to write {thing}{}", held("held by")),
        K::TokioMpscRecv | K::TokioOneshotRecv if !task => {
            format!("waits to receive on {thing}{detail}")
        }
        K::TokioMutex => format!("awaits {thing}{}", held("held by")),
        K::TokioRwLockRead => format!("awaits reading {thing}{}", held("written by")),
        K::TokioRwLockWrite => format!("awaits writing {thing}{}", held("held by")),
        K::TokioSemaphore => format!("awaits a permit of {thing}"),
        K::TokioNotify => format!("awaits a notification of {thing}"),
        K::TokioMpscRecv => format!("awaits a message on {thing}{detail}"),
        K::TokioOneshotRecv => format!("awaits a value on {thing}{detail}"),
        K::TokioSleep => format!("sleeps (tokio::time::sleep){detail}"),
        K::TokioJoin => {
            let through = match &w.reached_as {
                Some(r) => format!(": {} {r}", w.what),
                None => format!(": {}", w.what),
            };
            match holders.first() {
                Some(h) => format!("awaits {}{through}", names.of(h.who)),
                None => format!("awaits a task{through}{}", held("")),
            }
        }
        K::TokioIo => {
            let how = w
                .detail
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            let of = w
                .reached_as
                .as_ref()
                .map(|r| format!(" on {r}"))
                .unwrap_or_default();
            format!("awaits I/O readiness{how}{of}")
        }
        K::Other => format!("waits on {thing}{detail}"),
    }
}

/// The deadlock paragraph, said first: "Found one deadlock:" and a line
/// per member; nothing without deadlocks.
pub fn deadlocks_text(stuck: &Stuck) -> String {
    let mut out = String::new();
    let n = stuck.waits.deadlocks.len();
    if n == 0 {
        return out;
    }
    let _ = writeln!(
        out,
        "{}",
        if n == 1 {
            "Found one deadlock:".to_string()
        } else {
            format!("Found {n} deadlocks:")
        }
    );
    for (i, d) in stuck.waits.deadlocks.iter().enumerate() {
        let indent = if n > 1 {
            let _ = writeln!(out, "  deadlock {}:", i + 1);
            "    "
        } else {
            "  "
        };
        for line in deadlock_lines(stuck, d) {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    out
}

/// A deadlock's lines: each member, what it waits for, held by the next.
pub fn deadlock_lines(stuck: &Stuck, d: &Deadlock) -> Vec<String> {
    let m = &d.members;
    (0..m.len())
        .map(|i| {
            let next = m[(i + 1) % m.len()];
            let what = stuck
                .wait_of(m[i])
                .map(|w| wait_text(w, &stuck.names, Some(next), m[i]))
                .unwrap_or_else(|| format!("waits for {}", stuck.names.of(next)));
            format!("{} {what}", stuck.names.of(m[i]))
        })
        .collect()
}

/// One sentence for a deadlock (the DAP `stopped` event's description):
/// "Deadlock: thread 'a' waits for … held by thread 'b'; thread 'b' …".
pub fn deadlock_summary(stuck: &Stuck, d: &Deadlock) -> String {
    format!("Deadlock: {}", deadlock_lines(stuck, d).join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::{ThreadWait, Waiter::Thread};

    fn stuck() -> Stuck {
        let lock = |addr: u64, holder: u64| Wait {
            kind: WaitKind::Mutex,
            what: "Mutex<Account>".into(),
            address: Some(addr),
            reached_as: Some("`to` in demo::transfer".into()),
            frame: Some(5),
            held_by: vec![Holder {
                who: Thread(holder),
                guard: Some("`source` in demo::transfer".into()),
            }],
            no_holder: None,
            detail: None,
        };
        Stuck {
            waits: Waits {
                threads: vec![
                    ThreadWait {
                        thread: 2,
                        wait: lock(0x1000, 3),
                    },
                    ThreadWait {
                        thread: 3,
                        wait: lock(0x2000, 2),
                    },
                ],
                deadlocks: vec![Deadlock {
                    members: vec![Thread(2), Thread(3)],
                }],
                ..Waits::default()
            },
            names: Names {
                threads: [(2, "teller-1".to_string()), (3, "teller-2".to_string())].into(),
                tasks: HashMap::new(),
            },
        }
    }

    #[test]
    fn a_deadlock_is_said_in_one_paragraph() {
        assert_eq!(
            deadlocks_text(&stuck()),
            "Found one deadlock:\n  thread 'teller-1' waits for Mutex<Account> at 0x1000 (`to` in demo::transfer), held by thread 'teller-2' (`source` in demo::transfer)\n  thread 'teller-2' waits for Mutex<Account> at 0x2000 (`to` in demo::transfer), held by thread 'teller-1' (`source` in demo::transfer)\n"
        );
    }

    #[test]
    fn a_lock_no_frame_holds_says_so() {
        let mut s = stuck();
        s.waits.threads[0].wait.held_by.clear();
        s.waits.threads[0].wait.no_holder = Some(crate::waits::NO_FRAME.into());
        assert_eq!(
            s.line(Thread(2)).unwrap(),
            "waits for Mutex<Account> at 0x1000 (`to` in demo::transfer), held by no frame (the guard may have been forgotten, moved, or optimized out)"
        );
    }
}
