//! `pmdb report --eval EXPR`: expressions of pmdb's language evaluated in
//! one frame of the crash (the crashed frame, or `--frame NAME|N`), printed
//! as text (`EXPR: TYPE = VALUE`, children indented with `--depth`) or as
//! JSON; an expression pmdb refuses is shown with a caret under its column.

use serde_json::{Value, json};
use wire::Session;

use crate::remote::Endpoint;
use crate::report::json::node_json;
use crate::report::model::Node;
use engine::crash::report::node;

/// One expression's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Value(Node),
    Error {
        message: String,
        column: Option<u32>,
        caret: Option<String>,
    },
}

/// The frame expressions are evaluated in: by function name (its last
/// segment), by index, or the crashed frame.
pub fn frame(session: &Session, which: Option<&str>) -> anyhow::Result<wire::Frame> {
    let crash = session.crash()?;
    let tb = session.traceback(crash.thread)?;
    let found = match which {
        None => tb
            .frames
            .iter()
            .find(|f| !f.info.runtime)
            .or(tb.frames.first())
            .cloned(),
        Some(w) => match w.parse::<u32>() {
            Ok(n) => tb.frames.iter().find(|f| f.info.id.index == n).cloned(),
            Err(_) => tb.frame_named(w).ok(),
        },
    };
    found.ok_or_else(|| anyhow::anyhow!("no frame {:?} in the crashed thread", which.unwrap_or("")))
}

/// Evaluates each expression, `depth` levels of children deep (1: the value only).
pub fn evaluate(frame: &wire::Frame, exprs: &[String], depth: u32) -> Vec<(String, Outcome)> {
    exprs
        .iter()
        .map(|e| {
            let outcome = match frame.eval(e) {
                Ok(v) => Outcome::Value(node(&v, depth.saturating_sub(1))),
                Err(err) => Outcome::Error {
                    message: match &err {
                        wire::Error::Expression { message, .. } => message.clone(),
                        other => other.to_string(),
                    },
                    column: match &err {
                        wire::Error::Expression { column, .. } => Some(*column),
                        _ => None,
                    },
                    caret: err.caret(2),
                },
            };
            (e.clone(), outcome)
        })
        .collect()
}

/// Connects, evaluates and prints; the exit status is 1 when an expression failed.
pub fn report(
    endpoint: &Endpoint,
    json: bool,
    depth: u32,
    which: Option<&str>,
    exprs: &[String],
) -> anyhow::Result<i32> {
    let session = endpoint.connect()?;
    let frame = frame(&session, which)?;
    let results = evaluate(&frame, exprs, depth);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&frame.info.function, &results))?
        );
    } else {
        print!("{}", to_text(&results));
    }
    let failed = results
        .iter()
        .any(|(_, o)| matches!(o, Outcome::Error { .. }));
    Ok(i32::from(failed))
}

pub fn to_json(function: &str, results: &[(String, Outcome)]) -> Value {
    json!({
        "frame": function,
        "results": results.iter().map(|(expr, o)| match o {
            Outcome::Value(n) => json!({ "expr": expr, "value": node_json(n) }),
            Outcome::Error { message, column, .. } => {
                json!({ "expr": expr, "error": message, "column": column })
            }
        }).collect::<Vec<_>>(),
    })
}

fn value_text(out: &mut String, n: &Node, indent: usize) {
    out.push_str(&format!(
        "{:indent$}{}: {} = {}\n",
        "", n.name, n.type_name, n.value
    ));
    for c in &n.children {
        value_text(out, c, indent + 2);
    }
}

pub fn to_text(results: &[(String, Outcome)]) -> String {
    let mut out = String::new();
    for (_, o) in results {
        match o {
            Outcome::Value(n) => value_text(&mut out, n, 0),
            Outcome::Error {
                message,
                column,
                caret,
            } => {
                out.push_str("error: ");
                out.push_str(message);
                if let Some(c) = column {
                    out.push_str(&format!(" (column {c})"));
                }
                out.push('\n');
                if let Some(c) = caret {
                    out.push_str(c);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_show_a_caret_under_the_column() {
        let results = vec![
            (
                "a + 1".to_string(),
                Outcome::Value(Node {
                    name: "a + 1".into(),
                    type_name: "i64".into(),
                    value: "3".into(),
                    len: None,
                    children: Vec::new(),
                    shadowed: false,
                }),
            ),
            (
                "a.b c".to_string(),
                Outcome::Error {
                    message: "expected an operator or the end, found `c`".into(),
                    column: Some(5),
                    caret: Some(wire::caret("a.b c", 5, 2)),
                },
            ),
        ];
        assert_eq!(
            to_text(&results),
            "a + 1: i64 = 3\nerror: expected an operator or the end, found `c` (column 5)\n  a.b c\n      ^\n"
        );
        assert_eq!(
            to_json("demo::f", &results),
            json!({"frame": "demo::f", "results": [
                {"expr": "a + 1", "value": {"name": "a + 1", "type": "i64", "value": "3", "children": []}},
                {"expr": "a.b c", "error": "expected an operator or the end, found `c`", "column": 5},
            ]})
        );
    }
}
