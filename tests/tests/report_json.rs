//! End to end through `pmdb report --json`: the same crashed demo values as
//! the session tests, read by the real `pmdb` binary over the real socket.

use serde_json::{Value, json};
use tests::{crash, pmdb};

fn report(demo: &tests::Crashed, target: &str, depth: &str) -> Value {
    let (status, stdout, stderr) = pmdb(
        &["report", target, "--json", "--depth", depth],
        &[("PMDB_DIR", demo.dir.0.as_os_str())],
    );
    assert!(status.success(), "pmdb report failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn frame<'a>(report: &'a Value, function: &str) -> &'a Value {
    report["threads"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == function)
        .unwrap_or_else(|| panic!("no frame {function}"))
}

fn local<'a>(frame: &'a Value, name: &str) -> &'a Value {
    frame["locals"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no local {name}"))
}

#[test]
fn bank_report_has_the_crash_and_the_frames() {
    let demo = crash("bank");
    let r = report(&demo, demo.socket.to_str().unwrap(), "2");
    assert_eq!(r["pid"], json!(demo.pid));
    assert_eq!(
        r["crash"],
        json!({
            "kind": "panic",
            "message": "insufficient funds: bob has 75 but round 1 needs 500",
            "file": "demo/src/bank.rs",
            "line": 63,
            "column": 9,
            "signature": "panic demo/src/bank.rs:63 | demo::bank::withdraw | demo::bank::transfer | demo::bank::settle",
            "thread": "main"
        })
    );
    let threads = r["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 1);
    assert_eq!(
        (&threads[0]["name"], &threads[0]["crashed"]),
        (&json!("main"), &json!(true))
    );
    let user: Vec<&str> = threads[0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["runtime"] == false)
        .map(|f| f["function"].as_str().unwrap())
        .collect();
    assert_eq!(
        user,
        [
            "demo::bank::withdraw",
            "demo::bank::transfer",
            "demo::bank::settle",
            "demo::bank::run",
            "demo::main"
        ]
    );
    let withdraw = frame(&r, "demo::bank::withdraw");
    assert_eq!(withdraw["line"], 63);
    assert!(
        withdraw["file"]
            .as_str()
            .unwrap()
            .ends_with("demo/src/bank.rs")
    );
    assert_eq!(
        local(withdraw, "account"),
        &json!({
            "name": "account",
            "type": "&Account",
            "value": "Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }",
            // A reference to a struct lists the struct's fields.
            "children": [
                {"name": "id", "type": "u32", "value": "2", "children": []},
                {"name": "owner", "type": "String", "value": "\"bob\"", "len": 3, "children": []},
                {"name": "balance", "type": "i64", "value": "50", "children": []},
                {"name": "history", "type": "Vec<i64>", "value": "[50]", "len": 1, "children": []},
                {"name": "overdraft", "type": "Option<i64>", "value": "Some(25)", "children": []}
            ]
        })
    );
    assert_eq!(
        local(withdraw, "memo"),
        &json!({"name": "memo", "type": "&str", "value": "\"round 1\"", "len": 7, "children": []})
    );
    // The report only reads: the process is still waiting.
    assert_eq!(demo.session().crash().unwrap().line, Some(63));
}

#[test]
fn values_report_shows_every_kind_at_depth_three() {
    let demo = crash("values");
    let r = report(&demo, &demo.pid.to_string(), "3");
    let run = frame(&r, "demo::values::run");
    let brief: Vec<(String, String, String)> = run["locals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_string(),
                l["type"].as_str().unwrap().to_string(),
                l["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("n_i8", "i8", "-8"),
        ("n_i16", "i16", "-16"),
        ("n_i32", "i32", "-32"),
        ("n_i64", "i64", "-64"),
        ("n_i128", "i128", "-170141183460469231731687303715884105728"),
        ("n_isize", "isize", "-1"),
        ("n_u8", "u8", "8"),
        ("n_u16", "u16", "16"),
        ("n_u32", "u32", "32"),
        ("n_u64", "u64", "18446744073709551615"),
        ("n_u128", "u128", "340282366920938463463374607431768211455"),
        ("n_usize", "usize", "64"),
        ("f_32", "f32", "1.5"),
        ("f_64", "f64", "-0.00225"),
        ("flag", "bool", "true"),
        ("letter", "char", "'é'"),
        ("unit", "()", "()"),
        ("point", "Point", "Point { x: 1, y: 2 }"),
        ("meters", "Meters", "Meters(3.5)"),
        ("pair", "(i32, &str)", "(7, \"seven\")"),
        ("array", "[u8; 3]", "[1, 2, 3]"),
        ("color", "Color", "Green"),
        ("some", "Option<i32>", "Some(42)"),
        ("none", "Option<i32>", "None"),
        ("ok", "Result<u8, String>", "Ok(1)"),
        ("err", "Result<u8, String>", "Err(\"bad\")"),
        (
            "circle",
            "Shape",
            "Circle { center: Point { x: 1, y: 2 }, radius: 2.5 }",
        ),
        ("square", "Shape", "Square(Point { x: -1, y: -2 }, 4)"),
        ("empty", "Shape", "Empty"),
        ("point_ref", "&Point", "Point { x: 1, y: 2 }"),
        ("boxed", "Box<Point>", "Point { x: 5, y: 6 }"),
        ("text", "&str", "\"hello\""),
        ("owned", "String", "\"alice\""),
        ("numbers", "Vec<i32>", "[10, 20, 30]"),
        ("names", "Vec<String>", "[\"ann\", \"bob\"]"),
        ("nothing", "Vec<u64>", "[]"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(brief, expected);

    assert_eq!(
        local(run, "circle"),
        &json!({
            "name": "circle", "type": "Shape",
            "value": "Circle { center: Point { x: 1, y: 2 }, radius: 2.5 }",
            "children": [
                {"name": "center", "type": "Point", "value": "Point { x: 1, y: 2 }", "children": [
                    {"name": "x", "type": "i32", "value": "1", "children": []},
                    {"name": "y", "type": "i32", "value": "2", "children": []}
                ]},
                {"name": "radius", "type": "f32", "value": "2.5", "children": []}
            ]
        })
    );
    assert_eq!(
        local(run, "names"),
        &json!({
            "name": "names", "type": "Vec<String>", "value": "[\"ann\", \"bob\"]", "len": 2,
            "children": [
                {"name": "[0]", "type": "String", "value": "\"ann\"", "len": 3, "children": []},
                {"name": "[1]", "type": "String", "value": "\"bob\"", "len": 3, "children": []}
            ]
        })
    );
    assert_eq!(
        local(run, "boxed"),
        &json!({
            "name": "boxed", "type": "Box<Point>", "value": "Point { x: 5, y: 6 }",
            "children": [
                {"name": "x", "type": "i32", "value": "5", "children": []},
                {"name": "y", "type": "i32", "value": "6", "children": []}
            ]
        })
    );
    assert_eq!(
        local(run, "some"),
        &json!({"name": "some", "type": "Option<i32>", "value": "Some(42)", "children": [
            {"name": "0", "type": "i32", "value": "42", "children": []}
        ]})
    );
    assert_eq!(
        local(run, "array")["children"][2],
        json!({"name": "[2]", "type": "u8", "value": "3", "children": []})
    );
    assert_eq!(
        local(run, "pair")["children"][1],
        json!({"name": "1", "type": "&str", "value": "\"seven\"", "len": 5, "children": []})
    );
    assert_eq!(local(run, "nothing")["len"], 0);
    assert_eq!(local(run, "owned")["len"], 5);
}

#[test]
fn collections_report_expands_std_views_at_depth_four() {
    let demo = crash("collections");
    let r = report(&demo, &demo.pid.to_string(), "4");
    let run = frame(&r, "demo::collections::run");
    assert_eq!(
        local(run, "scores"),
        &json!({
            "name": "scores", "type": "HashMap<String, i32>", "value": "{\"ann\": 90}", "len": 1,
            "children": [{
                "name": "\"ann\"", "type": "i32", "value": "90",
                "children": [
                    {"name": "key", "type": "String", "value": "\"ann\"", "len": 3, "children": []},
                    {"name": "value", "type": "i32", "value": "90", "children": []}
                ]
            }]
        })
    );
    assert_eq!(
        local(run, "shared"),
        &json!({
            "name": "shared", "type": "Rc<String>", "value": "\"shared\"",
            "children": [
                {"name": "*", "type": "String", "value": "\"shared\"", "len": 6, "children": []},
                {"name": "strong", "type": "usize", "value": "2", "children": []},
                {"name": "weak", "type": "usize", "value": "1", "children": []}
            ]
        })
    );
    assert_eq!(
        local(run, "tail"),
        &json!({
            "name": "tail", "type": "Rc<RefCell<Node>>", "value": "RefCell { value: Node { value: 2, next: None } }",
            "children": [
                {"name": "*", "type": "RefCell<Node>", "value": "RefCell { value: Node { value: 2, next: None } }", "children": [
                    {"name": "value", "type": "Node", "value": "Node { value: 2, next: None }", "children": [
                        {"name": "value", "type": "i32", "value": "2", "children": []},
                        {"name": "next", "type": "Option<Rc<RefCell<Node>>>", "value": "None", "children": []}
                    ]},
                    {"name": "borrow", "type": "isize", "value": "0", "children": []}
                ]},
                {"name": "strong", "type": "usize", "value": "2", "children": []},
                {"name": "weak", "type": "usize", "value": "0", "children": []}
            ]
        })
    );
    assert_eq!(
        local(run, "deque")["children"][3],
        json!({"name": "[3]", "type": "i32", "value": "5", "children": []})
    );
    assert_eq!(
        local(run, "dyn_box")["children"][0],
        json!({"name": "side", "type": "f64", "value": "2.0", "children": []})
    );
}

#[test]
fn corrupt_report_marks_lying_memory() {
    let demo = crash("corrupt");
    let r = report(&demo, &demo.pid.to_string(), "4");
    let run = frame(&r, "demo::corrupt::run");
    let lying = run["locals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "lying" && l["shadowed"] == true)
        .unwrap();
    assert_eq!(
        lying,
        &json!({"name": "lying", "shadowed": true, "type": "Vec<u8>", "value": "<length 1152921504606846976 looks corrupt>", "children": []})
    );
    assert_eq!(
        local(run, "garbage")["children"][0],
        json!({"name": "*", "type": "(u32, u32)", "value": "<unreadable memory at 0xdead>", "children": []})
    );
    let huge = local(run, "huge");
    assert_eq!(huge["len"], 10_000_000);
    assert_eq!(huge["children"].as_array().unwrap().len(), 100);
}

/// `PMDB_MODE=report` (the default where stderr is not a terminal, as in
/// CI): the same text `pmdb report` prints, user frames only, then the
/// program's usual panic output and status.
#[test]
fn report_mode_prints_the_same_report_then_the_usual_panic() {
    let mut cmd = std::process::Command::new(tests::bin("demo"));
    cmd.arg("bank")
        .env("PMDB_MODE", "report")
        .env("RUST_BACKTRACE", "0");
    let (status, stderr, _) = tests::run_to_end(cmd, std::time::Duration::from_secs(30));
    assert_eq!(status.code(), Some(101));
    let head: Vec<&str> = stderr.lines().take(10).collect();
    let demo_src = std::env::current_dir()
        .unwrap()
        .parent()
        .unwrap()
        .join("demo/src");
    assert_eq!(
        head,
        [
            "pmdb: crash report (PMDB_MODE=report)".to_string(),
            "panic in thread 'main' at demo/src/bank.rs:63:9: insufficient funds: bob has 75 but round 1 needs 500".to_string(),
            "signature: panic demo/src/bank.rs:63 | demo::bank::withdraw | demo::bank::transfer | demo::bank::settle".to_string(),
            String::new(),
            "thread 'main' (crashed), 27 runtime frames hidden".to_string(),
            format!("  #10  demo::bank::withdraw at {}/bank.rs:63", demo_src.display()),
            "        account: &Account = Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }".to_string(),
            "        amount: i64 = 500".to_string(),
            "        memo: &str = \"round 1\"".to_string(),
            "        limit: i64 = 75".to_string(),
        ]
    );
    assert!(
        stderr.contains("\n\nthread 'main' ("),
        "the usual panic output follows: {stderr}"
    );
    assert!(
        stderr.ends_with("panicked at demo/src/bank.rs:63:9:\ninsufficient funds: bob has 75 but round 1 needs 500\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"),
        "{stderr}"
    );
}
