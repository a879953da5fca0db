//! `pmdb group DIR…`: many crash files, one line per distinct crash. Each
//! file (cores, plain or zstd, and JSON reports; minidumps once a reader
//! lands, see [`read_minidump`]) is read only as far as its signature needs
//! — the crash record and the crashed thread's traceback, no locals — on
//! as many threads as there are cores; files are grouped by signature with
//! their count, first and last modification time, the panic message and
//! one example.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

use serde_json::{Value, json};

/// One crash as read from one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    pub signature: String,
    /// The crash message's first line.
    pub message: String,
    pub file: PathBuf,
    /// The file's modification time, in seconds since the Unix epoch.
    pub seen: u64,
}

/// Crashes of one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub signature: String,
    pub message: String,
    /// Sorted by path.
    pub files: Vec<PathBuf>,
    pub first_seen: u64,
    pub last_seen: u64,
    /// The most recent file (the first by path among equals).
    pub example: PathBuf,
}

/// What a file holds, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Core,
    Minidump,
    Json,
}

fn kind_of(path: &Path) -> Option<Kind> {
    let mut head = [0u8; 4];
    let mut f = std::fs::File::open(path).ok()?;
    let n = f.read(&mut head).ok()?;
    let head = &head[..n];
    // An ELF (a core), a zstd frame (a compressed core), a minidump, JSON.
    if head == b"\x7fELF" || head == [0x28, 0xb5, 0x2f, 0xfd] {
        return Some(Kind::Core);
    }
    if head == b"MDMP" {
        return Some(Kind::Minidump);
    }
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    matches!(first, Some(b'{') | Some(b'[')).then_some(Kind::Json)
}

/// The signature and message of each crash in one file (a JSON array of
/// reports holds several).
fn identify(path: &Path, kind: Kind) -> Result<Vec<(String, String)>, String> {
    match kind {
        Kind::Core => {
            let s = engine::hosts::coredump::open_session(path, &Default::default())
                .map_err(|e| e.to_string())?;
            let crash = s.crash().map_err(|e| e.to_string())?;
            let tb = s.traceback(crash.thread).map_err(|e| e.to_string())?;
            let sig = engine::crash::signature::of(
                &crash,
                tb.user_frames().map(|f| f.info.function.as_str()),
            );
            Ok(vec![(sig, first_line(&crash.message))])
        }
        Kind::Minidump => read_minidump(path),
        Kind::Json => {
            let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
            let v: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
            match &v {
                Value::Array(reports) => reports.iter().map(from_report).collect(),
                one => Ok(vec![from_report(one)?]),
            }
        }
    }
}

/// The seam for minidumps: a reader of them hands back each crash's
/// signature (`engine::crash::signature::of` over its record and crashed
/// thread's user frames) and message.
fn read_minidump(_path: &Path) -> Result<Vec<(String, String)>, String> {
    Err("pmdb does not read minidumps yet".to_string())
}

/// A `pmdb report --json` object: its `crash.signature`.
fn from_report(v: &Value) -> Result<(String, String), String> {
    let crash = v
        .get("crash")
        .ok_or("a JSON file that is not a pmdb report (no \"crash\")")?;
    let sig = crash
        .get("signature")
        .and_then(Value::as_str)
        .ok_or("a pmdb report without a signature (made by an older pmdb)")?;
    let message = crash.get("message").and_then(Value::as_str).unwrap_or("");
    Ok((sig.to_string(), first_line(message)))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// Every file under `roots`, sorted; a root may be a file.
fn files_under(roots: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut todo: Vec<PathBuf> = roots.to_vec();
    while let Some(p) = todo.pop() {
        let meta = std::fs::metadata(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            let entries = std::fs::read_dir(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            for e in entries.flatten() {
                todo.push(e.path());
            }
        } else if meta.is_file() {
            out.push(p);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Reads every crash file under `roots` in parallel; the crashes found,
/// and one line for each file that is a crash file but could not be read.
pub fn read_all(roots: &[PathBuf]) -> Result<(Vec<Identified>, Vec<String>), String> {
    let files = files_under(roots)?;
    let next = AtomicUsize::new(0);
    let found = Mutex::new(Vec::new());
    let failed = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let Some(kind) = kind_of(path) else { continue };
                    let seen = std::fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_secs());
                    match identify(path, kind) {
                        Ok(crashes) => {
                            let mut f = found.lock().unwrap();
                            for (signature, message) in crashes {
                                f.push(Identified {
                                    signature,
                                    message,
                                    file: path.clone(),
                                    seen,
                                });
                            }
                        }
                        Err(e) => failed
                            .lock()
                            .unwrap()
                            .push(format!("pmdb group: {}: {e}", path.display())),
                    }
                }
            });
        }
    });
    let mut failed = failed.into_inner().unwrap();
    failed.sort();
    Ok((found.into_inner().unwrap(), failed))
}

/// The crashes grouped by signature: the most frequent first, then by
/// signature.
pub fn group(crashes: Vec<Identified>) -> Vec<Group> {
    let mut by: BTreeMap<String, Vec<Identified>> = BTreeMap::new();
    for c in crashes {
        by.entry(c.signature.clone()).or_default().push(c);
    }
    let mut groups: Vec<Group> = by
        .into_iter()
        .map(|(signature, mut cs)| {
            cs.sort_by(|a, b| a.file.cmp(&b.file));
            let example = cs
                .iter()
                .max_by(|a, b| a.seen.cmp(&b.seen).then(b.file.cmp(&a.file)))
                .expect("a group has a crash");
            Group {
                message: example.message.clone(),
                example: example.file.clone(),
                first_seen: cs.iter().map(|c| c.seen).min().unwrap_or(0),
                last_seen: cs.iter().map(|c| c.seen).max().unwrap_or(0),
                files: cs.iter().map(|c| c.file.clone()).collect(),
                signature,
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        b.files
            .len()
            .cmp(&a.files.len())
            .then(a.signature.cmp(&b.signature))
    });
    groups
}

/// `2026-12-03T17:02:51Z` for seconds since the Unix epoch (UTC).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = engine::values::std_views::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// One line per group: count, first and last seen, signature, message,
/// example file.
pub fn text(groups: &[Group]) -> String {
    let mut out = String::new();
    for g in groups {
        out.push_str(&format!(
            "{:>5}  {}  {}  {}  \"{}\"  {}\n",
            g.files.len(),
            utc(g.first_seen),
            utc(g.last_seen),
            g.signature,
            g.message,
            g.example.display()
        ));
    }
    out
}

/// `{"groups": [{signature, count, files, message, first_seen, last_seen}…]}`.
pub fn to_json(groups: &[Group]) -> Value {
    json!({
        "groups": groups.iter().map(|g| json!({
            "signature": g.signature,
            "count": g.files.len(),
            "files": g.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
            "message": g.message,
            "first_seen": utc(g.first_seen),
            "last_seen": utc(g.last_seen),
        })).collect::<Vec<_>>()
    })
}

/// `pmdb group`: prints the groups; returns the exit code (1 when no
/// crash file was found).
pub fn run(roots: &[PathBuf], as_json: bool) -> anyhow::Result<i32> {
    let (crashes, failed) = read_all(roots).map_err(|e| anyhow::anyhow!(e))?;
    for f in &failed {
        eprintln!("{f}");
    }
    let groups = group(crashes);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&to_json(&groups))?);
    } else if groups.is_empty() {
        println!("no crash files (cores, JSON reports) found");
    } else {
        print!("{}", text(&groups));
    }
    Ok(if groups.is_empty() { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_796_317_371), "2026-12-03T17:02:51Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn groups_count_and_order() {
        let c = |sig: &str, file: &str, seen| Identified {
            signature: sig.into(),
            message: format!("m {file}"),
            file: file.into(),
            seen,
        };
        let g = group(vec![
            c("b", "/x/2", 20),
            c("a", "/x/3", 5),
            c("b", "/x/1", 10),
        ]);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].signature, "b");
        assert_eq!(g[0].files, [PathBuf::from("/x/1"), PathBuf::from("/x/2")]);
        assert_eq!((g[0].first_seen, g[0].last_seen), (10, 20));
        assert_eq!(g[0].example, PathBuf::from("/x/2"));
        assert_eq!(g[0].message, "m /x/2");
        assert_eq!(g[1].signature, "a");
    }
}
