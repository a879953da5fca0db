//! The `twice` scenarios: the main thread crashes, and a thread that cannot
//! be frozen crashes too while the first crash is being served; the second
//! crash must be recorded and visible, not lost. `twice` panics twice,
//! `twice-segv` faults twice.

use std::time::Duration;

pub fn run() {
    let late = spawn_late(|| {
        let attempt = 2;
        panic!("second crash, attempt {attempt}");
    });
    std::thread::sleep(Duration::from_millis(20));
    let _ = std::hint::black_box(&late);
    panic!("first crash");
}

pub fn run_segv() {
    let late = spawn_late(|| write_through(std::ptr::null_mut(), 2));
    std::thread::sleep(Duration::from_millis(20));
    let _ = std::hint::black_box(&late);
    write_through(std::ptr::null_mut(), 1);
}

#[inline(never)]
fn write_through(target: *mut u32, value: u32) {
    // SAFETY (demo only): deliberately not safe — this write faults.
    unsafe { std::ptr::write_volatile(target, value) };
}

/// A thread that blocks every signal but SIGSEGV (so it cannot be frozen),
/// then runs `crash` 300 ms later.
fn spawn_late(crash: fn()) -> std::thread::JoinHandle<()> {
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
            std::thread::sleep(Duration::from_millis(300));
            crash();
        })
        .expect("spawn late")
}
