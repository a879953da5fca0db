//! Reading libtest's output as it passes through, to print pmdb's locals
//! under each failure the harness reports: the harness decides which tests
//! failed, pmdb only matches its verdict to the panics it caught.
//!
//! libtest prints, after the run, `failures:`, then for each failed test
//! `---- NAME stdout ----` with what it captured (among it std's
//! `thread 'NAME' (TID) panicked at …` line, whose thread id names the
//! panic pmdb caught), then `failures:` again with the names, then `test
//! result:`. pmdb's block goes at the end of each test's section; a failed
//! test with no section (`--nocapture`) gets its block before `test
//! result:`. Every line the harness wrote is passed on unchanged.

use std::collections::HashSet;

/// The blocks pmdb has for failed tests.
pub trait Failures {
    /// The block for test `name` whose captured output named threads `tids`
    /// (empty when it named none): `None` when no panic of it was caught.
    fn block(&self, name: &str, tids: &[u64]) -> Option<String>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
    /// Tests running, or output pmdb does not read.
    Outside,
    /// The failed tests' sections.
    Sections,
    /// The list of failed tests' names.
    List,
}

/// The reader's state over one test binary's output.
#[derive(Debug)]
pub struct Harness {
    region: Region,
    /// The section being read: its test, the thread ids it named.
    section: Option<(String, Vec<u64>)>,
    listed: Vec<String>,
    shown: HashSet<String>,
    /// Every failed test, in the harness's order (for `--json`).
    pub failed: Vec<String>,
    /// The thread ids each failed test's section named.
    sections: Vec<(String, Vec<u64>)>,
}

impl Default for Harness {
    fn default() -> Self {
        Harness {
            region: Region::Outside,
            section: None,
            listed: Vec::new(),
            shown: HashSet::new(),
            failed: Vec::new(),
            sections: Vec::new(),
        }
    }
}

impl Harness {
    /// Takes one whole line of output (its newline included); returns what
    /// pmdb prints before it (usually nothing).
    pub fn line(&mut self, line: &str, failures: &dyn Failures) -> String {
        let plain = strip_ansi(line.trim_end_matches(['\n', '\r']));
        let mut before = String::new();
        if plain == "failures:" {
            self.close_section(&mut before, failures);
            self.region = match self.region {
                Region::Sections => Region::List,
                _ => Region::Sections,
            };
        } else if plain == "successes:" {
            self.close_section(&mut before, failures);
            self.region = Region::Outside;
        } else if let Some(name) = section_name(&plain) {
            self.close_section(&mut before, failures);
            if self.region == Region::Sections {
                self.section = Some((name.to_string(), Vec::new()));
            }
        } else if plain.starts_with("test result:") {
            self.close_section(&mut before, failures);
            for name in std::mem::take(&mut self.listed) {
                if !self.shown.contains(&name)
                    && let Some(b) = failures.block(&name, &[])
                {
                    before.push_str(&b);
                    before.push('\n');
                }
                self.failed.push(name);
            }
            self.shown.clear();
            self.region = Region::Outside;
        } else if self.region == Region::List
            || (self.region == Region::Sections && self.section.is_none())
        {
            // (A harness that prints `failures:` once lists names there.)
            if let Some(name) = plain.strip_prefix("    ")
                && !name.is_empty()
            {
                self.listed.push(name.trim().to_string());
            }
        } else if let Some((_, tids)) = &mut self.section
            && let Some(tid) = panicked_thread(&plain)
            && !tids.contains(&tid)
        {
            tids.push(tid);
        }
        before
    }

    /// The thread ids the section of test `name` named, if it had one
    /// that named any.
    pub fn threads_of(&self, name: &str) -> Option<&[u64]> {
        self.sections
            .iter()
            .rev()
            .find(|(n, t)| n == name && !t.is_empty())
            .map(|(_, t)| t.as_slice())
    }

    /// The block for the section just read, if pmdb has one.
    fn close_section(&mut self, out: &mut String, failures: &dyn Failures) {
        let Some((name, tids)) = self.section.take() else {
            return;
        };
        self.sections.push((name.clone(), tids.clone()));
        if let Some(b) = failures.block(&name, &tids) {
            // The harness leaves a blank line between sections.
            out.push_str(&b);
            out.push('\n');
            self.shown.insert(name);
        }
    }
}

/// `NAME` of `---- NAME stdout ----`.
fn section_name(line: &str) -> Option<&str> {
    line.strip_prefix("---- ")?.strip_suffix(" stdout ----")
}

/// The thread id in std's `thread 'NAME' (TID) panicked at …`.
pub fn panicked_thread(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("thread '")?;
    let (_, rest) = rest.split_once("' (")?;
    let (tid, rest) = rest.split_once(')')?;
    rest.starts_with(" panicked at ")
        .then(|| tid.parse().ok())
        .flatten()
}

/// `line` without ANSI escape sequences (the harness colours its verdicts).
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The test a panic belongs to, from its thread's user frames (outermost
/// first is the test function, or its closure): `tests::it_works` for
/// `my_crate::tests::it_works::{{closure}}`.
pub fn test_name(user_functions_outermost_first: &[&str]) -> Option<String> {
    let f = user_functions_outermost_first.first()?;
    let mut f: &str = f;
    while let Some(rest) = f
        .strip_suffix("::{{closure}}")
        .or_else(|| f.strip_suffix("::{closure#0}"))
    {
        f = rest;
    }
    let (_, path) = f.split_once("::")?;
    Some(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Known;

    impl Failures for Known {
        fn block(&self, name: &str, tids: &[u64]) -> Option<String> {
            (name != "tests::no_panic").then(|| format!("[{name} {tids:?}]\n"))
        }
    }

    fn run(lines: &[&str]) -> (String, Vec<String>) {
        let mut h = Harness::default();
        let mut out = String::new();
        for l in lines {
            let line = format!("{l}\n");
            out.push_str(&h.line(&line, &Known));
            out.push_str(&line);
        }
        (out, h.failed)
    }

    #[test]
    fn blocks_go_under_each_failed_tests_section() {
        let (out, failed) = run(&[
            "running 3 tests",
            "test tests::a ... \u{1b}[31mFAILED\u{1b}[0m",
            "test tests::b ... ok",
            "",
            "failures:",
            "",
            "---- tests::a stdout ----",
            "",
            "thread 'tests::a' (17) panicked at src/lib.rs:3:5:",
            "boom",
            "",
            "---- tests::no_panic stdout ----",
            "Error: \"returned\"",
            "",
            "failures:",
            "    tests::a",
            "    tests::no_panic",
            "",
            "test result: FAILED. 1 passed; 2 failed",
        ]);
        assert_eq!(
            out,
            "running 3 tests\ntest tests::a ... \u{1b}[31mFAILED\u{1b}[0m\ntest tests::b ... ok\n\n\
             failures:\n\n---- tests::a stdout ----\n\nthread 'tests::a' (17) panicked at src/lib.rs:3:5:\nboom\n\n\
             [tests::a [17]]\n\n---- tests::no_panic stdout ----\nError: \"returned\"\n\n\
             failures:\n    tests::a\n    tests::no_panic\n\ntest result: FAILED. 1 passed; 2 failed\n"
        );
        assert_eq!(failed, ["tests::a", "tests::no_panic"]);
    }

    #[test]
    fn without_sections_blocks_come_before_the_result() {
        let (out, _) = run(&[
            "failures:",
            "    it_fails",
            "",
            "test result: FAILED. 0 passed; 1 failed",
        ]);
        assert_eq!(
            out,
            "failures:\n    it_fails\n\n[it_fails []]\n\ntest result: FAILED. 0 passed; 1 failed\n"
        );
    }

    #[test]
    fn passing_tests_output_gets_nothing() {
        let (out, failed) = run(&[
            "successes:",
            "",
            "---- tests::ok stdout ----",
            "thread 'tests::ok' (5) panicked at src/lib.rs:1:1:",
            "",
            "successes:",
            "    tests::ok",
            "",
            "test result: ok. 1 passed; 0 failed",
        ]);
        assert!(!out.contains('['), "{out}");
        assert!(failed.is_empty());
    }

    #[test]
    fn panic_lines_and_test_names_read() {
        assert_eq!(
            panicked_thread("thread 'tests::a b' (123) panicked at x.rs:1:2:"),
            Some(123)
        );
        assert_eq!(panicked_thread("thread 'main' panicked at x.rs:1:2:"), None);
        assert_eq!(
            test_name(&["failing_tests::tests::assert_eq_on_locals::{{closure}}"]),
            Some("tests::assert_eq_on_locals".into())
        );
        assert_eq!(
            test_name(&["integration::budget_is_kept"]),
            Some("budget_is_kept".into())
        );
        assert_eq!(strip_ansi("\u{1b}[1mfailures:\u{1b}[0m"), "failures:");
    }
}
