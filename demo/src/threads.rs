//! The `threads` scenario: two workers wait for jobs while a third thread,
//! `checker`, panics. In wait mode every other thread is frozen where it
//! stands, each with its own traceback and locals.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Barrier};

#[derive(Debug)]
pub struct Job {
    pub id: u32,
    pub name: &'static str,
}

pub fn run() {
    let ready = Arc::new(Barrier::new(3));
    let mut senders = Vec::new();
    let mut workers = Vec::new();
    for (id, name) in [(1, "alpha"), (2, "beta")] {
        let (tx, rx) = channel::<u32>();
        senders.push(tx);
        let ready = ready.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("worker-{id}"))
            .spawn(move || worker(Job { id, name }, &ready, rx));
        workers.push(spawned.expect("spawn worker"));
    }
    ready.wait();
    let checker = std::thread::Builder::new()
        .name("checker".into())
        .spawn(|| {
            wait_for_the_others_to_block();
            check(3)
        })
        .expect("spawn checker");
    MAIN_JOINING.store(true, Ordering::SeqCst);
    let outcome = checker.join();
    drop(senders);
    for w in workers {
        let _ = w.join();
    }
    if let Err(payload) = outcome {
        std::panic::resume_unwind(payload);
    }
}

/// Set by the main thread just before it joins the checker.
static MAIN_JOINING: AtomicBool = AtomicBool::new(false);

/// How many workers are about to block in `recv`.
static WORKERS_RECEIVING: AtomicUsize = AtomicUsize::new(0);

/// The checker panics only once the main thread sleeps in `join` and each
/// worker sleeps in `recv`, so every run freezes every thread at the same
/// line (a debugger test compares two runs value for value). A thread that
/// said it is about to block and then sleeps is blocked there: nothing else
/// it does between the two can sleep. The deadline is only there so a
/// machine that never schedules them still crashes.
fn wait_for_the_others_to_block() {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if MAIN_JOINING.load(Ordering::SeqCst)
            && WORKERS_RECEIVING.load(Ordering::SeqCst) == 2
            && sleeping_threads(|name| name.starts_with("worker-")) == 2
            && sleeping(&format!("/proc/self/task/{}/stat", std::process::id()))
        {
            return;
        }
        std::thread::yield_now();
    }
}

/// How many of this process's threads whose name `pick` takes are asleep.
fn sleeping_threads(pick: impl Fn(&str) -> bool) -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| pick(c.trim_end()))
        })
        .filter(|t| sleeping(&t.path().join("stat").to_string_lossy()))
        .count()
}

/// Whether the thread whose `/proc/…/stat` is `stat` sleeps (state `S`).
fn sleeping(stat: &str) -> bool {
    std::fs::read_to_string(stat)
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .map(|r| r.trim_start().starts_with('S'))
        })
        .unwrap_or(false)
}

#[inline(never)]
fn worker(job: Job, ready: &Barrier, jobs: Receiver<u32>) {
    // A binding of its own keeps `job` in one stack slot for the whole
    // function (the argument itself lives in a register at first), so it reads
    // the same wherever the freeze finds this thread.
    let job = std::hint::black_box(job);
    ready.wait();
    WORKERS_RECEIVING.fetch_add(1, Ordering::SeqCst);
    let waited = jobs.recv();
    let _ = std::hint::black_box((&job, waited));
}

#[inline(never)]
#[allow(clippy::useless_vec)] // a Vec on purpose: the debugger shows it
fn check(limit: u32) {
    let seen = vec![limit, limit + 1];
    if seen.len() as u32 > limit - 2 {
        panic!("checker saw {} items, limit {limit}", seen.len());
    }
}
