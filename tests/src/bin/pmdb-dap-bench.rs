//! The DAP benchmark (`bench/dap.sh`): `pmdb dap` on the big demo's crash,
//! driven the way an editor drives it — initialize, attach, configurationDone,
//! the stopped event, stackTrace, scopes and variables of the crashed frame —
//! then one `variables` page of the 10M-element `Vec`. Prints a Markdown table.
//!
//! Usage: `pmdb-dap-bench BIG_DEMO PMDB`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::bench::{median, ms};
use tests::dap::DapClient;

/// Fresh crashes on which the cold first screen is measured.
const CRASHES: usize = 7;
/// First screens on one warm crash, each by a new adapter.
const WARM: usize = 15;
/// `variables` pages timed.
const PAGES: usize = 101;

/// initialize → the crashed frame's locals answered; the locals.
fn first_screen(dap: &mut DapClient, socket: &Path) -> Vec<Value> {
    dap.request(
        "initialize",
        json!({"adapterID": "pmdb", "linesStartAt1": true, "supportsVariablePaging": true}),
    );
    dap.request("attach", json!({"socket": socket}));
    dap.event("initialized");
    dap.request("configurationDone", Value::Null);
    let stopped = dap.event("stopped");
    let thread = stopped["body"]["threadId"].clone();
    dap.request("threads", Value::Null);
    let frames = dap.request(
        "stackTrace",
        json!({"threadId": thread, "startFrame": 0, "levels": 20}),
    );
    let frame = frames["stackFrames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["presentationHint"] != "subtle")
        .expect("a user frame")["id"]
        .clone();
    let scopes = dap.request("scopes", json!({"frameId": frame}));
    let locals = dap.request(
        "variables",
        json!({"variablesReference": scopes["scopes"][0]["variablesReference"]}),
    );
    locals["variables"].as_array().unwrap().clone()
}

/// The big demo, crashed in wait mode. Killed on drop.
struct Crashed {
    child: Child,
    socket: PathBuf,
}

impl Crashed {
    fn new(demo: &Path, dir: &Path) -> Crashed {
        let child = Command::new(demo)
            .arg("big")
            .env("PMDB_MODE", "wait")
            .env("PMDB_DIR", dir)
            .env("RUST_BACKTRACE", "0")
            .stderr(Stdio::null())
            .spawn()
            .expect("run the big demo");
        let socket = dir.join(format!("{}.sock", child.id()));
        while !socket.exists() {
            std::thread::sleep(Duration::from_micros(100));
        }
        Crashed { child, socket }
    }
}

impl Drop for Crashed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (demo, pmdb) = (Path::new(&args[1]), Path::new(&args[2]));
    let dir = std::env::temp_dir().join(format!("pmdb-dap-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // Cold: the adapter is up before the crash; the editor attaches the
    // instant the socket appears, so the agent has no head start.
    let mut cold = Vec::new();
    let mut last = None;
    for _ in 0..CRASHES {
        let mut dap = DapClient::start(pmdb);
        let crashed = Crashed::new(demo, &dir);
        let t = Instant::now();
        let locals = first_screen(&mut dap, &crashed.socket);
        cold.push(ms(t.elapsed()));
        assert!(locals.iter().any(|v| v["name"] == "huge"), "{locals:?}");
        drop(dap);
        last = Some(crashed);
    }
    let crashed = last.unwrap();

    // Warm: the same crash, a new adapter each time; with and without the
    // adapter's own start-up.
    let mut warm = Vec::new();
    let mut with_start = Vec::new();
    for _ in 0..WARM {
        let t = Instant::now();
        let mut dap = DapClient::start(pmdb);
        let started = t.elapsed();
        first_screen(&mut dap, &crashed.socket);
        with_start.push(ms(t.elapsed()));
        warm.push(ms(t.elapsed() - started));
    }

    // One page of the 10M `Vec`, where VS Code would ask for it.
    let mut dap = DapClient::start(pmdb);
    let locals = first_screen(&mut dap, &crashed.socket);
    let huge = locals.iter().find(|v| v["name"] == "huge").unwrap();
    assert_eq!(huge["indexedVariables"], 10_000_000);
    let reference = huge["variablesReference"].clone();
    let mut pages = Vec::new();
    for i in 0..PAGES {
        let start = (i as u64) * 99_991 % 9_999_900;
        let t = Instant::now();
        let page = dap.request(
            "variables",
            json!({"variablesReference": reference, "filter": "indexed", "start": start, "count": 100}),
        );
        pages.push(ms(t.elapsed()));
        let vars = page["variables"].as_array().unwrap();
        assert_eq!(vars.len(), 100);
        assert_eq!(vars[0]["value"], start.to_string());
    }
    drop(dap);
    drop(crashed);
    let _ = std::fs::remove_dir_all(&dir);

    let (lo, hi) = (
        cold.iter().copied().fold(f64::MAX, f64::min),
        cold.iter().copied().fold(0.0, f64::max),
    );
    println!("| measure | pmdb dap | target | met |");
    println!("|---|---|---|---|");
    let cold_median = median(cold);
    println!(
        "| initialize → stackTrace, scopes, variables of the crashed frame answered, attaching the instant the socket appears (median of {CRASHES} crashes; range {lo:.1}–{hi:.1}) | {cold_median:.1} ms | ≤ 50 ms | {} |",
        if cold_median <= 50.0 { "yes" } else { "no" }
    );
    let warm_median = median(warm);
    println!(
        "| the same on a crash already served, new adapter (median of {WARM}) | {warm_median:.1} ms | ≤ 50 ms | {} |",
        if warm_median <= 50.0 { "yes" } else { "no" }
    );
    println!(
        "| the same including the adapter's start-up (`pmdb dap` spawned; median of {WARM}) | {:.1} ms | | |",
        median(with_start)
    );
    let page = median(pages);
    println!(
        "| one `variables` page (100 elements) of the 10M-element `Vec` (median of {PAGES}) | {page:.3} ms | ≤ 2 ms | {} |",
        if page <= 2.0 { "yes" } else { "no" }
    );
}
