//! Path expressions for reaching a value from a frame's locals:
//! `name`, `a.field`, `a.0`, `v[3]`, `*p`, `m["key"]`, `self.items[0].name`.
//! Read-only by design: no calls, no arithmetic.

use crate::Error;

/// One step from a value to one of its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `.name` or `.0`.
    Field(String),
    /// `[3]`.
    Index(u64),
    /// `["key"]`.
    Key(String),
    /// `*`: the pointee of a reference, `Box` or pointer.
    Deref,
}

/// A parsed path: a local's name, then steps applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub root: String,
    pub steps: Vec<Step>,
}

/// Parses a path expression.
pub fn parse(expr: &str) -> Result<Path, Error> {
    let bad = |reason: &str| Error::BadPath {
        expr: expr.to_string(),
        reason: reason.to_string(),
    };
    let mut rest = expr.trim();
    let mut derefs = 0;
    while let Some(r) = rest.strip_prefix('*') {
        derefs += 1;
        rest = r.trim_start();
    }
    let (root, mut rest) = take_ident(rest).ok_or_else(|| bad("expected a variable name"))?;
    // A qualified static: `demo::config::LIMIT`.
    let mut root = root.to_string();
    while let Some((seg, r)) = rest.strip_prefix("::").and_then(take_ident) {
        root.push_str("::");
        root.push_str(seg);
        rest = r;
    }
    let mut steps = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(r) = rest.strip_prefix('.') {
            let r = r.trim_start();
            let (field, r) = take_ident(r)
                .map(|(f, r)| (f.to_string(), r))
                .or_else(|| take_number(r).map(|(n, r)| (n.to_string(), r)))
                .ok_or_else(|| bad("expected a field name or tuple index after '.'"))?;
            steps.push(Step::Field(field));
            rest = r;
        } else if let Some(r) = rest.strip_prefix('[') {
            let r = r.trim_start();
            let (step, r) = if let Some((n, r)) = take_number(r) {
                (Step::Index(n), r)
            } else if let Some((s, r)) = take_string(r) {
                (Step::Key(s), r)
            } else {
                return Err(bad("expected an index or a quoted key inside '[ ]'"));
            };
            rest = r
                .trim_start()
                .strip_prefix(']')
                .ok_or_else(|| bad("missing ']'"))?;
            steps.push(step);
        } else {
            return Err(bad(&format!(
                "unexpected {:?}",
                rest.chars().next().unwrap()
            )));
        }
    }
    steps.extend(std::iter::repeat_n(Step::Deref, derefs));
    Ok(Path { root, steps })
}

fn take_ident(s: &str) -> Option<(&str, &str)> {
    let first = s.chars().next()?;
    if !(first.is_alphabetic() || first == '_') {
        return None;
    }
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(s.len(), |(i, _)| i);
    Some((&s[..end], &s[end..]))
}

fn take_number(s: &str) -> Option<(u64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n = s[..end].parse().ok()?;
    Some((n, &s[end..]))
}

fn take_string(s: &str) -> Option<(String, &str)> {
    let mut chars = s.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 2..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                c => out.push(c),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(expr: &str) -> (String, Vec<Step>) {
        let p = parse(expr).unwrap();
        (p.root, p.steps)
    }

    #[test]
    fn parses_every_form() {
        use Step::*;
        assert_eq!(steps("total"), ("total".into(), vec![]));
        assert_eq!(
            steps("self.items[0].name"),
            (
                "self".into(),
                vec![Field("items".into()), Index(0), Field("name".into())]
            )
        );
        assert_eq!(steps("a.0"), ("a".into(), vec![Field("0".into())]));
        assert_eq!(steps("*p"), ("p".into(), vec![Deref]));
        assert_eq!(
            steps("**p.next"),
            ("p".into(), vec![Field("next".into()), Deref, Deref])
        );
        assert_eq!(
            steps(r#"m["k\"ey"]"#),
            ("m".into(), vec![Key("k\"ey".into())])
        );
        assert_eq!(steps(" v [ 2 ] "), ("v".into(), vec![Index(2)]));
        assert_eq!(
            steps("demo::config::LIMITS[1]"),
            ("demo::config::LIMITS".into(), vec![Index(1)])
        );
    }

    #[test]
    fn rejects_bad_expressions_with_a_reason() {
        for (expr, reason) in [
            ("", "expected a variable name"),
            ("3x", "expected a variable name"),
            ("a.", "expected a field name or tuple index after '.'"),
            ("v[", "expected an index or a quoted key inside '[ ]'"),
            ("v[1", "missing ']'"),
            ("a+b", "unexpected '+'"),
            ("m[\"open", "expected an index or a quoted key inside '[ ]'"),
        ] {
            match parse(expr) {
                Err(Error::BadPath { reason: r, .. }) => assert_eq!(r, reason, "{expr}"),
                other => panic!("{expr}: {other:?}"),
            }
        }
    }
}
