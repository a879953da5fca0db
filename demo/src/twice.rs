//! The `twice` scenarios: the main thread crashes, and a thread that cannot
//! be frozen crashes too while the first crash is being served; the second
//! crash must be recorded and visible, not lost. `twice` panics twice,
//! `twice-segv` faults twice, `twice-cue` panics the second time when a
//! line arrives on its stdin (so a test says when, while it is attached).

use std::time::Duration;

pub fn run() {
    let late = spawn_late(after_a_while, || {
        let attempt = 2;
        panic!("second crash, attempt {attempt}");
    });
    std::thread::sleep(Duration::from_millis(20));
    let _ = std::hint::black_box(&late);
    panic!("first crash");
}

pub fn run_on_cue() {
    let late = spawn_late(a_line_on_stdin, || {
        let attempt = 2;
        panic!("second crash, attempt {attempt}");
    });
    std::thread::sleep(Duration::from_millis(20));
    let _ = std::hint::black_box(&late);
    panic!("first crash");
}

pub fn run_segv() {
    let late = spawn_late(after_a_while, || write_through(std::ptr::null_mut(), 2));
    std::thread::sleep(Duration::from_millis(20));
    let _ = std::hint::black_box(&late);
    write_through(std::ptr::null_mut(), 1);
}

#[inline(never)]
fn write_through(target: *mut u32, value: u32) {
    // SAFETY (demo only): deliberately not safe — this write faults.
    unsafe { std::ptr::write_volatile(target, value) };
}

fn after_a_while() {
    std::thread::sleep(Duration::from_millis(300));
}

fn a_line_on_stdin() {
    let _ = std::io::stdin().read_line(&mut String::new());
}

/// A thread that blocks every signal but SIGSEGV (so it cannot be frozen),
/// then runs `crash` once `wait` returns.
fn spawn_late(wait: fn(), crash: fn()) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("late".into())
        .spawn(move || {
            // SAFETY (demo only): a zeroed set filled by the libc calls, then
            // installed as this thread's mask.
            unsafe {
                let mut all: libc::sigset_t = std::mem::zeroed();
                libc::sigfillset(&mut all);
                libc::sigdelset(&mut all, libc::SIGSEGV);
                libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
            }
            wait();
            crash();
        })
        .expect("spawn late")
}
