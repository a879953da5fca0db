//! Source lines a crash file carries with it: the agent's small core keeps
//! the lines around each user frame's line in a note of its own, so the
//! crash reads with its source on a machine that has none of the files.
//! Here the note's format (MessagePack, as the crash record) and the answer
//! to a source request from it.

use serde::{Deserialize, Serialize};
use wire::SourceText;

/// The owner name of the note (pmdb's, as the crash record's).
pub const NOTE_NAME: &str = crate::crash::record::NOTE_NAME;
/// The note's type: "PMDS" (pmdb source) read as a number.
pub const NOTE_TYPE: u32 = 0x5344_4d50;

/// Lines of one source file, as the crashed machine had them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedLines {
    /// The path as the frames name it.
    pub path: String,
    /// The number of `lines[0]`, from 1.
    pub first_line: u32,
    pub lines: Vec<String>,
    /// How many lines the whole file had.
    pub total_lines: u32,
}

/// Every run of lines a crash file carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedSource {
    pub files: Vec<CarriedLines>,
}

impl CarriedSource {
    pub fn to_bytes(&self) -> Vec<u8> {
        wire::frame::encode(self).unwrap_or_default()
    }

    /// The note's contents; `None` when they do not decode.
    pub fn from_bytes(bytes: &[u8]) -> Option<CarriedSource> {
        wire::frame::decode(bytes).ok()
    }

    /// Adds `text` (lines served for `path`), merged with a run of the same
    /// file it overlaps or touches.
    pub fn add(&mut self, text: &SourceText) {
        if text.lines.is_empty() {
            return;
        }
        let new = CarriedLines {
            path: text.path.clone(),
            first_line: text.first_line,
            lines: text.lines.clone(),
            total_lines: text.total_lines,
        };
        let end = |c: &CarriedLines| {
            c.first_line
                .saturating_add(u32::try_from(c.lines.len()).unwrap_or(u32::MAX))
        };
        let touching = self
            .files
            .iter_mut()
            .find(|c| c.path == new.path && c.first_line <= end(&new) && new.first_line <= end(c));
        match touching {
            None => self.files.push(new),
            Some(c) => {
                let first = c.first_line.min(new.first_line);
                let last = end(c).max(end(&new));
                let lines = (first..last)
                    .map(|n| {
                        let of = |r: &CarriedLines| {
                            n.checked_sub(r.first_line)
                                .and_then(|i| r.lines.get(i as usize).cloned())
                        };
                        of(&new).or_else(|| of(c)).unwrap_or_default()
                    })
                    .collect();
                c.first_line = first;
                c.lines = lines;
            }
        }
    }

    /// The carried lines of `path` within `first..=last`, from the run
    /// that holds the most of them; `None` when none is carried. A path
    /// asked relative (a panic's location) matches a carried one that ends
    /// with it.
    pub fn lines(&self, path: &str, first: u32, last: u32) -> Option<SourceText> {
        let tail = format!("/{path}");
        self.files
            .iter()
            .filter(|c| c.path == path || c.path.ends_with(&tail))
            .filter_map(|c| {
                // A run from a garbled note may be empty or run past
                // u32::MAX: it holds no line then.
                let carried_last = u32::try_from(c.lines.len())
                    .ok()
                    .and_then(|n| c.first_line.checked_add(n))?
                    .checked_sub(1)?;
                let from = first.max(c.first_line);
                let to = last.min(carried_last);
                (from <= to).then(|| SourceText {
                    path: path.to_string(),
                    first_line: from,
                    lines: c.lines[(from - c.first_line) as usize..=(to - c.first_line) as usize]
                        .to_vec(),
                    total_lines: c.total_lines,
                    truncated: false,
                    carried: true,
                })
            })
            .max_by_key(|t| t.lines.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(path: &str, first: u32, lines: &[&str]) -> SourceText {
        SourceText {
            path: path.into(),
            first_line: first,
            lines: lines.iter().map(|l| l.to_string()).collect(),
            total_lines: 90,
            truncated: false,
            carried: false,
        }
    }

    #[test]
    fn runs_merge_and_answer_the_lines_they_hold() {
        let mut c = CarriedSource::default();
        c.add(&text("/src/a.rs", 10, &["ten", "eleven", "twelve"]));
        c.add(&text("/src/a.rs", 12, &["twelve", "thirteen"]));
        c.add(&text("/src/a.rs", 40, &["forty"]));
        c.add(&text("/src/b.rs", 1, &["one"]));
        let c = CarriedSource::from_bytes(&c.to_bytes()).unwrap();
        assert_eq!(c.files.len(), 3);
        let t = c.lines("/src/a.rs", 8, 12).unwrap();
        assert_eq!(
            (t.first_line, t.lines.clone()),
            (10, vec!["ten".into(), "eleven".into(), "twelve".into()])
        );
        assert!(t.carried);
        assert_eq!(c.lines("src/a.rs", 13, 20).unwrap().lines, ["thirteen"]);
        assert_eq!(c.lines("/src/a.rs", 40, 40).unwrap().lines, ["forty"]);
        assert_eq!(c.lines("/src/a.rs", 20, 30), None);
        assert_eq!(c.lines("/src/c.rs", 1, 9), None);
    }

    /// What a garbled note may decode to: a run with no lines, one from
    /// line 0, one running past the last line number. None panics.
    #[test]
    fn odd_runs_answer_what_they_hold_and_nothing_else() {
        let run = |first_line, lines: &[&str]| CarriedLines {
            path: "/src/a.rs".into(),
            first_line,
            lines: lines.iter().map(|l| l.to_string()).collect(),
            total_lines: 0,
        };
        let c = CarriedSource {
            files: vec![run(0, &[]), run(u32::MAX, &["last", "past"])],
        };
        assert_eq!(c.lines("/src/a.rs", 0, u32::MAX), None);
        let c = CarriedSource {
            files: vec![run(0, &["zero", "one"])],
        };
        let t = c.lines("/src/a.rs", 0, u32::MAX).unwrap();
        assert_eq!(
            (t.first_line, t.lines),
            (0, vec!["zero".into(), "one".into()])
        );
        let mut c = CarriedSource {
            files: vec![run(u32::MAX - 1, &["a", "b", "c"])],
        };
        c.add(&text("/src/a.rs", u32::MAX - 1, &["x"]));
        assert_eq!(c.files.len(), 1);
    }
}
