//! `PMDB_MODE=report`: the crashed thread's traceback with each user frame's
//! locals, printed to stderr before the usual panic output.

use std::fmt::Write;

use engine::Inspector;

/// Prints the report for `ins` to stderr in one write.
pub fn print(ins: &Inspector) {
    eprint!("{}", render(ins));
}

fn render(ins: &Inspector) -> String {
    let c = &ins.crash.info;
    let mut out = String::new();
    let at = match (&c.file, c.line, c.column) {
        (Some(f), Some(l), Some(col)) => format!(" at {f}:{l}:{col}"),
        _ => String::new(),
    };
    let what = match c.kind {
        wire::CrashKind::Panic => "panicked",
        wire::CrashKind::Signal => "crashed",
    };
    let _ = writeln!(
        out,
        "pmdb: thread '{}' {what}{at}: {}",
        c.thread_name, c.message
    );
    let frames = match ins.traceback(c.thread) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(out, "pmdb: no traceback: {e}");
            return out;
        }
    };
    let _ = writeln!(
        out,
        "traceback, most recent call first (runtime frames hidden):"
    );
    for f in frames.iter().filter(|f| !f.runtime) {
        let loc = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!(" at {file}:{line}"),
            _ => String::new(),
        };
        let _ = writeln!(out, "  #{} {}{loc}", f.id.index, f.function);
        match ins.locals(f.id) {
            Ok(page) => {
                for v in page.values {
                    let _ = writeln!(out, "      {}: {} = {}", v.name, v.type_name, v.preview);
                }
            }
            Err(e) => {
                let _ = writeln!(out, "      {e}");
            }
        }
    }
    out
}
