//! End to end through `wire::Session`: a real crashed demo process, the real
//! socket, exact values.

use serde::Deserialize;
use tests::crash;
use wire::{CrashKind, ErrorKind, ValueKind};

#[test]
fn bank_crash_record_threads_and_traceback() {
    let demo = crash("bank");
    let s = demo.session();
    assert_eq!(s.hello().pid, demo.pid);
    assert_eq!(s.hello().program, "demo");

    let c = s.crash().unwrap();
    assert_eq!(c.kind, CrashKind::Panic);
    assert_eq!(
        c.message,
        "insufficient funds: bob has 75 but round 1 needs 500"
    );
    assert_eq!(c.payload_type.as_deref(), Some("String"));
    assert_eq!(c.file.as_deref(), Some("demo/src/bank.rs"));
    assert_eq!((c.line, c.column), (Some(63), Some(9)));
    assert_eq!(c.thread_name, "main");
    assert_eq!(c.pid, demo.pid);

    let threads = s.threads().unwrap();
    assert_eq!(threads.len(), 1);
    assert_eq!(
        (threads[0].name.as_str(), threads[0].crashed),
        ("main", true)
    );
    assert_eq!(threads[0].id, c.thread);

    let tb = s.traceback(c.thread).unwrap();
    let user: Vec<&str> = tb.user_frames().map(|f| f.info.function.as_str()).collect();
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
    // The panic machinery sits above the user's frames and is flagged.
    assert!(tb.frames[0].info.runtime);
    let withdraw = tb.frame_named("withdraw").unwrap();
    assert!(
        withdraw
            .info
            .file
            .as_deref()
            .unwrap()
            .ends_with("demo/src/bank.rs")
    );
    assert_eq!(withdraw.info.line, Some(63));
    assert!(!withdraw.info.inlined);
    assert_eq!(tb.frame_named("settle").unwrap().info.line, Some(48));

    s.resume().unwrap();
    let (status, stderr) = demo.wait();
    assert_eq!(status.code(), Some(101));
    assert!(
        stderr.contains(&format!("inspect it with `pmdb attach {}`", c.pid)),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "panicked at demo/src/bank.rs:63:9:\ninsufficient funds: bob has 75 but round 1 needs 500\n"
        ),
        "{stderr}"
    );
}

#[derive(Debug, Deserialize, PartialEq)]
struct Account {
    id: u32,
    owner: String,
    balance: i64,
    history: Vec<i64>,
    overdraft: Option<i64>,
}

#[test]
fn bank_locals_paths_and_fetch() {
    let demo = crash("bank");
    let s = demo.session();
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    let withdraw = tb.frame_named("withdraw").unwrap();

    let names: Vec<String> = withdraw
        .locals()
        .unwrap()
        .iter()
        .map(|v| v.name().to_string())
        .collect();
    assert_eq!(names, ["account", "amount", "memo", "limit"]);

    let account = withdraw.local("account").unwrap();
    assert_eq!(account.type_name(), "&Account");
    assert_eq!(account.kind(), ValueKind::Pointer);
    assert_eq!(
        account.preview(),
        r#"Account { id: 2, owner: "bob", balance: 50, history: [50], overdraft: Some(25) }"#
    );
    assert_eq!(withdraw.eval("account.owner").unwrap().preview(), "\"bob\"");
    assert_eq!(withdraw.eval("account.history[0]").unwrap().preview(), "50");
    assert_eq!(
        withdraw.eval("account.overdraft.0").unwrap().preview(),
        "25"
    );
    assert_eq!(withdraw.eval("*account").unwrap().type_name(), "Account");
    assert_eq!(withdraw.eval("memo").unwrap().preview(), "\"round 1\"");
    assert_eq!(withdraw.local("limit").unwrap().fetch::<i64>().unwrap(), 75);
    assert_eq!(
        account.fetch::<Account>().unwrap(),
        Account {
            id: 2,
            owner: "bob".into(),
            balance: 50,
            history: vec![50],
            overdraft: Some(25),
        }
    );

    let transfer = tb.frame_named("transfer").unwrap();
    assert_eq!(
        transfer.eval("bank.accounts[0].owner").unwrap().preview(),
        "\"alice\""
    );
    assert_eq!(
        transfer.eval("bank.name").unwrap().preview(),
        "\"First Crash Bank\""
    );
    let accounts = transfer.eval("bank.accounts").unwrap();
    assert_eq!(accounts.type_name(), "Vec<Account>");
    assert_eq!(accounts.len(), Some(2));
    assert_eq!(
        accounts.fetch::<Vec<Account>>().unwrap()[0].history,
        vec![100, -20, 20]
    );
    // Shadowed names: the innermost binding wins.
    assert_eq!(transfer.local("from").unwrap().type_name(), "Account");

    let settle = tb.frame_named("settle").unwrap();
    assert_eq!(
        settle.eval("batch").unwrap().preview(),
        "[(1, 2, 30), (2, 1, 500)]"
    );
    assert_eq!(settle.eval("batch[1].2").unwrap().preview(), "500");
    assert_eq!(settle.eval("label").unwrap().preview(), "\"round 1\"");

    s.kill().unwrap();
    let (status, stderr) = demo.wait();
    assert_eq!(status.code(), Some(101));
    assert!(
        stderr.contains("insufficient funds: bob has 75 but round 1 needs 500"),
        "{stderr}"
    );
}

#[test]
fn errors_are_typed_and_the_agent_keeps_serving() {
    let demo = crash("bank");
    let s = demo.session();
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    let withdraw = tb.frame_named("withdraw").unwrap();

    // The expression language's errors name what is wrong and point at
    // the column.
    for (expr, want) in [
        ("nosuch", "no local or static named `nosuch` (column 1)"),
        (
            "account.",
            "expected a field, a tuple index or a method after `.`, found the end (column 9)",
        ),
        (
            "account.history[5]",
            "index 5 is out of bounds: the Vec<i64> has 1 elements (column 17)",
        ),
        ("amount.x", "i64 has no field `x` (column 8)"),
    ] {
        assert_eq!(withdraw.eval(expr).unwrap_err().to_string(), want, "{expr}");
    }
    assert!(tb.frame_named("nosuch").is_err());
    let e = s.traceback(1).err().unwrap();
    assert_eq!(e.remote_kind(), Some(ErrorKind::NotFound));
    let e = s
        .request(wire::Request::Children {
            value: 999_999,
            start: 0,
            count: 1,
        })
        .unwrap_err();
    assert_eq!(e.remote_kind(), Some(ErrorKind::UnknownHandle));
    assert_eq!(e.to_string(), "unknown handle 999999");

    // A second client is served while the first is connected.
    let other = demo.session();
    assert_eq!(other.crash().unwrap().line, Some(63));
    assert_eq!(withdraw.eval("amount").unwrap().preview(), "500");
}

/// (name, type, kind, preview, len) of every local of `values::run`.
const RUN_LOCALS: &[(&str, &str, ValueKind, &str, Option<u64>)] = &[
    ("n_i8", "i8", ValueKind::Int, "-8", None),
    ("n_i16", "i16", ValueKind::Int, "-16", None),
    ("n_i32", "i32", ValueKind::Int, "-32", None),
    ("n_i64", "i64", ValueKind::Int, "-64", None),
    (
        "n_i128",
        "i128",
        ValueKind::Int,
        "-170141183460469231731687303715884105728",
        None,
    ),
    ("n_isize", "isize", ValueKind::Int, "-1", None),
    ("n_u8", "u8", ValueKind::Int, "8", None),
    ("n_u16", "u16", ValueKind::Int, "16", None),
    ("n_u32", "u32", ValueKind::Int, "32", None),
    ("n_u64", "u64", ValueKind::Int, "18446744073709551615", None),
    (
        "n_u128",
        "u128",
        ValueKind::Int,
        "340282366920938463463374607431768211455",
        None,
    ),
    ("n_usize", "usize", ValueKind::Int, "64", None),
    ("f_32", "f32", ValueKind::Float, "1.5", None),
    ("f_64", "f64", ValueKind::Float, "-0.00225", None),
    ("flag", "bool", ValueKind::Bool, "true", None),
    ("letter", "char", ValueKind::Char, "'é'", None),
    ("unit", "()", ValueKind::Unit, "()", None),
    (
        "point",
        "Point",
        ValueKind::Struct,
        "Point { x: 1, y: 2 }",
        None,
    ),
    ("meters", "Meters", ValueKind::Struct, "Meters(3.5)", None),
    (
        "pair",
        "(i32, &str)",
        ValueKind::Tuple,
        "(7, \"seven\")",
        None,
    ),
    ("array", "[u8; 3]", ValueKind::Array, "[1, 2, 3]", Some(3)),
    ("color", "Color", ValueKind::Enum, "Green", None),
    ("some", "Option<i32>", ValueKind::Enum, "Some(42)", None),
    ("none", "Option<i32>", ValueKind::Enum, "None", None),
    ("ok", "Result<u8, String>", ValueKind::Enum, "Ok(1)", None),
    (
        "err",
        "Result<u8, String>",
        ValueKind::Enum,
        "Err(\"bad\")",
        None,
    ),
    (
        "circle",
        "Shape",
        ValueKind::Enum,
        "Circle { center: Point { x: 1, y: 2 }, radius: 2.5 }",
        None,
    ),
    (
        "square",
        "Shape",
        ValueKind::Enum,
        "Square(Point { x: -1, y: -2 }, 4)",
        None,
    ),
    ("empty", "Shape", ValueKind::Enum, "Empty", None),
    (
        "point_ref",
        "&Point",
        ValueKind::Pointer,
        "Point { x: 1, y: 2 }",
        None,
    ),
    (
        "boxed",
        "Box<Point>",
        ValueKind::Pointer,
        "Point { x: 5, y: 6 }",
        None,
    ),
    ("text", "&str", ValueKind::Str, "\"hello\"", Some(5)),
    ("owned", "String", ValueKind::Str, "\"alice\"", Some(5)),
    (
        "numbers",
        "Vec<i32>",
        ValueKind::Sequence,
        "[10, 20, 30]",
        Some(3),
    ),
    (
        "names",
        "Vec<String>",
        ValueKind::Sequence,
        "[\"ann\", \"bob\"]",
        Some(2),
    ),
    ("nothing", "Vec<u64>", ValueKind::Sequence, "[]", Some(0)),
];

#[test]
fn every_value_kind_reads_exactly() {
    let demo = crash("values");
    let s = demo.session();
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    let run = tb.frame_named("run").unwrap();
    let locals = run.locals().unwrap();
    let got: Vec<_> = locals
        .iter()
        .map(|v| (v.name(), v.type_name(), v.kind(), v.preview(), v.len()))
        .collect();
    assert_eq!(got, RUN_LOCALS);

    // Arguments of the panicking frame, in order.
    let args: Vec<String> = tb
        .frame_named("inspect_me")
        .unwrap()
        .locals()
        .unwrap()
        .iter()
        .map(|v| format!("{}: {} = {}", v.name(), v.type_name(), v.preview()))
        .collect();
    assert_eq!(
        args,
        [
            "a: i8 = -8",
            "b: i16 = -16",
            "c: i32 = -32",
            "d: i64 = -64",
            "e: i128 = -170141183460469231731687303715884105728",
            "f: isize = -1",
            "g: u8 = 8",
            "h: u16 = 16",
            "i: u32 = 32",
            "j: u64 = 18446744073709551615",
            "k: u128 = 340282366920938463463374607431768211455",
            "l: usize = 64",
        ]
    );
}

fn kids(v: &wire::RemoteValue) -> Vec<String> {
    v.all_children()
        .unwrap()
        .iter()
        .map(|c| format!("{}: {} = {}", c.name(), c.type_name(), c.preview()))
        .collect()
}

#[test]
fn children_of_every_composite_kind() {
    let demo = crash("values");
    let s = demo.session();
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    let run = tb.frame_named("run").unwrap();
    let local = |n: &str| run.local(n).unwrap();

    assert_eq!(kids(&local("point")), ["x: i32 = 1", "y: i32 = 2"]);
    assert_eq!(kids(&local("meters")), ["0: f64 = 3.5"]);
    assert_eq!(kids(&local("pair")), ["0: i32 = 7", "1: &str = \"seven\""]);
    assert_eq!(
        kids(&local("array")),
        ["[0]: u8 = 1", "[1]: u8 = 2", "[2]: u8 = 3"]
    );
    assert_eq!(kids(&local("some")), ["0: i32 = 42"]);
    assert!(kids(&local("none")).is_empty());
    assert_eq!(kids(&local("err")), ["0: String = \"bad\""]);
    assert_eq!(
        kids(&local("circle")),
        ["center: Point = Point { x: 1, y: 2 }", "radius: f32 = 2.5"]
    );
    assert_eq!(
        kids(&local("square")),
        ["0: Point = Point { x: -1, y: -2 }", "1: u16 = 4"]
    );
    assert!(kids(&local("empty")).is_empty());
    assert_eq!(
        kids(&local("point_ref")),
        ["*: Point = Point { x: 1, y: 2 }"]
    );
    assert_eq!(kids(&local("boxed")), ["*: Point = Point { x: 5, y: 6 }"]);
    assert!(kids(&local("text")).is_empty());
    assert!(kids(&local("owned")).is_empty());
    assert_eq!(
        kids(&local("names")),
        ["[0]: String = \"ann\"", "[1]: String = \"bob\""]
    );
    assert!(kids(&local("nothing")).is_empty());
    assert!(kids(&local("color")).is_empty());
    assert!(kids(&local("n_i32")).is_empty());

    // Pages are the client's choice.
    let page: Vec<String> = local("numbers")
        .children(1, 5)
        .unwrap()
        .iter()
        .map(|c| format!("{} = {}", c.name(), c.preview()))
        .collect();
    assert_eq!(page, ["[1] = 20", "[2] = 30"]);
}

#[derive(Debug, Deserialize, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(Debug, Deserialize, PartialEq)]
enum Shape {
    Circle { center: Point, radius: f32 },
    Square(Point, u16),
    Empty,
}

#[test]
fn fetch_transfers_whole_values_into_serde_types() {
    let demo = crash("values");
    let s = demo.session();
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    let run = tb.frame_named("run").unwrap();
    let local = |n: &str| run.local(n).unwrap();

    assert_eq!(local("n_i8").fetch::<i8>().unwrap(), -8);
    assert_eq!(local("n_u64").fetch::<u64>().unwrap(), u64::MAX);
    assert_eq!(local("f_64").fetch::<f64>().unwrap(), -0.00225);
    assert!(local("flag").fetch::<bool>().unwrap());
    assert_eq!(local("letter").fetch::<char>().unwrap(), 'é');
    local("unit").fetch::<()>().unwrap();
    assert_eq!(
        local("point").fetch::<Point>().unwrap(),
        Point { x: 1, y: 2 }
    );
    assert_eq!(local("meters").fetch::<f64>().unwrap(), 3.5);
    assert_eq!(
        local("pair").fetch::<(i32, String)>().unwrap(),
        (7, "seven".into())
    );
    assert_eq!(local("array").fetch::<[u8; 3]>().unwrap(), [1, 2, 3]);
    assert_eq!(local("color").fetch::<String>().unwrap(), "Green");
    assert_eq!(local("some").fetch::<Option<i32>>().unwrap(), Some(42));
    assert_eq!(local("none").fetch::<Option<i32>>().unwrap(), None);
    assert_eq!(local("ok").fetch::<Result<u8, String>>().unwrap(), Ok(1));
    assert_eq!(
        local("err").fetch::<Result<u8, String>>().unwrap(),
        Err("bad".into())
    );
    assert_eq!(
        local("circle").fetch::<Shape>().unwrap(),
        Shape::Circle {
            center: Point { x: 1, y: 2 },
            radius: 2.5
        }
    );
    assert_eq!(
        local("square").fetch::<Shape>().unwrap(),
        Shape::Square(Point { x: -1, y: -2 }, 4)
    );
    assert_eq!(local("empty").fetch::<Shape>().unwrap(), Shape::Empty);
    assert_eq!(
        local("boxed").fetch::<Point>().unwrap(),
        Point { x: 5, y: 6 }
    );
    assert_eq!(local("text").fetch::<String>().unwrap(), "hello");
    assert_eq!(local("numbers").fetch::<Vec<i32>>().unwrap(), [10, 20, 30]);
    assert_eq!(
        local("names").fetch::<Vec<String>>().unwrap(),
        ["ann", "bob"]
    );
    assert_eq!(
        local("nothing").fetch::<Vec<u64>>().unwrap(),
        Vec::<u64>::new()
    );
    assert_eq!(
        local("n_u128").fetch::<String>().unwrap(),
        "340282366920938463463374607431768211455"
    );
}
