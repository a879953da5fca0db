//! `demo hang`: a running program that links the agent and waits, for live
//! snapshots taken by the agent where ptrace is refused (a process already
//! traced by strace). A `waiter` thread blocks on an mpsc `recv` in
//! `wait_for_order`; once it is inside `futex(2)` (checked in `/proc`),
//! main prints `ready PID` and reads stdin. On `quit` (or the end of
//! input) it sends order 7, the waiter takes it, and main prints `bye: the
//! waiter got order 7` and exits with status 3.

use std::io::BufRead;
use std::sync::mpsc;

/// The x86-64 `futex` system call.
const FUTEX: u64 = 202;

/// Blocks until an order comes.
#[inline(never)]
fn wait_for_order(orders: &mpsc::Receiver<u32>, desk: &str, tid: &mpsc::Sender<u64>) -> u32 {
    let served = 41u32;
    let _ = tid.send(gettid());
    let order = orders.recv().unwrap_or(0);
    std::hint::black_box((desk, served));
    order
}

fn gettid() -> u64 {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name()?.to_str()?.parse().ok())
        .unwrap_or(0)
}

/// The system call a thread of this process is in.
fn in_syscall(tid: u64) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

pub fn run() {
    let (orders, incoming) = mpsc::channel::<u32>();
    let (tid_tx, tid_rx) = mpsc::channel();
    let waiter = std::thread::Builder::new()
        .name("waiter".into())
        .spawn(move || wait_for_order(&incoming, "order desk", &tid_tx))
        .expect("spawn the waiter");
    let tid = tid_rx.recv().expect("the waiter's tid");
    while in_syscall(tid) != Some(FUTEX) {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    println!("ready {}", std::process::id());
    for line in std::io::stdin().lock().lines() {
        if line.map_or(true, |l| l.trim() == "quit") {
            break;
        }
    }
    let _ = orders.send(7);
    let got = waiter.join().unwrap_or(0);
    println!("bye: the waiter got order {got}");
    std::process::exit(3);
}
