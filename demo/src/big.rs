//! The `big` scenario (feature `big`): the generated code linked in, then a
//! panic in a frame holding a struct, strings and a 10-million-element
//! vector. It prints when it panics, for the benchmark's clock.

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

#[inline(never)]
fn fail(order: &Order, huge: &[u64], touched: usize) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    eprintln!("PMDB_BENCH panic_at_ns={now}");
    panic!(
        "order {} cannot ship ({} items, {touched})",
        order.id,
        huge.len()
    );
}
