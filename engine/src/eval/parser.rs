//! The expression language's grammar: Rust's expression syntax, read-only.
//!
//! Precedence, loosest first: `..` (inside `[ ]` only), `||`, `&&`,
//! comparisons, `|`, `^`, `&`, `<<` `>>`, `+` `-`, `*` `/` `%`, `as`,
//! unary `-` `!` `*` `&`, then postfix `.field`, `.0`, `.method(args)`,
//! `[index]`. Primaries: literals, names (`x`, `a::b::C`), constructors
//! (`Some(2)`, `Ok("x")`), parentheses, and closures (`|a| a.balance < 0`,
//! `|(k, v)| v > 1`) as method arguments.

use super::error::EvalError;
use super::lexer::{Tok, Token, lex};

/// An expression and the byte offset it starts at.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: Kind,
    pub at: usize,
}

/// What an expression is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Int(u128, Option<String>),
    Float(f64, Option<String>),
    Str(String),
    Char(char),
    Bool(bool),
    /// A name or a path: `x`, `demo::config::LIMIT`, `Color::Red`, `None`.
    Path(Vec<String>),
    /// A variant constructor with arguments: `Some(2)`, `Kind::Pair(1, 2)`.
    Ctor(Vec<String>, Vec<Expr>),
    Field(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Range {
        start: Option<Box<Expr>>,
        end: Option<Box<Expr>>,
        inclusive: bool,
    },
    Method(Box<Expr>, String, Vec<Expr>),
    Closure(Pattern, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cast(Box<Expr>, TypeName),
}

/// A closure's parameter: `a`, or a tuple `(k, v)` (a map entry's key and value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Name(String),
    Tuple(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    Deref,
    AddrOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Shl => "<<",
            Shr => ">>",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "&&",
            Or => "||",
        }
    }
}

/// A type named in a cast: `u8`, `f64`, `*const Account`, `&[u8]`,
/// `Vec<u32>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeName {
    /// A type by its (possibly qualified, possibly generic) name.
    Named(String),
    /// `*const T`, `*mut T`.
    Ptr {
        mutable: bool,
        pointee: Box<TypeName>,
    },
    /// `&T`, `&mut T`.
    Ref {
        mutable: bool,
        pointee: Box<TypeName>,
    },
}

impl std::fmt::Display for TypeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeName::Named(n) => f.write_str(n),
            TypeName::Ptr { mutable, pointee } => {
                write!(f, "*{} {pointee}", if *mutable { "mut" } else { "const" })
            }
            TypeName::Ref { mutable, pointee } => {
                write!(f, "&{}{pointee}", if *mutable { "mut " } else { "" })
            }
        }
    }
}

/// Parses a whole expression.
pub fn parse(src: &str) -> Result<Expr, EvalError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        src,
        depth: 0,
    };
    if p.peek() == &Tok::End {
        return Err(EvalError::syntax(0, "expected an expression"));
    }
    let e = p.expr(false)?;
    match p.peek() {
        Tok::End => Ok(e),
        Tok::Punct("..") | Tok::Punct("..=") => Err(EvalError::syntax(
            p.at(),
            "a range is only allowed inside `[ ]`: v[2..5]",
        )),
        t => Err(EvalError::syntax(
            p.at(),
            format!("expected an operator or the end, found {}", describe(t)),
        )),
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Int(n, _) => format!("number {n}"),
        Tok::Float(f, _) => format!("number {f}"),
        Tok::Str(s) => format!("string {s:?}"),
        Tok::Char(c) => format!("char {c:?}"),
        Tok::Ident(i) => format!("`{i}`"),
        Tok::Punct(p) => format!("`{p}`"),
        Tok::End => "the end".into(),
    }
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    src: &'a str,
    /// How deep the parse is in brackets and prefix operators.
    depth: usize,
}

/// The deepest nesting of brackets and prefix operators parsed (the whole
/// expression is the first level): a hostile `((((…))))` or `----…1` of
/// thousands is refused in one line instead of overflowing the agent's
/// stack (a level is a dozen calls deep).
pub const MAX_NESTING: usize = 32;

/// Binary operators by precedence level, loosest first.
const LEVELS: &[&[(&str, BinOp)]] = &[
    &[("||", BinOp::Or)],
    &[("&&", BinOp::And)],
    &[
        ("==", BinOp::Eq),
        ("!=", BinOp::Ne),
        ("<=", BinOp::Le),
        (">=", BinOp::Ge),
        ("<", BinOp::Lt),
        (">", BinOp::Gt),
    ],
    &[("|", BinOp::BitOr)],
    &[("^", BinOp::BitXor)],
    &[("&", BinOp::BitAnd)],
    &[("<<", BinOp::Shl), (">>", BinOp::Shr)],
    &[("+", BinOp::Add), ("-", BinOp::Sub)],
    &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
];

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    fn at(&self) -> usize {
        self.tokens[self.pos].at
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Tok::Punct(q) if *q == p) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str, what: &str) -> Result<(), EvalError> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(EvalError::syntax(
                self.at(),
                format!("expected `{p}` {what}, found {}", describe(self.peek())),
            ))
        }
    }

    /// Runs `f` one level deeper, refused past [`MAX_NESTING`].
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, EvalError>,
    ) -> Result<T, EvalError> {
        if self.depth >= MAX_NESTING {
            return Err(EvalError::syntax(
                self.at(),
                format!("nested more than {MAX_NESTING} levels deep"),
            ));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// An expression; `range` allows `a..b` (inside `[ ]`).
    fn expr(&mut self, range: bool) -> Result<Expr, EvalError> {
        self.nested(|p| p.expr_here(range))
    }

    fn expr_here(&mut self, range: bool) -> Result<Expr, EvalError> {
        if range && matches!(self.peek(), Tok::Punct("..") | Tok::Punct("..=")) {
            return self.range(None);
        }
        let e = self.binary(0)?;
        if range && matches!(self.peek(), Tok::Punct("..") | Tok::Punct("..=")) {
            return self.range(Some(e));
        }
        Ok(e)
    }

    fn range(&mut self, start: Option<Expr>) -> Result<Expr, EvalError> {
        let at = start.as_ref().map_or(self.at(), |s| s.at);
        let inclusive = self.bump().tok == Tok::Punct("..=");
        let end = if matches!(self.peek(), Tok::Punct("]")) {
            if inclusive {
                return Err(EvalError::syntax(self.at(), "`..=` needs an end"));
            }
            None
        } else {
            Some(Box::new(self.binary(0)?))
        };
        Ok(Expr {
            kind: Kind::Range {
                start: start.map(Box::new),
                end,
                inclusive,
            },
            at,
        })
    }

    fn binary(&mut self, level: usize) -> Result<Expr, EvalError> {
        if level == LEVELS.len() {
            return self.cast();
        }
        let mut left = self.binary(level + 1)?;
        let comparison = level == 2;
        while let Tok::Punct(p) = self.peek() {
            let Some((_, op)) = LEVELS[level].iter().find(|(s, _)| s == p) else {
                break;
            };
            let (op, op_at) = (*op, self.at());
            self.bump();
            let right = self.binary(level + 1)?;
            // At the operator, for errors about the operation.
            left = Expr {
                at: op_at,
                kind: Kind::Binary(op, Box::new(left), Box::new(right)),
            };
            if comparison
                && let Tok::Punct(p) = self.peek()
                && LEVELS[2].iter().any(|(s, _)| s == p)
            {
                return Err(EvalError::syntax(
                    self.at(),
                    format!(
                        "comparison operators cannot be chained: use parentheses around the `{}` at column {}",
                        op.symbol(),
                        self.src[..op_at].chars().count() + 1
                    ),
                ));
            }
        }
        Ok(left)
    }

    fn cast(&mut self) -> Result<Expr, EvalError> {
        let mut e = self.unary()?;
        while matches!(self.peek(), Tok::Ident(i) if i == "as") {
            self.bump();
            let ty = self.type_name()?;
            e = Expr {
                at: e.at,
                kind: Kind::Cast(Box::new(e), ty),
            };
        }
        Ok(e)
    }

    fn type_name(&mut self) -> Result<TypeName, EvalError> {
        if self.eat("*") {
            let mutable = match self.peek() {
                Tok::Ident(k) if k == "const" => false,
                Tok::Ident(k) if k == "mut" => true,
                t => {
                    return Err(EvalError::syntax(
                        self.at(),
                        format!(
                            "expected `const` or `mut` after `*` in a type, found {}",
                            describe(t)
                        ),
                    ));
                }
            };
            self.bump();
            let pointee = Box::new(self.type_name()?);
            return Ok(TypeName::Ptr { mutable, pointee });
        }
        if self.eat("&") {
            let mutable = matches!(self.peek(), Tok::Ident(k) if k == "mut");
            if mutable {
                self.bump();
            }
            let pointee = Box::new(self.type_name()?);
            return Ok(TypeName::Ref { mutable, pointee });
        }
        // A name with generics and slices, kept as text: `Vec<u8>`, `[u8]`.
        let start = self.at();
        let mut depth = 0i32;
        let mut end = start;
        loop {
            match self.peek() {
                Tok::Ident(_)
                | Tok::Punct("::")
                | Tok::Punct(",")
                | Tok::Punct(";")
                | Tok::Int(..)
                    if !(depth == 0 && matches!(self.peek(), Tok::Punct(","))) => {}
                Tok::Punct("<") | Tok::Punct("[") | Tok::Punct("(") => depth += 1,
                Tok::Punct(">") | Tok::Punct("]") | Tok::Punct(")") if depth > 0 => depth -= 1,
                Tok::Punct(">>") if depth > 1 => depth -= 2,
                Tok::Punct("&") | Tok::Punct("*") if depth > 0 => {}
                _ => break,
            }
            let t = self.bump();
            end = t.at + token_len(&self.src[t.at..], &t.tok);
            if depth == 0
                && !matches!(self.peek(), Tok::Punct("::") | Tok::Punct("<"))
                && !matches!(t.tok, Tok::Punct("::"))
            {
                break;
            }
        }
        if end == start {
            return Err(EvalError::syntax(
                start,
                format!(
                    "expected a type after `as`, found {}",
                    describe(self.peek())
                ),
            ));
        }
        Ok(TypeName::Named(self.src[start..end].trim().to_string()))
    }

    fn unary(&mut self) -> Result<Expr, EvalError> {
        let at = self.at();
        let op = match self.peek() {
            Tok::Punct("-") => UnOp::Neg,
            Tok::Punct("!") => UnOp::Not,
            Tok::Punct("*") => UnOp::Deref,
            Tok::Punct("&") => UnOp::AddrOf,
            Tok::Punct("&&") => {
                // `&&x`: two borrows.
                self.bump();
                let inner = self.nested(Self::unary)?;
                let once = Expr {
                    at: at + 1,
                    kind: Kind::Unary(UnOp::AddrOf, Box::new(inner)),
                };
                return Ok(Expr {
                    at,
                    kind: Kind::Unary(UnOp::AddrOf, Box::new(once)),
                });
            }
            _ => return self.postfix(),
        };
        self.bump();
        if op == UnOp::AddrOf && matches!(self.peek(), Tok::Ident(k) if k == "mut") {
            self.bump();
        }
        let inner = self.nested(Self::unary)?;
        Ok(Expr {
            at,
            kind: Kind::Unary(op, Box::new(inner)),
        })
    }

    fn postfix(&mut self) -> Result<Expr, EvalError> {
        let mut e = self.primary()?;
        loop {
            if self.eat(".") {
                let at = self.at();
                let name = match self.bump().tok {
                    Tok::Ident(n) => n,
                    Tok::Int(n, None) => n.to_string(),
                    t => {
                        return Err(EvalError::syntax(
                            at,
                            format!(
                                "expected a field, a tuple index or a method after `.`, found {}",
                                describe(&t)
                            ),
                        ));
                    }
                };
                if self.eat("(") {
                    let args = self.args(")")?;
                    // At the method's name, for errors about it.
                    e = Expr {
                        at,
                        kind: Kind::Method(Box::new(e), name, args),
                    };
                } else {
                    e = Expr {
                        at,
                        kind: Kind::Field(Box::new(e), name),
                    };
                }
            } else if matches!(self.peek(), Tok::Punct("[")) {
                let at = self.at();
                self.bump();
                if matches!(self.peek(), Tok::Punct("]")) {
                    return Err(EvalError::syntax(
                        self.at(),
                        "expected an index, a range or a key inside `[ ]`",
                    ));
                }
                let index = self.expr(true)?;
                self.expect("]", "to close `[`")?;
                e = Expr {
                    at,
                    kind: Kind::Index(Box::new(e), Box::new(index)),
                };
            } else {
                return Ok(e);
            }
        }
    }

    /// Comma-separated arguments up to `close`.
    fn args(&mut self, close: &str) -> Result<Vec<Expr>, EvalError> {
        let mut args = Vec::new();
        while !self.eat(close) {
            if matches!(self.peek(), Tok::Punct("|") | Tok::Punct("||")) {
                args.push(self.closure()?);
            } else {
                args.push(self.expr(false)?);
            }
            if !self.eat(",") {
                self.expect(close, "to close the arguments")?;
                break;
            }
        }
        Ok(args)
    }

    fn closure(&mut self) -> Result<Expr, EvalError> {
        let at = self.at();
        if self.eat("||") {
            return Err(EvalError::syntax(
                at,
                "a closure here takes one parameter: |a| a.balance < 0",
            ));
        }
        self.bump();
        let pattern = if self.eat("(") {
            let mut names = Vec::new();
            loop {
                names.push(self.binding()?);
                if !self.eat(",") {
                    break;
                }
            }
            self.expect(")", "to close the tuple pattern")?;
            Pattern::Tuple(names)
        } else {
            Pattern::Name(self.binding()?)
        };
        self.expect("|", "after the closure's parameter")?;
        let body = self.expr(false)?;
        Ok(Expr {
            at,
            kind: Kind::Closure(pattern, Box::new(body)),
        })
    }

    fn binding(&mut self) -> Result<String, EvalError> {
        let at = self.at();
        match self.bump().tok {
            Tok::Ident(n) => Ok(n),
            Tok::Punct("_") => Ok("_".into()),
            Tok::Punct("&") => self.binding(),
            t => Err(EvalError::syntax(
                at,
                format!("expected a parameter name, found {}", describe(&t)),
            )),
        }
    }

    fn primary(&mut self) -> Result<Expr, EvalError> {
        let at = self.at();
        let t = self.bump();
        let kind = match t.tok {
            Tok::Int(n, s) => Kind::Int(n, s),
            Tok::Float(f, s) => Kind::Float(f, s),
            Tok::Str(s) => Kind::Str(s),
            Tok::Char(c) => Kind::Char(c),
            Tok::Ident(i) if i == "true" => Kind::Bool(true),
            Tok::Ident(i) if i == "false" => Kind::Bool(false),
            Tok::Ident(i) => {
                let mut path = vec![i];
                while matches!(self.peek(), Tok::Punct("::")) {
                    self.bump();
                    match self.bump() {
                        Token {
                            tok: Tok::Ident(s), ..
                        } => path.push(s),
                        t => {
                            return Err(EvalError::syntax(
                                t.at,
                                format!("expected a name after `::`, found {}", describe(&t.tok)),
                            ));
                        }
                    }
                }
                if matches!(self.peek(), Tok::Punct("(")) {
                    let last = path.last().map_or("", String::as_str);
                    if !last.starts_with(char::is_uppercase) {
                        return Err(EvalError::invalid(
                            at,
                            format!(
                                "`{}(…)` would call into the program; pmdb never runs the program's code (methods it evaluates itself: len, is_empty, is_some, is_none, is_ok, is_err, filter)",
                                path.join("::")
                            ),
                        ));
                    }
                    self.bump();
                    let args = self.args(")")?;
                    Kind::Ctor(path, args)
                } else {
                    Kind::Path(path)
                }
            }
            Tok::Punct("(") => {
                let e = self.expr(false)?;
                self.expect(")", "to close `(`")?;
                return Ok(Expr { at, ..e });
            }
            Tok::Punct("|") | Tok::Punct("||") => {
                return Err(EvalError::syntax(
                    at,
                    "a closure is only allowed as an argument: v.filter(|a| a.balance < 0)",
                ));
            }
            Tok::End => {
                return Err(EvalError::syntax(
                    at,
                    "expected an expression, found the end",
                ));
            }
            other => {
                return Err(EvalError::syntax(
                    at,
                    format!("expected an expression, found {}", describe(&other)),
                ));
            }
        };
        Ok(Expr { at, kind })
    }
}

/// The source length of a token (for the end of a type name).
fn token_len(rest: &str, tok: &Tok) -> usize {
    match tok {
        Tok::Punct(p) => p.len(),
        Tok::Ident(i) => i.len(),
        _ => rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(rest.len(), |(n, _)| n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expression written back with full parentheses.
    fn show(e: &Expr) -> String {
        match &e.kind {
            Kind::Int(n, s) => format!("{n}{}", s.as_deref().unwrap_or("")),
            Kind::Float(f, _) => format!("{f:?}"),
            Kind::Str(s) => format!("{s:?}"),
            Kind::Char(c) => format!("{c:?}"),
            Kind::Bool(b) => b.to_string(),
            Kind::Path(p) => p.join("::"),
            Kind::Ctor(p, args) => format!(
                "{}({})",
                p.join("::"),
                args.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            Kind::Field(e, f) => format!("{}.{f}", show(e)),
            Kind::Index(e, i) => format!("{}[{}]", show(e), show(i)),
            Kind::Range {
                start,
                end,
                inclusive,
            } => format!(
                "{}{}{}",
                start.as_deref().map(show).unwrap_or_default(),
                if *inclusive { "..=" } else { ".." },
                end.as_deref().map(show).unwrap_or_default()
            ),
            Kind::Method(e, m, args) => format!(
                "{}.{m}({})",
                show(e),
                args.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            Kind::Closure(p, body) => match p {
                Pattern::Name(n) => format!("|{n}| {}", show(body)),
                Pattern::Tuple(ns) => format!("|({})| {}", ns.join(", "), show(body)),
            },
            Kind::Unary(op, e) => {
                let s = match op {
                    UnOp::Neg => "-",
                    UnOp::Not => "!",
                    UnOp::Deref => "*",
                    UnOp::AddrOf => "&",
                };
                format!("({s}{})", show(e))
            }
            Kind::Binary(op, a, b) => format!("({} {} {})", show(a), op.symbol(), show(b)),
            Kind::Cast(e, t) => format!("({} as {t})", show(e)),
        }
    }

    fn p(s: &str) -> String {
        show(&parse(s).unwrap())
    }

    #[test]
    fn paths_parse_as_before() {
        assert_eq!(p("self.items[0].name"), "self.items[0].name");
        assert_eq!(p("a.0"), "a.0");
        assert_eq!(p("*p"), "(*p)");
        assert_eq!(p("**p.next"), "(*(*p.next))");
        assert_eq!(p(r#"m["k\"ey"]"#), r#"m["k\"ey"]"#);
        assert_eq!(p(" v [ 2 ] "), "v[2]");
        assert_eq!(p("demo::config::LIMITS[1]"), "demo::config::LIMITS[1]");
        assert_eq!(p("t.0.1"), "t.0.1");
    }

    #[test]
    fn operators_follow_rust_precedence() {
        assert_eq!(p("a + b * c - d"), "((a + (b * c)) - d)");
        assert_eq!(p("a < b && c || !d"), "(((a < b) && c) || (!d))");
        assert_eq!(p("x as u8 + 1"), "((x as u8) + 1)");
        assert_eq!(p("-x.len() as i64"), "((-x.len()) as i64)");
        assert_eq!(p("a & b == c"), "((a & b) == c)");
        assert_eq!(p("a +* b"), "(a + (*b))");
        assert_eq!(p("1 << 2 + 3"), "(1 << (2 + 3))");
        assert_eq!(
            p("*(0x7ffd as *const demo::bank::Account)"),
            "(*(32765 as *const demo::bank::Account))"
        );
        assert_eq!(p("&x"), "(&x)");
        assert_eq!(p("p as *mut Vec<u8>"), "(p as *mut Vec<u8>)");
        assert_eq!(p("x as usize as f64"), "((x as usize) as f64)");
    }

    #[test]
    fn slices_keys_methods_and_filters() {
        assert_eq!(p("v[2..5]"), "v[2..5]");
        assert_eq!(p("v[..n+1]"), "v[..(n + 1)]");
        assert_eq!(p("v[2..]"), "v[2..]");
        assert_eq!(p("v[1..=3]"), "v[1..=3]");
        assert_eq!(p("m[Some(2)]"), "m[Some(2)]");
        assert_eq!(p("m[Kind::Red]"), "m[Kind::Red]");
        assert_eq!(p("s.len() == 0"), "(s.len() == 0)");
        assert_eq!(
            p("accounts.filter(|a| a.balance < 0 && a.id != 3)"),
            "accounts.filter(|a| ((a.balance < 0) && (a.id != 3)))"
        );
        assert_eq!(
            p("m.filter(|(k, v)| *v > 1).len()"),
            "m.filter(|(k, v)| ((*v) > 1)).len()"
        );
    }

    fn err(s: &str) -> (u32, String) {
        let e = parse(s).unwrap_err();
        (e.column(s), e.to_string())
    }

    #[test]
    fn nesting_is_bounded() {
        let parens = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(p(&parens(MAX_NESTING - 1)), "1");
        assert_eq!(
            err(&parens(MAX_NESTING)),
            (33, "nested more than 32 levels deep".into())
        );
        let negs = |n: usize| format!("{}1", "-".repeat(n));
        assert!(parse(&negs(MAX_NESTING - 1)).is_ok());
        assert_eq!(
            err(&negs(MAX_NESTING)),
            (33, "nested more than 32 levels deep".into())
        );
        assert_eq!(
            err(&format!("{}0{}", "v[".repeat(40), "]".repeat(40))),
            (65, "nested more than 32 levels deep".into())
        );
    }

    #[test]
    fn errors_point_at_their_column() {
        assert_eq!(err(""), (1, "expected an expression".into()));
        assert_eq!(
            err("a.balance < "),
            (13, "expected an expression, found the end".into())
        );
        assert_eq!(
            err("v[1"),
            (4, "expected `]` to close `[`, found the end".into())
        );
        assert_eq!(
            err("a.balance <> 0"),
            (12, "expected an expression, found `>`".into())
        );
        assert_eq!(
            err("a < b < c"),
            (
                7,
                "comparison operators cannot be chained: use parentheses around the `<` at column 3"
                    .into()
            )
        );
        assert_eq!(
            err("v[]"),
            (3, "expected an index, a range or a key inside `[ ]`".into())
        );
        assert_eq!(
            err("1..2"),
            (2, "a range is only allowed inside `[ ]`: v[2..5]".into())
        );
        assert_eq!(
            err("x as"),
            (5, "expected a type after `as`, found the end".into())
        );
        assert_eq!(
            err("é + ("),
            (6, "expected an expression, found the end".into())
        );
        assert_eq!(
            err("a.b c"),
            (5, "expected an operator or the end, found `c`".into())
        );
        assert_eq!(
            err("v.filter(a > 0"),
            (
                15,
                "expected `)` to close the arguments, found the end".into()
            )
        );
        assert_eq!(
            err("drop(x)"),
            (
                1,
                "`drop(…)` would call into the program; pmdb never runs the program's code (methods it evaluates itself: len, is_empty, is_some, is_none, is_ok, is_err, filter)".into()
            )
        );
    }
}
