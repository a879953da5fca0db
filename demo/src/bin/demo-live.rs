//! `demo-live`: a running program that never links the agent, for pmdb's
//! live snapshots through ptrace. It starts 20 threads parked in known
//! places — 18 `parked-N` in `thread::park`, a `sleeper` in
//! `thread::sleep`, a `reader` blocked reading a pipe — and a `busy` thread
//! that never blocks, prints `ready PID` once every parked thread is inside
//! its system call (checked in `/proc`, so a snapshot right after finds
//! them there) and the busy one has started, then answers lines on stdin:
//!
//! - `busy-past N`: waits until the busy counter passes N (at most 60 s),
//!   then prints `busy passed N` (or `busy stuck at M`);
//! - `quit` (or the end of input): prints `bye: usr1 U rt R/S` — SIGUSR1s
//!   handled, real-time signals handled of those sent — and exits with
//!   status 3.
//!
//! `demo-live signals` also runs a `sender` thread that queues real-time
//! signals (`SIGRTMIN`) to the process one after another, counting each one
//! queued; `quit` stops it and waits (at most 60 s) until every one sent
//! was handled. A snapshot taken meanwhile must lose none.

use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Incremented by the busy thread, forever.
static BUSY: AtomicU64 = AtomicU64::new(0);
/// SIGUSR1s handled.
static USR1: AtomicU64 = AtomicU64::new(0);
/// Real-time signals handled, and queued.
static RT_GOT: AtomicU64 = AtomicU64::new(0);
static RT_SENT: AtomicU64 = AtomicU64::new(0);
static STOP_SENDING: AtomicBool = AtomicBool::new(false);

/// How many threads park in `thread::park`.
const PARKED: usize = 18;

/// The x86-64 system calls each parked thread must be inside before `ready`.
const FUTEX: u64 = 202;
const CLOCK_NANOSLEEP: u64 = 230;
const READ: u64 = 0;

extern "C" fn on_usr1(_: libc::c_int) {
    USR1.fetch_add(1, Ordering::Relaxed);
}

extern "C" fn on_rt(_: libc::c_int) {
    RT_GOT.fetch_add(1, Ordering::Relaxed);
}

fn handle(sig: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    // SAFETY: a zeroed sigaction with a handler that only touches atomics
    // (async-signal-safe), SA_RESTART so interrupted reads go on.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

fn gettid() -> u64 {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name()?.to_str()?.parse().ok())
        .unwrap_or(0)
}

/// Parked forever, holding a label of its own.
#[inline(never)]
fn parked_worker(index: usize, tids: Arc<Mutex<Vec<(u64, u64)>>>) {
    let label = format!("worker {index}");
    tids.lock().unwrap().push((gettid(), FUTEX));
    loop {
        std::thread::park();
        std::hint::black_box(&label);
    }
}

/// Asleep for an hour at a time.
#[inline(never)]
fn sleeper(seconds: u64, tids: Arc<Mutex<Vec<(u64, u64)>>>) {
    let nap = Duration::from_secs(seconds);
    tids.lock().unwrap().push((gettid(), CLOCK_NANOSLEEP));
    loop {
        std::thread::sleep(nap);
    }
}

/// Blocked reading a pipe nobody writes to.
#[inline(never)]
fn reader(mut pipe: std::io::PipeReader, tids: Arc<Mutex<Vec<(u64, u64)>>>) {
    let mut buf = [0u8; 64];
    tids.lock().unwrap().push((gettid(), READ));
    let got = pipe.read(&mut buf);
    std::hint::black_box(&got);
    loop {
        std::thread::park();
    }
}

/// Never blocks.
#[inline(never)]
fn spin(counter: &AtomicU64) {
    loop {
        counter.fetch_add(1, Ordering::Relaxed);
        std::hint::spin_loop();
    }
}

/// Queues real-time signals to the process until told to stop.
#[inline(never)]
fn send_signals() {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    let sig = libc::SIGRTMIN();
    while !STOP_SENDING.load(Ordering::Relaxed) {
        let value = libc::sigval {
            sival_ptr: std::ptr::null_mut(),
        };
        // SAFETY: sigqueue to our own pid with a handled signal.
        if unsafe { libc::sigqueue(pid, sig, value) } == 0 {
            RT_SENT.fetch_add(1, Ordering::Relaxed);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The syscall a thread is in, from `/proc/self/task/TID/syscall`.
fn in_syscall(tid: u64) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn main() {
    let signals = std::env::args().nth(1).as_deref() == Some("signals");
    handle(libc::SIGUSR1, on_usr1);
    handle(libc::SIGRTMIN(), on_rt);
    let tids: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
        std::thread::Builder::new()
            .name(name)
            .spawn(f)
            .expect("spawn a thread");
    };
    for i in 0..PARKED {
        let t = tids.clone();
        spawn(format!("parked-{i}"), Box::new(move || parked_worker(i, t)));
    }
    let t = tids.clone();
    spawn("sleeper".into(), Box::new(move || sleeper(3600, t)));
    let (pipe, _writer) = std::io::pipe().expect("a pipe");
    let t = tids.clone();
    spawn("reader".into(), Box::new(move || reader(pipe, t)));
    spawn("busy".into(), Box::new(|| spin(&BUSY)));
    let sender = signals.then(|| {
        std::thread::Builder::new()
            .name("sender".into())
            .spawn(send_signals)
            .expect("spawn the sender")
    });
    // Ready once every parked thread is inside the call it parks in.
    loop {
        let t = tids.lock().unwrap().clone();
        // The busy thread (and the sender) running, so named, too.
        let running = BUSY.load(Ordering::Relaxed) > 0
            && (sender.is_none() || RT_SENT.load(Ordering::Relaxed) > 0);
        if running
            && t.len() == PARKED + 2
            && t.iter().all(|&(tid, nr)| in_syscall(tid) == Some(nr))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("ready {}", std::process::id());
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if let Some(n) = line.strip_prefix("busy-past ") {
            let n: u64 = n.trim().parse().unwrap_or(0);
            let deadline = Instant::now() + Duration::from_secs(60);
            while BUSY.load(Ordering::Relaxed) <= n && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            let now = BUSY.load(Ordering::Relaxed);
            if now > n {
                println!("busy passed {n}");
            } else {
                println!("busy stuck at {now}");
            }
        } else if line == "quit" {
            break;
        }
    }
    STOP_SENDING.store(true, Ordering::Relaxed);
    if let Some(sender) = sender {
        let _ = sender.join();
        let deadline = Instant::now() + Duration::from_secs(60);
        while RT_GOT.load(Ordering::Relaxed) < RT_SENT.load(Ordering::Relaxed)
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    println!(
        "bye: usr1 {} rt {}/{}",
        USR1.load(Ordering::Relaxed),
        RT_GOT.load(Ordering::Relaxed),
        RT_SENT.load(Ordering::Relaxed)
    );
    std::process::exit(3);
}
