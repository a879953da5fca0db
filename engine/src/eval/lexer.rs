//! The expression language's tokens: numbers (decimal, `0x`, `0o`, `0b`,
//! `_` separators, type suffixes), strings and chars with Rust escapes,
//! identifiers, and punctuation. Each token keeps the byte offset it starts
//! at, so errors can point at their column.

use super::error::EvalError;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An integer and its suffix (`3u8` → `Some("u8")`).
    Int(u128, Option<String>),
    Float(f64, Option<String>),
    Str(String),
    Char(char),
    Ident(String),
    /// Punctuation, longest match first (`..=`, `::`, `&&`, `<=`, …).
    Punct(&'static str),
    End,
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub at: usize,
}

const PUNCT: &[&str] = &[
    "..=", "::", "..", "&&", "||", "==", "!=", "<=", ">=", "<<", ">>", "->", ".", ",", "(", ")",
    "[", "]", "|", ":", "+", "-", "*", "/", "%", "!", "&", "<", ">", "^", "?", "_",
];

/// Splits `src` into tokens, ending with [`Tok::End`].
pub fn lex(src: &str) -> Result<Vec<Token>, EvalError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = src[i..].chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let at = i;
        // After a `.`, a number is a tuple index: `a.0.1` is two steps.
        let after_dot = matches!(
            out.last(),
            Some(Token {
                tok: Tok::Punct("."),
                ..
            })
        );
        if c.is_ascii_digit() {
            let (tok, len) = number(&src[i..], after_dot).map_err(|m| EvalError::syntax(at, m))?;
            out.push(Token { tok, at });
            i += len;
        } else if c.is_alphabetic() || (c == '_' && next_is_ident(&src[i + 1..])) {
            let len = src[i..]
                .char_indices()
                .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
                .map_or(src.len() - i, |(n, _)| n);
            out.push(Token {
                tok: Tok::Ident(src[i..i + len].to_string()),
                at,
            });
            i += len;
        } else if c == '"' {
            let (s, len) = string(&src[i..], '"').ok_or_else(|| {
                EvalError::syntax(at, "unterminated string: a closing '\"' is missing")
            })?;
            out.push(Token {
                tok: Tok::Str(s),
                at,
            });
            i += len;
        } else if c == '\'' {
            let (s, len) = string(&src[i..], '\'')
                .filter(|(s, _)| s.chars().count() == 1)
                .ok_or_else(|| EvalError::syntax(at, "a char literal holds one character: 'x'"))?;
            out.push(Token {
                tok: Tok::Char(s.chars().next().unwrap_or(' ')),
                at,
            });
            i += len;
        } else if let Some(p) = PUNCT.iter().find(|p| src[i..].starts_with(**p)) {
            out.push(Token {
                tok: Tok::Punct(p),
                at,
            });
            i += p.len();
        } else {
            return Err(EvalError::syntax(at, format!("unexpected character {c:?}")));
        }
    }
    out.push(Token {
        tok: Tok::End,
        at: src.len(),
    });
    Ok(out)
}

fn next_is_ident(rest: &str) -> bool {
    rest.chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

const SUFFIXES: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64",
];

fn number(s: &str, tuple_index: bool) -> Result<(Tok, usize), String> {
    let b = s.as_bytes();
    let (radix, start) = match (b[0], b.get(1)) {
        (b'0', Some(b'x')) => (16, 2),
        (b'0', Some(b'o')) => (8, 2),
        (b'0', Some(b'b')) => (2, 2),
        _ => (10, 0),
    };
    let mut end = start;
    while end < b.len() && ((b[end] as char).is_digit(radix) || b[end] == b'_') {
        end += 1;
    }
    let digits: String = s[start..end].chars().filter(|c| *c != '_').collect();
    if digits.is_empty() {
        return Err(format!("expected digits after {:?}", &s[..start]));
    }
    // A float: digits, '.', digits (so `1..5` and `a.0.1` stay integers).
    let is_float = radix == 10
        && !tuple_index
        && b.get(end) == Some(&b'.')
        && b.get(end + 1).is_some_and(u8::is_ascii_digit);
    let exp = |mut e: usize| {
        if radix == 10
            && !tuple_index
            && matches!(b.get(e), Some(b'e' | b'E'))
            && (b.get(e + 1).is_some_and(u8::is_ascii_digit)
                || (matches!(b.get(e + 1), Some(b'+' | b'-'))
                    && b.get(e + 2).is_some_and(u8::is_ascii_digit)))
        {
            e += 2;
            while e < b.len() && b[e].is_ascii_digit() {
                e += 1;
            }
        }
        e
    };
    let suffix = |e: usize| -> Result<(Option<String>, usize), String> {
        if tuple_index {
            return Ok((None, e));
        }
        let rest = &s[e..];
        let word_end = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(rest.len(), |(n, _)| n);
        let word = &rest[..word_end];
        if word.is_empty() {
            Ok((None, e))
        } else if SUFFIXES.contains(&word) {
            Ok((Some(word.to_string()), e + word_end))
        } else {
            Err(format!("invalid suffix {word:?} on a number"))
        }
    };
    if is_float {
        let mut e = end + 1;
        while e < b.len() && (b[e].is_ascii_digit() || b[e] == b'_') {
            e += 1;
        }
        let e = exp(e);
        let text: String = s[..e].chars().filter(|c| *c != '_').collect();
        let (suf, len) = suffix(e)?;
        let f = text.parse().map_err(|_| format!("bad number {text:?}"))?;
        return Ok((Tok::Float(f, suf), len));
    }
    let e = exp(end);
    if e != end {
        let text: String = s[..e].chars().filter(|c| *c != '_').collect();
        let (suf, len) = suffix(e)?;
        let f = text.parse().map_err(|_| format!("bad number {text:?}"))?;
        return Ok((Tok::Float(f, suf), len));
    }
    let n = u128::from_str_radix(&digits, radix)
        .map_err(|_| format!("{} does not fit in 128 bits", &s[..end]))?;
    let (suf, len) = suffix(end)?;
    if suf.as_deref().is_some_and(|s| s.starts_with('f')) {
        return Ok((Tok::Float(n as f64, suf), len));
    }
    Ok((Tok::Int(n, suf), len))
}

/// A quoted string or char with Rust's escapes; the text and its length
/// including both quotes.
fn string(s: &str, quote: char) -> Option<(String, usize)> {
    let mut chars = s.char_indices().skip(1);
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Some((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    'x' => {
                        let h: String = [chars.next()?.1, chars.next()?.1].iter().collect();
                        u8::from_str_radix(&h, 16).ok()? as char
                    }
                    'u' => {
                        if chars.next()?.1 != '{' {
                            return None;
                        }
                        let mut h = String::new();
                        loop {
                            match chars.next()?.1 {
                                '}' => break,
                                d => h.push(d),
                            }
                        }
                        char::from_u32(u32::from_str_radix(&h, 16).ok()?)?
                    }
                    other => other,
                });
            }
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers_strings_and_punctuation() {
        assert_eq!(
            toks("a.0.1 1..5 0x7f_ff 2.5e3 3u8 1e-2"),
            vec![
                Tok::Ident("a".into()),
                Tok::Punct("."),
                Tok::Int(0, None),
                Tok::Punct("."),
                Tok::Int(1, None),
                Tok::Int(1, None),
                Tok::Punct(".."),
                Tok::Int(5, None),
                Tok::Int(0x7fff, None),
                Tok::Float(2500.0, None),
                Tok::Int(3, Some("u8".into())),
                Tok::Float(0.01, None),
                Tok::End
            ]
        );
        assert_eq!(
            toks(r#""k\"e\u{e9}" 'x' <= && ..="#),
            vec![
                Tok::Str("k\"eé".into()),
                Tok::Char('x'),
                Tok::Punct("<="),
                Tok::Punct("&&"),
                Tok::Punct("..="),
                Tok::End
            ]
        );
        assert_eq!(lex("a  b").unwrap()[1].at, 3);
    }

    #[test]
    fn bad_tokens_point_at_their_offset() {
        assert_eq!(
            lex("a + \"open").unwrap_err(),
            EvalError::syntax(4, "unterminated string: a closing '\"' is missing")
        );
        assert_eq!(
            lex("x # y").unwrap_err(),
            EvalError::syntax(2, "unexpected character '#'")
        );
        assert_eq!(
            lex("3xyz").unwrap_err(),
            EvalError::syntax(0, "invalid suffix \"xyz\" on a number")
        );
    }
}
