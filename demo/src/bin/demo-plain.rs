//! A program that does NOT link the agent, for `pmdb run` under ptrace:
//! `demo-plain SCENARIO`. Each scenario ends one way a program can end,
//! with locals worth reading where it stops.

use std::io::Write;

/// A basket of prices, checked against a budget: the panic's frame.
fn checkout(prices: &[u32], budget: u32) -> u32 {
    let total: u32 = prices.iter().sum();
    let items = prices.len();
    if total > budget {
        panic!("over budget: {total} > {budget} ({items} items)");
    }
    total
}

/// Writes through a null pointer: SIGSEGV with its locals in place.
fn poke(slot: usize) {
    let base: *mut u64 = std::ptr::null_mut();
    let value = 0xdead_u64;
    // SAFETY: none; this is the crash the scenario is for.
    unsafe { base.add(slot).write_volatile(value) };
}

/// Aborts with its locals in place.
fn give_up(reason: &str) {
    let attempts = 3;
    eprintln!("giving up after {attempts} attempts: {reason}");
    std::process::abort();
}

/// A worker whose panic its joiner unwraps.
fn work(job: u64) -> u64 {
    let limit = 10;
    if job > limit {
        panic!("job {job} is over the limit {limit}");
    }
    job * 2
}

fn main() {
    let scenario = std::env::args().nth(1).unwrap_or_default();
    match scenario.as_str() {
        "panic" => {
            let prices = vec![120, 250, 75];
            let budget = 300;
            println!("total {}", checkout(&prices, budget));
        }
        "segv" => poke(4),
        "abort" => give_up("no route"),
        "caught" => {
            let prices = [400];
            let r = std::panic::catch_unwind(|| checkout(&prices, 100));
            println!("recovered: {}", r.is_err());
            let prices = vec![500, 10];
            println!("total {}", checkout(&prices, 100));
        }
        "thread" => {
            let job = 42;
            let handle = std::thread::Builder::new()
                .name("worker".into())
                .spawn(move || work(job))
                .expect("spawn");
            let doubled = handle.join().unwrap();
            println!("{doubled}");
        }
        "ok" => {
            println!("out one");
            eprintln!("err one");
            let mut out = std::io::stdout();
            let _ = writeln!(out, "out two");
            std::process::exit(7);
        }
        "signals" => signals(),
        "sleep" => {
            // Until a signal (the terminal's Ctrl-C) ends it.
            println!("ready");
            let _ = std::io::stdout().flush();
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
        "fork" => fork(),
        "exec" => {
            use std::os::unix::process::CommandExt;
            let me = std::env::current_exe().expect("exe");
            let e = std::process::Command::new(me).arg("panic").exec();
            eprintln!("exec failed: {e}");
        }
        "daemon" => {
            // SAFETY: the child only closes its output, sleeps and exits.
            match unsafe { libc::fork() } {
                0 => {
                    // As daemons do: nothing of the terminal kept.
                    unsafe {
                        libc::close(0);
                        libc::close(1);
                        libc::close(2);
                    }
                    std::thread::sleep(std::time::Duration::from_secs(30));
                    // SAFETY: ends the child without running the parent's atexit.
                    unsafe { libc::_exit(0) };
                }
                child => println!("daemon {child}"),
            }
        }
        _ => {
            eprintln!(
                "usage: demo-plain panic|segv|abort|caught|thread|ok|signals|sleep|fork|exec|daemon"
            );
            std::process::exit(2);
        }
    }
}

static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

extern "C" fn count(_: libc::c_int) {
    COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// Takes SIGUSR1 and a real-time signal three times each through its own
/// handler, then dies of SIGTERM: every signal must arrive as sent.
fn signals() {
    let rt = libc::SIGRTMIN() + 3;
    // SAFETY: `count` only touches an atomic; the signals are our own.
    unsafe {
        libc::signal(libc::SIGUSR1, count as *const () as libc::sighandler_t);
        libc::signal(rt, count as *const () as libc::sighandler_t);
        for _ in 0..3 {
            libc::kill(libc::getpid(), libc::SIGUSR1);
            libc::kill(libc::getpid(), rt);
        }
    }
    println!(
        "handled {}",
        COUNT.load(std::sync::atomic::Ordering::SeqCst)
    );
    let _ = std::io::stdout().flush();
    // SAFETY: the default disposition of SIGTERM ends the process.
    unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
    std::thread::sleep(std::time::Duration::from_secs(5));
}

/// A forked child that panics (its copy of pmdb's breakpoints must be
/// gone), waited for by its parent, which ends well.
fn fork() {
    // SAFETY: the child runs only this function's Rust code, single-threaded.
    match unsafe { libc::fork() } {
        0 => {
            let r = std::panic::catch_unwind(|| checkout(&[9, 9], 1));
            // SAFETY: ends the child with a status telling what it saw.
            unsafe { libc::_exit(if r.is_err() { 42 } else { 1 }) };
        }
        child => {
            let mut status = 0;
            // SAFETY: waits for our own child.
            unsafe { libc::waitpid(child, &mut status, 0) };
            println!("child exited {}", libc::WEXITSTATUS(status));
        }
    }
}
