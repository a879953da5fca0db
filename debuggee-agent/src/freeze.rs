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
//! does not block it. The freeze waits while threads keep answering and gives
//! up once none has answered for 200 ms; a thread that did not answer
//! (signal blocked, or exiting), or past [`MAX_THREADS`], is listed as not
//! frozen rather than waited for or left out.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use engine::{Regs, Stack, Thread};

/// Most threads frozen at once: far past what a service runs, and bounded
/// so a runaway program costs the agent at most ~15 MB of slots.
pub const MAX_THREADS: usize = 100_000;
/// How long the freeze waits for one more thread to answer: it gives up
/// only once no thread has answered for this long.
const QUIET: Duration = Duration::from_millis(200);
/// How long the freeze waits in all while a thread that has not answered is
/// traced (strace holds it at each system call and signal): its tracer lets it
/// go on, and it answers then, however loaded the machine.
const TRACED_QUIET: Duration = Duration::from_secs(5);

struct ThreadSlot {
    tid: AtomicU64,
    regs: [AtomicU64; 17],
    /// The thread pointer (`fs_base` on x86-64: glibc's and musl's
    /// `pthread_self()` is the thread's TCB, where `%fs` points).
    tp: AtomicU64,
    done: AtomicBool,
}

impl ThreadSlot {
    const fn new() -> ThreadSlot {
        ThreadSlot {
            tid: AtomicU64::new(0),
            regs: [const { AtomicU64::new(0) }; 17],
            tp: AtomicU64::new(0),
            done: AtomicBool::new(false),
        }
    }
}

/// The thread pointers of the threads the last freeze stopped, by tid.
static THREAD_POINTERS: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());

/// A thread's thread pointer (for its core's `fs_base`): the calling
/// thread's own, or one the last freeze recorded.
pub fn thread_pointer(tid: u64) -> Option<u64> {
    // SAFETY: gettid takes no arguments and cannot fail.
    if tid == unsafe { libc::syscall(libc::SYS_gettid) } as u64 {
        // SAFETY: pthread_self takes no arguments and cannot fail.
        return Some(unsafe { libc::pthread_self() } as u64);
    }
    let known = THREAD_POINTERS.lock().unwrap_or_else(|p| p.into_inner());
    known
        .binary_search_by_key(&tid, |&(t, _)| t)
        .ok()
        .map(|k| known[k].1)
}

/// The slots the signal handler writes into, allocated before any thread is
/// signalled (the handler never allocates) and never freed: a thread that
/// answers late may still write into a table a later freeze has replaced.
static TABLE: AtomicPtr<Vec<ThreadSlot>> = AtomicPtr::new(std::ptr::null_mut());
/// The next slot a handler claims: a claim is not yet an answer.
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// How many handlers have filled their slot. The freeze counts these, not
/// claims: between its claim and its `done` a handler makes a system call
/// (`gettid`), where a tracer such as strace stops it for a while; counting
/// claims, the freeze ended with both threads of a traced program claimed
/// and neither filled, "not frozen: did not answer" (a flaky test's cause).
static ANSWERED: AtomicUsize = AtomicUsize::new(0);
static SIGNAL: AtomicI32 = AtomicI32::new(0);
static RELEASE_READ: AtomicI32 = AtomicI32::new(-1);
static RELEASE_WRITE: AtomicI32 = AtomicI32::new(-1);
/// How many threads were signalled by the last freeze (each needs a byte to go on).
static SIGNALLED: Mutex<usize> = Mutex::new(0);

/// The slot table, with room for at least `n` threads.
fn table_for(n: usize) -> &'static [ThreadSlot] {
    let current = TABLE.load(Ordering::SeqCst);
    // SAFETY: a non-null TABLE always points to a leaked, never-freed Vec.
    if let Some(t) = unsafe { current.as_ref() }
        && t.len() >= n
    {
        return t;
    }
    let fresh: &'static mut Vec<ThreadSlot> = Box::leak(Box::new(
        (0..n.max(64)).map(|_| ThreadSlot::new()).collect(),
    ));
    TABLE.store(fresh, Ordering::SeqCst);
    fresh
}

/// The signal that freezes a thread (0 until [`install`] took it).
pub fn signal() -> libc::c_int {
    SIGNAL.load(Ordering::SeqCst)
}

/// Prepares the freeze signal and its release pipe.
pub fn install() {
    let mut pipe = [-1; 2];
    // SAFETY: `pipe2` writes two fds into the array we own.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    // Room for every byte `release` writes at once, so it never blocks.
    // SAFETY: F_SETPIPE_SZ on our own pipe; failure leaves the default size.
    unsafe { libc::fcntl(pipe[1], libc::F_SETPIPE_SZ, 1 << 20) };
    let sig = libc::SIGRTMIN() + 5;
    let ok = crate::signals::set_handler(
        sig,
        handler,
        libc::SA_RESTART | libc::SA_ONSTACK,
        std::ptr::null_mut(),
    );
    if ok {
        RELEASE_READ.store(pipe[0], Ordering::SeqCst);
        RELEASE_WRITE.store(pipe[1], Ordering::SeqCst);
        SIGNAL.store(sig, Ordering::SeqCst);
    }
}

extern "C" fn handler(_sig: libc::c_int, _info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the signal handler: only atomics and async-signal-safe calls
    // (syscall, read); `context` is the kernel's ucontext for this delivery;
    // TABLE, when set, points to a leaked table that is never freed.
    unsafe {
        // Put back on the way out: the interrupted code may be about to
        // read the errno of a call it just made.
        let errno = *libc::__errno_location();
        let i = NEXT.fetch_add(1, Ordering::SeqCst);
        if let Some(slot) = TABLE.load(Ordering::SeqCst).as_ref().and_then(|t| t.get(i)) {
            let regs = crate::registers::of_context(context);
            for (r, v) in slot.regs.iter().zip(regs) {
                r.store(v, Ordering::SeqCst);
            }
            slot.tid
                .store(libc::syscall(libc::SYS_gettid) as u64, Ordering::SeqCst);
            slot.tp.store(libc::pthread_self() as u64, Ordering::SeqCst);
            slot.done.store(true, Ordering::SeqCst);
            ANSWERED.fetch_add(1, Ordering::SeqCst);
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
        *libc::__errno_location() = errno;
    }
}

/// What a thread not frozen is called in the listing: its name and why, so
/// the listing is never silent about a thread that goes on running.
fn not_frozen(tid: u64, name: &str, why: &str) -> Thread {
    Thread {
        id: tid,
        name: format!("{name} (not frozen: {why})"),
        stack: Stack::Unwound(Vec::new()),
    }
}

/// Freezes every thread but `except` and the agent's own, and returns their
/// tracebacks' machine frames. Threads past [`MAX_THREADS`], or that did not
/// answer, are listed with an empty traceback and a name that says so.
pub fn stop_others(except: u64) -> Vec<Thread> {
    // The crashed thread stands still already; the others from now on.
    crate::state::note_frozen();
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
            if tid == except || ours {
                continue;
            }
            targets.push((tid, name));
        }
    }
    targets.sort_unstable();
    let over: Vec<(u64, String)> = targets.split_off(targets.len().min(MAX_THREADS));
    let slots = table_for(targets.len());
    for slot in slots {
        slot.done.store(false, Ordering::SeqCst);
    }
    NEXT.store(0, Ordering::SeqCst);
    ANSWERED.store(0, Ordering::SeqCst);
    let mut signalled = 0;
    let mut refused = Vec::new();
    for (tid, name) in &targets {
        // SAFETY: tgkill with our own pid and one of our thread ids.
        if unsafe { libc::syscall(libc::SYS_tgkill, pid, *tid, sig) } == 0 {
            signalled += 1;
        } else {
            refused.push((*tid, name.clone()));
        }
    }
    *SIGNALLED.lock().unwrap_or_else(|p| p.into_inner()) = signalled;
    let (mut seen, mut last_news, started) = (0, Instant::now(), Instant::now());
    loop {
        let now = ANSWERED.load(Ordering::SeqCst);
        if now >= signalled {
            break;
        }
        if now != seen {
            (seen, last_news) = (now, Instant::now());
        } else if last_news.elapsed() > QUIET
            && (started.elapsed() > TRACED_QUIET || !any_in_tracing_stop(&targets, slots))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let answered = NEXT.load(Ordering::SeqCst).min(slots.len());
    {
        let mut pointers: Vec<(u64, u64)> = slots[..answered]
            .iter()
            .filter(|s| s.done.load(Ordering::SeqCst))
            .map(|s| (s.tid.load(Ordering::SeqCst), s.tp.load(Ordering::SeqCst)))
            .collect();
        pointers.sort_unstable();
        *THREAD_POINTERS.lock().unwrap_or_else(|p| p.into_inner()) = pointers;
    }
    let mut stopped: Vec<Thread> = slots[..answered]
        .iter()
        .filter(|s| s.done.load(Ordering::SeqCst))
        .map(|s| {
            let mut regs = Regs::NONE;
            for (i, v) in s.regs.iter().enumerate() {
                regs.set(i, Some(v.load(Ordering::SeqCst)));
            }
            let tid = s.tid.load(Ordering::SeqCst);
            let name = targets
                .binary_search_by_key(&tid, |t| t.0)
                .ok()
                .map(|k| targets[k].1.clone())
                .unwrap_or_else(|| crate::live::thread_name(tid));
            Thread {
                id: tid,
                name,
                // Unwound when a debugger asks (or the warm-up gets to it),
                // not here: 10,000 threads took half a second to unwind
                // before the socket could appear.
                stack: Stack::Regs(Box::new(regs)),
            }
        })
        .collect();
    stopped.sort_by_key(|s| s.id);
    let silent = targets.iter().filter(|(tid, _)| {
        stopped.binary_search_by_key(tid, |s| s.id).is_err() && !refused.iter().any(|r| r.0 == *tid)
    });
    let silent: Vec<Thread> = silent
        .map(|(tid, name)| not_frozen(*tid, name, "did not answer"))
        .collect();
    stopped.extend(silent);
    stopped.extend(
        refused
            .iter()
            .map(|(tid, name)| not_frozen(*tid, name, "exited")),
    );
    stopped.extend(
        over.iter()
            .map(|(tid, name)| not_frozen(*tid, name, "past the freeze's limit")),
    );
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

/// Writes `text` to fd 2 directly, past the lock `std::io::stderr` takes:
/// a frozen thread may hold that lock for as long as it stays frozen.
pub fn write_stderr(text: &str) {
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        // SAFETY: writing our own buffer to fd 2.
        let n = unsafe { libc::write(2, rest.as_ptr().cast(), rest.len()) };
        if n <= 0 {
            return;
        }
        rest = &rest[n as usize..];
    }
}

/// Whether a target that has not answered yet is traced or in a tracing
/// stop (`TracerPid`, `State: t` in `/proc/self/task/TID/status`).
fn any_in_tracing_stop(targets: &[(u64, String)], slots: &[ThreadSlot]) -> bool {
    let answered: Vec<u64> = slots
        .iter()
        .filter(|s| s.done.load(Ordering::SeqCst))
        .map(|s| s.tid.load(Ordering::SeqCst))
        .collect();
    targets
        .iter()
        .filter(|(tid, _)| !answered.contains(tid))
        .any(|(tid, _)| {
            std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).is_ok_and(|s| {
                let field = |name: &str| {
                    s.lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(str::trim)
                        .unwrap_or("")
                };
                // Stopped by its tracer now, or traced at all: strace stops
                // it at each system call and signal on its way to answer.
                field("State:").starts_with('t') || !matches!(field("TracerPid:"), "" | "0")
            })
        })
}
