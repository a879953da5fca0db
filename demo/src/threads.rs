//! The `threads` scenario: two workers wait for jobs while a third thread,
//! `checker`, panics. In wait mode every other thread is frozen where it
//! stands, each with its own traceback and locals.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

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
        .spawn(|| check(3))
        .expect("spawn checker");
    let outcome = checker.join();
    drop(senders);
    for w in workers {
        let _ = w.join();
    }
    if let Err(payload) = outcome {
        std::panic::resume_unwind(payload);
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
