//! The `pool` scenario: a service with thousands of threads. `demo pool [N]`
//! starts N worker threads (2,000 unless told), named `pool-0` … `pool-{N-1}`,
//! each parked in `serve_slot` holding its own index and a label; once every
//! one has started, the main thread panics. Each worker's `slot` is its
//! index, so a test checks every frozen thread value for value.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Workers started unless the command line says otherwise.
const DEFAULT_WORKERS: usize = 2_000;

/// Workers that have entered `serve_slot`.
static STARTED: AtomicUsize = AtomicUsize::new(0);

pub fn run() {
    let workers = std::env::args()
        .nth(2)
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(DEFAULT_WORKERS);
    for i in 0..workers {
        std::thread::Builder::new()
            .name(format!("pool-{i}"))
            // Small stacks: ten thousand threads fit in little memory.
            .stack_size(64 * 1024)
            .spawn(move || serve_slot(i as u64))
            .expect("spawn pool worker");
    }
    // `demo pool N deaf`: one more thread that blocks every signal, so the
    // freeze cannot stop it (it is listed as not frozen).
    let deaf = std::env::args().nth(3).as_deref() == Some("deaf");
    if deaf {
        std::thread::Builder::new()
            .name("deaf".into())
            .spawn(|| {
                // SAFETY: a zeroed sigset filled by sigfillset, then blocked
                // for this thread only.
                unsafe {
                    let mut all: libc::sigset_t = std::mem::zeroed();
                    libc::sigfillset(&mut all);
                    libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
                }
                STARTED.fetch_add(1, Ordering::SeqCst);
                loop {
                    std::thread::park();
                }
            })
            .expect("spawn the deaf thread");
    }
    let workers_and_deaf = workers + usize::from(deaf);
    let deadline = Instant::now() + Duration::from_secs(120);
    while STARTED.load(Ordering::SeqCst) < workers_and_deaf && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    // Every worker asleep in `park`, so each is frozen at the same line.
    while !all_asleep() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    overloaded(
        workers,
        STARTED.load(Ordering::SeqCst) - workers_and_deaf + workers,
    );
}

/// Whether every thread but this one sleeps (state `S` in its `stat`).
fn all_asleep() -> bool {
    let me = std::process::id().to_string();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return true;
    };
    tasks.flatten().all(|t| {
        t.file_name().to_str() == Some(me.as_str())
            || std::fs::read_to_string(t.path().join("stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit(')')
                        .next()
                        .map(|r| r.trim_start().starts_with('S'))
                })
                .unwrap_or(true)
    })
}

/// A worker waiting for a request that never comes.
#[inline(never)]
fn serve_slot(index: u64) {
    let slot = std::hint::black_box(index);
    let label = std::hint::black_box(if slot.is_multiple_of(2) {
        "even"
    } else {
        "odd"
    });
    STARTED.fetch_add(1, Ordering::SeqCst);
    loop {
        std::thread::park();
        std::hint::black_box((&slot, &label));
    }
}

#[inline(never)]
fn overloaded(workers: usize, started: usize) {
    // For the benchmark's clock (panic → socket).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    eprintln!("PMDB_BENCH panic_at_ns={now}");
    panic!("{started} of {workers} workers busy: pool exhausted");
}
