//! Where a frame's source text comes from: a local file (after
//! `--substitute-path FROM=TO`) when one exists, else the copy the crashed
//! process serves (`wire::Request::Source`) — and which of the two is shown.
//! The TUI, `report --source` and batch `list` all go through [`Sources`].

use std::collections::HashMap;
use std::path::PathBuf;

use wire::Session;

/// `--substitute-path FROM=TO`: source paths starting with FROM are looked
/// for under TO on this machine (as gdb's `set substitute-path`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SourceArgs {
    /// Look for source files whose path starts with FROM under TO instead
    /// (repeatable; the first that matches wins).
    #[arg(long = "substitute-path", value_name = "FROM=TO", value_parser = parse_substitution)]
    pub substitute_path: Vec<(String, String)>,
    /// Look for source files in DIR too, as gdb's `directory` does: the
    /// file's path under DIR, then each shorter tail of it (for a core
    /// opened away from its build tree; repeatable).
    #[arg(long = "source-dir", value_name = "DIR")]
    pub source_dirs: Vec<PathBuf>,
}

fn parse_substitution(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((from, to)) if !from.is_empty() => Ok((from.to_string(), to.to_string())),
        _ => Err(format!("expected FROM=TO, got {s:?}")),
    }
}

/// Which copy of a file is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file on this machine, at this path.
    Local(PathBuf),
    /// The text the crashed process served (for a core, the copy its
    /// executable's debuginfod server has, fetched by the engine).
    Served,
    /// The lines the core carries (a small core keeps those around its
    /// frames), the file not being at this path here.
    Carried(PathBuf),
}

impl Origin {
    /// A few words for a title or a report line.
    pub fn label(&self) -> String {
        match self {
            Origin::Local(p) => format!("local file {}", p.display()),
            Origin::Served => "copy served by the crashed process".to_string(),
            Origin::Carried(p) => {
                format!(
                    "copy carried in the core ({} is not on this machine)",
                    p.display()
                )
            }
        }
    }
}

/// Lines of a source file, from `first_line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub origin: Origin,
    /// The number of `lines[0]` (from 1).
    pub first_line: u32,
    pub lines: Vec<String>,
    /// The served copy was cut short by the agent's size cap.
    pub truncated: bool,
}

impl Text {
    /// Line `n` (from 1), if shown.
    pub fn line(&self, n: u32) -> Option<&str> {
        let i = n.checked_sub(self.first_line)? as usize;
        self.lines.get(i).map(String::as_str)
    }
}

/// Finds and caches source text for one session.
#[derive(Default)]
pub struct Sources {
    pub substitutions: Vec<(String, String)>,
    pub dirs: Vec<PathBuf>,
    /// Whole files, by the path the frame names.
    cache: HashMap<String, Result<Text, String>>,
}

impl Sources {
    pub fn new(args: &SourceArgs) -> Sources {
        Sources {
            substitutions: args.substitute_path.clone(),
            dirs: args.source_dirs.clone(),
            cache: HashMap::new(),
        }
    }

    /// Where `file` would be on this machine: the first substitution whose
    /// FROM is a leading part of it (whole path components), else `file`.
    pub fn local_path(&self, file: &str) -> PathBuf {
        for (from, to) in &self.substitutions {
            let from = from.trim_end_matches('/');
            if let Some(rest) = file.strip_prefix(from)
                && (rest.is_empty() || rest.starts_with('/') || from.is_empty())
            {
                return PathBuf::from(format!("{to}{rest}"));
            }
        }
        PathBuf::from(file)
    }

    /// Every place `file` may be on this machine, in the order tried: after
    /// the substitutions, then under each `--source-dir`, its whole path and
    /// each shorter tail (`a/b/c.rs`, `b/c.rs`, `c.rs`).
    pub fn candidates(&self, file: &str) -> Vec<PathBuf> {
        let mut out = vec![self.local_path(file)];
        let parts: Vec<&str> = file
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        for dir in &self.dirs {
            for start in 0..parts.len() {
                if parts[start..].contains(&"..") {
                    continue;
                }
                out.push(dir.join(parts[start..].join("/")));
            }
        }
        out
    }

    /// The whole of `file` (as far as the agent's cap allows), cached; the
    /// error says plainly why no copy can be shown.
    pub fn file(&mut self, session: &Session, file: &str) -> Result<Text, String> {
        if let Some(hit) = self.cache.get(file) {
            return hit.clone();
        }
        let text = self.lines(session, file, 1, u32::MAX);
        self.cache.insert(file.to_string(), text.clone());
        text
    }

    /// The whole of `file` as [`Sources::file`] gives it, but where only
    /// runs of it are carried (a small core keeps the lines around each
    /// frame), the run around `line`.
    pub fn file_at(
        &mut self,
        session: &Session,
        file: &str,
        line: Option<u32>,
    ) -> Result<Text, String> {
        match self.file(session, file) {
            Ok(t)
                if matches!(t.origin, Origin::Carried(_))
                    && line.is_some_and(|l| t.line(l).is_none()) =>
            {
                let line = line.unwrap_or(1);
                self.lines(session, file, line.saturating_sub(5), line + 5)
            }
            other => other,
        }
    }

    /// Lines `first ..= last` of `file`: from the local copy when there is
    /// one, else from the agent.
    pub fn lines(
        &self,
        session: &Session,
        file: &str,
        first: u32,
        last: u32,
    ) -> Result<Text, String> {
        let first = first.max(1);
        let local = self.local_path(file);
        let found = self
            .candidates(file)
            .into_iter()
            .find_map(|p| std::fs::read(&p).ok().map(|b| (p, b)));
        let local_err = std::fs::read(&local)
            .err()
            .map_or_else(String::new, |e| e.to_string());
        match found.ok_or(local_err) {
            Ok((local, bytes)) => {
                let text = String::from_utf8_lossy(&bytes);
                let lines = text
                    .lines()
                    .skip(first as usize - 1)
                    .take(last.saturating_sub(first).saturating_add(1) as usize)
                    .map(|l| l.replace('\t', "    "))
                    .collect();
                Ok(Text {
                    origin: Origin::Local(local),
                    first_line: first,
                    lines,
                    truncated: false,
                })
            }
            Err(local_err) => match session.source(file, first, last) {
                Ok(served) => Ok(Text {
                    origin: match served.carried {
                        true => Origin::Carried(local),
                        false => Origin::Served,
                    },
                    first_line: served.first_line,
                    lines: served
                        .lines
                        .iter()
                        .map(|l| l.replace('\t', "    "))
                        .collect(),
                    truncated: served.truncated,
                }),
                Err(e) => Err(format!(
                    "source not available: {} is not on this machine ({local_err}), and {}",
                    local.display(),
                    served_error(&e)
                )),
            },
        }
    }
}

/// The agent's refusal, said plainly.
fn served_error(e: &wire::Error) -> String {
    match e {
        wire::Error::NoSourceService(why) if why.starts_with("a core file") => {
            "a core file carries no source text: give --source-dir DIR or --substitute-path FROM=TO"
                .to_string()
        }
        wire::Error::NoSourceService(_) => {
            "the crashed process's agent does not serve source text: no copy is available"
                .to_string()
        }
        e => format!("the crashed process has no copy for us: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutions_replace_whole_leading_components() {
        let s = Sources::new(&SourceArgs {
            substitute_path: vec![
                ("/build/app".into(), "/home/me/app".into()),
                ("demo".into(), "/src/demo".into()),
            ],
            source_dirs: vec![PathBuf::from("/srv/src")],
        });
        assert_eq!(
            s.candidates("/build/x/src/main.rs"),
            [
                "/build/x/src/main.rs",
                "/srv/src/build/x/src/main.rs",
                "/srv/src/x/src/main.rs",
                "/srv/src/src/main.rs",
                "/srv/src/main.rs"
            ]
            .map(PathBuf::from)
        );
        assert_eq!(
            s.candidates("../x.rs")[1..],
            [PathBuf::from("/srv/src/x.rs")]
        );
        assert_eq!(
            s.local_path("/build/app/src/main.rs"),
            PathBuf::from("/home/me/app/src/main.rs")
        );
        assert_eq!(
            s.local_path("/build/application/x.rs"),
            PathBuf::from("/build/application/x.rs")
        );
        assert_eq!(
            s.local_path("demo/src/bank.rs"),
            PathBuf::from("/src/demo/src/bank.rs")
        );
        assert_eq!(s.local_path("other.rs"), PathBuf::from("other.rs"));
    }

    #[test]
    fn substitutions_parse_from_equals_to() {
        assert_eq!(
            parse_substitution("/a=/b").unwrap(),
            ("/a".to_string(), "/b".to_string())
        );
        assert_eq!(
            parse_substitution("/a").unwrap_err(),
            "expected FROM=TO, got \"/a\""
        );
    }

    #[test]
    fn text_lines_are_numbered_from_the_first() {
        let t = Text {
            origin: Origin::Served,
            first_line: 10,
            lines: vec!["a".into(), "b".into()],
            truncated: false,
        };
        assert_eq!(t.line(11), Some("b"));
        assert_eq!(t.line(9), None);
        assert_eq!(t.line(12), None);
    }
}
