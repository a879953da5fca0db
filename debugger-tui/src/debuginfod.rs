//! The debuginfod client: fetches an object's debug file (and a source
//! file its DWARF names) by build-id from the servers in `DEBUGINFOD_URLS`,
//! speaking elfutils' protocol (`/buildid/ID/debuginfo`, `…/executable`,
//! `…/source/PATH`), into the cache elfutils' client keeps
//! (`DEBUGINFOD_CACHE_PATH`, else `$XDG_CACHE_HOME/debuginfod_client`,
//! else `~/.cache/debuginfod_client`; `ID/debuginfo` and so on). The
//! engine sees it only as `engine::dwarf::debug_files::Fetch` and asks it
//! when an object's DWARF is first needed, so no frame waits for a
//! download it does not need, and no program with the agent links HTTP.
//!
//! Bounds: `DEBUGINFOD_TIMEOUT` (seconds, 90 unless told, as elfutils) for
//! connecting, for the answer's head and for each read of its body;
//! `DEBUGINFOD_MAXSIZE` (bytes; 4 GiB unless told) and `DEBUGINFOD_MAXTIME`
//! (seconds for a whole download; unbounded unless told) end an endless
//! body; a file whose build-id is not the one asked for, or that is not
//! ELF, is refused and never enters the cache. A server that fails to
//! answer is not asked again in this run; each such line is said once.
//! A download that takes longer than a second shows its progress on
//! stderr (`pmdb: fetching debug info for ID from URL: 12.3 MB of 40.1
//! MB`): refreshed in place on a terminal, a line a second in a log.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use engine::dwarf::debug_files::{Fetch, Fetcher, Wanted, check_fetched, hex};

/// elfutils' default `DEBUGINFOD_TIMEOUT`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(90);
/// The largest file taken unless `DEBUGINFOD_MAXSIZE` says otherwise.
const DEFAULT_MAX_SIZE: u64 = 4 << 30;
/// A download this long gets progress on stderr.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);
/// How often the progress is refreshed in place on a terminal.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The client: its servers, its cache and what it has learnt this run.
pub struct Client {
    servers: Vec<String>,
    cache: PathBuf,
    timeout: Duration,
    max_size: u64,
    agent: ureq::Agent,
    /// Servers that failed to answer: not asked again in this run.
    down: Mutex<HashSet<String>>,
    /// Lines already said (each is said once per run).
    said: Mutex<HashSet<String>>,
}

/// The fetcher for the engine: a client when `DEBUGINFOD_URLS` names a
/// server, else none. One per run, so what it learns (a server down) holds
/// for every core and process this run opens.
pub fn fetcher() -> Fetcher {
    static ONE: std::sync::OnceLock<Fetcher> = std::sync::OnceLock::new();
    ONE.get_or_init(|| Fetcher(Client::from_env().map(|c| Arc::new(c) as Arc<dyn Fetch>)))
        .clone()
}

/// The cache directory elfutils' client uses.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DEBUGINFOD_CACHE_PATH").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(x).join("debuginfod_client"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/debuginfod_client"))
}

/// A whole number of seconds from the environment.
fn seconds(var: &str) -> Option<Duration> {
    let v = std::env::var(var).ok()?;
    let n: u64 = v.trim().parse().ok()?;
    (n > 0).then(|| Duration::from_secs(n))
}

impl Client {
    /// The client `DEBUGINFOD_URLS` (space-separated) asks for; none when
    /// it names no server.
    pub fn from_env() -> Option<Client> {
        let urls = std::env::var("DEBUGINFOD_URLS").ok()?;
        let servers: Vec<String> = urls
            .split_whitespace()
            .map(|u| u.trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if servers.is_empty() {
            return None;
        }
        let timeout = seconds("DEBUGINFOD_TIMEOUT").unwrap_or(DEFAULT_TIMEOUT);
        let max_size = std::env::var("DEBUGINFOD_MAXSIZE")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|&n: &u64| n > 0)
            .unwrap_or(DEFAULT_MAX_SIZE);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(timeout))
            .timeout_recv_response(Some(timeout))
            .timeout_per_read(Some(timeout))
            .timeout_global(seconds("DEBUGINFOD_MAXTIME"))
            .http_status_as_error(false)
            .user_agent(concat!("pmdb/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Some(Client {
            servers,
            cache: cache_dir()?,
            timeout,
            max_size,
            agent,
            down: Mutex::default(),
            said: Mutex::default(),
        })
    }

    /// Says `line` on stderr, once per run.
    fn say_once(&self, line: &str) {
        if self
            .said
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(line.to_string())
        {
            eprintln!("pmdb: debuginfod: {line}");
        }
    }

    /// Asks each server that has not failed in turn; the first good answer
    /// is the file in the cache.
    fn ask(&self, id: &[u8], wanted: Wanted<'_>) -> Result<PathBuf, String> {
        let id_hex = hex(id);
        let (url_tail, cache_name) = match wanted {
            Wanted::DebugInfo => ("debuginfo".to_string(), "debuginfo".to_string()),
            Wanted::Executable => ("executable".to_string(), "executable".to_string()),
            Wanted::Source(path) => (
                format!("source{}", url_path(path)),
                format!("source{}", cache_escape(path)),
            ),
        };
        let dir = self.cache.join(&id_hex);
        let target = dir.join(&cache_name);
        if std::fs::metadata(&target).is_ok_and(|m| m.is_file() && m.len() > 0) {
            return Ok(target);
        }
        let mut whys = Vec::new();
        for server in &self.servers {
            if self
                .down
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(server)
            {
                whys.push(format!("{server} is down"));
                continue;
            }
            let url = format!("{server}/buildid/{id_hex}/{url_tail}");
            let what = match wanted {
                Wanted::DebugInfo => "debug info".to_string(),
                Wanted::Executable => "the executable".to_string(),
                Wanted::Source(p) => format!("source {p}"),
            };
            let label = format!("{what} for {id_hex} from {server}");
            match self.download(&url, &label, &dir, &target, id, wanted) {
                Ok(()) => return Ok(target),
                Err(Failure::NotFound) => whys.push(format!("{server} does not have it")),
                Err(Failure::Down(why)) => {
                    self.down
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(server.clone());
                    self.say_once(&format!(
                        "{server} did not answer ({why}); not asked again in this run"
                    ));
                    whys.push(format!("{server} did not answer"));
                }
                Err(Failure::Bad(why)) => {
                    self.say_once(&format!("{url}: {why}; refused"));
                    whys.push(format!("{server}: {why}"));
                }
            }
        }
        Err(format!(
            "debuginfod has no {} for build-id {id_hex} ({})",
            match wanted {
                Wanted::DebugInfo => "debug file".to_string(),
                Wanted::Executable => "executable".to_string(),
                Wanted::Source(p) => format!("source {p}"),
            },
            whys.join("; ")
        ))
    }

    /// One GET into a temporary file beside `target`, checked, then renamed
    /// into place.
    fn download(
        &self,
        url: &str,
        label: &str,
        dir: &Path,
        target: &Path,
        id: &[u8],
        wanted: Wanted<'_>,
    ) -> Result<(), Failure> {
        let started = Instant::now();
        let response = self.agent.get(url).call().map_err(|e| match e {
            ureq::Error::Timeout(_) => {
                Failure::Down(format!("no answer in {} s", self.timeout.as_secs()))
            }
            other => Failure::Down(other.to_string()),
        })?;
        match response.status().as_u16() {
            200 => {}
            404 => return Err(Failure::NotFound),
            code => return Err(Failure::Bad(format!("answered HTTP {code}"))),
        }
        let announced = response.body().content_length();
        if let Some(n) = announced
            && n > self.max_size
        {
            return Err(Failure::Bad(format!(
                "the file is {n} bytes, more than DEBUGINFOD_MAXSIZE ({})",
                self.max_size
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| local(dir, e))?;
        let tmp = dir.join(format!(
            ".pmdb-{}.{}.tmp",
            std::process::id(),
            target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("file")
        ));
        let result = self.copy_body(
            label,
            response.into_body().into_reader(),
            &tmp,
            announced,
            started,
        );
        let checked = result.and_then(|()| {
            if let Wanted::Source(_) = wanted {
                return Ok(());
            }
            let data = engine::dwarf::debug_files::map(&tmp)
                .ok_or_else(|| Failure::Bad("the file cannot be read back".into()))?;
            check_fetched(&data, id, wanted).map_err(|e| Failure::Bad(e.to_string()))
        });
        match checked {
            Ok(()) => std::fs::rename(&tmp, target).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                local(target, e)
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Copies the body into `tmp`, at most `max_size` bytes, with progress
    /// on stderr once the download has taken a second (`label` says what
    /// from where).
    fn copy_body(
        &self,
        label: &str,
        mut body: impl Read,
        tmp: &Path,
        announced: Option<u64>,
        started: Instant,
    ) -> Result<(), Failure> {
        let mut out = std::fs::File::create(tmp).map_err(|e| local(tmp, e))?;
        let mut buf = vec![0u8; 64 << 10];
        let mut got: u64 = 0;
        let mut progress = Progress::new(label, announced, started);
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    progress.end(got, false);
                    return Err(Failure::Bad(format!(
                        "the answer broke off after {got} bytes: {e}"
                    )));
                }
            };
            got += n as u64;
            if got > self.max_size {
                progress.end(got, false);
                return Err(Failure::Bad(format!(
                    "the file is more than DEBUGINFOD_MAXSIZE ({} bytes)",
                    self.max_size
                )));
            }
            out.write_all(&buf[..n]).map_err(|e| local(tmp, e))?;
            progress.update(got);
        }
        progress.end(got, true);
        out.sync_all().map_err(|e| local(tmp, e))
    }
}

/// A download's progress on stderr: nothing for its first second; then on
/// a terminal one line refreshed in place at most every 250 ms, elsewhere
/// (a log) a line a second; and a last line saying how it ended.
struct Progress<'a> {
    label: &'a str,
    total: Option<u64>,
    started: Instant,
    terminal: bool,
    last: Option<Instant>,
}

impl<'a> Progress<'a> {
    fn new(label: &'a str, total: Option<u64>, started: Instant) -> Progress<'a> {
        use std::io::IsTerminal;
        Progress {
            label,
            total,
            started,
            terminal: std::io::stderr().is_terminal(),
            last: None,
        }
    }

    fn update(&mut self, got: u64) {
        let now = Instant::now();
        let every = match self.terminal {
            true => PROGRESS_EVERY,
            false => PROGRESS_AFTER,
        };
        if now - self.started < PROGRESS_AFTER || self.last.is_some_and(|t| now - t < every) {
            return;
        }
        self.last = Some(now);
        let line = format!("pmdb: fetching {}: {}", self.label, amount(got, self.total));
        match self.terminal {
            true => eprint!("\r{line}\x1b[K"),
            false => eprintln!("{line}"),
        }
    }

    /// The last line, if any was shown: how much came in how long.
    fn end(&mut self, got: u64, done: bool) {
        if self.last.take().is_none() {
            return;
        }
        let line = format!(
            "pmdb: {} {}: {} in {:.1} s",
            if done { "fetched" } else { "stopped fetching" },
            self.label,
            amount(got, None),
            self.started.elapsed().as_secs_f64()
        );
        match self.terminal {
            true => eprintln!("\r{line}\x1b[K"),
            false => eprintln!("{line}"),
        }
    }
}

impl Fetch for Client {
    fn fetch(&self, build_id: &[u8], wanted: Wanted<'_>) -> Result<PathBuf, String> {
        self.ask(build_id, wanted)
    }
}

/// How one server's answer failed.
enum Failure {
    /// 404: the next server may have it.
    NotFound,
    /// No answer (refused, timed out, reset): not asked again this run.
    Down(String),
    /// An answer refused: not the file asked for, too big, broken off.
    Bad(String),
}

/// A local file error, said as such.
fn local(path: &Path, e: std::io::Error) -> Failure {
    Failure::Bad(format!("cannot write {}: {e}", path.display()))
}

/// "1.2 MB of 3.4 MB".
fn amount(got: u64, total: Option<u64>) -> String {
    let mb = |n: u64| format!("{:.1} MB", n as f64 / 1e6);
    match total {
        Some(t) => format!("{} of {}", mb(got), mb(t)),
        None => mb(got),
    }
}

/// A source path in the URL: each byte outside the unreserved set and `/`
/// percent-escaped (as elfutils' client does with curl).
fn url_path(path: &str) -> String {
    let mut out = String::new();
    if !path.starts_with('/') {
        out.push('/');
    }
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A source path as elfutils' cache names it: every byte other than
/// letters, digits, `.`, `-` and `_` becomes `#`.
fn cache_escape(path: &str) -> String {
    let mut out = String::new();
    if !path.starts_with('/') {
        out.push('#');
    }
    out.extend(path.bytes().map(|b| {
        if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
            b as char
        } else {
            '#'
        }
    }));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn source_paths_are_escaped_for_the_url_and_the_cache() {
        assert_eq!(
            super::url_path("/home/a b/src/main.rs"),
            "/home/a%20b/src/main.rs"
        );
        assert_eq!(
            super::cache_escape("/home/a b/src/main.rs"),
            "#home#a#b#src#main.rs"
        );
    }
}
