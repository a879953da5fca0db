//! The program the cold-start benchmarks crash. It links the generated
//! crates its features name (about 250 MB of debug info each) and, with
//! `service`, runs a tokio service using regex and serde_json; then it
//! panics in `handle`, a frame holding `dyn` values (boxed, borrowed, a
//! `&'static dyn` to a static, an `Arc<dyn Fn>`, a `Box<dyn Error>`),
//! references to statics and std collections.
//!
//! With `PMDB_BENCH_TRIGGER=FIFO` it waits, just before panicking, until a
//! byte arrives on that fifo, so a benchmark can start many processes and
//! crash each the moment it wants to time a cold first request. It prints
//! `PMDB_BENCH panic_at_ns=N` (its clock) as it panics.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What answers a request.
pub trait Handler: Debug + Send + Sync {
    fn route(&self) -> &str;
}

#[derive(Debug)]
pub struct JsonHandler {
    pub route: String,
    pub hits: u64,
    pub limits: Vec<u32>,
}

impl Handler for JsonHandler {
    fn route(&self) -> &str {
        &self.route
    }
}

#[derive(Debug)]
pub struct StaticHandler {
    pub body: &'static str,
    pub status: u16,
}

impl Handler for StaticHandler {
    fn route(&self) -> &str {
        "*"
    }
}

/// The handler of last resort: a static a `&'static dyn Handler` points to.
pub static FALLBACK: StaticHandler = StaticHandler {
    body: "not found",
    status: 404,
};
pub static SERVICE: &str = "orders";
pub static LIMITS: [u32; 3] = [10, 100, 1000];
static SERVED: AtomicU64 = AtomicU64::new(0);

#[derive(Debug)]
pub struct Request {
    pub id: u64,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

/// What the service adds to the crashed frame.
#[cfg(feature = "service")]
#[derive(Debug)]
pub struct Extra {
    pub body: serde_json::Value,
    pub pattern: regex::Regex,
    pub matched: Vec<String>,
    pub order: Order,
}

#[cfg(feature = "service")]
#[derive(Debug, serde::Deserialize)]
pub struct Order {
    pub id: u64,
    pub customer: String,
    pub lines: Vec<(String, u32)>,
}

#[cfg(not(feature = "service"))]
#[derive(Debug)]
pub struct Extra {
    pub note: String,
}

fn main() {
    debuggee_agent::install();
    let touched = generated();
    let request = Request {
        id: 77,
        path: "/orders/77".into(),
        headers: vec![("accept".into(), "application/json".into())],
    };
    let handlers: Vec<Box<dyn Handler>> = vec![Box::new(JsonHandler {
        route: "/orders".into(),
        hits: 3,
        limits: LIMITS.to_vec(),
    })];
    #[cfg(feature = "service")]
    return service::run(request, handlers, touched);
    #[cfg(not(feature = "service"))]
    {
        let extra = Extra {
            note: format!("{touched} generated"),
        };
        handle(&request, &handlers, &extra);
    }
}

/// Calls every generated crate linked in (their code stays, so does its
/// debug info); the sum of what they return.
fn generated() -> usize {
    #[allow(unused_mut)]
    let mut t = 0;
    let n = std::hint::black_box(3);
    #[cfg(feature = "g0")]
    {
        t += sizes_g0::touch_all(n);
    }
    #[cfg(feature = "g1")]
    {
        t += sizes_g1::touch_all(n);
    }
    #[cfg(feature = "g2")]
    {
        t += sizes_g2::touch_all(n);
    }
    #[cfg(feature = "g3")]
    {
        t += sizes_g3::touch_all(n);
    }
    #[cfg(feature = "g4")]
    {
        t += sizes_g4::touch_all(n);
    }
    #[cfg(feature = "g5")]
    {
        t += sizes_g5::touch_all(n);
    }
    #[cfg(feature = "g6")]
    {
        t += sizes_g6::touch_all(n);
    }
    #[cfg(feature = "g7")]
    {
        t += sizes_g7::touch_all(n);
    }
    #[cfg(feature = "g8")]
    {
        t += sizes_g8::touch_all(n);
    }
    #[cfg(feature = "g9")]
    {
        t += sizes_g9::touch_all(n);
    }
    let _ = n;
    t
}

#[cfg(feature = "service")]
mod service {
    use super::*;

    /// Tasks parked at an await when the request crashes.
    const PARKED_TASKS: u64 = 32;
    static PARKED: AtomicU64 = AtomicU64::new(0);

    pub fn run(request: Request, handlers: Vec<Box<dyn Handler>>, touched: usize) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.block_on(async move {
            let mut gates = Vec::new();
            for id in 0..PARKED_TASKS {
                let (tx, rx) = tokio::sync::oneshot::channel::<u64>();
                gates.push(tx);
                tokio::spawn(session(id, rx));
            }
            while PARKED.load(Ordering::SeqCst) < PARKED_TASKS {
                tokio::task::yield_now().await;
            }
            serve(request, handlers, touched).await;
            drop(gates);
        });
    }

    async fn session(id: u64, gate: tokio::sync::oneshot::Receiver<u64>) {
        let peer = format!("10.0.0.{id}:443");
        PARKED.fetch_add(1, Ordering::SeqCst);
        let _ = gate.await;
        drop(peer);
    }

    async fn serve(request: Request, handlers: Vec<Box<dyn Handler>>, touched: usize) {
        let text = r#"{"id": 77, "customer": "ann", "lines": [["apple", 3], ["pear", 5]]}"#;
        let body: serde_json::Value = serde_json::from_str(text).expect("json");
        let order: Order = serde_json::from_str(text).expect("an order");
        let pattern = regex::Regex::new(r"^/orders/(\d+)$").expect("a regex");
        let matched = pattern
            .captures(&request.path)
            .map(|c| c.iter().flatten().map(|m| m.as_str().to_string()).collect())
            .unwrap_or_default();
        let extra = Extra {
            body,
            pattern,
            matched,
            order,
        };
        tokio::task::yield_now().await;
        let _ = touched;
        handle(&request, &handlers, &extra);
    }
}

/// Blocks until a byte arrives on the fifo `PMDB_BENCH_TRIGGER` names.
fn wait_for_trigger() {
    use std::io::Read;
    if let Some(path) = std::env::var_os("PMDB_BENCH_TRIGGER") {
        let mut byte = [0u8; 1];
        if let Ok(mut fifo) = std::fs::File::open(path) {
            let _ = fifo.read(&mut byte);
        }
    }
}

#[inline(never)]
fn handle(request: &Request, handlers: &[Box<dyn Handler>], extra: &Extra) {
    let handler: &dyn Handler = &*handlers[0];
    let fallback: &'static dyn Handler = &FALLBACK;
    let shown: Box<dyn Debug> = Box::new(request.id);
    let on_done: Arc<dyn Fn(u64) -> u64 + Send + Sync> = Arc::new(move |x| x + 1);
    let error: Box<dyn std::error::Error + Send + Sync> = "upstream timed out".into();
    let by_id: HashMap<u64, String> = (1..=3).map(|i| (i, format!("order-{i}"))).collect();
    let seen: HashSet<&str> = ["ann", "bob"].into_iter().collect();
    let queue: VecDeque<u32> = (1..=4).collect();
    let totals: BTreeMap<&str, u32> = [("apple", 3), ("pear", 5)].into_iter().collect();
    let shared: Arc<Mutex<Vec<u64>>> = Arc::new(Mutex::new(vec![7, 8, 9]));
    let limits: &'static [u32] = &LIMITS;
    let service: &'static str = SERVICE;
    let served = SERVED.fetch_add(1, Ordering::SeqCst);
    wait_for_trigger();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    eprintln!("PMDB_BENCH panic_at_ns={now}");
    panic!(
        "request {} to {} failed: {} ({} handlers, {served} served, {} routes, {})",
        request.id,
        handler.route(),
        error,
        handlers.len(),
        by_id.len(),
        fallback.route(),
    );
    #[allow(unreachable_code)]
    {
        drop((shown, on_done, seen, queue, totals, shared, limits, service, extra));
    }
}
