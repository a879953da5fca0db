//! End to end: std collections, smart pointers, cells, locks and wrappers
//! (demo `collections`), and lying memory (demo `corrupt`), read through
//! `wire::Session` from real crashed processes.

use std::collections::{BTreeMap, HashMap, VecDeque};

use tests::crash;
use wire::{Frame, ValueKind};

fn run_frame(s: &wire::Session) -> Frame {
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    tb.frame_named("run").unwrap()
}

fn line(v: &wire::RemoteValue) -> String {
    format!("{}: {} = {}", v.name(), v.type_name(), v.preview())
}

fn kids(v: &wire::RemoteValue) -> Vec<String> {
    v.all_children().unwrap().iter().map(line).collect()
}

#[test]
fn std_types_preview_as_debug_does() {
    let demo = crash("collections");
    let s = demo.session();
    let run = run_frame(&s);
    let got: Vec<String> = run.locals().unwrap().iter().map(line).collect();
    let raw_addr = run.local("raw").unwrap().preview().to_string();
    assert!(raw_addr.starts_with("0x7ff"), "{raw_addr}");
    assert_eq!(
        got,
        [
            "deque: VecDeque<i32> = [2, 3, 4, 5]",
            "scores: HashMap<String, i32> = {\"ann\": 90}",
            "tags: HashSet<u8> = {7}",
            "ordered: BTreeMap<i32, &str> = {1: \"odd\", 2: \"even\", 3: \"odd\", 4: \"even\", 5: \"odd\", 6: \"even\", 7: \"odd\", 8: \"even\", 9: \"odd\", 10: \"even\", ..}",
            "small_set: BTreeSet<char> = {'a', 'b', 'c'}",
            "heap: BinaryHeap<u32> = [9, 3, 4]",
            "list: LinkedList<&str> = [\"x\", \"y\"]",
            "shared: Rc<String> = \"shared\"",
            "shared2: Rc<String> = \"shared\"",
            "weak: Weak<String> = (Weak)",
            "counted: Arc<Vec<i32>> = [1, 2]",
            "cell: Cell<i32> = Cell { value: 5 }",
            "refcell: RefCell<Vec<u8>> = RefCell { value: [1] }",
            "borrowed: Ref<Vec<u8>> = [1]",
            "mutex: Mutex<i32> = Mutex { data: 11, poisoned: false, .. }",
            "rwlock: RwLock<bool> = RwLock { data: true, poisoned: false, .. }",
            "cow_borrowed: Cow<str> = \"cow\"",
            "cow_owned: Cow<str> = \"owned cow\"",
            "nonzero: NonZero<u32> = 9",
            "duration: Duration = 1.5s",
            "path: PathBuf = \"/tmp/pmdb.txt\"",
            "os: OsString = \"os string\"",
            "cstring: CString = \"c string\"",
            "atomic: AtomicUsize = 3",
            "ordering: Ordering = Less",
            "pinned: Pin<Box<u8>> = 8",
            "slice: &[i32] = [4, 5, 6]",
            &format!("raw: *const i32 = {raw_addr}"),
            "null: *const u8 = 0x0",
            "maybe_box: Option<Box<i32>> = Some(12)",
            "maybe_ref: Option<&i32> = None",
            "maybe_nonzero: Option<NonZero<u32>> = Some(77)",
            "tail: Rc<RefCell<Node>> = RefCell { value: Node { value: 2, next: None } }",
            "head: Node = Node { value: 1, next: Some(RefCell { value: Node { .. } }) }",
            "closure_base: i32 = 40",
            "add: {closure_env#1} = {closure_env#1} { closure_base: 40 }",
            "marker: PhantomData<u64> = PhantomData<u64>",
            "zst: () = ()",
            "dyn_box: Box<dyn Area> = Square { side: 2.0 }",
            "disc: Disc = Disc { radius: 1.5 }",
            "dyn_ref: &dyn Area = Disc { radius: 1.5 }",
            "bits: Bits = Bits { int: 1065353216, float: 1.0 }",
            "fake: HashMap = HashMap { base: 3 }",
            "switches: [Switch; 4] = [Set(true), Off, Unknown, Set(false)]",
            "pair_u8: Pair<u8> = Pair { left: 1, right: 2 }",
            "pair_str: Pair<&str> = Pair { left: \"l\", right: \"r\" }",
        ]
    );
}

#[test]
fn std_types_expand_into_their_parts() {
    let demo = crash("collections");
    let s = demo.session();
    let run = run_frame(&s);
    let local = |n: &str| run.local(n).unwrap();

    let scores = local("scores");
    assert_eq!((scores.kind(), scores.len()), (ValueKind::Map, Some(1)));
    assert_eq!(kids(&scores), ["\"ann\": i32 = 90"]);
    let entry = &scores.all_children().unwrap()[0];
    assert_eq!(kids(entry), ["key: String = \"ann\"", "value: i32 = 90"]);
    assert_eq!(run.eval("scores[\"ann\"]").unwrap().preview(), "90");
    // An integer key indexes a map by key, not by position.
    assert_eq!(run.eval("ordered[11]").unwrap().preview(), "\"odd\"");

    let ordered = local("ordered");
    assert_eq!(ordered.len(), Some(30));
    // A page from the middle crosses B-tree nodes.
    let page: Vec<String> = ordered.children(10, 4).unwrap().iter().map(line).collect();
    assert_eq!(
        page,
        [
            "11: &str = \"odd\"",
            "12: &str = \"even\"",
            "13: &str = \"odd\"",
            "14: &str = \"even\""
        ]
    );
    assert_eq!(
        ordered
            .children(29, 10)
            .unwrap()
            .iter()
            .map(line)
            .collect::<Vec<_>>(),
        ["30: &str = \"even\""]
    );

    let deque = local("deque");
    assert_eq!(
        kids(&deque),
        [
            "[0]: i32 = 2",
            "[1]: i32 = 3",
            "[2]: i32 = 4",
            "[3]: i32 = 5"
        ]
    );
    assert_eq!(kids(&local("tags")), ["[0]: u8 = 7"]);
    assert_eq!(
        kids(&local("list")),
        ["[0]: &str = \"x\"", "[1]: &str = \"y\""]
    );

    assert_eq!(
        kids(&local("shared")),
        [
            "*: String = \"shared\"",
            "strong: usize = 2",
            "weak: usize = 1"
        ]
    );
    // A pointer's own members are reached by name; other fields see through it.
    assert_eq!(run.eval("shared.strong").unwrap().preview(), "2");
    assert_eq!(run.eval("counted[1]").unwrap().preview(), "2");
    assert_eq!(
        kids(&local("weak")),
        [
            "*: String = \"shared\"",
            "strong: usize = 2",
            "weak: usize = 1"
        ]
    );
    assert_eq!(
        kids(&local("counted")),
        [
            "*: Vec<i32> = [1, 2]",
            "strong: usize = 1",
            "weak: usize = 0"
        ]
    );
    assert_eq!(
        kids(&local("refcell")),
        ["value: Vec<u8> = [1]", "borrow: isize = 1"]
    );
    assert_eq!(
        kids(&local("mutex")),
        [
            "data: i32 = 11",
            "poisoned: bool = false",
            "locked: bool = false"
        ]
    );
    assert_eq!(
        kids(&local("duration")),
        ["secs: u64 = 1", "nanos: u32 = 500000000"]
    );
    assert_eq!(run.eval("tail.value.value").unwrap().preview(), "2");
    assert_eq!(run.eval("maybe_box.0").unwrap().preview(), "12");

    // Trait objects show the concrete type their vtable names.
    assert_eq!(
        kids(&local("dyn_box")),
        ["*: Square = Square { side: 2.0 }"]
    );
    assert_eq!(run.eval("dyn_ref.radius").unwrap().preview(), "1.5");
    assert_eq!(
        kids(&local("bits")),
        ["int: u32 = 1065353216", "float: f32 = 1.0"]
    );
    // A look-alike of a std type falls back to its raw struct.
    assert_eq!(kids(&local("fake")), ["base: u8 = 3"]);
    assert_eq!(kids(&local("add")), ["closure_base: i32 = 40"]);
    assert_eq!(kids(&local("marker")), Vec::<String>::new());

    // Statics by name, qualified or not.
    let greeting = s.static_value("GREETING").unwrap();
    assert_eq!(line(&greeting), "GREETING: &str = \"hello, static\"");
    assert_eq!(run.eval("LIMITS[1]").unwrap().preview(), "20");
    assert_eq!(
        run.eval("demo::collections::LIMITS").unwrap().preview(),
        "[10, 20]"
    );
    assert_eq!(
        s.static_value("NO_SUCH_STATIC").unwrap_err().to_string(),
        "no local or static named \"NO_SUCH_STATIC\""
    );

    assert_eq!(
        local("scores").fetch::<HashMap<String, i32>>().unwrap(),
        HashMap::from([("ann".to_string(), 90)])
    );
    let ordered: BTreeMap<i32, String> = local("ordered").fetch().unwrap();
    assert_eq!((ordered.len(), ordered[&7].as_str()), (30, "odd"));
    assert_eq!(
        local("deque").fetch::<VecDeque<i32>>().unwrap(),
        [2, 3, 4, 5]
    );
    assert_eq!(local("shared").fetch::<String>().unwrap(), "shared");
    assert_eq!(
        local("duration").fetch::<std::time::Duration>().unwrap(),
        std::time::Duration::from_millis(1500)
    );
    assert_eq!(local("path").fetch::<String>().unwrap(), "/tmp/pmdb.txt");
}

#[test]
fn lying_memory_shows_markers_and_big_vectors_page_lazily() {
    let demo = crash("corrupt");
    let s = demo.session();
    let run = run_frame(&s);
    let local = |n: &str| run.local(n).unwrap();

    let huge = local("huge");
    assert_eq!(huge.len(), Some(10_000_000));
    assert_eq!(
        huge.preview(),
        "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, ..]"
    );
    let page: Vec<String> = huge
        .children(9_999_998, 100)
        .unwrap()
        .iter()
        .map(line)
        .collect();
    assert_eq!(
        page,
        ["[9999998]: u64 = 9999998", "[9999999]: u64 = 9999999"]
    );

    let garbage = local("garbage");
    assert_eq!(garbage.preview(), "0xdead");
    assert_eq!(
        kids(&garbage),
        ["*: (u32, u32) = <unreadable memory at 0xdead>"]
    );

    let lying = run
        .locals()
        .unwrap()
        .into_iter()
        .find(|v| v.name() == "lying" && v.info.shadowed)
        .unwrap();
    assert_eq!(
        lying.preview(),
        "<length 1152921504606846976 looks corrupt>"
    );
    assert_eq!(lying.kind(), ValueKind::Error);
    assert!(kids(&lying).is_empty());

    assert_eq!(
        local("dangling").preview(),
        "ManuallyDrop { value: <unreadable memory at 0x50> }"
    );
    // The cycle a → b → a previews to a bounded depth and expands forever, lazily.
    assert_eq!(
        local("a").preview(),
        "RefCell { value: Ring { id: 1, next: Some(RefCell { .. }) } }"
    );
    assert_eq!(
        run.eval("a.value.next.0.value.next.0.value.id")
            .unwrap()
            .preview(),
        "1"
    );
    assert!(local("a").fetch::<serde_json::Value>().is_err());
    // The agent is still serving.
    assert_eq!(local("huge").len(), Some(10_000_000));
}
