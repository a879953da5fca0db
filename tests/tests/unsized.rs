//! End to end (issue 15, items 1–4): pointers to unsized values, `Rc`/`Arc`
//! counts as `strong_count`/`weak_count` report them, shadowed bindings, and
//! references and boxes to structs expanded as the struct (demo `unsized`).

use tests::crash;
use wire::{Frame, RemoteValue};

fn run_frame(s: &wire::Session) -> Frame {
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    tb.frame_named("run").unwrap()
}

fn line(v: &RemoteValue) -> String {
    let shadowed = if v.info.shadowed { " (shadowed)" } else { "" };
    format!(
        "{}{shadowed}: {} = {}",
        v.name(),
        v.type_name(),
        v.preview()
    )
}

fn kids(v: &RemoteValue) -> Vec<String> {
    v.all_children().unwrap().iter().map(line).collect()
}

#[test]
fn unsized_pointees_show_their_values() {
    let demo = crash("unsized");
    let s = demo.session();
    let run = run_frame(&s);
    let got: Vec<String> = run.locals().unwrap().iter().map(line).collect();
    let raw = run.local("point_raw").unwrap().preview().to_string();
    assert!(raw.starts_with("0x7ff"), "{raw}");
    // The box's heap address, shown as an address (a raw pointer).
    let raw_slice = run.local("raw_slice").unwrap().preview().to_string();
    assert!(
        raw_slice.starts_with("0x") && raw_slice != "0x0",
        "{raw_slice}"
    );
    assert_eq!(
        kids(&run.local("raw_slice").unwrap()),
        ["*: [u32] = [6, 7, 8, 9]"]
    );
    assert_eq!(
        got,
        [
            "rc_slice: Rc<[u32]> = [1, 2, 3]",
            "arc_slice: Arc<[u32]> = [4, 5]",
            "box_slice: Box<[u32]> = [6, 7, 8, 9]",
            "rc_str: Rc<str> = \"rc text\"",
            "arc_str: Arc<str> = \"arc text\"",
            "box_str: Box<str> = \"box text\"",
            "rc_dyn: Rc<dyn Named> = Robot { serial: 7, label: \"r2\" }",
            "arc_dyn: Arc<dyn Debug> = Point { x: 3, y: 4 }",
            "packet: &Packet<[u8]> = Packet { id: 9, body: [10, 11, 12] }",
            "boxed_packet: Box<Packet<dyn Named>> = Packet { id: 10, body: Robot { serial: 8, label: \"c3\" } }",
            "counted: Rc<u8> = 5",
            "counted2: Rc<u8> = 5",
            "counted3: Rc<u8> = 5",
            "weak: Weak<u8> = (Weak)",
            "shared: Arc<u8> = 6",
            "weak_shared: Weak<u8> = (Weak)",
            "weak_shared2: Weak<u8> = (Weak)",
            "point: Point = Point { x: 1, y: 2 }",
            "point_ref: &Point = Point { x: 1, y: 2 }",
            "point_box: Box<Point> = Point { x: 5, y: 6 }",
            &format!("point_raw: *const Point = {raw}"),
            &format!("raw_slice: *const [u32] = {raw_slice}"),
            "x: f64 = 3.5",
            "x (shadowed): &str = \"two\"",
            "x (shadowed): u8 = 1",
        ]
    );
    let local = |n: &str| run.local(n).unwrap();
    assert_eq!(
        kids(&local("rc_slice")),
        [
            "*: [u32] = [1, 2, 3]",
            "strong: usize = 1",
            "weak: usize = 0"
        ]
    );
    assert_eq!(
        kids(&local("rc_slice").child("*").unwrap()),
        ["[0]: u32 = 1", "[1]: u32 = 2", "[2]: u32 = 3"]
    );
    assert_eq!(local("arc_slice").len(), None);
    assert_eq!(local("arc_slice").child("*").unwrap().len(), Some(2));
    assert_eq!(
        kids(&local("box_slice")),
        [
            "[0]: u32 = 6",
            "[1]: u32 = 7",
            "[2]: u32 = 8",
            "[3]: u32 = 9"
        ]
    );
    assert_eq!(local("box_str").len(), Some(8));
    assert_eq!(
        kids(&local("arc_str")),
        [
            "*: str = \"arc text\"",
            "strong: usize = 1",
            "weak: usize = 0"
        ]
    );
    assert_eq!(
        kids(&local("arc_dyn").child("*").unwrap()),
        ["x: i32 = 3", "y: i32 = 4"]
    );
    // The custom DST's tail, with its length from the fat pointer.
    let packet = local("packet").deref().unwrap();
    assert_eq!(kids(&packet), ["id: u16 = 9", "body: [u8] = [10, 11, 12]"]);
    assert_eq!(packet.child("body").unwrap().len(), Some(3));
    // The `dyn` tail placed at its concrete type's alignment (8, not 2).
    assert_eq!(
        kids(&local("boxed_packet").deref().unwrap()),
        [
            "id: u16 = 10",
            "body: Robot = Robot { serial: 8, label: \"c3\" }"
        ]
    );

    // Full transfers see the same values.
    assert_eq!(local("rc_slice").fetch::<Vec<u32>>().unwrap(), [1, 2, 3]);
    assert_eq!(
        local("box_slice").fetch::<Vec<u32>>().unwrap(),
        [6, 7, 8, 9]
    );
    assert_eq!(local("rc_str").fetch::<String>().unwrap(), "rc text");
    assert_eq!(local("box_str").fetch::<String>().unwrap(), "box text");
    assert_eq!(
        run.eval("packet.body").unwrap().fetch::<Vec<u8>>().unwrap(),
        [10, 11, 12]
    );
    assert_eq!(
        run.eval("boxed_packet.body.label").unwrap().preview(),
        "\"c3\""
    );
    assert_eq!(run.eval("rc_dyn.serial").unwrap().preview(), "7");
}

#[test]
fn counts_are_what_strong_count_and_weak_count_say() {
    let demo = crash("unsized");
    let s = demo.session();
    let run = run_frame(&s);
    let counts = |n: &str| -> (u64, u64) {
        let v = run.local(n).unwrap();
        (
            v.child("strong").unwrap().fetch().unwrap(),
            v.child("weak").unwrap().fetch().unwrap(),
        )
    };
    // Three `Rc`s and one `Weak`; one `Arc` and two `Weak`s.
    assert_eq!(counts("counted"), (3, 1));
    assert_eq!(counts("counted3"), (3, 1));
    assert_eq!(counts("weak"), (3, 1));
    assert_eq!(counts("shared"), (1, 2));
    assert_eq!(counts("weak_shared2"), (1, 2));
    assert_eq!(counts("rc_dyn"), (1, 0));
}

#[test]
fn shadowed_bindings_follow_the_visible_one() {
    let demo = crash("unsized");
    let s = demo.session();
    let run = run_frame(&s);
    let xs: Vec<(String, bool)> = run
        .locals()
        .unwrap()
        .iter()
        .filter(|v| v.name() == "x")
        .map(|v| (v.preview().to_string(), v.info.shadowed))
        .collect();
    assert_eq!(
        xs,
        [
            ("3.5".to_string(), false),
            ("\"two\"".to_string(), true),
            ("1".to_string(), true)
        ]
    );
    // A path names the visible binding.
    assert_eq!(run.local("x").unwrap().preview(), "3.5");
    assert_eq!(run.eval("x").unwrap().type_name(), "f64");
}

#[test]
fn references_and_boxes_expand_to_the_struct() {
    let demo = crash("unsized");
    let s = demo.session();
    let run = run_frame(&s);
    let expanded = |n: &str| kids(&run.local(n).unwrap().expansion().unwrap());
    assert_eq!(expanded("point_ref"), ["x: i32 = 1", "y: i32 = 2"]);
    assert_eq!(expanded("point_box"), ["x: i32 = 5", "y: i32 = 6"]);
    assert_eq!(
        expanded("packet"),
        ["id: u16 = 9", "body: [u8] = [10, 11, 12]"]
    );
    // A raw pointer keeps its `*` step; an Rc keeps its counts.
    assert_eq!(expanded("point_raw"), ["*: Point = Point { x: 1, y: 2 }"]);
    assert_eq!(expanded("raw_slice"), ["*: [u32] = [6, 7, 8, 9]"]);
    assert_eq!(
        expanded("counted"),
        ["*: u8 = 5", "strong: usize = 3", "weak: usize = 1"]
    );
    // `*p` still names the pointee.
    assert_eq!(run.eval("*point_ref").unwrap().type_name(), "Point");
}

#[test]
fn report_json_marks_shadowed_bindings_and_lists_struct_fields() {
    let demo = crash("unsized");
    let (status, out, err) = tests::pmdb(
        &["report", &demo.pid.to_string(), "--json", "--depth", "2"],
        &[("PMDB_DIR", demo.dir.0.as_os_str())],
    );
    assert!(status.success(), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let frames = report["threads"][0]["frames"].as_array().unwrap();
    let run = frames
        .iter()
        .find(|f| f["function"] == "demo::unsized_values::run")
        .unwrap();
    let locals = run["locals"].as_array().unwrap();
    let find = |n: &str| locals.iter().find(|l| l["name"] == n).unwrap();
    assert_eq!(
        find("point_ref"),
        &serde_json::json!({
            "name": "point_ref", "type": "&Point", "value": "Point { x: 1, y: 2 }",
            "children": [
                {"name": "x", "type": "i32", "value": "1", "children": []},
                {"name": "y", "type": "i32", "value": "2", "children": []}
            ]
        })
    );
    let xs: Vec<&serde_json::Value> = locals.iter().filter(|l| l["name"] == "x").collect();
    assert_eq!(
        xs,
        [
            &serde_json::json!({"name": "x", "type": "f64", "value": "3.5", "children": []}),
            &serde_json::json!({"name": "x", "shadowed": true, "type": "&str", "value": "\"two\"", "len": 3, "children": []}),
            &serde_json::json!({"name": "x", "shadowed": true, "type": "u8", "value": "1", "children": []}),
        ]
    );
}
