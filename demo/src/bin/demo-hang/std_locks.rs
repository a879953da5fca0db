//! The scenarios stuck on std's locks: two Mutexes taken in opposite
//! orders, a `static` queue, an RwLock, a Condvar, a OnceLock, a join, and
//! a Mutex whose guard was forgotten. Each thread stops at a line of its
//! own; the comments `// stuck: …` mark them (the tests find lines by them).

// Fields exist to be read by the debugger, not by the program.
#![allow(dead_code)]

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock};

use crate::place::{arrive_and_wait, ready, spawn, wait_in_futex, words_of};

#[derive(Debug)]
pub struct Account {
    pub id: u32,
    pub owner: &'static str,
    pub balance: i64,
}

pub struct Bank {
    pub accounts: Vec<Mutex<Account>>,
}

/// Tellers holding their first account.
static HOLDING: AtomicUsize = AtomicUsize::new(0);

/// Moves `amount` from one account to another, locking `from` first: two
/// tellers transferring in opposite directions deadlock here.
#[inline(never)]
pub fn transfer(from: &Mutex<Account>, to: &Mutex<Account>, amount: i64) {
    let mut source = from.lock().unwrap();
    arrive_and_wait(&HOLDING, 2);
    let mut target = to.lock().unwrap(); // stuck: transfer
    source.balance -= amount;
    target.balance += amount;
}

/// `mutex`: `teller-1` moves from alice to bob while `teller-2` moves from
/// bob to alice; each holds its `from` and waits for its `to`.
pub fn mutex() {
    let bank = Arc::new(Bank {
        accounts: vec![
            Mutex::new(Account {
                id: 1,
                owner: "alice",
                balance: 100,
            }),
            Mutex::new(Account {
                id: 2,
                owner: "bob",
                balance: 50,
            }),
        ],
    });
    let b = bank.clone();
    let (first, one) = spawn("teller-1", move || {
        transfer(&b.accounts[0], &b.accounts[1], 10)
    });
    let b = bank.clone();
    let (_second, two) = spawn("teller-2", move || {
        transfer(&b.accounts[1], &b.accounts[0], 20)
    });
    wait_in_futex(one, Some(words_of(&bank.accounts[1])));
    wait_in_futex(two, Some(words_of(&bank.accounts[0])));
    ready();
    let _ = first.join(); // stuck: main joins teller-1
}

#[derive(Debug)]
pub struct Job {
    pub id: u32,
    pub name: &'static str,
}

/// The queue both workers share.
pub static QUEUE: Mutex<Vec<Job>> = Mutex::new(Vec::new());

/// Set once the producer holds the queue.
static PRODUCING: AtomicI32 = AtomicI32::new(0);

/// Holds the queue while it waits for the next job.
#[inline(never)]
fn produce(jobs: Receiver<Job>) {
    let mut queue = QUEUE.lock().unwrap();
    PRODUCING.store(1, Ordering::SeqCst);
    let job = jobs.recv(); // stuck: produce
    if let Ok(job) = job {
        queue.push(job);
    }
}

/// Takes the next job off the queue.
#[inline(never)]
fn consume() -> Option<Job> {
    let mut queue = QUEUE.lock().unwrap(); // stuck: consume
    queue.pop()
}

/// `static`: `producer` holds `QUEUE` and waits to receive a job (main
/// holds the sender); `consumer` waits for `QUEUE`.
pub fn queue() {
    let (jobs, incoming) = channel::<Job>();
    let (_producer, p) = spawn("producer", move || produce(incoming));
    while PRODUCING.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    wait_in_futex(p, None);
    let (consumer, c) = spawn("consumer", consume);
    wait_in_futex(c, Some(words_of(&QUEUE)));
    ready();
    let _ = consumer.join(); // stuck: main joins consumer
    drop(jobs);
}

#[derive(Debug)]
pub struct Config {
    pub version: u32,
}

#[derive(Debug)]
pub struct Stats {
    pub requests: u64,
}

pub struct Service {
    pub config: RwLock<Config>,
    pub stats: Mutex<Stats>,
}

/// Threads holding their first lock.
static SERVING: AtomicUsize = AtomicUsize::new(0);

impl Service {
    /// Reads the config, then counts the reload.
    #[inline(never)]
    fn reload(&self) {
        let config = self.config.read().unwrap();
        arrive_and_wait(&SERVING, 2);
        let mut stats = self.stats.lock().unwrap(); // stuck: reload
        stats.requests += u64::from(config.version);
    }

    /// Counts a report, then bumps the config.
    #[inline(never)]
    fn report(&self) {
        let mut stats = self.stats.lock().unwrap();
        arrive_and_wait(&SERVING, 2);
        let mut config = self.config.write().unwrap(); // stuck: report
        config.version += 1;
        stats.requests += 1;
    }
}

/// `rwlock`: `reloader` holds the config for reading and waits for the
/// stats; `reporter` holds the stats and waits to write the config.
pub fn rwlock() {
    let service = Arc::new(Service {
        config: RwLock::new(Config { version: 3 }),
        stats: Mutex::new(Stats { requests: 0 }),
    });
    let s = service.clone();
    let (reloader, r) = spawn("reloader", move || s.reload());
    let s = service.clone();
    let (_reporter, w) = spawn("reporter", move || s.report());
    wait_in_futex(r, Some(words_of(&service.stats)));
    wait_in_futex(w, Some(words_of(&service.config)));
    ready();
    let _ = reloader.join();
}

pub struct Gate {
    pub open: Mutex<bool>,
    pub changed: Condvar,
}

/// Waits until the gate opens: nobody opens it.
#[inline(never)]
fn wait_open(gate: &Gate) {
    let mut open = gate.open.lock().unwrap();
    while !*open {
        open = gate.changed.wait(open).unwrap(); // stuck: wait_open
    }
}

/// `condvar`: `waiter` waits on `gate.changed` (with `gate.open`).
pub fn condvar() {
    let gate = Arc::new(Gate {
        open: Mutex::new(false),
        changed: Condvar::new(),
    });
    let g = gate.clone();
    let (waiter, w) = spawn("waiter", move || wait_open(&g));
    wait_in_futex(w, Some(words_of(&gate.changed)));
    ready();
    let _ = waiter.join();
}

#[derive(Debug)]
pub struct Settings {
    pub workers: u32,
}

/// Settings, loaded once by whoever asks first.
pub static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Names registered so far.
pub static REGISTRY: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// The loader's thread id, once it stands in `load_settings`.
static LOADER: AtomicI32 = AtomicI32::new(0);

/// SETTINGS' initialiser: it needs the registry.
#[inline(never)]
fn load_settings() -> Settings {
    LOADER.store(crate::place::gettid(), Ordering::SeqCst);
    let registry = REGISTRY.lock().unwrap(); // stuck: load_settings
    Settings {
        workers: registry.len() as u32,
    }
}

/// Holds the registry while it reads the settings.
#[inline(never)]
fn register(loader_started: &AtomicUsize) {
    let mut registry = REGISTRY.lock().unwrap();
    loader_started.store(1, Ordering::SeqCst);
    while LOADER.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    wait_in_futex(LOADER.load(Ordering::SeqCst), Some(words_of(&REGISTRY)));
    let settings = SETTINGS.get_or_init(load_settings); // stuck: register
    registry.push(if settings.workers > 0 { "busy" } else { "idle" });
}

/// `once`: `user` holds `REGISTRY` and waits for `SETTINGS`, which
/// `loader` initialises and whose initialiser waits for `REGISTRY`.
pub fn once() {
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let (user, u) = spawn("user", move || register(&s));
    while started.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    let (_loader, _) = spawn("loader", || SETTINGS.get_or_init(load_settings).workers);
    wait_in_futex(u, Some(words_of(&SETTINGS)));
    ready();
    let _ = user.join();
}

/// The plan the parent and the child both need.
pub static PLAN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Set once the parent is about to join.
static JOINING: AtomicI32 = AtomicI32::new(0);

/// Holds the plan while it waits for a child that needs it.
#[inline(never)]
fn parent() {
    let plan = PLAN.lock().unwrap();
    let (child, tid) = spawn("child", || PLAN.lock().unwrap().len()); // stuck: child
    wait_in_futex(tid, Some(words_of(&PLAN)));
    JOINING.store(1, Ordering::SeqCst);
    let done = child.join(); // stuck: parent
    drop((plan, done));
}

/// `join`: `parent` holds `PLAN` and joins `child`, which waits for it.
pub fn join() {
    let (parent, p) = spawn("parent", parent);
    while JOINING.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    wait_in_futex(p, None);
    ready();
    let _ = parent.join();
}

/// The ledger's total.
pub static LEDGER: Mutex<u64> = Mutex::new(0);

/// Adds to the ledger.
#[inline(never)]
fn audit() -> u64 {
    let total = LEDGER.lock().unwrap(); // stuck: audit
    *total
}

/// `forgotten`: main locks `LEDGER` and forgets the guard, then
/// `auditor` waits for it: no frame holds the lock.
pub fn forgotten() {
    std::mem::forget(LEDGER.lock().unwrap());
    let (auditor, a) = spawn("auditor", audit);
    wait_in_futex(a, Some(words_of(&LEDGER)));
    ready();
    let _ = auditor.join();
}
