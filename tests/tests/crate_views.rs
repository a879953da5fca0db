//! End to end (issue 15, item 7): the crates services use, shown as their
//! users think of them (demo `crates`), read through `wire::Session`.

use tests::crash;
use wire::{Frame, RemoteValue};

fn run_frame(s: &wire::Session) -> Frame {
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    tb.frame_named("run").unwrap()
}

fn line(v: &RemoteValue) -> String {
    format!("{}: {} = {}", v.name(), v.type_name(), v.preview())
}

fn kids(v: &RemoteValue) -> Vec<String> {
    v.all_children().unwrap().iter().map(line).collect()
}

#[test]
fn service_crates_preview_as_their_users_think_of_them() {
    let demo = crash("crates");
    let s = demo.session();
    let run = run_frame(&s);
    let got: Vec<String> = run.locals().unwrap().iter().map(line).collect();
    assert_eq!(
        got,
        [
            "body: Bytes = b\"0123456789abc\"",
            "buf: BytesMut = b\"hello\"",
            "order: IndexMap<&str, i32> = {\"first\": 1, \"second\": 2}",
            "seen: IndexSet<u16> = {30, 10}",
            "inline: SmallVec<[u8; 4]> = [1, 2, 3]",
            "spilled: SmallVec<[u8; 2]> = [4, 5, 6]",
            "fixed: ArrayVec<u32, 4> = [7, 8]",
            "label: ArrayString<8> = \"tag\"",
            "brown: HashMap<u8, &str> = {1: \"one\"}",
            "lock: Mutex<RawMutex, u32> = Mutex { data: 41, locked: true }",
            "rw: RwLock<RawRwLock, &str> = RwLock { data: \"rw\", locked: false }",
            "guard: MutexGuard<RawMutex, u32> = MutexGuard { mutex: Mutex { data: 41, locked: true }, marker: PhantomData<(&mut u32, GuardNoSend)> }",
            "dash: DashMap<u32, &str> = {5: \"five\"}",
            "json: Value = {\"id\": 7, \"none\": null, \"ok\": true, \"ratio\": -1.5, \"tags\": [\"a\", \"b\"]}",
            "id: Uuid = 67e55044-10b1-426f-9247-bb680e5fe0c8",
            "smol: SmolStr = \"smol\"",
            "compact: CompactString = \"compact\"",
            "long_compact: CompactString = \"a compact string past twenty-four bytes\"",
            "once: OnceLock<String> = \"set once\"",
            "empty_once: OnceLock<u8> = OnceLock(<uninit>)",
            "lazy: &u32 = 8080",
            "tmutex: Mutex<i64> = Mutex { data: 3, locked: false }",
            "trw: RwLock<Vec<u8>> = RwLock { data: [1, 2], locked: false }",
            "tcell: OnceCell<u8> = 9",
            // Same names, other layouts: the raw values.
            "fake_bytes: Bytes = Bytes { ptr: 1 }",
            "fake_uuid: Uuid = Uuid(2)",
            "fake_value: Value = Count(3)",
        ]
    );
    assert_eq!(
        s.static_value("CONFIG").unwrap().preview(),
        "8080",
        "a LazyLock that has run"
    );
}

#[test]
fn service_crates_expand_and_fetch_as_their_contents() {
    let demo = crash("crates");
    let s = demo.session();
    let run = run_frame(&s);
    let local = |n: &str| run.local(n).unwrap();
    assert_eq!(local("body").len(), Some(13));
    assert_eq!(
        local("body").fetch::<Vec<u8>>().unwrap(),
        b"0123456789abc".to_vec()
    );
    // Insertion order, entries named by their keys.
    assert_eq!(
        kids(&local("order")),
        ["\"first\": i32 = 1", "\"second\": i32 = 2"]
    );
    assert_eq!(run.eval("order[\"second\"]").unwrap().preview(), "2");
    assert_eq!(kids(&local("seen")), ["[0]: u16 = 30", "[1]: u16 = 10"]);
    assert_eq!(local("spilled").fetch::<Vec<u8>>().unwrap(), [4, 5, 6]);
    assert_eq!(
        kids(&local("inline")),
        ["[0]: u8 = 1", "[1]: u8 = 2", "[2]: u8 = 3"]
    );
    assert_eq!(local("fixed").fetch::<Vec<u32>>().unwrap(), [7, 8]);
    assert_eq!(local("label").fetch::<String>().unwrap(), "tag");
    assert_eq!(
        kids(&local("lock")),
        ["data: u32 = 41", "locked: bool = true"]
    );
    assert_eq!(kids(&local("dash")), ["5: &str = \"five\""]);
    assert_eq!(run.eval("json[\"tags\"][1]").unwrap().preview(), "\"b\"");
    let json: serde_json::Value = local("json").fetch().unwrap();
    assert_eq!(
        json,
        serde_json::json!({"id": 7, "tags": ["a", "b"], "ok": true, "ratio": -1.5, "none": null})
    );
    assert_eq!(
        local("long_compact").fetch::<String>().unwrap(),
        "a compact string past twenty-four bytes"
    );
    assert_eq!(local("once").fetch::<String>().unwrap(), "set once");
    assert_eq!(
        local("id").fetch::<String>().unwrap(),
        "67e55044-10b1-426f-9247-bb680e5fe0c8"
    );
    assert_eq!(
        kids(&local("id")),
        [
            "bytes: [u8; 16] = [103, 229, 80, 68, 16, 177, 66, 111, 146, 71, 187, 104, 14, 95, 224, 200]"
        ]
    );
    assert_eq!(kids(&local("empty_once")), Vec::<String>::new());
    assert_eq!(
        kids(&local("trw")),
        ["data: Vec<u8> = [1, 2]", "locked: bool = false"]
    );
}
