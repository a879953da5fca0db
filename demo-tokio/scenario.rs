//! The tokio scenario, shared by `demo-tokio-current`, `demo-tokio-older`,
//! `demo-tokio-oldest` and `demo-tokio-mid` (the same program built against
//! tokio 1.54.1, 1.40.0, 1.0.3 and 1.20.6): dozens of tasks
//! parked at `.await`s holding known locals, then one task that panics.
//!
//! - `order-0` … `order-{N-1}` (N = 24 unless `demo-tokio N`): each holds
//!   `id`, a `name` (`"order-{id}"`) and `qty` (`id * 10`) across an await on
//!   its own gate (a oneshot nobody sends on), one level down in `reserve`.
//! - `ticker`: parked at a plain `sleep` far in the future, holding `every`.
//! - `checker`: wakes `order-0`'s neighbour `poke` (so one task is notified
//!   but not yet run) and panics while it runs.
//!
//! By default the tasks run on a current-thread runtime inside `block_on`
//! on the main thread. With `multi` (`demo-tokio N multi`), they run on a
//! multi-thread runtime of one worker, and the main thread waits outside
//! any runtime: `serve` is itself a task, and no thread is in `block_on`.
//! With `held`, the main thread spawns `serve` on a current-thread runtime
//! it never enters and panics holding it: one task, never polled.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::time::Duration;

use tokio::sync::oneshot;

/// Parked orders unless the command line says otherwise.
const DEFAULT_ORDERS: u64 = 24;

/// Tasks that have reached their await.
static PARKED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn main() {
    debuggee_agent::install();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let orders = args
        .first()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(DEFAULT_ORDERS);
    if args.iter().any(|a| a == "multi") {
        // One worker, so the woken `poke` cannot run while `checker` does.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let (done, finished) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            serve(orders).await;
            let _ = done.send(());
        });
        let _ = finished.recv();
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if args.iter().any(|a| a == "held") {
        runtime.spawn(serve(orders));
        panic!("startup failed with {orders} orders queued");
    }
    runtime.block_on(serve(orders));
}

async fn serve(orders: u64) {
    let mut gates = Vec::new();
    for id in 0..orders {
        let (tx, rx) = oneshot::channel::<u64>();
        gates.push(tx);
        tokio::spawn(order(id, rx));
    }
    tokio::spawn(ticker(3600));
    let (poke_tx, poke_rx) = oneshot::channel::<u64>();
    tokio::spawn(poke(poke_rx));
    while PARKED.load(std::sync::atomic::Ordering::SeqCst) < orders + 2 {
        // `let _`: tokio 1.0 marks the output `must_use`.
        let _ = tokio::task::yield_now().await;
    }
    let checker = tokio::spawn(checker(orders, poke_tx));
    let _ = checker.await;
    drop(gates);
}

async fn order(id: u64, gate: oneshot::Receiver<u64>) -> u64 {
    let name = format!("order-{id}");
    let qty = id * 10;
    let got = reserve(id, gate).await;
    name.len() as u64 + qty + got
}

async fn reserve(id: u64, gate: oneshot::Receiver<u64>) -> u64 {
    let shelf = id % 4;
    PARKED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let got = gate.await.unwrap_or(0);
    got + shelf
}

async fn ticker(every: u64) {
    PARKED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(every)).await;
}

async fn poke(rx: oneshot::Receiver<u64>) -> u64 {
    PARKED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    rx.await.unwrap_or(0)
}

async fn checker(orders: u64, poke: oneshot::Sender<u64>) {
    let _ = poke.send(7);
    let limit = orders / 2;
    if orders > limit {
        panic!("checker: {orders} orders waiting, limit {limit}");
    }
}
