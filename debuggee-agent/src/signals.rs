//! Fatal signals: SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT. The agent
//! thread started here also answers requests for a live snapshot
//! (`snapshot`) while it waits.
//!
//! The handler runs on the thread's alternate stack (std gives every thread
//! one) and does only async-signal-safe work: it copies the register state
//! from the signal context into a static slot, wakes the agent thread started
//! at `install()` through a pipe, and blocks reading a second pipe. The agent
//! thread, free to allocate, unwinds the crashed stack from those registers,
//! serves or reports the crash, then releases the handler, which puts the
//! previous disposition back so the process dies by the same signal (or std's
//! stack-overflow handler prints its usual message), exactly as without us.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use wire::CrashKind;

use engine::{Crash, LaterCrash, Regs, Stack, Thread};

use crate::config::Config;

const SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGABRT,
];
/// Most frames unwound from a signal (a stack overflow is deep).
const MAX_FRAMES: usize = 512;

/// What the handler hands to the agent thread.
struct Slot {
    regs: [AtomicU64; 17],
    signo: AtomicI32,
    code: AtomicI32,
    addr: AtomicU64,
    tid: AtomicU64,
}

static SLOT: Slot = Slot {
    regs: [const { AtomicU64::new(0) }; 17],
    signo: AtomicI32::new(0),
    code: AtomicI32::new(0),
    addr: AtomicU64::new(0),
    tid: AtomicU64::new(0),
};

/// Fatal signals in other threads while a signal crash is being served.
const LATE_SLOTS: usize = 8;
static LATE: [Slot; LATE_SLOTS] = [const {
    Slot {
        regs: [const { AtomicU64::new(0) }; 17],
        signo: AtomicI32::new(0),
        code: AtomicI32::new(0),
        addr: AtomicU64::new(0),
        tid: AtomicU64::new(0),
    }
}; LATE_SLOTS];
static LATE_COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A crash is being handled (the first one wins).
static CLAIMED: AtomicBool = AtomicBool::new(false);
/// The agent is done with the crash: signals now take their previous course.
static RELEASED: AtomicBool = AtomicBool::new(false);
static WAKE_WRITE: AtomicI32 = AtomicI32::new(-1);
static RELEASE_READ: AtomicI32 = AtomicI32::new(-1);

/// The dispositions in force before ours, by signal number.
struct Previous(UnsafeCell<[MaybeUninit<libc::sigaction>; 32]>);
// SAFETY: written only in `install`, before our handlers exist; read-only after.
unsafe impl Sync for Previous {}
static PREVIOUS: Previous = Previous(UnsafeCell::new([MaybeUninit::uninit(); 32]));

/// Starts the agent thread and installs the handlers. Failures are reported
/// and leave the signals' dispositions untouched.
pub fn install(config: Config) {
    let mut wake = [-1; 2];
    let mut release = [-1; 2];
    // SAFETY: `pipe2` writes two fds into each array we own.
    let ok = unsafe {
        libc::pipe2(wake.as_mut_ptr(), libc::O_CLOEXEC) == 0
            && libc::pipe2(release.as_mut_ptr(), libc::O_CLOEXEC) == 0
    };
    if !ok {
        eprintln!(
            "pmdb: cannot watch for fatal signals: {}",
            std::io::Error::last_os_error()
        );
        return;
    }
    let (wake_read, release_write) = (wake[0], release[1]);
    crate::state::add_later_source(late_crashes);
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let started = std::thread::Builder::new()
        .name("pmdb-agent-signals".into())
        .spawn(move || {
            crate::state::set_agent_tid(crate::live::current_tid());
            let _ = started_tx.send(());
            agent(config, wake_read, release_write)
        });
    if let Err(e) = started {
        eprintln!("pmdb: cannot watch for fatal signals: {e}");
        return;
    }
    // Wait until the thread runs under its name and its id is known, so a
    // crash right after install() never mistakes it for a program thread.
    let _ = started_rx.recv_timeout(std::time::Duration::from_secs(1));
    WAKE_WRITE.store(wake[1], Ordering::SeqCst);
    RELEASE_READ.store(release[0], Ordering::SeqCst);
    for sig in SIGNALS {
        // SAFETY: `PREVIOUS`'s slot is ours to write here, before any handler
        // of ours can run (the `Sync` claim above).
        let prev = unsafe { (*PREVIOUS.0.get())[sig as usize].as_mut_ptr() };
        set_handler(sig, handler, libc::SA_ONSTACK, prev);
    }
}

/// A signal handler as `sigaction` takes it (`SA_SIGINFO`).
pub type Handler = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

/// Installs `handler` for `sig` with `SA_SIGINFO | flags` and an empty mask,
/// writing the disposition it replaces to `previous` unless that is null.
/// Whether the kernel took it.
pub fn set_handler(
    sig: libc::c_int,
    handler: Handler,
    flags: libc::c_int,
    previous: *mut libc::sigaction,
) -> bool {
    set_handler_masking(sig, handler, flags, &[], previous)
}

/// As [`set_handler`], with `masked` blocked while the handler runs: a
/// signal of those that arrives meanwhile waits until it returns.
pub fn set_handler_masking(
    sig: libc::c_int,
    handler: Handler,
    flags: libc::c_int,
    masked: &[libc::c_int],
    previous: *mut libc::sigaction,
) -> bool {
    // SAFETY: a zeroed sigaction is valid; we fill in the handler, flags and
    // the mask; `previous` is null or points at a sigaction the caller
    // owns, which the kernel writes.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | flags;
        libc::sigemptyset(&mut action.sa_mask);
        for &m in masked {
            libc::sigaddset(&mut action.sa_mask, m);
        }
        libc::sigaction(sig, &action, previous) == 0
    }
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // A program may have turned on x86's alignment check (EFLAGS.AC, then
    // a misaligned load is a SIGBUS); the kernel leaves it on for the
    // handler, whose own loads need not be aligned: turn it off first.
    // SAFETY: clears one bit of this thread's own flags register; it touches
    // no memory but the stack slot `pushfq` makes and `popfq` takes back.
    unsafe {
        std::arch::asm!("pushfq", "and qword ptr [rsp], ~0x40000", "popfq");
    }
    // SAFETY: this is the signal handler: it calls only async-signal-safe
    // functions (syscall, write, read, pause, sigaction, raise) and reads the
    // kernel-provided `info` and `context`, valid for the handler's duration.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as u64;
        let pass_through = RELEASED.load(Ordering::SeqCst)
            || (sig == libc::SIGABRT && crate::state::panic_served())
            || tid == crate::state::agent_tid()
            || WAKE_WRITE.load(Ordering::SeqCst) < 0;
        if !pass_through {
            if CLAIMED.swap(true, Ordering::SeqCst) {
                // A second crash while the first is served: recorded for the
                // debugger, then this thread stays frozen; the process ends
                // by the first crash.
                let i = LATE_COUNT.fetch_add(1, Ordering::SeqCst);
                if let Some(slot) = LATE.get(i) {
                    fill(slot, sig, info, context, tid);
                }
                loop {
                    libc::pause();
                }
            }
            fill(&SLOT, sig, info, context, tid);
            let byte = 1u8;
            libc::write(
                WAKE_WRITE.load(Ordering::SeqCst),
                (&byte as *const u8).cast(),
                1,
            );
            let mut buf = 0u8;
            loop {
                let n = libc::read(
                    RELEASE_READ.load(Ordering::SeqCst),
                    (&mut buf as *mut u8).cast(),
                    1,
                );
                if n == 1 || (n < 0 && *libc::__errno_location() != libc::EINTR) || n == 0 {
                    break;
                }
            }
        }
        // Let the signal take the course it would have taken without us.
        let prev = (*PREVIOUS.0.get())[sig as usize].as_ptr();
        libc::sigaction(sig, prev, std::ptr::null_mut());
        if (*info).si_code <= 0 {
            // Sent by kill/raise/abort: re-send it; it is delivered, under
            // the previous disposition, as soon as this handler returns.
            libc::raise(sig);
        }
        // A fault re-executes the faulting instruction, which faults again.
    }
}

/// Copies a signal's context into `slot`. Async-signal-safe: atomics only.
///
/// # Safety
/// `info` and `context` must be the kernel's, for the signal being handled.
unsafe fn fill(
    slot: &Slot,
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
    tid: u64,
) {
    // SAFETY: per this function's contract, both pointers are valid for the
    // duration of the handler that calls it.
    unsafe {
        for (r, v) in slot.regs.iter().zip(crate::registers::of_context(context)) {
            r.store(v, Ordering::SeqCst);
        }
        slot.signo.store(sig, Ordering::SeqCst);
        slot.code.store((*info).si_code, Ordering::SeqCst);
        slot.addr.store((*info).si_addr() as u64, Ordering::SeqCst);
        slot.tid.store(tid, Ordering::SeqCst);
    }
}

/// Signal crashes recorded while another signal crash was being served.
fn late_crashes() -> Vec<LaterCrash> {
    let n = LATE_COUNT.load(Ordering::SeqCst).min(LATE_SLOTS);
    LATE[..n]
        .iter()
        .filter(|s| s.tid.load(Ordering::SeqCst) != 0)
        .map(crash_from)
        .map(|c| LaterCrash {
            info: c.info,
            frames: match c.threads.into_iter().next().map(|t| t.stack) {
                Some(Stack::Unwound(f)) => f,
                _ => Vec::new(),
            },
        })
        .collect()
}

/// The agent's signal thread: waits for a crash (a byte on `wake_read`)
/// and, meanwhile, answers requests for a live snapshot (`snapshot`).
fn agent(config: Config, wake_read: libc::c_int, release_write: libc::c_int) {
    let mut buf = [0u8; 1];
    let requests = crate::snapshot::request_fd();
    loop {
        let mut fds = [
            libc::pollfd {
                fd: wake_read,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: requests,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let watched = if requests >= 0 { 2 } else { 1 };
        // SAFETY: `fds` holds `watched` valid pollfd entries we own.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), watched, -1) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if fds[0].revents != 0 {
            // SAFETY: reading one byte into our own buffer from our own pipe.
            let n = unsafe { libc::read(wake_read, buf.as_mut_ptr().cast(), 1) };
            if n == 1 {
                break;
            }
            if n == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                return;
            }
            continue;
        }
        if watched == 2 && fds[1].revents != 0 {
            crate::snapshot::serve(&config);
        }
    }
    let crash = crash_from_slot();
    let signal = corefile::SigInfo {
        signo: SLOT.signo.load(Ordering::SeqCst),
        code: SLOT.code.load(Ordering::SeqCst),
        addr: SLOT.addr.load(Ordering::SeqCst),
    };
    crate::respond::handle(&config, crash, Some(signal));
    RELEASED.store(true, Ordering::SeqCst);
    // SAFETY: writing one byte from our own buffer to our own pipe.
    unsafe { libc::write(release_write, buf.as_ptr().cast(), 1) };
}

fn crash_from_slot() -> Crash {
    crash_from(&SLOT)
}

fn crash_from(slot: &Slot) -> Crash {
    let mut regs = Regs::NONE;
    for (i, v) in slot.regs.iter().enumerate() {
        regs.set(i, Some(v.load(Ordering::SeqCst)));
    }
    let sig = slot.signo.load(Ordering::SeqCst);
    let code = slot.code.load(Ordering::SeqCst);
    let addr = slot.addr.load(Ordering::SeqCst);
    let tid = slot.tid.load(Ordering::SeqCst);
    // This runs on the agent's signals thread, not in the handler: reading
    // /proc is allowed here. Read before the engine allocates, so the map
    // is as near the fault's as it can be.
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let engine = crate::live::engine();
    let frames = engine.tables().raw_frames(regs, MAX_FRAMES);
    let location = engine::crash::traceback::user_location(&engine, &frames);
    let mut info = crate::live::record(
        CrashKind::Signal,
        engine::crash::signal::describe(sig, code, addr),
        None,
        location,
        tid,
    );
    info.analysis = engine::crash::triage::analyse(
        engine::crash::triage::Fault {
            signo: sig,
            code,
            addr,
        },
        &regs,
        &corefile::regions_from_maps(&maps),
    );
    Crash {
        threads: vec![Thread {
            id: tid,
            name: info.thread_name.clone(),
            stack: Stack::Unwound(frames),
        }],
        info,
    }
}
