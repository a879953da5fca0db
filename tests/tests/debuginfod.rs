//! End to end: debug files fetched by build-id. elfutils' own `debuginfod`
//! server, started here on 127.0.0.1, serves a directory holding the
//! unstripped demo; the crash comes from a stripped copy of it (`objcopy
//! --strip-debug`, the build-id kept) whose agent wrote a core. `pmdb report
//! --core` of it shows the same frames and locals as with the unstripped
//! executable given, and again from the cache once the server is stopped.
//! Servers that are down, that answer garbage, another file or an endless
//! body each get one line, and the report still prints, its frames saying
//! why they have no locals. An executable missing where the core names it
//! comes from `/buildid/ID/executable`; a download slowed by a proxy of
//! the test's own shows its progress.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use tests::{TempDir, bin, pmdb, run_to_end};

/// The stripped demo's core, its build-id and the reference report (the
/// same core with the unstripped executable given), made once.
struct Crash {
    _dir: TempDir,
    /// Holds the unstripped demo: what the server serves.
    served: PathBuf,
    core: PathBuf,
    build_id: String,
    want: Value,
}

fn crash() -> &'static Crash {
    static ONE: OnceLock<Crash> = OnceLock::new();
    ONE.get_or_init(|| {
        let dir = TempDir::new("debuginfod");
        let served = dir.0.join("served");
        let run = dir.0.join("run");
        std::fs::create_dir_all(&served).unwrap();
        std::fs::create_dir_all(&run).unwrap();
        let full = served.join("demo");
        std::fs::copy(bin("demo"), &full).unwrap();
        let stripped = run.join("demo");
        let out = Command::new("objcopy")
            .arg("--strip-debug")
            .arg(&full)
            .arg(&stripped)
            .output()
            .expect("objcopy (binutils) must be installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let build_id = build_id_of(&full);
        assert_eq!(build_id_of(&stripped), build_id);

        let mut cmd = Command::new(&stripped);
        cmd.arg("bank")
            .env("PMDB_MODE", "core")
            .env("PMDB_DIR", &run)
            .env("RUST_BACKTRACE", "0");
        let (_, stderr, _) = run_to_end(cmd, Duration::from_secs(60));
        let core = tests::saved_crash(&stderr);
        let cache = TempDir::new("debuginfod-nocache");
        let want = report(&core, &["--exe", full.to_str().unwrap()], &cache.0, None).0;
        Crash {
            _dir: dir,
            served,
            core,
            build_id,
            want,
        }
    })
}

/// The GNU build-id of an ELF file, as `readelf -n` prints it.
fn build_id_of(path: &Path) -> String {
    let out = Command::new("readelf")
        .arg("-n")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Build ID: "))
        .unwrap_or_else(|| panic!("{} has no build-id", path.display()))
        .to_string()
}

/// `pmdb report --core CORE ARGS… --json --depth 2` with the debuginfod
/// client's cache in `cache` and `DEBUGINFOD_URLS` set to `urls` (unset for
/// `None`); the report, stderr, and how long it took.
fn report(
    core: &Path,
    args: &[&str],
    cache: &Path,
    urls: Option<&str>,
) -> (Value, String, Duration) {
    report_with(core, args, cache, urls, &[])
}

fn report_with(
    core: &Path,
    args: &[&str],
    cache: &Path,
    urls: Option<&str>,
    env: &[(&str, &str)],
) -> (Value, String, Duration) {
    let mut all = vec!["report", "--core", core.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", "--depth", "2"]);
    let mut vars: Vec<(&str, &OsStr)> = vec![
        ("DEBUGINFOD_CACHE_PATH", cache.as_os_str()),
        ("DEBUGINFOD_URLS", OsStr::new(urls.unwrap_or(""))),
    ];
    vars.extend(env.iter().map(|(k, v)| (*k, OsStr::new(*v))));
    let started = Instant::now();
    let (status, stdout, stderr) = pmdb(&all, &vars);
    let took = started.elapsed();
    assert!(status.success(), "pmdb {all:?} failed: {stderr}");
    let json =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    (json, stderr, took)
}

/// The report without what names the executable's file (the reference
/// gives it with `--exe`).
fn frames_and_locals(r: &Value) -> Value {
    r["threads"].clone()
}

/// elfutils' `debuginfod` serving `dir` on a free port of 127.0.0.1, its
/// database in `db`; killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts it and waits until it serves `build_id`'s debug file.
    fn start(dir: &Path, db: &Path, build_id: &str) -> Server {
        let port = free_port();
        let child = Command::new("debuginfod")
            .arg("-F")
            .arg("-p")
            .arg(port.to_string())
            .arg("-d")
            .arg(db)
            .args(["-t", "0", "-g", "0"])
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("debuginfod (Debian package debuginfod) must be installed");
        let mut server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("debuginfod ended before serving: {status}");
            }
            if get_status(port, &format!("/buildid/{build_id}/debuginfo")) == Some(200) {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "debuginfod never served {build_id}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status line's code of `GET path` (debuginfod answers GET only), or
/// `None` if nothing answers.
fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A server of the test's own on 127.0.0.1 that answers every request with
/// `answer`; counts the connections it took.
fn fake_server(
    answer: impl Fn(&mut TcpStream) + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            std::thread::spawn(move || {
                // The request's head, to its blank line.
                let mut head = Vec::new();
                let mut byte = [0u8];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                answer(&mut stream);
            });
        }
    });
    (url, count)
}

/// The frames of the crashed thread that are the demo's own code.
fn user_frames(r: &Value) -> Vec<Value> {
    let crashed = r["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["crashed"] == Value::Bool(true))
        .expect("a crashed thread");
    crashed["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["function"]
                .as_str()
                .is_some_and(|n| n.starts_with("demo::"))
        })
        .cloned()
        .collect()
}

#[test]
fn a_stripped_crash_gets_its_locals_from_debuginfod_then_from_the_cache() {
    let c = crash();
    let dir = TempDir::new("debuginfod-server");
    let cache = dir.0.join("cache");
    let server = Server::start(&c.served, &dir.0.join("db.sqlite"), &c.build_id);

    // Without a server: the stripped executable has no locals.
    let (bare, _, _) = report(&c.core, &[], &cache, None);
    assert_ne!(frames_and_locals(&bare), frames_and_locals(&c.want));

    let (got, stderr, _) = report(&c.core, &[], &cache, Some(&server.url()));
    assert_eq!(
        frames_and_locals(&got),
        frames_and_locals(&c.want),
        "{stderr}"
    );
    let cached = cache.join(&c.build_id).join("debuginfo");
    assert_eq!(
        std::fs::read(&cached).unwrap(),
        std::fs::read(c.served.join("demo")).unwrap()
    );
    // The demo's frames and locals are there, exact values and all.
    let frames = user_frames(&got);
    assert!(!frames.is_empty(), "{got}");
    assert!(
        frames.iter().all(|f| f.get("locals_error").is_none()),
        "{got}"
    );
    // The agent had no DWARF to walk for a small core, so it kept the
    // whole memory: the heap's values read too.
    let withdraw = frames
        .iter()
        .find(|f| f["function"] == "demo::bank::withdraw")
        .unwrap_or_else(|| panic!("{got}"));
    let memo = withdraw["locals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "memo")
        .unwrap_or_else(|| panic!("{got}"));
    assert_eq!(memo["value"], "\"round 1\"", "{got}");

    drop(server);
    // The server stopped: the cache alone, the same report, nothing said.
    let (again, stderr, _) = report(&c.core, &[], &cache, Some("http://127.0.0.1:9"));
    assert_eq!(frames_and_locals(&again), frames_and_locals(&c.want));
    assert!(!stderr.contains("debuginfod"), "{stderr}");
}

#[test]
fn a_server_that_is_down_costs_the_timeout_once_and_the_next_one_answers() {
    let c = crash();
    let dir = TempDir::new("debuginfod-down");
    let server = Server::start(&c.served, &dir.0.join("db.sqlite"), &c.build_id);
    // Takes connections and never answers.
    let (silent, connections) = fake_server(|s| {
        let mut sink = [0u8; 1];
        let _ = s.read(&mut sink);
        std::thread::sleep(Duration::from_secs(600));
    });
    let closed = format!("http://127.0.0.1:{}", free_port());
    let urls = format!("{closed} {silent} {}", server.url());
    let cache = dir.0.join("cache");
    let (got, stderr, took) = report_with(
        &c.core,
        &[],
        &cache,
        Some(&urls),
        &[("DEBUGINFOD_TIMEOUT", "2")],
    );
    assert_eq!(
        frames_and_locals(&got),
        frames_and_locals(&c.want),
        "{stderr}"
    );
    assert_eq!(connections.load(Ordering::SeqCst), 1, "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("debuginfod"))
        .collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with(&format!("pmdb: debuginfod: {closed} did not answer (")),
        "{stderr}"
    );
    assert!(
        lines[0].ends_with("); not asked again in this run"),
        "{stderr}"
    );
    assert_eq!(
        lines[1],
        format!(
            "pmdb: debuginfod: {silent} did not answer (no answer in 2 s); not asked again in this run"
        )
    );
    assert!(took >= Duration::from_secs(2), "{took:?}");
}

/// The report and stderr with one bad server, asked alone.
fn bad_server(
    answer: impl Fn(&mut TcpStream) + Send + Sync + 'static,
    env: &[(&str, &str)],
) -> (Value, String, String) {
    let c = crash();
    let dir = TempDir::new("debuginfod-bad");
    let (url, _) = fake_server(answer);
    let (got, stderr, _) = report_with(&c.core, &[], &dir.0.join("cache"), Some(&url), env);
    assert!(
        !dir.0
            .join("cache")
            .join(&c.build_id)
            .join("debuginfo")
            .exists(),
        "a refused file entered the cache"
    );
    (got, stderr, url)
}

/// The one line said about the executable's debug file, and what each of
/// the demo's frames says instead of locals.
fn said_and_why(got: &Value, stderr: &str, url: &str) -> (String, Vec<String>) {
    let c = crash();
    let asked = format!("{url}/buildid/{}/debuginfo", c.build_id);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&asked)).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let frames = user_frames(got);
    assert!(
        !frames.is_empty(),
        "the report still prints the frames: {got}"
    );
    let whys = frames
        .iter()
        .map(|f| f["locals_error"].as_str().unwrap_or("(none)").to_string())
        .collect();
    (lines[0].to_string(), whys)
}

#[test]
fn garbage_is_refused_in_one_line_and_the_frames_say_why_they_have_no_locals() {
    let c = crash();
    let (got, stderr, url) = bad_server(
        |s| {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world",
            );
        },
        &[],
    );
    let (line, whys) = said_and_why(&got, &stderr, &url);
    assert_eq!(
        line,
        format!(
            "pmdb: debuginfod: {url}/buildid/{}/debuginfo: not an ELF file (11 bytes); refused",
            c.build_id
        )
    );
    let why = format!(
        "<no debug info>: debuginfod has no debug file for build-id {} ({url}: not an ELF file (11 bytes))",
        c.build_id
    );
    assert!(whys.iter().all(|w| *w == why), "{whys:?}");
}

#[test]
fn a_file_with_another_build_id_is_refused() {
    let c = crash();
    let other = std::fs::read("/bin/true").unwrap();
    let other_id = build_id_of(Path::new("/bin/true"));
    let (got, stderr, url) = bad_server(
        move |s| {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                other.len()
            );
            let _ = s.write_all(&other);
        },
        &[],
    );
    let (line, whys) = said_and_why(&got, &stderr, &url);
    assert_eq!(
        line,
        format!(
            "pmdb: debuginfod: {url}/buildid/{id}/debuginfo: the file has build-id {other_id}, not {id}; refused",
            id = c.build_id
        )
    );
    assert!(
        whys.iter()
            .all(|w| w.contains(&format!("build-id {other_id}, not"))),
        "{whys:?}"
    );
}

#[test]
fn an_endless_body_stops_at_the_size_limit() {
    let c = crash();
    let (got, stderr, url) = bad_server(
        |s| {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            );
            let chunk = vec![b'x'; 1 << 16];
            loop {
                if s.write_all(b"10000\r\n").is_err()
                    || s.write_all(&chunk).is_err()
                    || s.write_all(b"\r\n").is_err()
                {
                    return;
                }
            }
        },
        &[("DEBUGINFOD_MAXSIZE", "1000000")],
    );
    let (line, whys) = said_and_why(&got, &stderr, &url);
    assert_eq!(
        line,
        format!(
            "pmdb: debuginfod: {url}/buildid/{}/debuginfo: the file is more than DEBUGINFOD_MAXSIZE (1000000 bytes); refused",
            c.build_id
        )
    );
    assert!(
        whys.iter().all(|w| w.contains("DEBUGINFOD_MAXSIZE")),
        "{whys:?}"
    );
}

#[test]
fn a_source_file_not_on_this_machine_comes_from_debuginfod() {
    let c = crash();
    let dir = TempDir::new("debuginfod-source");
    let server = Server::start(&c.served, &dir.0.join("db.sqlite"), &c.build_id);
    let root = tests::workspace_root();
    let substitute = format!("{}=/nonexistent-pmdb-tree", root.display());
    let cache = dir.0.join("cache");
    let args = ["--source", "--substitute-path", substitute.as_str()];
    // Without a server (the executable's DWARF given): a core carries no
    // source, and the file is not here.
    let full = c.served.join("demo");
    let mut with_exe = vec!["--exe", full.to_str().unwrap()];
    with_exe.extend_from_slice(&args);
    let (bare, _, _) = report(&c.core, &with_exe, &dir.0.join("no-cache"), None);
    let (got, stderr, _) = report(&c.core, &args, &cache, Some(&server.url()));
    let frames = user_frames(&got);
    assert!(!frames.is_empty(), "{got}");
    let bare_frames = user_frames(&bare);
    assert_eq!(bare_frames.len(), frames.len());
    for (f, b) in frames.iter().zip(bare_frames) {
        let file = f["file"].as_str().unwrap();
        assert!(file.starts_with(root.to_str().unwrap()), "{file}");
        assert!(b["source"].get("error").is_some(), "{b}");
        let source = &f["source"];
        assert_eq!(source["origin"], "served", "{stderr}\n{source}");
        let first = source["first_line"].as_u64().unwrap() as usize;
        let text = std::fs::read_to_string(file).unwrap();
        let want: Vec<&str> = text
            .lines()
            .skip(first - 1)
            .take(source["lines"].as_array().unwrap().len())
            .collect();
        assert_eq!(source["lines"], serde_json::json!(want), "{file}");
        assert!(source["lines"].as_array().unwrap().len() > 1, "{source}");
    }
}

/// A core opened where its executable's path does not exist (another
/// machine: here the run's directory substituted away): the executable
/// comes by build-id from debuginfod's `/executable`, and the report is the
/// one with the executable given. Without a server, one line says what to
/// do.
#[test]
fn a_missing_executable_comes_from_debuginfod() {
    let c = crash();
    let dir = TempDir::new("debuginfod-executable");
    let run = c.core.parent().unwrap();
    let gone = format!("{}=/nonexistent-pmdb-run", run.display());
    let args = ["--substitute-path", gone.as_str()];
    let core = c.core.to_str().unwrap();
    let (status, stdout, stderr) = pmdb(
        &["report", "--core", core, "--substitute-path", &gone],
        &[("DEBUGINFOD_URLS", OsStr::new(""))],
    );
    assert_eq!(status.code(), Some(2), "{stdout}");
    assert_eq!(
        stderr,
        format!(
            "pmdb: cannot open {core}: the executable /nonexistent-pmdb-run/demo is not on this machine; \
             give it with --exe PATH or --substitute-path FROM=TO\n"
        )
    );

    let server = Server::start(&c.served, &dir.0.join("db.sqlite"), &c.build_id);
    let cache = dir.0.join("cache");
    let (got, stderr, _) = report(&c.core, &args, &cache, Some(&server.url()));
    assert_eq!(
        frames_and_locals(&got),
        frames_and_locals(&c.want),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(cache.join(&c.build_id).join("executable")).unwrap(),
        std::fs::read(c.served.join("demo")).unwrap()
    );
    // Its DWARF is in it: no second download of the same file.
    assert!(!cache.join(&c.build_id).join("debuginfo").exists());

    // A server that does not have it: the same line, and why.
    let (missing, _) = fake_server(|s| {
        let _ = s
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let (status, stdout, stderr) = pmdb(
        &["report", "--core", core, "--substitute-path", &gone],
        &[
            ("DEBUGINFOD_URLS", OsStr::new(&missing)),
            ("DEBUGINFOD_CACHE_PATH", dir.0.join("cache-404").as_os_str()),
        ],
    );
    assert_eq!(status.code(), Some(2), "{stdout}");
    assert_eq!(
        stderr,
        format!(
            "pmdb: cannot open {core}: the executable /nonexistent-pmdb-run/demo is not on this machine \
             and debuginfod has no executable for build-id {} ({missing} does not have it); \
             give it with --exe PATH or --substitute-path FROM=TO\n",
            c.build_id
        )
    );
}

/// A proxy of the test's own on 127.0.0.1 in front of the real server on
/// `upstream`: each answer forwarded as it comes but slowly, `chunk` bytes
/// then a pause of `pause`, so a download really lasts.
fn slow_proxy(upstream: u16, chunk: usize, pause: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8];
                while !head.ends_with(b"\r\n\r\n") && client.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                // The same request, asking the server to close after it.
                let text = String::from_utf8_lossy(&head).into_owned();
                let mut request: String = text
                    .trim_end()
                    .lines()
                    .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                    .map(|l| format!("{l}\r\n"))
                    .collect();
                request.push_str("Connection: close\r\n\r\n");
                let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    return;
                };
                if server.write_all(request.as_bytes()).is_err() {
                    return;
                }
                let mut buf = vec![0u8; chunk];
                loop {
                    let mut filled = 0;
                    while filled < chunk {
                        match server.read(&mut buf[filled..]) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => filled += n,
                        }
                    }
                    if filled == 0 || client.write_all(&buf[..filled]).is_err() {
                        return;
                    }
                    std::thread::sleep(pause);
                }
            });
        }
    });
    url
}

/// A download that lasts over a second shows its progress on stderr: a
/// line a second (stderr is not a terminal here) saying how much of the
/// whole has come, then one saying it ended and how long it took.
#[test]
fn a_slow_download_shows_its_progress() {
    let c = crash();
    let dir = TempDir::new("debuginfod-progress");
    let server = Server::start(&c.served, &dir.0.join("db.sqlite"), &c.build_id);
    let size = std::fs::metadata(c.served.join("demo")).unwrap().len();
    // About 3 s for the whole file, whatever its size.
    let chunk = 256 << 10;
    let pause = Duration::from_secs_f64(3.0 * chunk as f64 / size as f64);
    let proxy = slow_proxy(server.port, chunk, pause);
    let (got, stderr, took) = report(&c.core, &[], &dir.0.join("cache"), Some(&proxy));
    assert_eq!(
        frames_and_locals(&got),
        frames_and_locals(&c.want),
        "{stderr}"
    );
    assert!(took >= Duration::from_secs(3), "{took:?}");
    let mb = |n: u64| format!("{:.1} MB", n as f64 / 1e6);
    let label = format!("debug info for {} from {proxy}", c.build_id);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&label)).collect();
    let (last, progress) = lines.split_last().unwrap_or_else(|| panic!("{stderr}"));
    // At 1 s and 2 s at least.
    assert!(progress.len() >= 2, "{stderr}");
    let mut before = 0.0;
    for line in progress {
        let of = line
            .strip_prefix(&format!("pmdb: fetching {label}: "))
            .and_then(|l| l.strip_suffix(&format!(" MB of {}", mb(size))))
            .unwrap_or_else(|| panic!("{line}"));
        let so_far: f64 = of.parse().unwrap();
        assert!(before <= so_far && so_far <= size as f64 / 1e6, "{stderr}");
        before = so_far;
    }
    let secs = last
        .strip_prefix(&format!("pmdb: fetched {label}: {} in ", mb(size)))
        .and_then(|l| l.strip_suffix(" s"))
        .unwrap_or_else(|| panic!("{last}"));
    assert!(secs.parse::<f64>().unwrap() >= 2.9, "{last}");
}
