//! Source text served with the crash (`Request::Source`): only files this
//! crash's own line tables name (a frame's file, the crash's location), read
//! as a stream and cut at `wire::MAX_SOURCE_LINES` lines or
//! `wire::MAX_SOURCE_BYTES` bytes. Never an arbitrary path.

use std::io::BufRead;

use wire::{ErrorKind, MAX_SOURCE_BYTES, MAX_SOURCE_LINES, RemoteError, SourceText};

/// Where `asked` is on this machine, if it is one of `known` (file names as
/// frames spell them). A relative name (a panic's location, relative to the
/// compile directory) matches the absolute name that ends with it.
pub fn resolve<'a>(asked: &str, known: impl Iterator<Item = &'a str> + Clone) -> Option<String> {
    if let Some(exact) = known.clone().find(|k| *k == asked)
        && exact.starts_with('/')
    {
        return Some(exact.to_string());
    }
    let tail = format!("/{asked}");
    known
        .filter(|k| k.starts_with('/'))
        .find(|k| k.ends_with(&tail) || *k == asked)
        .map(str::to_string)
}

/// Lines `first..=last` of the file at `local`, answered as `asked`.
pub fn lines(asked: &str, local: &str, first: u32, last: u32) -> Result<SourceText, RemoteError> {
    if first == 0 || last < first {
        return Err(RemoteError::new(
            ErrorKind::BadRequest,
            format!("bad line range {first}..={last} (lines are numbered from 1)"),
        ));
    }
    let unreadable =
        |e: std::io::Error| RemoteError::new(ErrorKind::Unavailable, format!("{asked}: {e}"));
    let file = std::fs::File::open(local).map_err(unreadable)?;
    if !file.metadata().map_err(unreadable)?.is_file() {
        return Err(RemoteError::new(
            ErrorKind::Unavailable,
            format!("{asked}: not a regular file"),
        ));
    }
    let mut reader = std::io::BufReader::new(file);
    let mut out = SourceText {
        path: asked.to_string(),
        first_line: first,
        lines: Vec::new(),
        total_lines: 0,
        truncated: false,
        carried: false,
    };
    let mut bytes = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(unreadable)? == 0 {
            break;
        }
        out.total_lines += 1;
        let n = out.total_lines;
        if n < first || n > last || out.truncated {
            continue;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        bytes += line.len() as u64 + 1;
        if out.lines.len() as u32 >= MAX_SOURCE_LINES || bytes > u64::from(MAX_SOURCE_BYTES) {
            out.truncated = true;
            continue;
        }
        out.lines.push(String::from_utf8_lossy(line).into_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_files_and_bounded_ranges() {
        let known = [
            "/src/demo/src/bank.rs",
            "/rustc/abc/library/core/src/panicking.rs",
        ];
        let k = || known.iter().copied();
        assert_eq!(
            resolve("/src/demo/src/bank.rs", k()).as_deref(),
            Some("/src/demo/src/bank.rs")
        );
        assert_eq!(
            resolve("demo/src/bank.rs", k()).as_deref(),
            Some("/src/demo/src/bank.rs")
        );
        assert_eq!(resolve("/etc/passwd", k()), None);
        assert_eq!(resolve("src/../../etc/passwd", k()), None);

        let dir = std::env::temp_dir().join(format!("pmdb-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.rs");
        std::fs::write(&path, "one\r\ntwo\nthr\u{e9}e\nfour").unwrap();
        let p = path.to_str().unwrap();
        let t = lines("f.rs", p, 2, 3).unwrap();
        assert_eq!(
            (t.first_line, t.lines.clone(), t.total_lines, t.truncated),
            (
                2,
                vec!["two".to_string(), "thr\u{e9}e".to_string()],
                4,
                false
            )
        );
        assert_eq!(lines("f.rs", p, 9, 12).unwrap().lines, Vec::<String>::new());
        assert_eq!(
            lines("f.rs", p, 0, 1).unwrap_err().kind,
            ErrorKind::BadRequest
        );
        assert_eq!(
            lines("f.rs", p, 3, 2).unwrap_err().kind,
            ErrorKind::BadRequest
        );
        let gone = lines("g.rs", dir.join("g.rs").to_str().unwrap(), 1, 1).unwrap_err();
        assert_eq!(gone.kind, ErrorKind::Unavailable);
        assert!(gone.message.starts_with("g.rs: "), "{}", gone.message);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
