//! The `big` scenario (feature `big`): the generated code linked in, then a
//! panic in a frame holding a struct, strings, a 10-million-element vector,
//! `dyn` values (one pointing to a static), a reference to a static and std
//! collections: what a first screen meets. It prints when it panics, for
//! the benchmark's clock.

#![allow(dead_code)]

mod generated {
    include!(concat!(env!("OUT_DIR"), "/big.rs"));
}

#[derive(Debug)]
pub struct Order {
    pub id: u64,
    pub customer: String,
    pub lines: Vec<(String, u32)>,
}

pub fn run() {
    let touched = generated::touch_all(std::hint::black_box(3));
    let huge: Vec<u64> = (0..10_000_000).collect();
    let order = Order {
        id: 77,
        customer: "ann".into(),
        lines: vec![("apple".into(), 3), ("pear".into(), 5)],
    };
    fail(&order, &huge, touched);
}

/// The order every unknown customer gets: a static a `dyn` points to.
pub static DEFAULT_ORDER: Order = Order {
    id: 0,
    customer: String::new(),
    lines: Vec::new(),
};
pub static CARRIERS: [&str; 2] = ["post", "courier"];

#[inline(never)]
fn fail(order: &Order, huge: &[u64], touched: usize) {
    let shown: &dyn std::fmt::Debug = order;
    let fallback: &'static dyn std::fmt::Debug = &DEFAULT_ORDER;
    let boxed: Box<dyn std::fmt::Debug> = Box::new(touched);
    let carriers: &'static [&str] = &CARRIERS;
    let stock: std::collections::HashMap<&str, u32> = [("apple", 3), ("pear", 5)].into();
    let pending: std::collections::VecDeque<u64> = (1..=3).collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    eprintln!("PMDB_BENCH panic_at_ns={now}");
    panic!(
        "order {} cannot ship ({} items, {touched}; {shown:?} {fallback:?} {boxed:?} {carriers:?} {} {})",
        order.id,
        huge.len(),
        stock.len(),
        pending.len()
    );
}
