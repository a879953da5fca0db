//! The scenario stuck on parking_lot's locks: `restock` holds the items
//! (a `parking_lot::Mutex`) and waits to write the index (a
//! `parking_lot::RwLock`) that `lookup` reads while it waits for the items.

// Fields exist to be read by the debugger, not by the program.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{Mutex, RwLock};

use crate::place::{arrive_and_wait, ready, spawn, wait_in_futex};

#[derive(Debug)]
pub struct Item {
    pub sku: u32,
    pub count: u32,
}

pub struct Inventory {
    pub items: Mutex<Vec<Item>>,
    pub index: RwLock<BTreeMap<u32, usize>>,
}

/// Threads holding their first lock.
static HOLDING: AtomicUsize = AtomicUsize::new(0);
/// Threads past their first lock and about to take the second.
static WAITING: AtomicUsize = AtomicUsize::new(0);

impl Inventory {
    /// Adds an item, then indexes it.
    #[inline(never)]
    fn restock(&self, sku: u32) {
        let mut items = self.items.lock();
        arrive_and_wait(&HOLDING, 2);
        WAITING.fetch_add(1, Ordering::SeqCst);
        let mut index = self.index.write(); // stuck: restock
        index.insert(sku, items.len());
        items.push(Item { sku, count: 1 });
    }

    /// Finds an item through the index.
    #[inline(never)]
    fn lookup(&self, sku: u32) -> Option<u32> {
        let index = self.index.read();
        arrive_and_wait(&HOLDING, 2);
        WAITING.fetch_add(1, Ordering::SeqCst);
        let items = self.items.lock(); // stuck: lookup
        index.get(&sku).map(|&i| items[i].count)
    }
}

/// `parking-lot`: `restock` and `lookup` deadlocked.
pub fn deadlock() {
    let inventory = Arc::new(Inventory {
        items: Mutex::new(vec![Item { sku: 7, count: 3 }]),
        index: RwLock::new(BTreeMap::from([(7, 0)])),
    });
    let i = inventory.clone();
    let (restock, r) = spawn("restock", move || i.restock(9));
    let i = inventory.clone();
    let (_lookup, l) = spawn("lookup", move || i.lookup(7));
    while WAITING.load(Ordering::SeqCst) < 2 {
        std::thread::yield_now();
    }
    // Past the counter, the only futex either thread sleeps in is the
    // parking lot's, for its second lock.
    wait_in_futex(r, None);
    wait_in_futex(l, None);
    ready();
    let _ = restock.join();
}
