//! pmdb's shapes in DAP's terms, as pure functions: values → `Variable`s
//! (the same preview strings `pmdb report` prints), child paths →
//! `evaluateName`s, frames → `StackFrame`s with mapped sources, the crash →
//! the `stopped` event and `exceptionInfo`.

use std::path::{Path, PathBuf};

use wire::{CrashInfo, CrashKind, FrameInfo, ValueInfo, ValueKind};

use super::protocol::{ExceptionDetails, ExceptionInfo, Source, StackFrame, Stopped, Variable};

/// How a value is reached, as pmdb path expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The expression naming this value (its `evaluateName`).
    pub eval: String,
    /// The expression its children extend: the same, except that a pointee
    /// (`*p`) is extended from the pointer (`p.x`; paths auto-deref).
    pub base: String,
    /// A map entry: its expression names the entry's value.
    pub entry: bool,
}

impl Paths {
    /// A local, a static, or an expression the user typed.
    pub fn root(expr: &str) -> Paths {
        let expr = expr.trim();
        Paths {
            eval: expr.to_string(),
            base: expr.trim_start_matches(['*', ' ']).to_string(),
            entry: false,
        }
    }

    /// The path of the child `name` of a value of kind `kind` reached by
    /// `self`, or `None` where pmdb's paths cannot name it (a map's key).
    pub fn child(&self, kind: ValueKind, name: &str) -> Option<Paths> {
        let base = &self.base;
        let same = |eval: String| Paths {
            base: eval.clone(),
            eval,
            entry: false,
        };
        if self.entry {
            return match name {
                "value" => Some(same(self.eval.clone())),
                _ => None,
            };
        }
        if name == "*" {
            return Some(Paths {
                eval: format!("*{}", self.eval),
                base: base.clone(),
                entry: false,
            });
        }
        if name.starts_with('[') && name.ends_with(']') {
            return Some(same(format!("{base}{name}")));
        }
        if kind == ValueKind::Map {
            let key_ok = (name.starts_with('"') && name.ends_with('"') && name.len() >= 2)
                || name.parse::<u64>().is_ok();
            return key_ok.then(|| Paths {
                eval: format!("{base}[{name}]"),
                base: format!("{base}[{name}]"),
                entry: true,
            });
        }
        is_field(name).then(|| same(format!("{base}.{name}")))
    }
}

/// A struct field's or tuple field's name, as `.name` can reach it.
fn is_field(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() => name.chars().all(|c| c.is_ascii_digit()),
        Some(c) if c.is_alphabetic() || c == '_' => chars.all(|c| c.is_alphanumeric() || c == '_'),
        _ => false,
    }
}

/// Which of a frame's locals (name, marked shadowed by the agent) are hidden
/// by another binding of the same name, so that no path reaches them. An
/// agent that marks none lists the visible binding of a name last.
pub fn shadowed(locals: &[(&str, bool)]) -> Vec<bool> {
    if locals.iter().any(|&(_, marked)| marked) {
        return locals.iter().map(|&(_, marked)| marked).collect();
    }
    (0..locals.len())
        .map(|i| {
            locals[i + 1..]
                .iter()
                .any(|(later, _)| *later == locals[i].0)
        })
        .collect()
}

/// Whether a value's children are elements (paged by VS Code as
/// `indexedVariables`) rather than named members.
pub fn indexed(kind: ValueKind) -> bool {
    matches!(
        kind,
        ValueKind::Array | ValueKind::Sequence | ValueKind::Map | ValueKind::Str
    )
}

/// Whether expanding the value may list its pointee's members instead of
/// its one child `*`: a reference or `Box` (not a raw pointer), as the TUI
/// and other Rust debuggers show `&Account` with the account's fields.
pub fn flattens(info: &ValueInfo) -> bool {
    info.kind == ValueKind::Pointer && !info.type_name.starts_with('*') && info.child_count == 1
}

/// A value as a DAP variable: its name, `report`'s preview and type, the
/// reference to expand it with (0: nothing inside), and its child counts
/// (none for a reference, whose pointee's are not known yet).
pub fn variable(info: &ValueInfo, reference: i64, paths: Option<&Paths>) -> Variable {
    let (indexed_variables, named_variables) =
        if reference == 0 || info.child_count == 0 || flattens(info) {
            (None, None)
        } else if indexed(info.kind) {
            (Some(info.child_count), None)
        } else {
            (None, Some(info.child_count))
        };
    Variable {
        name: if info.shadowed {
            format!("{} (shadowed)", info.name)
        } else {
            info.name.clone()
        },
        value: info.preview.clone(),
        type_name: info.type_name.clone(),
        variables_reference: reference,
        named_variables,
        indexed_variables,
        evaluate_name: paths.map(|p| p.eval.clone()),
    }
}

/// Where a source file named by the debug info is on this machine: the
/// longest matching `sourceMap` prefix replaced, a relative path joined to
/// `base`.
pub fn map_source(file: &str, source_map: &[(String, String)], base: &Path) -> PathBuf {
    let mapped = source_map
        .iter()
        .find_map(|(from, to)| {
            let rest = file.strip_prefix(from.as_str())?;
            // Whole components only: `/build` maps `/build/x`, not `/buildx`.
            (rest.is_empty() || rest.starts_with('/') || from.ends_with('/'))
                .then(|| format!("{to}{rest}"))
        })
        .unwrap_or_else(|| file.to_string());
    let mapped = PathBuf::from(mapped);
    if mapped.is_relative() {
        base.join(mapped)
    } else {
        mapped
    }
}

/// Where a frame's source is: a path here, or a reference to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    Here(PathBuf),
    /// Not on this machine; the `sourceReference` the adapter assigned.
    Elsewhere(i64),
}

/// The DAP `source` of a frame's file.
pub fn source(file: &str, located: &Located) -> Source {
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    match located {
        Located::Here(path) => Source {
            name,
            path: Some(path.to_string_lossy().into_owned()),
            ..Source::default()
        },
        // The `source` request asks the crashed program for its copy.
        Located::Elsewhere(reference) => Source {
            name,
            path: Some(file.to_string()),
            source_reference: Some(*reference),
            presentation_hint: None,
            origin: Some("not on this machine".into()),
        },
    }
}

/// One frame: function name, source, line and column (in the editor's
/// numbering: `bases` are the first line's and column's numbers, 1 unless it
/// asked for 0), runtime machinery marked subtle.
pub fn stack_frame(
    id: i64,
    info: &FrameInfo,
    src: Option<Source>,
    bases: (i64, i64),
) -> StackFrame {
    let (line, column) = match (&src, info.line) {
        (Some(_), Some(line)) => (
            i64::from(line) - 1 + bases.0,
            i64::from(info.column.unwrap_or(1).max(1)) - 1 + bases.1,
        ),
        _ => (0, 0),
    };
    StackFrame {
        id,
        name: info.function.clone(),
        source: src,
        line,
        column,
        instruction_pointer_reference: Some(format!("{:#x}", info.pc)),
        presentation_hint: info.runtime.then(|| "subtle".to_string()),
    }
}

/// The signal's name for a signal crash (`SIGSEGV`), else `panic`.
pub fn crash_text(crash: &CrashInfo) -> String {
    match crash.kind {
        CrashKind::Panic => "panic".into(),
        CrashKind::Snapshot => "snapshot".into(),
        CrashKind::Signal => crash
            .message
            .split_whitespace()
            .next()
            .unwrap_or("signal")
            .to_string(),
    }
}

/// The `stopped` event for the crash, on the thread that crashed (its DAP id).
pub fn stopped(crash: &CrashInfo, thread_id: i64) -> Stopped {
    Stopped {
        // A live snapshot stopped the program; nothing went wrong.
        reason: if crash.kind == CrashKind::Snapshot {
            "pause"
        } else {
            "exception"
        },
        description: crash.message.clone(),
        text: crash_text(crash),
        thread_id,
        all_threads_stopped: true,
        preserve_focus_hint: None,
    }
}

/// The value of a register as the Registers scope shows it: 16 hex digits,
/// as lldb prints a 64-bit register, or `<unknown>` where the unwinder
/// cannot tell (a caller's scratch registers) — never a guess.
pub fn register_value(value: Option<u64>) -> String {
    match value {
        Some(v) => format!("{v:#018x}"),
        None => "<unknown>".to_string(),
    }
}

/// A thread as the editor lists it: its name, and what it was doing when
/// a live snapshot stopped it (`teller-1 (blocked in futex)`); a crash's
/// threads do not say.
pub fn thread_name(thread: &wire::ThreadInfo) -> String {
    match &thread.state {
        Some(state) => format!("{} ({state})", thread.name),
        None => thread.name.clone(),
    }
}

/// The traceback as text: `#N function at file:line`, runtime frames marked.
pub fn traceback_text(frames: &[FrameInfo]) -> String {
    let mut out = String::new();
    for f in frames {
        let at = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!(" at {file}:{line}"),
            _ => String::new(),
        };
        let mark = if f.runtime { "  [runtime]" } else { "" };
        out.push_str(&format!("#{} {}{at}{mark}\n", f.id.index, f.function));
    }
    out
}

/// `exceptionInfo` for the crash and its thread's frames.
pub fn exception_info(crash: &CrashInfo, frames: &[FrameInfo]) -> ExceptionInfo {
    let at = match (&crash.file, crash.line, crash.column) {
        (Some(f), Some(l), Some(c)) => format!(" at {f}:{l}:{c}"),
        (Some(f), Some(l), None) => format!(" at {f}:{l}"),
        _ => String::new(),
    };
    ExceptionInfo {
        exception_id: crash_text(crash),
        description: format!(
            "thread '{}' {}{at}: {}",
            crash.thread_name,
            match crash.kind {
                CrashKind::Panic => "panicked",
                CrashKind::Signal => "received a fatal signal",
                CrashKind::Snapshot => "was stopped for a snapshot",
            },
            crash.message
        ),
        break_mode: "always",
        details: ExceptionDetails {
            message: crash.message.clone(),
            type_name: crash.payload_type.clone(),
            stack_trace: traceback_text(frames),
        },
    }
}

/// An expression error of the trimmed `typed` made to point into `typed`
/// itself: its column moved past the blanks the editor sent first.
pub fn as_typed(e: wire::Error, typed: &str) -> wire::Error {
    match e {
        wire::Error::Expression {
            column,
            message,
            kind,
            ..
        } => {
            let lead = typed.len() - typed.trim_start().len();
            wire::Error::Expression {
                expr: typed.trim_end().to_string(),
                column: column + typed[..lead].chars().count() as u32,
                message,
                kind,
            }
        }
        other => other,
    }
}

/// The first word of a repl line, when it is one of pmdb's commands
/// (`bt`, `p EXPR`, …) rather than an expression.
pub fn is_command(line: &str) -> bool {
    let word = line.split_whitespace().next().unwrap_or("");
    matches!(
        word,
        "bt" | "backtrace"
            | "where"
            | "w"
            | "frame"
            | "f"
            | "up"
            | "u"
            | "down"
            | "d"
            | "p"
            | "print"
            | "locals"
            | "threads"
            | "thread"
            | "list"
            | "l"
            | "help"
            | "h"
            | "?"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::FrameId;

    fn value(name: &str, ty: &str, kind: ValueKind, preview: &str, kids: u64) -> ValueInfo {
        ValueInfo {
            name: name.into(),
            type_name: ty.into(),
            kind,
            preview: preview.into(),
            len: None,
            handle: (kids > 0).then_some(9),
            child_count: kids,
            shadowed: false,
        }
    }

    #[test]
    fn a_live_thread_says_what_it_was_doing_and_a_crashed_one_only_its_name() {
        let thread = |state| wire::ThreadInfo {
            id: 7,
            name: "teller-1".into(),
            crashed: false,
            state,
        };
        let blocked = wire::ThreadState::Blocked {
            syscall: "futex".into(),
        };
        assert_eq!(
            thread_name(&thread(Some(blocked))),
            "teller-1 (blocked in futex)"
        );
        assert_eq!(
            thread_name(&thread(Some(wire::ThreadState::Running))),
            "teller-1 (running)"
        );
        assert_eq!(thread_name(&thread(None)), "teller-1");
    }

    #[test]
    fn variables_carry_the_report_preview_and_child_counts_by_kind() {
        let v = value(
            "huge",
            "Vec<u64>",
            ValueKind::Sequence,
            "[0, 1, ..]",
            10_000_000,
        );
        let paths = Paths::root("huge");
        let got = variable(&v, 3, Some(&paths));
        assert_eq!(
            serde_json::to_value(&got).unwrap(),
            serde_json::json!({"name": "huge", "value": "[0, 1, ..]", "type": "Vec<u64>",
                "variablesReference": 3, "indexedVariables": 10_000_000, "evaluateName": "huge"})
        );
        let s = value(
            "account",
            "&Account",
            ValueKind::Pointer,
            "Account { id: 2, .. }",
            1,
        );
        // A reference opens on its pointee's members: their count is not
        // known yet. A raw pointer keeps its one child, `*`; a struct counts
        // its fields.
        let counts = |v: &ValueInfo| {
            let got = variable(v, 4, Some(&paths));
            (got.named_variables, got.indexed_variables)
        };
        assert_eq!(counts(&s), (None, None));
        let raw = value("p", "*const Account", ValueKind::Pointer, "0x10", 1);
        assert_eq!(counts(&raw), (Some(1), None));
        let fields = value("a", "Account", ValueKind::Struct, "Account { .. }", 5);
        assert_eq!(counts(&fields), (Some(5), None));
        let n = value("limit", "i64", ValueKind::Int, "75", 0);
        let got = variable(&n, 0, None);
        assert_eq!(
            serde_json::to_value(&got).unwrap(),
            serde_json::json!({"name": "limit", "value": "75", "type": "i64", "variablesReference": 0})
        );
    }

    #[test]
    fn child_paths_are_expressions_pmdb_evaluates() {
        let account = Paths::root("account");
        let pointee = account.child(ValueKind::Pointer, "*").unwrap();
        assert_eq!(
            (pointee.eval.as_str(), pointee.base.as_str()),
            ("*account", "account")
        );
        let owner = pointee.child(ValueKind::Struct, "owner").unwrap();
        assert_eq!(owner.eval, "account.owner");
        let history = pointee.child(ValueKind::Struct, "history").unwrap();
        assert_eq!(
            history.child(ValueKind::Sequence, "[0]").unwrap().eval,
            "account.history[0]"
        );
        let overdraft = pointee.child(ValueKind::Struct, "overdraft").unwrap();
        assert_eq!(
            overdraft.child(ValueKind::Enum, "0").unwrap().eval,
            "account.overdraft.0"
        );
        // A pointer to a pointer: `**p`, and its fields auto-deref from `p`.
        let pp = Paths::root("p").child(ValueKind::Pointer, "*").unwrap();
        let ppp = pp.child(ValueKind::Pointer, "*").unwrap();
        assert_eq!(ppp.eval, "**p");
        assert_eq!(ppp.child(ValueKind::Struct, "x").unwrap().eval, "p.x");
        // A typed `*p` extends from `p`.
        assert_eq!(
            Paths::root("*p")
                .child(ValueKind::Struct, "x")
                .unwrap()
                .eval,
            "p.x"
        );
        // Map entries: string and integer keys name the value; a key has no path.
        let scores = Paths::root("scores");
        let ann = scores.child(ValueKind::Map, "\"ann\"").unwrap();
        assert_eq!(ann.eval, "scores[\"ann\"]");
        assert_eq!(
            ann.child(ValueKind::Int, "value").unwrap().eval,
            "scores[\"ann\"]"
        );
        assert_eq!(ann.child(ValueKind::Int, "key"), None);
        assert_eq!(
            scores.child(ValueKind::Map, "11").unwrap().eval,
            "scores[11]"
        );
        assert_eq!(scores.child(ValueKind::Map, "'a'"), None);
        assert_eq!(Paths::root("x").child(ValueKind::Struct, "<vtable>"), None);
    }

    #[test]
    fn sources_are_mapped_by_the_longest_prefix_and_joined_to_the_base() {
        let map = vec![
            ("/build/vendor".to_string(), "/v".to_string()),
            ("/build".to_string(), "/home/me/src".to_string()),
        ];
        let base = Path::new("/work");
        assert_eq!(
            map_source("/build/src/a.rs", &map, base),
            PathBuf::from("/home/me/src/src/a.rs")
        );
        assert_eq!(
            map_source("/build/vendor/b.rs", &map, base),
            PathBuf::from("/v/b.rs")
        );
        assert_eq!(
            map_source("/buildx/c.rs", &map, base),
            PathBuf::from("/buildx/c.rs")
        );
        assert_eq!(
            map_source("demo/src/bank.rs", &map, base),
            PathBuf::from("/work/demo/src/bank.rs")
        );
    }

    fn frame(runtime: bool, file: Option<&str>) -> FrameInfo {
        FrameInfo {
            id: FrameId {
                thread: 7,
                index: 2,
            },
            function: "demo::bank::withdraw".into(),
            file: file.map(Into::into),
            line: Some(63),
            column: Some(9),
            pc: 0x1234,
            inlined: false,
            runtime,
        }
    }

    #[test]
    fn frames_mark_runtime_subtle_and_missing_sources_by_reference() {
        let f = frame(false, Some("demo/src/bank.rs"));
        let src = source(
            "demo/src/bank.rs",
            &Located::Here(PathBuf::from("/w/demo/src/bank.rs")),
        );
        assert_eq!(
            serde_json::to_value(stack_frame(5, &f, Some(src), (1, 1))).unwrap(),
            serde_json::json!({"id": 5, "name": "demo::bank::withdraw", "line": 63, "column": 9,
                "source": {"name": "bank.rs", "path": "/w/demo/src/bank.rs"},
                "instructionPointerReference": "0x1234"})
        );
        let f = frame(true, Some("/rustc/abc/library/std/src/panicking.rs"));
        let src = source(
            "/rustc/abc/library/std/src/panicking.rs",
            &Located::Elsewhere(3),
        );
        assert_eq!(
            serde_json::to_value(stack_frame(6, &f, Some(src), (0, 0))).unwrap(),
            serde_json::json!({"id": 6, "name": "demo::bank::withdraw", "line": 62, "column": 8,
                "source": {"name": "panicking.rs", "path": "/rustc/abc/library/std/src/panicking.rs",
                    "sourceReference": 3, "origin": "not on this machine"},
                "instructionPointerReference": "0x1234", "presentationHint": "subtle"})
        );
        let f = frame(true, None);
        let got = stack_frame(7, &f, None, (1, 1));
        assert_eq!((got.line, got.column, got.source), (0, 0, None));
    }

    fn crash(kind: CrashKind, message: &str) -> CrashInfo {
        CrashInfo {
            kind,
            message: message.into(),
            payload_type: (kind == CrashKind::Panic).then(|| "String".into()),
            file: Some("demo/src/bank.rs".into()),
            line: Some(63),
            column: Some(9),
            thread: 7,
            thread_name: "main".into(),
            pid: 1,
            program: "demo".into(),
            time: 0,
            taken_by: None,
            analysis: None,
        }
    }

    #[test]
    fn the_crash_becomes_a_stopped_event_and_exception_info() {
        let c = crash(CrashKind::Panic, "insufficient funds");
        assert_eq!(
            serde_json::to_value(stopped(&c, 7)).unwrap(),
            serde_json::json!({"reason": "exception", "description": "insufficient funds",
                "text": "panic", "threadId": 7, "allThreadsStopped": true})
        );
        let frames = [frame(true, None), frame(false, Some("demo/src/bank.rs"))];
        assert_eq!(
            serde_json::to_value(exception_info(&c, &frames)).unwrap(),
            serde_json::json!({"exceptionId": "panic",
                "description": "thread 'main' panicked at demo/src/bank.rs:63:9: insufficient funds",
                "breakMode": "always",
                "details": {"message": "insufficient funds", "typeName": "String",
                    "stackTrace": "#2 demo::bank::withdraw  [runtime]\n#2 demo::bank::withdraw at demo/src/bank.rs:63\n"}})
        );
        let s = crash(CrashKind::Signal, "SIGSEGV (address not mapped) at 0x0");
        assert_eq!(crash_text(&s), "SIGSEGV");
        assert_eq!(exception_info(&s, &[]).details.type_name, None);
    }

    #[test]
    fn shadowed_locals_are_the_marked_ones_or_else_all_but_the_last_of_a_name() {
        // Marked by the agent: the visible binding first, the hidden after it.
        assert_eq!(
            shadowed(&[("a", false), ("x", false), ("x", true), ("x", true)]),
            [false, false, true, true]
        );
        // Not marked: the last binding of a name is the visible one.
        assert_eq!(
            shadowed(&[("x", false), ("a", false), ("x", false)]),
            [true, false, false]
        );
        assert_eq!(shadowed(&[]), Vec::<bool>::new());
    }

    #[test]
    fn repl_lines_are_commands_by_their_first_word() {
        assert!(is_command("bt"));
        assert!(is_command("p account.owner"));
        assert!(is_command("thread 1"));
        assert!(!is_command("account.owner"));
        assert!(!is_command("limit"));
    }

    #[test]
    fn registers_are_sixteen_hex_digits_or_unknown() {
        assert_eq!(register_value(Some(0x401136)), "0x0000000000401136");
        assert_eq!(register_value(Some(u64::MAX)), "0xffffffffffffffff");
        assert_eq!(register_value(None), "<unknown>");
    }

    #[test]
    fn expression_errors_point_into_what_the_editor_sent() {
        let e = wire::Error::Expression {
            expr: "account.".into(),
            column: 9,
            message: "expected a field".into(),
            kind: wire::ErrorKind::BadRequest,
        };
        let moved = as_typed(e, "  account.\n");
        assert_eq!(moved.to_string(), "expected a field (column 11)");
        assert_eq!(moved.caret(0).unwrap(), "  account.\n          ^");
        let other = as_typed(wire::Error::NotFound("no".into()), " x");
        assert_eq!(other.to_string(), "no");
    }
}
