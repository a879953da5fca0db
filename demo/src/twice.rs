//! The `twice` scenario: the main thread panics; a thread that blocks every
//! signal (so it cannot be frozen) panics too while the first crash is being
//! served. The second crash must be recorded and visible, not lost.

use std::time::Duration;

pub fn run() {
    let late = std::thread::Builder::new()
        .name("late".into())
        .spawn(|| {
            // SAFETY (demo only): a zeroed set filled by sigfillset, then
            // installed as this thread's mask.
            unsafe {
                let mut all: libc::sigset_t = std::mem::zeroed();
                libc::sigfillset(&mut all);
                libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
            }
            std::thread::sleep(Duration::from_millis(300));
            let attempt = 2;
            panic!("second crash, attempt {attempt}");
        })
        .expect("spawn late");
    std::thread::sleep(Duration::from_millis(20));
    let _ = std::hint::black_box(&late);
    panic!("first crash");
}
