//! A program linked statically, for `pmdb run` on a static binary
//! (tests/tests/run_plain.rs builds it with `rustc -C target-feature=+crt-static`).

fn checkout(items: &[u32], budget: u32) -> u32 {
    let total: u32 = items.iter().sum();
    if total > budget {
        panic!("over budget: {total} > {budget}");
    }
    total
}

fn main() {
    let items = vec![200, 245];
    println!("{}", checkout(&items, 300));
}
