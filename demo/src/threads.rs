//! The `threads` scenario: two workers wait for jobs while a third thread,
//! `checker`, panics. In wait mode every other thread is frozen where it
//! stands, each with its own traceback and locals.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
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
            wait_for_main_to_join();
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

/// The checker panics only once the main thread sleeps in `join`, so every
/// run freezes the main thread at the same line (a debugger test compares
/// runs value for value).
fn wait_for_main_to_join() {
    let stat = format!("/proc/self/task/{}/stat", std::process::id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        let sleeping = std::fs::read_to_string(&stat)
            .ok()
            .and_then(|s| {
                s.rsplit(')')
                    .next()
                    .map(|r| r.trim_start().starts_with('S'))
            })
            .unwrap_or(false);
        if MAIN_JOINING.load(Ordering::SeqCst) && sleeping {
            return;
        }
        std::thread::yield_now();
    }
}

#[inline(never)]
fn worker(job: Job, ready: &Barrier, jobs: Receiver<u32>) {
    // A binding of its own keeps `job` in one stack slot for the whole
    // function (the argument itself lives in a register at first), so it reads
    // the same wherever the freeze finds this thread.
    let job = std::hint::black_box(job);
    ready.wait();
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
