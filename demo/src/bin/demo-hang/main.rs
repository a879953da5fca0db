//! `demo-hang`: programs stuck on purpose, one named scenario at a time, so
//! pmdb's "why is it stuck" can be tried (`pmdb report PID`) and tested on
//! real hung processes. It never links pmdb's agent: it is any Rust
//! program a user might find hung.
//!
//! Every scenario hangs at known lines and prints one line, `ready`, once
//! each of its threads stands where it will stay (checked through
//! `/proc/self/task/TID/syscall`, never by sleeping), so a test waits for
//! that line and then looks.

mod parking;
mod place;
mod std_locks;

const SCENARIOS: &[(&str, &str, fn())] = &[
    (
        "mutex",
        "two tellers deadlocked in `transfer(from, to)` on two std Mutexes; main joins one",
        std_locks::mutex,
    ),
    (
        "static",
        "a consumer waits for `static QUEUE` while the producer holds it and waits on mpsc recv",
        std_locks::queue,
    ),
    (
        "rwlock",
        "a reader holds an RwLock and waits for a Mutex the writer holds",
        std_locks::rwlock,
    ),
    (
        "condvar",
        "a thread waits on a Condvar nobody notifies",
        std_locks::condvar,
    ),
    (
        "once",
        "a OnceLock's initialiser waits for a Mutex held by a thread waiting for the OnceLock",
        std_locks::once,
    ),
    (
        "join",
        "a parent holding a Mutex joins a child that waits for it",
        std_locks::join,
    ),
    (
        "forgotten",
        "a thread waits for a Mutex whose guard was mem::forget-ed",
        std_locks::forgotten,
    ),
    (
        "parking-lot",
        "two threads deadlocked on a parking_lot Mutex and RwLock",
        parking::deadlock,
    ),
    (
        "busy",
        "a thread that keeps computing; each line on stdin prints its count",
        place::busy,
    ),
];

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    match SCENARIOS.iter().find(|(n, _, _)| *n == name) {
        Some((_, _, run)) => run(),
        None => {
            eprintln!("usage: demo-hang SCENARIO\n\nscenarios:");
            for (n, what, _) in SCENARIOS {
                eprintln!("  {n:<12} {what}");
            }
            std::process::exit(2);
        }
    }
}
