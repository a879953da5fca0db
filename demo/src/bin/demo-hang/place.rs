//! Putting threads in place: spawning named threads that say their kernel
//! thread id, waiting until a thread sleeps in the kernel on a given futex
//! word (`/proc/self/task/TID/syscall`), and the `ready` line. Also the
//! `busy` scenario, a thread that must keep running while it is looked at.

use std::io::{BufRead, Write};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;

/// `futex(2)`'s number on x86-64.
const SYS_FUTEX: u64 = 202;

/// The calling thread's kernel id.
pub fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::gettid() }
}

/// Spawns `f` on a thread called `name`; its handle and kernel thread id.
pub fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> (JoinHandle<T>, i32) {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _ = tx.send(gettid());
            drop(tx);
            f()
        })
        .expect("spawn a thread");
    let tid = rx.recv().expect("the thread says its id");
    (handle, tid)
}

/// The futex word `object` holds somewhere inside it (a lock's bytes).
pub fn words_of<T>(object: &T) -> Range<u64> {
    let start = object as *const T as u64;
    start..start + std::mem::size_of::<T>().max(1) as u64
}

/// Returns once thread `tid` sleeps in `futex(2)` on a word in `words`
/// (any word, for `None`: a thread parked on its own parker).
pub fn wait_in_futex(tid: i32, words: Option<Range<u64>>) {
    let path = format!("/proc/self/task/{tid}/syscall");
    loop {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let mut fields = text.split_whitespace();
            let nr = fields.next().and_then(|n| n.parse::<u64>().ok());
            let addr = fields
                .next()
                .and_then(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).ok());
            if nr == Some(SYS_FUTEX)
                && let Some(addr) = addr
                && words.as_ref().is_none_or(|w| w.contains(&addr))
            {
                return;
            }
        }
        std::thread::yield_now();
    }
}

/// Returns once `count` reaches `n` (spinning, never in a futex: a thread
/// that waits here is not mistaken for one blocked on a lock).
pub fn arrive_and_wait(count: &AtomicUsize, n: usize) {
    count.fetch_add(1, Ordering::SeqCst);
    while count.load(Ordering::SeqCst) < n {
        std::thread::yield_now();
    }
}

/// Says every thread is in place.
pub fn ready() {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready");
    let _ = out.flush();
}

/// What `spinner` has counted so far.
static SPUN: AtomicU64 = AtomicU64::new(0);

/// The `busy` scenario: `spinner` counts for ever; each line read on stdin
/// prints the count so far, so a test sees it go on after a snapshot.
pub fn busy() {
    let _spinner = spawn("spinner", || {
        loop {
            SPUN.fetch_add(1, Ordering::Relaxed);
            std::hint::spin_loop();
        }
    });
    while SPUN.load(Ordering::Relaxed) == 0 {
        std::thread::yield_now();
    }
    ready();
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", SPUN.load(Ordering::Relaxed));
        let _ = out.flush();
    }
}
