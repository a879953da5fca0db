//! The expression benchmark: a filter over the `ledger` demo's ten million
//! postings (a `Vec` of 16-byte structs, 100 of them negative), evaluated
//! by the agent of the frozen process, timed from the client.
//!
//! `bench/eval.sh` runs it against a crashed `demo ledger` (`SOCKET` as the
//! only argument). For each expression it prints the median of 11 runs
//! of one `Frame::eval` plus the first page (100) of its matches, the
//! bytes the agent read for one run, and the matches found.

use std::time::Instant;
use tests::bench::median;

fn main() {
    let socket = std::env::args()
        .nth(1)
        .expect("usage: pmdb-eval-bench SOCKET");
    let s = wire::Session::connect(std::path::Path::new(&socket)).expect("connect");
    let crash = s.crash().expect("crash");
    let tb = s.traceback(crash.thread).expect("traceback");
    let frame = tb.frame_named("run").expect("the ledger's run frame");
    // Warm: the frame's variables and types are read once.
    frame.eval("postings.len()").expect("postings");
    println!(
        "| expression | first page of matches (median of 11) | memory read per run | matches |"
    );
    println!("|---|---|---|---|");
    for expr in [
        "postings.filter(|p| p.balance < 0)",
        "postings.filter(|p| p.balance < threshold && p.day % 7 == 4 || p.id == 5)",
        "postings.filter(|p| p.balance < 0 && p.flags != 3)",
    ] {
        let mut times = Vec::new();
        let mut bytes = 0;
        let mut found = 0;
        for _ in 0..11 {
            let before = s.stats().expect("stats").bytes_read;
            let t = Instant::now();
            let v = frame.eval(expr).expect("eval");
            let page = v.children(0, 100).expect("first page");
            times.push(t.elapsed().as_secs_f64() * 1e3);
            bytes = s.stats().expect("stats").bytes_read - before;
            found = v.len().unwrap_or(0);
            assert!(
                page.len() as u64 == found.min(100),
                "{expr}: {}",
                v.type_name()
            );
        }
        println!(
            "| `{expr}` | {:.0} ms | {:.1} MB | {found} |",
            median(times),
            bytes as f64 / 1e6
        );
    }
}
