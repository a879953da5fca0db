//! `.filter(|a| …)` over sequences, arrays, sets, maps and earlier results.
//!
//! A contiguous sequence (`Vec`, slice, array) whose closure only reads
//! scalar fields of the element (`|a| a.balance < 0 && a.id % 2 == 0`,
//! locals allowed) is *compiled*: each field becomes a load at an offset,
//! and the elements are read in bulk, 1 MiB at a time, and tested in place.
//! Anything else (strings, `Option`s, nested containers, maps) runs the
//! general evaluator element by element. Either way the result keeps only
//! the positions of the matches, at most [`MAX_MATCHES`], and a scan stops
//! once it has spent the evaluation's work ([`super::value::SCAN_WORK`]),
//! saying how far it got.

use std::sync::Arc;

use super::error::EvalError;
use super::parser::{BinOp, Expr, Kind, Pattern, UnOp};
use super::scalar::{self, IntTy, NumTy, Scalar};
use super::synth;
use super::value::{Cx, GENERAL_COST, Value};
use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::dwarf::types::{self, Encoding, Kind as TyKind};
use crate::memory::place::Place;
use crate::memory::read::MAX_READ;
use crate::values::picked::Picked;
use crate::values::render;
use crate::values::shapes::{Array, Items, Seq, Shape, tuple_index};
use crate::values::views::{Val, View};

/// Most matches a filter keeps.
pub const MAX_MATCHES: usize = 1_000_000;

/// Why a scan stopped at element `i` of `len`.
fn spent(i: u64, len: u64) -> String {
    format!("scan stopped at element {i} of {len}: the evaluation's work budget is spent")
}

/// A value made of picked items, shown under a type named `name`.
pub fn picked_val(dbg: &DebugInfo, name: &str, picked: Picked) -> Val {
    let name = match &picked.stopped {
        Some(why) => format!("{name} ({why})"),
        None => name.to_string(),
    };
    let mut v = Val::new(Place::Bytes(Vec::new()), Some(synth::named(dbg, &name)));
    v.picked = Some(Arc::new(picked));
    v
}

/// `v.filter(|pattern| body)`.
pub fn filter(
    cx: &mut Cx<'_>,
    v: Val,
    pattern: &Pattern,
    body: &Expr,
    at: usize,
) -> Result<Val, EvalError> {
    let (v, view) = cx.autoderef(v, at)?;
    let dbg = cx.dbg;
    let elem_name = |e: Option<DieRef>| {
        e.map_or("?".into(), |e| {
            render::display_type(dbg, &types::get(dbg, e))
        })
    };
    match view {
        View::Seq(Seq { ptr, len, elem }) => {
            let name = format!("[{}]", elem_name(elem));
            let p = strided(cx, ptr, len, elem, pattern, body)?;
            Ok(picked_val(dbg, &name, p))
        }
        View::Array(Array { elem, count }) if matches!(v.place, Place::Mem(_)) => {
            let Place::Mem(ptr) = v.place else {
                unreachable!()
            };
            let name = format!("[{}]", elem_name(elem));
            let p = strided(cx, ptr, count, elem, pattern, body)?;
            Ok(picked_val(dbg, &name, p))
        }
        View::Items(Items { len, .. }) | View::Array(Array { count: len, .. }) => {
            let shape = shape_of(&view);
            let name = format!("{} filtered", cx.type_name(&v));
            let mut out = Vec::new();
            let mut start = 0;
            let mut stopped = None;
            'scan: while start < len {
                let page = render::children(dbg, &v, start, 10_000);
                if page.is_empty() {
                    break;
                }
                for (name, item) in page {
                    if cx.spend(GENERAL_COST) < GENERAL_COST {
                        stopped = Some(spent(start, len));
                        break 'scan;
                    }
                    if test(cx, &item, pattern, body)? {
                        out.push((name, item));
                        if out.len() >= MAX_MATCHES {
                            stopped = Some(format!("the first {MAX_MATCHES} matches"));
                            break 'scan;
                        }
                    }
                    start += 1;
                }
            }
            let mut p = Picked::vals(shape, out);
            p.stopped = stopped;
            Ok(picked_val(dbg, &name, p))
        }
        _ => Err(EvalError::invalid(
            at,
            format!("{} has no elements to filter", cx.type_name(&v)),
        )),
    }
}

fn shape_of(view: &View) -> Shape {
    match view {
        View::Items(Items { shape, .. }) => *shape,
        _ => Shape::Seq,
    }
}

/// Runs the closure on one item, in the general evaluator.
fn test(cx: &mut Cx<'_>, item: &Val, pattern: &Pattern, body: &Expr) -> Result<bool, EvalError> {
    let saved = cx.bound.len();
    match pattern {
        Pattern::Name(n) => cx.bound.push((n.clone(), Value::Mem(item.clone()))),
        Pattern::Tuple(names) => {
            let parts: Vec<Val> = match &item.entry {
                Some(kv) => vec![kv.0.clone(), kv.1.clone()],
                None => render::children(cx.dbg, item, 0, names.len() as u64)
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
            };
            if parts.len() != names.len() {
                return Err(EvalError::invalid(
                    body.at,
                    format!(
                        "the pattern binds {} names but the item has {} parts",
                        names.len(),
                        parts.len()
                    ),
                ));
            }
            for (n, p) in names.iter().zip(parts) {
                cx.bound.push((n.clone(), Value::Mem(p)));
            }
        }
    }
    let r = cx.eval(body).and_then(|v| cx.truth(&v, body.at));
    cx.bound.truncate(saved);
    r
}

/// Filters `len` elements of `elem` from `ptr`: compiled when it can be.
fn strided(
    cx: &mut Cx<'_>,
    ptr: u64,
    len: u64,
    elem: Option<DieRef>,
    pattern: &Pattern,
    body: &Expr,
) -> Result<Picked, EvalError> {
    let dbg = cx.dbg;
    let stride = elem.map_or(0, |e| types::get(dbg, e).size);
    let mut indices = Vec::new();
    let mut stopped = None;
    let compiled = match (pattern, elem) {
        (Pattern::Name(param), Some(elem)) if stride > 0 => compile(cx, body, param, elem)?,
        _ => None,
    };
    if let Some(code) = compiled {
        let pred = fast(code);
        let per_chunk = (MAX_READ as u64 / stride).max(1);
        let mut i = 0;
        while i < len {
            let n = cx.spend(per_chunk.min(len - i));
            if n == 0 {
                stopped = Some(spent(i, len));
                break;
            }
            let at = ptr.wrapping_add(i * stride);
            let bytes = dbg
                .mem
                .read(at, (n * stride) as usize)
                .map_err(|e| EvalError::unavailable(body.at, format!("element {i}: {e}")))?;
            for (k, chunk) in bytes.chunks_exact(stride as usize).enumerate() {
                match test_fast(&pred, chunk) {
                    Ok(Scalar::Bool(true)) => {
                        indices.push(i + k as u64);
                        if indices.len() >= MAX_MATCHES {
                            stopped = Some(format!("the first {MAX_MATCHES} matches"));
                            break;
                        }
                    }
                    Ok(Scalar::Bool(false)) => {}
                    Ok(other) => {
                        return Err(EvalError::invalid(
                            body.at,
                            format!(
                                "the filter's closure must give a bool, not {}",
                                other.type_name()
                            ),
                        ));
                    }
                    Err(m) => {
                        return Err(EvalError::invalid(
                            body.at,
                            format!("{m} (at element {})", i + k as u64),
                        ));
                    }
                }
            }
            if stopped.is_some() {
                break;
            }
            i += n;
        }
    } else {
        let mut i = 0;
        while i < len {
            if cx.spend(GENERAL_COST) < GENERAL_COST {
                stopped = Some(spent(i, len));
                break;
            }
            let item = Val::new(Place::Mem(ptr.wrapping_add(i * stride)), elem);
            if test(cx, &item, pattern, body)? {
                indices.push(i);
                if indices.len() >= MAX_MATCHES {
                    stopped = Some(format!("the first {MAX_MATCHES} matches"));
                    break;
                }
            }
            i += 1;
        }
    }
    let mut p = Picked::strided(ptr, stride, elem, indices);
    p.stopped = stopped;
    Ok(p)
}

/// A closure body compiled against the element's layout.
#[derive(Debug)]
enum Code {
    Const(Scalar),
    /// A base-type field at an offset of the element.
    Load {
        offset: usize,
        size: usize,
        enc: Encoding,
        ty: Option<IntTy>,
    },
    Unary(UnOp, Box<Code>),
    Binary(BinOp, Box<Code>, Box<Code>),
    Cast(Box<Code>, NumTy),
}

/// Whether `e` names the parameter anywhere.
fn mentions(e: &Expr, param: &str) -> bool {
    match &e.kind {
        Kind::Path(p) => p.len() == 1 && p[0] == param,
        Kind::Int(..) | Kind::Float(..) | Kind::Str(_) | Kind::Char(_) | Kind::Bool(_) => false,
        Kind::Ctor(_, args) => args.iter().any(|a| mentions(a, param)),
        Kind::Field(b, _) | Kind::Unary(_, b) | Kind::Cast(b, _) => mentions(b, param),
        Kind::Index(a, b) | Kind::Binary(_, a, b) => mentions(a, param) || mentions(b, param),
        Kind::Range { start, end, .. } => {
            start.as_deref().is_some_and(|s| mentions(s, param))
                || end.as_deref().is_some_and(|s| mentions(s, param))
        }
        Kind::Method(r, _, args) => mentions(r, param) || args.iter().any(|a| mentions(a, param)),
        // A closure inside: let the general evaluator handle it.
        Kind::Closure(..) => true,
    }
}

/// `None` when the body needs the general evaluator.
fn compile(
    cx: &mut Cx<'_>,
    e: &Expr,
    param: &str,
    elem: DieRef,
) -> Result<Option<Code>, EvalError> {
    if !mentions(e, param) {
        // Evaluated once: a literal, a local, `limit * 2`.
        let v = cx.eval(e)?;
        return Ok(cx.scalar(&v, e.at)?.map(Code::Const));
    }
    Ok(match &e.kind {
        Kind::Path(_) | Kind::Field(..) => {
            let Some((offset, ty)) = place(cx.dbg, e, param, elem) else {
                return Ok(None);
            };
            let t = types::get(cx.dbg, ty);
            match t.kind {
                TyKind::Base(enc) if enc != Encoding::Unit && t.size <= 16 => Some(Code::Load {
                    offset: offset as usize,
                    size: t.size as usize,
                    enc,
                    ty: matches!(enc, Encoding::Signed | Encoding::Unsigned)
                        .then(|| IntTy::of(&t.name, t.size, enc == Encoding::Signed)),
                }),
                _ => None,
            }
        }
        // `*p` of the parameter is the item itself.
        Kind::Unary(UnOp::Deref, inner) if matches!(&inner.kind, Kind::Path(p) if p.len() == 1 && p[0] == param) => {
            compile(cx, inner, param, elem)?
        }
        Kind::Unary(op @ (UnOp::Neg | UnOp::Not), inner) => {
            compile(cx, inner, param, elem)?.map(|c| Code::Unary(*op, Box::new(c)))
        }
        Kind::Binary(op, a, b) => {
            match (compile(cx, a, param, elem)?, compile(cx, b, param, elem)?) {
                (Some(a), Some(b)) => Some(Code::Binary(*op, Box::new(a), Box::new(b))),
                _ => None,
            }
        }
        Kind::Cast(inner, super::parser::TypeName::Named(n)) => match NumTy::from_name(n) {
            Some(t) => compile(cx, inner, param, elem)?.map(|c| Code::Cast(Box::new(c), t)),
            None => None,
        },
        _ => None,
    })
}

/// The offset and type of `param.a.b` inside a plain struct element
/// (no pointers, no enums, no std views in between).
fn place(dbg: &DebugInfo, e: &Expr, param: &str, elem: DieRef) -> Option<(u64, DieRef)> {
    match &e.kind {
        Kind::Path(p) if p.len() == 1 && p[0] == param => Some((0, elem)),
        Kind::Field(base, name) => {
            let (offset, ty) = place(dbg, base, param, elem)?;
            let t = types::get(dbg, ty);
            let TyKind::Struct {
                fields,
                variants: None,
            } = &t.kind
            else {
                return None;
            };
            let short = types::short_name(&t.name);
            // Types with views of their own are read through them.
            if short.contains('<') || t.name.contains("::") && is_std(&t.name) {
                return None;
            }
            let f = fields
                .iter()
                .find(|f| f.name == *name || tuple_index(&f.name) == Some(name.as_str()))?;
            Some((offset + f.offset, f.ty?))
        }
        _ => None,
    }
}

fn is_std(name: &str) -> bool {
    ["core::", "alloc::", "std::"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Runs compiled code on one element's bytes.
fn run(code: &Code, bytes: &[u8]) -> Result<Scalar, String> {
    match code {
        Code::Const(s) => Ok(*s),
        Code::Load {
            offset,
            size,
            enc,
            ty,
        } => {
            let b = bytes
                .get(*offset..offset + size)
                .ok_or_else(|| "field outside the element".to_string())?;
            let mut buf = [0u8; 16];
            buf[..*size].copy_from_slice(b);
            let raw = u128::from_le_bytes(buf);
            Ok(match enc {
                Encoding::Signed => {
                    let t = ty.unwrap_or(IntTy::USIZE);
                    Scalar::Int(t.wrap(raw as i128), Some(t))
                }
                Encoding::Unsigned => Scalar::Int(
                    i128::try_from(raw).map_err(|_| "u128 value too large".to_string())?,
                    *ty,
                ),
                Encoding::Float if *size == 4 => {
                    Scalar::Float(f32::from_bits(raw as u32) as f64, Some(true))
                }
                Encoding::Float => Scalar::Float(f64::from_bits(raw as u64), Some(false)),
                Encoding::Bool => Scalar::Bool(raw != 0),
                Encoding::Char => Scalar::Char(
                    char::from_u32(raw as u32).ok_or_else(|| format!("invalid char {raw:#x}"))?,
                ),
                Encoding::Unit => return Err("() is not a number".into()),
            })
        }
        Code::Unary(op, c) => scalar::unary(*op, run(c, bytes)?),
        Code::Binary(BinOp::And, a, b) => match run(a, bytes)? {
            Scalar::Bool(false) => Ok(Scalar::Bool(false)),
            Scalar::Bool(true) => truth(run(b, bytes)?),
            other => truth(other),
        },
        Code::Binary(BinOp::Or, a, b) => match run(a, bytes)? {
            Scalar::Bool(true) => Ok(Scalar::Bool(true)),
            Scalar::Bool(false) => truth(run(b, bytes)?),
            other => truth(other),
        },
        Code::Binary(op, a, b) => scalar::binary(*op, run(a, bytes)?, run(b, bytes)?),
        Code::Cast(c, t) => scalar::cast(run(c, bytes)?, *t),
    }
}

/// The common shapes of a compiled predicate, tested without the general
/// arithmetic: a field compared with a constant, `&&`, `||`, `!`.
#[derive(Debug)]
enum Pred {
    Const(bool),
    /// A `bool` field.
    Flag(usize),
    /// An integer field `op` a constant, compared as numbers (as
    /// [`scalar::binary`] compares them).
    IntCmp {
        offset: usize,
        size: usize,
        signed: bool,
        op: BinOp,
        k: i128,
    },
    FloatCmp {
        offset: usize,
        f32: bool,
        op: BinOp,
        k: f64,
    },
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    Not(Box<Pred>),
    /// Anything else, run in full.
    Code(Code),
}

fn is_cmp(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
    )
}

/// `a op b` read the other way round: `0 < x` is `x > 0`.
fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        op => op,
    }
}

fn fast(code: Code) -> Pred {
    match code {
        Code::Const(Scalar::Bool(b)) => Pred::Const(b),
        Code::Load {
            offset,
            enc: Encoding::Bool,
            ..
        } => Pred::Flag(offset),
        Code::Binary(BinOp::And, a, b) => Pred::And(Box::new(fast(*a)), Box::new(fast(*b))),
        Code::Binary(BinOp::Or, a, b) => Pred::Or(Box::new(fast(*a)), Box::new(fast(*b))),
        Code::Unary(UnOp::Not, a) if bool_shaped(&a) => Pred::Not(Box::new(fast(*a))),
        Code::Binary(op, a, b) if is_cmp(op) => match (*a, *b) {
            (load @ Code::Load { .. }, Code::Const(k)) => cmp(op, load, k),
            (Code::Const(k), load @ Code::Load { .. }) => cmp(flip(op), load, k),
            (a, b) => Pred::Code(Code::Binary(op, Box::new(a), Box::new(b))),
        },
        other => Pred::Code(other),
    }
}

fn bool_shaped(c: &Code) -> bool {
    match c {
        Code::Const(s) => matches!(s, Scalar::Bool(_)),
        Code::Load { enc, .. } => *enc == Encoding::Bool,
        Code::Binary(op, ..) => is_cmp(*op) || matches!(op, BinOp::And | BinOp::Or),
        Code::Unary(UnOp::Not, a) => bool_shaped(a),
        _ => false,
    }
}

fn cmp(op: BinOp, load: Code, k: Scalar) -> Pred {
    match (&load, k) {
        (
            Code::Load {
                offset,
                size,
                enc: enc @ (Encoding::Signed | Encoding::Unsigned),
                ..
            },
            Scalar::Int(k, _),
        ) if matches!(size, 1 | 2 | 4 | 8) => Pred::IntCmp {
            offset: *offset,
            size: *size,
            signed: *enc == Encoding::Signed,
            op,
            k,
        },
        (
            Code::Load {
                offset,
                size,
                enc: Encoding::Float,
                ..
            },
            Scalar::Int(..) | Scalar::Float(..),
        ) => Pred::FloatCmp {
            offset: *offset,
            f32: *size == 4,
            op,
            k: match k {
                Scalar::Int(v, _) => v as f64,
                Scalar::Float(f, _) => f,
                _ => unreachable!(),
            },
        },
        _ => Pred::Code(Code::Binary(op, Box::new(load), Box::new(Code::Const(k)))),
    }
}

fn compare<T: PartialOrd>(op: BinOp, x: T, y: T) -> bool {
    match op {
        BinOp::Eq => x == y,
        BinOp::Ne => x != y,
        BinOp::Lt => x < y,
        BinOp::Le => x <= y,
        BinOp::Gt => x > y,
        _ => x >= y,
    }
}

#[inline]
fn int_at(b: &[u8], offset: usize, size: usize, signed: bool) -> Option<i128> {
    let b = b.get(offset..offset + size)?;
    Some(match (size, signed) {
        (1, true) => b[0] as i8 as i128,
        (1, false) => b[0] as i128,
        (2, true) => i16::from_le_bytes([b[0], b[1]]) as i128,
        (2, false) => u16::from_le_bytes([b[0], b[1]]) as i128,
        (4, true) => i32::from_le_bytes(b.try_into().ok()?) as i128,
        (4, false) => u32::from_le_bytes(b.try_into().ok()?) as i128,
        (_, true) => i64::from_le_bytes(b.try_into().ok()?) as i128,
        (_, false) => u64::from_le_bytes(b.try_into().ok()?) as i128,
    })
}

fn pred(p: &Pred, b: &[u8]) -> Result<bool, String> {
    let outside = || "field outside the element".to_string();
    Ok(match p {
        Pred::Const(v) => *v,
        Pred::Flag(offset) => *b.get(*offset).ok_or_else(outside)? != 0,
        Pred::IntCmp {
            offset,
            size,
            signed,
            op,
            k,
        } => compare(
            *op,
            int_at(b, *offset, *size, *signed).ok_or_else(outside)?,
            *k,
        ),
        Pred::FloatCmp { offset, f32, op, k } => {
            let x = if *f32 {
                let w = b.get(*offset..offset + 4).ok_or_else(outside)?;
                f32::from_le_bytes(w.try_into().map_err(|_| outside())?) as f64
            } else {
                let w = b.get(*offset..offset + 8).ok_or_else(outside)?;
                f64::from_le_bytes(w.try_into().map_err(|_| outside())?)
            };
            // NaN compares unequal to everything, as in `scalar::binary`.
            if x.is_nan() || k.is_nan() {
                *op == BinOp::Ne
            } else {
                compare(*op, x, *k)
            }
        }
        Pred::And(a, c) => pred(a, b)? && pred(c, b)?,
        Pred::Or(a, c) => pred(a, b)? || pred(c, b)?,
        Pred::Not(a) => !pred(a, b)?,
        Pred::Code(code) => match run(code, b)? {
            Scalar::Bool(v) => v,
            other => return Err(format!("expected a bool, found {}", other.type_name())),
        },
    })
}

/// The predicate on one element: `Bool`, or (for a closure that does not
/// give a bool) the value it gave.
fn test_fast(p: &Pred, b: &[u8]) -> Result<Scalar, String> {
    match p {
        Pred::Code(code) => run(code, b),
        p => pred(p, b).map(Scalar::Bool),
    }
}

fn truth(s: Scalar) -> Result<Scalar, String> {
    match s {
        Scalar::Bool(_) => Ok(s),
        other => Err(format!("expected a bool, found {}", other.type_name())),
    }
}
