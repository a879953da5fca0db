//! A crash's identity: its signature, the same for every crash of one bug
//! and across builds of the same code, so crash files can be grouped
//! (`pmdb group`). It is the panic's place (file and line, the path cut to
//! its crate's folder) or the signal's name, then the top user frames by
//! function name, normalised: no symbol hashes, no addresses, no generic
//! arguments. A pure function of the crash record and the crashed thread's
//! user frames.

use wire::{CrashInfo, CrashKind};

/// How many user frames a signature names.
pub const FRAMES: usize = 3;

/// `panic demo/src/bank.rs:63 | demo::bank::withdraw | demo::bank::transfer | demo::bank::run`,
/// or `SIGSEGV | demo::signals::store | …`, from the crash and its crashed
/// thread's user frames' function names, innermost first.
pub fn of<'a>(crash: &CrashInfo, user_functions: impl IntoIterator<Item = &'a str>) -> String {
    let head = match crash.kind {
        CrashKind::Panic => match (&crash.file, crash.line) {
            (Some(f), Some(l)) => format!("panic {}:{l}", short_path(f)),
            _ => "panic".to_string(),
        },
        CrashKind::Signal => signal_name(&crash.message),
        CrashKind::Snapshot => "snapshot".to_string(),
    };
    let frames = user_functions
        .into_iter()
        .map(function)
        .filter(|f| !f.is_empty())
        .take(FRAMES);
    std::iter::once(head)
        .chain(frames)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The signal's name, the first word of its description (`SIGSEGV (…) at …`).
fn signal_name(message: &str) -> String {
    message
        .split_whitespace()
        .next()
        .filter(|w| w.starts_with("SIG"))
        .unwrap_or("signal")
        .to_string()
}

/// A source path as it reads on any machine: from the crate's folder on
/// (`…/demo/src/bank.rs` → `demo/src/bank.rs`); a relative path as it is.
pub fn short_path(path: &str) -> String {
    if !path.starts_with('/') {
        return path.to_string();
    }
    let parts: Vec<&str> = path.split('/').collect();
    match parts.iter().rposition(|p| *p == "src") {
        Some(i) if i >= 1 => parts[i - 1..].join("/"),
        _ => parts.last().copied().unwrap_or(path).to_string(),
    }
}

/// A function's name normalised: the symbol hash (`::h0123…`), an LLVM
/// suffix (`.llvm.123`) and generic arguments (`<T>`, `::<u8>`) go; a
/// qualified self (`<Vec<T> as Drop>::drop`) keeps its shape with its own
/// arguments stripped. A frame named by its address only gives nothing.
pub fn function(name: &str) -> String {
    let name = name.split(".llvm.").next().unwrap_or(name);
    let name = match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => name,
    };
    if name.starts_with("0x") || name.is_empty() || name.starts_with("<unknown") {
        return String::new();
    }
    let mut out = String::with_capacity(name.len());
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'<' && out.ends_with("::") {
            // A turbofish: `parse::<u8>`.
            out.truncate(out.len() - 2);
            i = skip_angle(b, i);
            continue;
        }
        // `<` right after a name opens its generic arguments; anywhere
        // else (the start, after a space) it opens a qualified self.
        let after_name = out
            .as_bytes()
            .last()
            .is_some_and(|&p| p.is_ascii_alphanumeric() || matches!(p, b'_' | b'}' | b'>'));
        if c == b'<' && after_name {
            i = skip_angle(b, i);
            continue;
        }
        out.push(c as char);
        i += 1;
    }
    out
}

/// The index just past the `>` closing the `<` at `at`.
fn skip_angle(b: &[u8], at: usize) -> usize {
    let mut depth = 0usize;
    let mut i = at;
    while i < b.len() {
        match b[i] {
            b'<' => depth += 1,
            // `->` inside `fn() -> T` closes nothing.
            b'>' if i > 0 && b[i - 1] == b'-' => {}
            b'>' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crash(kind: CrashKind, message: &str, file: Option<&str>, line: Option<u32>) -> CrashInfo {
        CrashInfo {
            kind,
            message: message.into(),
            payload_type: None,
            file: file.map(Into::into),
            line,
            column: Some(9),
            thread: 1,
            thread_name: "main".into(),
            pid: 42,
            program: "demo".into(),
            time: 0,
            taken_by: None,
            analysis: None,
        }
    }

    #[test]
    fn names_lose_hashes_addresses_and_generic_arguments() {
        assert_eq!(function("demo::bank::withdraw"), "demo::bank::withdraw");
        assert_eq!(
            function("demo::bank::withdraw::h0123456789abcdef"),
            "demo::bank::withdraw"
        );
        assert_eq!(function("demo::parse::<u8>"), "demo::parse");
        assert_eq!(
            function("alloc::vec::Vec<T,A>::push"),
            "alloc::vec::Vec::push"
        );
        assert_eq!(
            function("<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop"),
            "<alloc::vec::Vec as core::ops::drop::Drop>::drop"
        );
        assert_eq!(
            function("demo::run::{{closure}}<fn() -> u8>"),
            "demo::run::{{closure}}"
        );
        assert_eq!(function("demo::f.llvm.1234567"), "demo::f");
        assert_eq!(function("0x55d0c0ffee00"), "");
    }

    #[test]
    fn a_signature_is_the_place_and_the_top_user_frames() {
        let panic = crash(
            CrashKind::Panic,
            "insufficient funds: bob has 75",
            Some("demo/src/bank.rs"),
            Some(63),
        );
        let frames = [
            "demo::bank::withdraw",
            "demo::bank::transfer::h00112233445566ff",
            "demo::bank::run",
            "demo::main",
        ];
        assert_eq!(
            of(&panic, frames),
            "panic demo/src/bank.rs:63 | demo::bank::withdraw | demo::bank::transfer | demo::bank::run"
        );
        // Another message, pid or column of the same bug: the same signature.
        let mut again = panic.clone();
        again.message = "insufficient funds: carol has 3".into();
        again.pid = 7;
        again.column = None;
        assert_eq!(of(&again, frames), of(&panic, frames));
        // A renamed function is another signature.
        let renamed = [
            "demo::bank::debit",
            "demo::bank::transfer",
            "demo::bank::run",
        ];
        assert_eq!(
            of(&panic, renamed),
            "panic demo/src/bank.rs:63 | demo::bank::debit | demo::bank::transfer | demo::bank::run"
        );
        let segv = crash(
            CrashKind::Signal,
            "SIGSEGV (address not mapped) at 0x10",
            Some("/home/ci/work/demo/src/signals.rs"),
            Some(94),
        );
        assert_eq!(
            of(
                &segv,
                ["demo::signals::checksum_of", "demo::signals::null_field"]
            ),
            "SIGSEGV | demo::signals::checksum_of | demo::signals::null_field"
        );
        assert_eq!(
            short_path("/home/ci/work/demo/src/signals.rs"),
            "demo/src/signals.rs"
        );
    }
}
