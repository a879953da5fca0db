//! `demo-tokio-hang`: a tokio program stuck on purpose, for pmdb's "why
//! is it stuck" over async tasks. It never links pmdb's agent.
//!
//! On a current-thread runtime in `block_on` on the main thread:
//! - `left` holds tokio Mutex `a` and awaits `b`; `right` holds `b` and
//!   awaits `a`: two tasks deadlocked;
//! - `swap` holds tokio Mutex `c` and awaits `d`, which the std thread
//!   `blocker` holds (`blocking_lock`) while it waits for `c`: a deadlock
//!   across a task and a thread;
//! - `reader` holds RwLock `table` for reading and awaits a `Notify`;
//!   `writer` awaits writing `table`;
//! - `permit` awaits a `Semaphore` with no permits; `inbox` an mpsc
//!   receive and `reply` a oneshot receive (main holds both senders);
//!   `ticker` a one-hour `sleep`; `joiner` the `JoinHandle` of `left`;
//!   `acceptor` a connection on a listening socket nobody dials.
//!
//! It prints `ready` once every task stands at its await and `blocker`
//! sleeps in the kernel, then waits for ever.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, Notify, RwLock, Semaphore, mpsc, oneshot};

/// Tasks that reached their last await (counted just before it: on a
/// current-thread runtime a task that counted has returned `Pending`
/// there before any other task runs).
static PARKED: AtomicUsize = AtomicUsize::new(0);

/// Tasks holding their first lock.
static HOLDING: AtomicUsize = AtomicUsize::new(0);

/// The tasks that count themselves in `PARKED`.
const TASKS: usize = 10;

fn parked() {
    PARKED.fetch_add(1, Ordering::SeqCst);
}

/// The ledger each locking task updates.
#[derive(Debug, Default)]
pub struct Ledger {
    pub entries: Vec<u64>,
}

async fn left(a: Arc<Mutex<Ledger>>, b: Arc<Mutex<Ledger>>) -> usize {
    let mut first = a.lock().await;
    hold_together().await;
    parked();
    let second = b.lock().await; // stuck: left
    first.entries.push(1);
    second.entries.len()
}

async fn right(a: Arc<Mutex<Ledger>>, b: Arc<Mutex<Ledger>>) -> usize {
    let mut first = b.lock().await;
    hold_together().await;
    parked();
    let second = a.lock().await; // stuck: right
    first.entries.push(2);
    second.entries.len()
}

/// Returns once `left` and `right` both hold their first lock.
async fn hold_together() {
    HOLDING.fetch_add(1, Ordering::SeqCst);
    while HOLDING.load(Ordering::SeqCst) < 2 {
        tokio::task::yield_now().await;
    }
}

async fn swap(c: Arc<Mutex<Ledger>>, d: Arc<Mutex<Ledger>>) -> usize {
    let mut mine = c.lock().await;
    parked();
    let theirs = d.lock().await; // stuck: swap
    mine.entries.push(3);
    theirs.entries.len()
}

async fn reader(table: Arc<RwLock<Vec<u32>>>, changed: Arc<Notify>) -> usize {
    let rows = table.read().await;
    parked();
    changed.notified().await; // stuck: reader
    rows.len()
}

async fn writer(table: Arc<RwLock<Vec<u32>>>) {
    let mut rows = table.write().await; // stuck: writer
    rows.push(1);
}

async fn permit(slots: Arc<Semaphore>) {
    parked();
    let _permit = slots.acquire().await; // stuck: permit
}

async fn inbox(mut messages: mpsc::Receiver<String>) -> Option<String> {
    parked();
    messages.recv().await // stuck: inbox
}

async fn reply(answer: oneshot::Receiver<u64>) -> u64 {
    parked();
    answer.await.unwrap_or(0) // stuck: reply
}

async fn ticker(every: u64) {
    parked();
    tokio::time::sleep(Duration::from_secs(every)).await; // stuck: ticker
}

async fn joiner(left: tokio::task::JoinHandle<usize>) -> usize {
    parked();
    left.await.unwrap_or(0) // stuck: joiner
}

async fn acceptor(listener: tokio::net::TcpListener) -> bool {
    parked();
    listener.accept().await.is_ok() // stuck: acceptor
}

/// The blocker's kernel thread id, once it holds `d`.
static BLOCKER: AtomicI32 = AtomicI32::new(0);
/// Set once `swap` awaits `d`: the blocker may go on.
static SWAP_WAITS: AtomicUsize = AtomicUsize::new(0);

/// The std thread: holds `d`, then waits for `c`, which `swap` holds.
fn blocker(c: Arc<Mutex<Ledger>>, d: Arc<Mutex<Ledger>>) -> usize {
    let mut held = d.blocking_lock();
    // SAFETY: gettid has no arguments and cannot fail.
    BLOCKER.store(unsafe { libc::gettid() }, Ordering::SeqCst);
    while SWAP_WAITS.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    let wanted = c.blocking_lock(); // stuck: blocker
    held.entries.push(4);
    wanted.entries.len()
}

/// Returns once thread `tid` sleeps in `futex(2)`.
fn wait_in_futex(tid: i32) {
    let path = format!("/proc/self/task/{tid}/syscall");
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.split_whitespace().next() == Some("202") {
            return;
        }
        std::thread::yield_now();
    }
}

async fn serve() {
    let (a, b) = (Arc::default(), Arc::default());
    let left = tokio::spawn(left(Arc::clone(&a), Arc::clone(&b)));
    tokio::spawn(right(a, b));

    let (c, d) = (
        Arc::<Mutex<Ledger>>::default(),
        Arc::<Mutex<Ledger>>::default(),
    );
    let (c2, d2) = (c.clone(), d.clone());
    let _blocker = std::thread::Builder::new()
        .name("blocker".into())
        .spawn(move || blocker(c2, d2))
        .expect("spawn blocker");
    while BLOCKER.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    tokio::spawn(swap(c, d));

    let table = Arc::new(RwLock::new(vec![1, 2, 3]));
    let changed = Arc::new(Notify::new());
    tokio::spawn(reader(table.clone(), changed.clone()));
    let slots = Arc::new(Semaphore::new(0));
    tokio::spawn(permit(slots.clone()));
    let (messages, incoming) = mpsc::channel::<String>(8);
    tokio::spawn(inbox(incoming));
    let (answer, answered) = oneshot::channel::<u64>();
    tokio::spawn(reply(answered));
    tokio::spawn(ticker(3600));
    tokio::spawn(joiner(left));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen on 127.0.0.1");
    tokio::spawn(acceptor(listener));
    while PARKED.load(Ordering::SeqCst) < TASKS {
        tokio::task::yield_now().await;
    }
    // The reader holds the table: the writer's await cannot succeed. Once
    // it is queued, it holds every permit left, and reading fails.
    tokio::spawn(writer(table.clone()));
    while table.try_read().is_ok() {
        tokio::task::yield_now().await;
    }
    SWAP_WAITS.store(1, Ordering::SeqCst);
    wait_in_futex(BLOCKER.load(Ordering::SeqCst));
    println!("ready");
    std::future::pending::<()>().await;
    drop((messages, answer, slots, changed));
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(serve());
}
