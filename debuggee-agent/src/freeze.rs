//! Freezing the other threads while a crash is served, so the heap does not
//! change under the user: each is sent a real-time signal whose handler copies
//! its register state into a static slot and blocks on a pipe until release.
//!
//! Hazards, and how the agent lives with them: a frozen thread may hold a
//! lock — the allocator's arena lock, stderr's lock, a `Mutex` of the
//! program. The agent never takes the program's locks; it prints its one
//! attach line *before* freezing; and its own thread, started at `install()`,
//! allocates from its own malloc arena (glibc gives new threads their own
//! arena while fewer than 8 × cores exist), so a thread frozen inside malloc
//! does not block it. A thread that does not answer within 200 ms (signal
//! blocked, or exiting) is listed as not stopped rather than waited for.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use engine::{Regs, Stack, Thread};

/// Most threads frozen at once.
const MAX_THREADS: usize = 256;
/// Most frames unwound per frozen thread.
const MAX_FRAMES: usize = 256;

struct ThreadSlot {
    tid: AtomicU64,
    regs: [AtomicU64; 17],
    done: AtomicBool,
}

static SLOTS: [ThreadSlot; MAX_THREADS] = [const {
    ThreadSlot {
        tid: AtomicU64::new(0),
        regs: [const { AtomicU64::new(0) }; 17],
        done: AtomicBool::new(false),
    }
}; MAX_THREADS];
static NEXT: AtomicUsize = AtomicUsize::new(0);
static SIGNAL: AtomicI32 = AtomicI32::new(0);
static RELEASE_READ: AtomicI32 = AtomicI32::new(-1);
static RELEASE_WRITE: AtomicI32 = AtomicI32::new(-1);
/// How many threads were signalled by the last freeze (each needs a byte to go on).
static SIGNALLED: Mutex<usize> = Mutex::new(0);

/// Prepares the freeze signal and its release pipe.
pub fn install() {
    let mut pipe = [-1; 2];
    // SAFETY: `pipe2` writes two fds into the array we own.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    let sig = libc::SIGRTMIN() + 5;
    // SAFETY: a zeroed sigaction is valid; we set our handler, flags and an empty mask.
    let ok = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(sig, &action, std::ptr::null_mut()) == 0
    };
    if ok {
        RELEASE_READ.store(pipe[0], Ordering::SeqCst);
        RELEASE_WRITE.store(pipe[1], Ordering::SeqCst);
        SIGNAL.store(sig, Ordering::SeqCst);
    }
}

extern "C" fn handler(_sig: libc::c_int, _info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the signal handler: only atomics and async-signal-safe calls
    // (syscall, read); `context` is the kernel's ucontext for this delivery.
    unsafe {
        let i = NEXT.fetch_add(1, Ordering::SeqCst);
        if let Some(slot) = SLOTS.get(i) {
            let regs = crate::registers::of_context(context);
            for (r, v) in slot.regs.iter().zip(regs) {
                r.store(v, Ordering::SeqCst);
            }
            slot.tid
                .store(libc::syscall(libc::SYS_gettid) as u64, Ordering::SeqCst);
            slot.done.store(true, Ordering::SeqCst);
        }
        let mut byte = 0u8;
        loop {
            let n = libc::read(
                RELEASE_READ.load(Ordering::SeqCst),
                (&mut byte as *mut u8).cast(),
                1,
            );
            if n == 1 || n == 0 || *libc::__errno_location() != libc::EINTR {
                break;
            }
        }
    }
}

/// Freezes every thread but `except` and the agent's own, and returns their
/// tracebacks' machine frames.
pub fn stop_others(except: u64) -> Vec<Thread> {
    let sig = SIGNAL.load(Ordering::SeqCst);
    if sig == 0 {
        return Vec::new();
    }
    let pid = std::process::id();
    let mut targets = Vec::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for t in tasks.flatten() {
            let Some(tid) = t.file_name().to_str().and_then(|s| s.parse::<u64>().ok()) else {
                continue;
            };
            let name = crate::live::thread_name(tid);
            let ours = tid == crate::state::agent_tid() || name.starts_with("pmdb-agent");
            if tid == except || ours || targets.len() >= MAX_THREADS {
                continue;
            }
            targets.push((tid, name));
        }
    }
    for slot in &SLOTS {
        slot.done.store(false, Ordering::SeqCst);
    }
    NEXT.store(0, Ordering::SeqCst);
    let mut signalled = 0;
    for (tid, _) in &targets {
        // SAFETY: tgkill with our own pid and one of our thread ids.
        if unsafe { libc::syscall(libc::SYS_tgkill, pid, *tid, sig) } == 0 {
            signalled += 1;
        }
    }
    *SIGNALLED.lock().unwrap_or_else(|p| p.into_inner()) = signalled;
    let deadline = Instant::now() + Duration::from_millis(200);
    while NEXT.load(Ordering::SeqCst) < signalled && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let answered = NEXT.load(Ordering::SeqCst).min(MAX_THREADS);
    let tables = crate::live::engine();
    let tables = tables.tables();
    let mut stopped: Vec<Thread> = SLOTS[..answered]
        .iter()
        .filter(|s| s.done.load(Ordering::SeqCst))
        .map(|s| {
            let mut regs: Regs = [None; 17];
            for (r, v) in regs.iter_mut().zip(&s.regs) {
                *r = Some(v.load(Ordering::SeqCst));
            }
            let tid = s.tid.load(Ordering::SeqCst);
            Thread {
                id: tid,
                name: crate::live::thread_name(tid),
                stack: Stack::Unwound(tables.raw_frames(regs, MAX_FRAMES)),
            }
        })
        .collect();
    stopped.sort_by_key(|s| s.id);
    stopped
}

/// Lets every thread frozen by [`stop_others`] go on.
pub fn release() {
    let mut signalled = SIGNALLED.lock().unwrap_or_else(|p| p.into_inner());
    let fd = RELEASE_WRITE.load(Ordering::SeqCst);
    let bytes = vec![0u8; *signalled];
    if fd >= 0 && !bytes.is_empty() {
        // SAFETY: writing our own buffer to our own pipe.
        unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    }
    *signalled = 0;
}
