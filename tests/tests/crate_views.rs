//! End to end (issue 15, item 7): the crates services use, shown as their
//! users think of them (demo `crates`), read through `wire::Session`; and
//! (issue 25) the types whose `{:?}` is a line of text — regexes, URLs,
//! addresses, date-times, `Instant`/`SystemTime`, platform strings that are
//! not UTF-8, URIs and header maps — in `demo-services`, through the
//! Session and `pmdb report --json`.

use std::time::{Duration, Instant};

use tests::{crash, crash_program, fixtures, report_json};
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

/// `demo-services` crashed in `handle`, and how long it took from its start
/// to its socket (the bound on how long before the crash its `Instant`s
/// can have been taken).
fn services() -> (tests::Crashed, Duration) {
    let program = fixtures::SERVICES.path();
    let started = Instant::now();
    let crashed = crash_program(&program, &[], "services", &[]);
    (crashed, started.elapsed())
}

fn handle_frame(s: &wire::Session) -> Frame {
    let tb = s.traceback(s.crash().unwrap().thread).unwrap();
    tb.frame_named("handle").unwrap()
}

/// Every local of `handle` but `started` (an `Instant`, whose "ago" is
/// timed: below), as the Session and the report show them.
const SERVICE_LOCALS: &[&str] = &[
    r#"route: Regex = Regex("^/up\\w+$")"#,
    r#"raw: Regex = Regex("(?-u)\\xFF+")"#,
    r#"routes: RegexSet = RegexSet(["^/a", "^/b\\d"])"#,
    r#"raw_set: RegexSet = RegexSet(["x"])"#,
    r#"url: Url = Url("https://user@example.com:8443/api/v1?q=1#top")"#,
    "v4: Ipv4Addr = 127.0.0.1",
    "v6: Ipv6Addr = 2001:db8::1",
    "ip: IpAddr = ::1",
    "listen: SocketAddr = 127.0.0.1:8080",
    "peer: SocketAddr = [::1]:443",
    "scoped: SocketAddrV6 = [fe80::1%2]:22",
    "stamp: DateTime<Utc> = 2025-12-03T17:05:08.123456789Z",
    "naive: NaiveDateTime = 2025-12-03T17:05:08.123456789",
    "paris: DateTime<FixedOffset> = 2025-12-03T18:05:08.123456789+01:00",
    "day: NaiveDate = 2024-02-29",
    "at: OffsetDateTime = 2025-12-03T17:05:08.123456789Z",
    "at_minus: OffsetDateTime = 2025-12-03T11:35:08.123456789-05:30",
    "primitive: PlainDateTime = 2025-12-03T17:05:08.123456789",
    "wall: SystemTime = SystemTime(2025-12-03T17:05:08.123456789Z)",
    "before: SystemTime = SystemTime(1969-12-31T23:59:59Z)",
    r#"path: PathBuf = "/tmp/a\xFFb""#,
    r#"name: OsString = "café \xE2\x82""#,
    r#"plain: PathBuf = "/etc/hosts""#,
    "uri: Uri = https://example.com:8443/api/v1?x=1",
    r#"headers: HeaderMap<HeaderValue> = {"content-type": "application/json", "accept": "text/html", "accept": "*/*", "x-request-id": "42"}"#,
    // Same names, other layouts: the raw values.
    "fake_regex: Regex = Regex { pattern: 7 }",
    "fake_url: Url = Url(8)",
    // The crates' own fields, another layout: said in one line.
    "odd_regex: Regex = Regex(<a layout pmdb does not know>)",
    "zoned: DateTime = DateTime(<a layout pmdb does not know>)",
];

/// `Instant(S.NNNNNNNNN s monotonic, A.AAA s ago)`: the reading is the
/// value's own `tv_sec` and `tv_nsec`, exactly; it was taken 90 s before
/// `Instant::now()` in `handle`, which ran before the socket opened, so
/// "ago" is at least 90 s and at most 90 s and the time to the socket.
fn assert_started(preview: &str, tv_sec: u64, tv_nsec: u64, window: Duration) {
    let reading = format!("Instant({tv_sec}.{tv_nsec:09} s monotonic, ");
    let ago = preview
        .strip_prefix(&reading)
        .and_then(|rest| rest.strip_suffix(" s ago)"))
        .unwrap_or_else(|| panic!("{preview:?} is not {reading}… s ago)"));
    let (whole, millis) = ago.split_once('.').unwrap_or_else(|| panic!("{ago}"));
    assert_eq!(millis.len(), 3, "{preview}");
    let ago = Duration::from_millis(
        whole.parse::<u64>().unwrap() * 1000 + millis.parse::<u64>().unwrap(),
    );
    assert!(
        ago >= Duration::from_secs(90) && ago <= Duration::from_secs(90) + window,
        "{preview}: not between 90 s and 90 s + {window:?}"
    );
}

#[test]
fn service_values_preview_as_their_debug_text() {
    let (demo, window) = services();
    let s = demo.session();
    let handle = handle_frame(&s);
    let locals = handle.locals().unwrap();
    let got: Vec<String> = locals
        .iter()
        .filter(|v| v.name() != "started")
        .map(line)
        .collect();
    assert_eq!(got, SERVICE_LOCALS);
    let started = handle.local("started").unwrap();
    assert_eq!(started.type_name(), "Instant");
    let raw: Vec<(String, u64)> = started
        .all_children()
        .unwrap()
        .iter()
        .map(|k| (k.name().to_string(), k.fetch::<u64>().unwrap()))
        .collect();
    let [(sec_name, tv_sec), (nsec_name, tv_nsec)] = &raw[..] else {
        panic!("{raw:?}")
    };
    assert_eq!(
        (sec_name.as_str(), nsec_name.as_str()),
        ("tv_sec", "tv_nsec")
    );
    assert_started(started.preview(), *tv_sec, *tv_nsec, window);
}

#[test]
fn service_values_expand_and_fetch_exactly() {
    let (demo, _) = services();
    let s = demo.session();
    let handle = handle_frame(&s);
    let local = |n: &str| handle.local(n).unwrap();
    // Platform strings: text when UTF-8, else the very bytes.
    assert_eq!(local("path").fetch::<Vec<u8>>().unwrap(), b"/tmp/a\xFFb");
    assert_eq!(
        local("name").fetch::<Vec<u8>>().unwrap(),
        b"caf\xC3\xA9 \xE2\x82"
    );
    assert_eq!(local("plain").fetch::<String>().unwrap(), "/etc/hosts");
    assert!(
        local("path").fetch::<String>().is_err(),
        "never a string with bytes replaced"
    );
    // The expression language counts and compares them as text.
    assert_eq!(handle.eval("path.len()").unwrap().preview(), "8");
    assert_eq!(
        handle.eval("plain == \"/etc/hosts\"").unwrap().preview(),
        "true"
    );
    // Patterns: the pattern itself, and where it is kept.
    assert_eq!(local("route").fetch::<String>().unwrap(), r"^/up\w+$");
    assert_eq!(
        kids(&local("route")),
        [r#"pattern: Arc<str> = "^/up\\w+$""#]
    );
    assert_eq!(
        local("routes").fetch::<Vec<String>>().unwrap(),
        [r"^/a", r"^/b\d"]
    );
    assert_eq!(
        local("url").fetch::<String>().unwrap(),
        "https://user@example.com:8443/api/v1?q=1#top"
    );
    // Addresses: their text, and the fields it was read from.
    assert_eq!(local("peer").fetch::<String>().unwrap(), "[::1]:443");
    assert_eq!(
        kids(&local("scoped")),
        [
            "ip: Ipv6Addr = fe80::1",
            "port: u16 = 22",
            "flowinfo: u32 = 0",
            "scope_id: u32 = 2"
        ]
    );
    assert_eq!(kids(&local("v4")), ["octets: [u8; 4] = [127, 0, 0, 1]"]);
    // Date-times: RFC 3339 text.
    assert_eq!(
        local("at_minus").fetch::<String>().unwrap(),
        "2025-12-03T11:35:08.123456789-05:30"
    );
    assert_eq!(
        local("wall").fetch::<String>().unwrap(),
        "SystemTime(2025-12-03T17:05:08.123456789Z)"
    );
    assert_eq!(
        kids(&local("stamp")),
        [
            "datetime: NaiveDateTime = 2025-12-03T17:05:08.123456789",
            "offset: Utc = Utc"
        ]
    );
    // http: the URI's text; every header in order, a name twice if it was
    // appended to.
    assert_eq!(
        local("uri").fetch::<String>().unwrap(),
        "https://example.com:8443/api/v1?x=1"
    );
    assert_eq!(
        kids(&local("headers")),
        [
            r#""content-type": HeaderValue = "application/json""#,
            r#""accept": HeaderValue = "text/html""#,
            r#""accept": HeaderValue = "*/*""#,
            r#""x-request-id": HeaderValue = "42""#,
        ]
    );
    assert_eq!(
        local("headers").fetch::<Vec<(String, String)>>().unwrap(),
        [
            ("content-type", "application/json"),
            ("accept", "text/html"),
            ("accept", "*/*"),
            ("x-request-id", "42"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert_eq!(handle.eval("headers.len()").unwrap().preview(), "4");
    // A layout pmdb does not know keeps its raw fields.
    assert_eq!(
        kids(&local("odd_regex")),
        ["meta: Regex = Regex { imp: 1 }", "pattern: u32 = 9"]
    );
    assert_eq!(
        kids(&local("zoned")),
        [
            "datetime: NaiveDateTime = 2025-12-03T17:05:08.123456789",
            "offset: Zone = Zone { name: \"Europe/Paris\" }"
        ]
    );
}

/// The same values in `pmdb report --json`, the preview each local has.
#[test]
fn service_values_in_the_json_report() {
    let (demo, window) = services();
    let r = report_json(&[demo.socket.to_str().unwrap()], &[]);
    let frame = r["threads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["frames"].as_array().unwrap())
        .find(|f| {
            f["function"]
                .as_str()
                .is_some_and(|n| n.ends_with("::handle"))
        })
        .expect("the handle frame");
    let locals = frame["locals"].as_array().unwrap();
    let got: Vec<String> = locals
        .iter()
        .filter(|l| l["name"] != "started")
        .map(|l| {
            format!(
                "{}: {} = {}",
                l["name"].as_str().unwrap(),
                l["type"].as_str().unwrap(),
                l["value"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(got, SERVICE_LOCALS);
    let started = locals.iter().find(|l| l["name"] == "started").unwrap();
    let field = |name: &str| -> u64 {
        started["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["value"].as_str()?.parse().ok())
            .unwrap_or_else(|| panic!("{started}"))
    };
    assert_started(
        started["value"].as_str().unwrap(),
        field("tv_sec"),
        field("tv_nsec"),
        window,
    );
}
