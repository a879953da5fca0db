//! The evaluator: an expression tree over the frozen process's values.
//! A value of the process stays a [`Val`] (a place and a DWARF type, read
//! only as far as the operation needs); numbers computed from it are
//! [`Scalar`]s; literals that only make sense compared with a value (a
//! string, `Some(2)`, `Color::Red`) stay literals. Fields, elements, keys,
//! lengths and variants are read through the same views the tree shows.

use wire::ValueKind;

use super::error::{EvalError, unavailable};
use super::parser::{BinOp, Expr, Kind, TypeName, UnOp};
use super::scalar::{self, IntTy, NumTy, Scalar};
use super::synth;
use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::dwarf::types::{self, Encoding};
use crate::memory::place::Place;
use crate::memory::read::MAX_READ;
use crate::values::families;
use crate::values::picked::Picked;
use crate::values::render;
use crate::values::shapes::{
    self, Array, Fields, Function, Items, Pointer, Seq, Shape, Show, Str, Wrapper,
};
use crate::values::views::{self, Val, View};

/// Most bytes of a string read to compare it.
const MAX_STR: u64 = MAX_READ as u64;
/// Map entries read per page while looking up a key.
const KEY_PAGE: u64 = 10_000;
/// How much one evaluation may scan before it stops and says so, in work
/// units: an element tested by a compiled closure costs one, an element
/// tested by the general evaluator [`GENERAL_COST`]. A bound on work, not
/// on time, so an expression gives the same answer on any machine and under
/// any load: 100,000,000 compiled tests take about 1 s, 200,000 general
/// ones about 2 s (BENCHMARKS.md, Expressions).
pub const SCAN_WORK: u64 = 100_000_000;
/// What testing one element costs outside the compiled form.
pub const GENERAL_COST: u64 = 500;

/// What an expression evaluates to.
#[derive(Debug, Clone)]
pub enum Value {
    /// A value in the crashed process.
    Mem(Val),
    Num(Scalar),
    /// A computed pointer (`&x`, `0x1000 as *const T`) and its type's name.
    Ptr {
        addr: u64,
        pointee: Option<DieRef>,
        name: String,
    },
    /// A string literal.
    Str(String),
    /// A variant literal: `None`, `Some(2)`, `Color::Red`.
    Variant(String, Vec<Value>),
}

/// The evaluation context: the debug info, the frame's variables, the
/// closure parameters bound so far, and the scan work left.
pub struct Cx<'a> {
    pub dbg: &'a DebugInfo,
    local: &'a dyn Fn(&str) -> Option<Val>,
    pub bound: Vec<(String, Value)>,
    pub work_left: u64,
}

impl<'a> Cx<'a> {
    pub fn new(dbg: &'a DebugInfo, local: &'a dyn Fn(&str) -> Option<Val>) -> Cx<'a> {
        Cx {
            dbg,
            local,
            bound: Vec::new(),
            work_left: SCAN_WORK,
        }
    }

    /// Takes up to `units` of the work left and says how many it took: less
    /// than asked means the budget is spent.
    pub fn spend(&mut self, units: u64) -> u64 {
        let took = units.min(self.work_left);
        self.work_left -= took;
        took
    }

    pub fn eval(&mut self, e: &Expr) -> Result<Value, EvalError> {
        let at = e.at;
        match &e.kind {
            Kind::Int(n, suffix) => {
                let v = i128::try_from(*n)
                    .map_err(|_| EvalError::invalid(at, "integer literal too large"))?;
                Ok(match suffix.as_deref().and_then(NumTy::from_name) {
                    Some(t) => Value::Num(scalar::cast(Scalar::Int(v, None), t).map_err(inv(at))?),
                    None => Value::Num(Scalar::Int(v, None)),
                })
            }
            Kind::Float(f, suffix) => Ok(Value::Num(Scalar::Float(
                *f,
                suffix.as_deref().map(|s| s == "f32"),
            ))),
            Kind::Str(s) => Ok(Value::Str(s.clone())),
            Kind::Char(c) => Ok(Value::Num(Scalar::Char(*c))),
            Kind::Bool(b) => Ok(Value::Num(Scalar::Bool(*b))),
            Kind::Path(path) => self.path(path, at),
            Kind::Ctor(path, args) => {
                let args = args
                    .iter()
                    .map(|a| self.eval(a))
                    .collect::<Result<_, _>>()?;
                Ok(Value::Variant(
                    path.last().cloned().unwrap_or_default(),
                    args,
                ))
            }
            Kind::Field(base, name) => {
                let base = self.eval(base)?;
                let v = self.mem(base, at, "have fields")?;
                self.field(v, name, at).map(Value::Mem)
            }
            Kind::Index(base, index) => {
                let base_v = self.eval(base)?;
                self.index(base_v, index, at)
            }
            Kind::Range { .. } => Err(EvalError::syntax(
                at,
                "a range is only allowed inside `[ ]`: v[2..5]",
            )),
            Kind::Method(recv, name, args) => self.method(recv, name, args, at),
            Kind::Closure(..) => Err(EvalError::syntax(
                at,
                "a closure is only allowed as an argument: v.filter(|a| a.balance < 0)",
            )),
            Kind::Unary(op, inner) => {
                let v = self.eval(inner)?;
                // A closure's parameter is an item by reference, as Rust's
                // iterators give it: `*v` reads it, whatever its type.
                if *op == UnOp::Deref
                    && let Kind::Path(p) = &inner.kind
                    && p.len() == 1
                    && self.bound.iter().any(|(n, _)| *n == p[0])
                    && let Value::Mem(val) = &v
                    && !matches!(
                        self.view(val),
                        View::Pointer(Pointer { .. })
                            | View::Wrapper(Wrapper { pointer: true, .. })
                    )
                {
                    return Ok(v);
                }
                self.unary(*op, v, at)
            }
            Kind::Binary(op, a, b) => self.binary(*op, a, b, at),
            Kind::Cast(inner, ty) => {
                let v = self.eval(inner)?;
                self.cast(v, ty, at)
            }
        }
    }

    fn path(&mut self, path: &[String], at: usize) -> Result<Value, EvalError> {
        let name = path.join("::");
        if path.len() == 1
            && let Some((_, v)) = self.bound.iter().rev().find(|(n, _)| *n == name)
        {
            return Ok(v.clone());
        }
        if path.len() == 1
            && let Some(v) = (self.local)(&name)
        {
            return Ok(Value::Mem(v));
        }
        match crate::dwarf::globals::find_static(self.dbg, &name) {
            Ok((_, die)) => {
                let (addr, ty) =
                    crate::dwarf::globals::static_place(self.dbg, die).ok_or_else(|| {
                        EvalError::unavailable(at, format!("static `{name}` has no address"))
                    })?;
                return Ok(Value::Mem(Val::new(Place::Mem(addr), ty)));
            }
            Err(crate::dwarf::globals::StaticError::Ambiguous(_, all)) => {
                return Err(EvalError::not_found(
                    at,
                    format!("`{name}` is ambiguous: {all}"),
                ));
            }
            Err(_) => {}
        }
        let last = path.last().map_or("", String::as_str);
        if last.starts_with(char::is_uppercase) {
            // `None`, `Color::Red`: a variant, compared by name.
            return Ok(Value::Variant(last.to_string(), Vec::new()));
        }
        Err(EvalError::not_found(
            at,
            format!("no local or static named `{name}`"),
        ))
    }

    /// The value as a value of the process, or why it is not one.
    fn mem(&self, v: Value, at: usize, what: &str) -> Result<Val, EvalError> {
        match v {
            Value::Mem(v) => Ok(v),
            Value::Ptr { addr, pointee, .. } => Ok(Val::new(Place::Mem(addr), pointee)),
            other => Err(EvalError::invalid(
                at,
                format!("{} does not {what}", self.describe(&other)),
            )),
        }
    }

    /// `x (T)` or the literal's text, for messages.
    pub fn describe(&self, v: &Value) -> String {
        match v {
            Value::Mem(val) => format!("a value of type {}", self.type_name(val)),
            Value::Num(s) => format!("{} ({})", s.text(), s.type_name()),
            Value::Ptr { addr, name, .. } => format!("{addr:#x} ({name})"),
            Value::Str(s) => format!("the string {s:?}"),
            Value::Variant(..) => format!("the variant {}", self.text(v)),
        }
    }

    pub fn type_name(&self, v: &Val) -> String {
        render::display_type(self.dbg, &views::type_of(self.dbg, v))
    }

    fn view(&self, v: &Val) -> View {
        let ty = views::type_of(self.dbg, v);
        families::view(self.dbg, v, &ty)
    }

    /// Through references, `Box`es and other smart pointers, as Rust's
    /// auto-deref does for fields, indexes and methods.
    pub fn autoderef(&self, mut v: Val, at: usize) -> Result<(Val, View), EvalError> {
        for _ in 0..16 {
            let view = self.view(&v);
            v = match view {
                View::Pointer(Pointer {
                    target, pointee, ..
                }) if pointee.is_some() => {
                    if target == 0 {
                        return Err(EvalError::unavailable(at, "null pointer"));
                    }
                    Val::new(Place::Mem(target), pointee)
                }
                View::Wrapper(Wrapper {
                    pointer: true,
                    mut kids,
                    ..
                }) if !kids.is_empty() => kids.swap_remove(0).1,
                View::Error(e) => return Err(EvalError::unavailable(at, e)),
                view => return Ok((v, view)),
            };
        }
        Err(EvalError::invalid(at, "too many pointers to follow"))
    }

    pub fn field(&self, v: Val, name: &str, at: usize) -> Result<Val, EvalError> {
        let ty_name = self.type_name(&v);
        // A smart pointer's own members (an `Rc`'s `strong` and `weak`) are
        // reached before seeing through it, as the tree shows them.
        if let View::Wrapper(Wrapper {
            pointer: true,
            kids,
            ..
        }) = self.view(&v)
            && let Some((_, kid)) = kids.iter().find(|(n, _)| n == name)
        {
            return Ok(kid.clone());
        }
        let (v, view) = self.autoderef(v, at)?;
        if !matches!(
            view,
            View::Fields(_) | View::Wrapper(_) | View::Entry(_) | View::Own(_)
        ) {
            return Err(EvalError::not_found(
                at,
                format!("{ty_name} has no field `{name}`"),
            ));
        }
        let kids = render::children(self.dbg, &v, 0, u64::MAX);
        let names: Vec<&str> = kids.iter().map(|(n, _)| n.as_str()).collect();
        if let Some((_, kid)) = kids.iter().find(|(n, _)| n == name) {
            return Ok(kid.clone());
        }
        Err(EvalError::not_found(
            at,
            if names.is_empty() {
                format!("{ty_name} has no field `{name}`")
            } else {
                format!(
                    "{ty_name} has no field `{name}` (it has: {})",
                    names.join(", ")
                )
            },
        ))
    }

    /// A value as a scalar, when it is one.
    pub fn scalar(&self, v: &Value, at: usize) -> Result<Option<Scalar>, EvalError> {
        match v {
            Value::Num(s) => Ok(Some(*s)),
            Value::Ptr { addr, .. } => Ok(Some(Scalar::Int(*addr as i128, Some(IntTy::USIZE)))),
            Value::Mem(val) => self.mem_scalar(val, at),
            _ => Ok(None),
        }
    }

    fn mem_scalar(&self, val: &Val, at: usize) -> Result<Option<Scalar>, EvalError> {
        let ty = views::type_of(self.dbg, val);
        match families::view(self.dbg, val, &ty) {
            View::Scalar(shapes::Scalar {
                enc: Encoding::Unit,
                ..
            }) => Ok(None),
            View::Scalar(shapes::Scalar { enc, size }) => {
                let bytes = val
                    .place
                    .read(&self.dbg.mem, 0, size as usize)
                    .map_err(unavailable(at))?;
                Scalar::from_bytes(&bytes, enc, &ty.name)
                    .map(Some)
                    .ok_or_else(|| {
                        EvalError::unavailable(at, format!("<invalid {} value>", ty.name))
                    })
            }
            View::Pointer(Pointer { target, .. }) | View::Function(Function(target)) => {
                Ok(Some(Scalar::Int(target as i128, Some(IntTy::USIZE))))
            }
            View::Wrapper(Wrapper {
                show: Show::Child(i),
                kids,
                pointer: false,
            }) => match kids.get(i) {
                Some((_, kid)) => self.mem_scalar(kid, at),
                None => Ok(None),
            },
            View::Error(e) => Err(EvalError::unavailable(at, e)),
            _ => Ok(None),
        }
    }

    fn number(&self, v: &Value, at: usize, what: &str) -> Result<Scalar, EvalError> {
        self.scalar(v, at)?.ok_or_else(|| {
            EvalError::invalid(at, format!("{} is not a number {what}", self.describe(v)))
        })
    }

    /// The text of a string value (a literal, or a `String`/`&str` of the
    /// process, read whole up to 1 MiB).
    fn string(&self, v: &Value, at: usize) -> Result<Option<String>, EvalError> {
        match v {
            Value::Str(s) => Ok(Some(s.clone())),
            Value::Mem(val) => {
                let (_, view) = self.autoderef(val.clone(), at)?;
                let text = match &view {
                    View::Str(Str { ptr, len }) => Some((*ptr, *len)),
                    View::Own(own) => own.text_bytes(),
                    _ => None,
                };
                match text {
                    Some((ptr, len)) => {
                        if len > MAX_STR {
                            return Err(EvalError::unavailable(
                                at,
                                format!("a string of {len} bytes is too long to compare"),
                            ));
                        }
                        let bytes = Place::Mem(ptr)
                            .read(&self.dbg.mem, 0, len as usize)
                            .map_err(unavailable(at))?;
                        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
                    }
                    _ => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }

    /// `{:?}`-style text, for comparing a value with a variant literal.
    pub fn text(&self, v: &Value) -> String {
        match v {
            Value::Mem(val) => render::describe(self.dbg, String::new(), val).preview,
            Value::Num(s) => s.text(),
            Value::Ptr { addr, .. } => format!("{addr:#x}"),
            Value::Str(s) => format!("{s:?}"),
            Value::Variant(name, args) if args.is_empty() => name.clone(),
            Value::Variant(name, args) => format!(
                "{name}({})",
                args.iter()
                    .map(|a| self.text(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// `a == b`: numbers as numbers, strings by content, anything else by
    /// its `{:?}` text (`Some(25)`, `None`, `Red`).
    pub fn equal(&self, a: &Value, b: &Value, at: usize) -> Result<bool, EvalError> {
        if let (Some(x), Some(y)) = (self.scalar(a, at)?, self.scalar(b, at)?) {
            return match scalar::binary(BinOp::Eq, x, y).map_err(inv(at))? {
                Scalar::Bool(eq) => Ok(eq),
                _ => unreachable!("comparisons give bools"),
            };
        }
        if (matches!(a, Value::Str(_)) || matches!(b, Value::Str(_)))
            && let (Some(x), Some(y)) = (self.string(a, at)?, self.string(b, at)?)
        {
            return Ok(x == y);
        }
        if let (Value::Mem(_), Value::Mem(_)) = (a, b)
            && let (Some(x), Some(y)) = (self.string(a, at)?, self.string(b, at)?)
        {
            return Ok(x == y);
        }
        Ok(self.text(a) == self.text(b))
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, at: usize) -> Result<Value, EvalError> {
        if matches!(op, BinOp::And | BinOp::Or) {
            let x = self.eval(a)?;
            let x = self.truth(&x, a.at)?;
            if x == (op == BinOp::Or) {
                return Ok(Value::Num(Scalar::Bool(x)));
            }
            let y = self.eval(b)?;
            return Ok(Value::Num(Scalar::Bool(self.truth(&y, b.at)?)));
        }
        let x = self.eval(a)?;
        let y = self.eval(b)?;
        self.apply(op, &x, &y, at, b.at)
    }

    /// `x op y` on evaluated operands (`at` is the expression's position,
    /// `right_at` its right operand's).
    pub fn apply(
        &self,
        op: BinOp,
        x: &Value,
        y: &Value,
        at: usize,
        right_at: usize,
    ) -> Result<Value, EvalError> {
        match op {
            BinOp::Eq | BinOp::Ne => {
                let eq = self.equal(x, y, at)?;
                Ok(Value::Num(Scalar::Bool(eq == (op == BinOp::Eq))))
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if let (Some(sx), Some(sy)) = (self.scalar(x, at)?, self.scalar(y, right_at)?) {
                    return scalar::binary(op, sx, sy).map(Value::Num).map_err(inv(at));
                }
                if let (Some(sx), Some(sy)) = (self.string(x, at)?, self.string(y, right_at)?) {
                    let o = sx.cmp(&sy);
                    use std::cmp::Ordering as O;
                    let r = match op {
                        BinOp::Lt => o == O::Less,
                        BinOp::Le => o != O::Greater,
                        BinOp::Gt => o == O::Greater,
                        _ => o != O::Less,
                    };
                    return Ok(Value::Num(Scalar::Bool(r)));
                }
                Err(EvalError::invalid(
                    at,
                    format!(
                        "cannot compare {} with {}",
                        self.describe(x),
                        self.describe(y)
                    ),
                ))
            }
            _ => {
                let sx = self.number(x, at, &format!("(the left side of `{}`)", op.symbol()))?;
                let sy = self.number(
                    y,
                    right_at,
                    &format!("(the right side of `{}`)", op.symbol()),
                )?;
                scalar::binary(op, sx, sy).map(Value::Num).map_err(inv(at))
            }
        }
    }

    /// A `bool` value, or an error saying what it was instead.
    pub fn truth(&self, v: &Value, at: usize) -> Result<bool, EvalError> {
        match self.scalar(v, at)? {
            Some(Scalar::Bool(b)) => Ok(b),
            _ => Err(EvalError::invalid(
                at,
                format!("expected a bool, found {}", self.describe(v)),
            )),
        }
    }

    fn unary(&self, op: UnOp, v: Value, at: usize) -> Result<Value, EvalError> {
        match op {
            UnOp::Neg | UnOp::Not => {
                let s = self.number(&v, at, "")?;
                scalar::unary(op, s).map(Value::Num).map_err(inv(at))
            }
            UnOp::Deref => self.deref(v, at),
            UnOp::AddrOf => match v {
                Value::Mem(val) => match val.place {
                    Place::Mem(addr) if val.picked.is_none() && val.entry.is_none() => {
                        let name = format!("&{}", self.type_name(&val));
                        Ok(Value::Ptr {
                            addr,
                            pointee: val.ty,
                            name,
                        })
                    }
                    _ => Err(EvalError::invalid(
                        at,
                        "this value has no address in memory (it was computed, or lives in registers)",
                    )),
                },
                other => Err(EvalError::invalid(
                    at,
                    format!(
                        "{} has no address in the crashed process",
                        self.describe(&other)
                    ),
                )),
            },
        }
    }

    fn deref(&self, v: Value, at: usize) -> Result<Value, EvalError> {
        match v {
            Value::Ptr {
                addr,
                pointee,
                name,
            } => {
                if pointee.is_none() {
                    return Err(EvalError::invalid(
                        at,
                        format!("cannot dereference {name}: its pointee type is unknown"),
                    ));
                }
                if addr == 0 {
                    return Err(EvalError::unavailable(at, "null pointer"));
                }
                Ok(Value::Mem(Val::new(Place::Mem(addr), pointee)))
            }
            Value::Mem(val) => match self.view(&val) {
                View::Pointer(Pointer {
                    target, pointee, ..
                }) => {
                    if pointee.is_none() {
                        return Err(EvalError::invalid(
                            at,
                            format!(
                                "cannot dereference a {}: cast it first, *(p as *const T)",
                                self.type_name(&val)
                            ),
                        ));
                    }
                    if target == 0 {
                        return Err(EvalError::unavailable(at, "null pointer"));
                    }
                    Ok(Value::Mem(Val::new(Place::Mem(target), pointee)))
                }
                View::Wrapper(Wrapper {
                    pointer: true,
                    mut kids,
                    ..
                }) if !kids.is_empty() => Ok(Value::Mem(kids.swap_remove(0).1)),
                View::Error(e) => Err(EvalError::unavailable(at, e)),
                _ => Err(EvalError::invalid(
                    at,
                    format!("{} is not a pointer", self.type_name(&val)),
                )),
            },
            other => Err(EvalError::invalid(
                at,
                format!("{} is not a pointer", self.describe(&other)),
            )),
        }
    }

    fn cast(&self, v: Value, ty: &TypeName, at: usize) -> Result<Value, EvalError> {
        match ty {
            TypeName::Named(name) => {
                let target = NumTy::from_name(name).ok_or_else(|| {
                    EvalError::invalid(
                        at,
                        format!(
                            "cannot cast to {name}: only numeric types, `*const T`, `*mut T` and `&T`"
                        ),
                    )
                })?;
                let s = self.number(&v, at, "to cast")?;
                scalar::cast(s, target).map(Value::Num).map_err(inv(at))
            }
            TypeName::Ptr { pointee, .. } | TypeName::Ref { pointee, .. } => {
                let pointee_ty = self.resolve_type(pointee, at)?;
                let addr = match self.scalar(&v, at)? {
                    Some(Scalar::Int(a, _)) => u64::try_from(a)
                        .map_err(|_| EvalError::invalid(at, format!("{a} is not an address")))?,
                    _ => {
                        return Err(EvalError::invalid(
                            at,
                            format!(
                                "cannot cast {} to a pointer: only integers and pointers",
                                self.describe(&v)
                            ),
                        ));
                    }
                };
                Ok(Value::Ptr {
                    addr,
                    pointee: Some(pointee_ty),
                    name: ty.to_string(),
                })
            }
        }
    }

    /// The DWARF (or synthesized) type a cast names.
    fn resolve_type(&self, ty: &TypeName, at: usize) -> Result<DieRef, EvalError> {
        match ty {
            TypeName::Named(name) => {
                if let Some(t) = NumTy::from_name(name) {
                    let s = match t {
                        NumTy::Int(i) => Scalar::Int(0, Some(i)),
                        NumTy::Float(f32) => Scalar::Float(0.0, Some(f32)),
                        NumTy::Char => Scalar::Char('\0'),
                        NumTy::Bool => Scalar::Bool(false),
                    };
                    let (enc, size) = s.layout();
                    return Ok(synth::base(self.dbg, name, enc, size));
                }
                synth::find(self.dbg, name).ok_or_else(|| {
                    EvalError::not_found(at, format!("no type named `{name}` in the debug info"))
                })
            }
            TypeName::Ptr { pointee, .. } | TypeName::Ref { pointee, .. } => {
                let inner = self.resolve_type(pointee, at)?;
                Ok(synth::pointer(self.dbg, &ty.to_string(), Some(inner)))
            }
        }
    }

    fn index(&mut self, base: Value, index: &Expr, at: usize) -> Result<Value, EvalError> {
        let base = self.mem(base, at, "have elements")?;
        let ty_name = self.type_name(&base);
        let (base, view) = self.autoderef(base, at)?;
        if let Kind::Range {
            start,
            end,
            inclusive,
        } = &index.kind
        {
            let mut bound = |e: &Option<Box<Expr>>| -> Result<Option<u64>, EvalError> {
                match e {
                    None => Ok(None),
                    Some(e) => {
                        let v = self.eval(e)?;
                        self.position(&v, e.at).map(Some)
                    }
                }
            };
            let lo = bound(start)?.unwrap_or(0);
            let hi = bound(end)?.map(|h| h + u64::from(*inclusive));
            return self.slice(base, view, lo, hi, &ty_name, index.at);
        }
        let key = self.eval(index)?;
        match view {
            View::Items(Items {
                shape: Shape::Map,
                len,
                walk,
            }) => {
                let mut start = 0;
                while start < len {
                    let page = walk
                        .items(&self.dbg.mem, start..start.saturating_add(KEY_PAGE))
                        .map_err(unavailable(at))?;
                    if page.is_empty() {
                        break;
                    }
                    for item in &page {
                        let Some(kv) = &item.entry else { continue };
                        if self.equal(&Value::Mem(kv.0.clone()), &key, index.at)? {
                            return Ok(Value::Mem(kv.1.clone()));
                        }
                    }
                    start += page.len() as u64;
                }
                Err(EvalError::not_found(
                    index.at,
                    format!("{ty_name} has no key {}", self.text(&key)),
                ))
            }
            View::Seq(Seq { len, .. })
            | View::Array(Array { count: len, .. })
            | View::Items(Items { len, .. }) => {
                let i = self.position(&key, index.at)?;
                if i >= len {
                    return Err(EvalError::not_found(
                        index.at,
                        format!("index {i} is out of bounds: the {ty_name} has {len} elements"),
                    ));
                }
                render::children(self.dbg, &base, i, 1)
                    .pop()
                    .map(|(_, v)| Value::Mem(v))
                    .ok_or_else(|| EvalError::not_found(index.at, format!("no element {i}")))
            }
            View::Str(Str { .. }) => Err(EvalError::invalid(
                index.at,
                "a string cannot be indexed; slice it: s[0..3]",
            )),
            _ => Err(EvalError::invalid(
                at,
                format!("{ty_name} cannot be indexed"),
            )),
        }
    }

    /// A non-negative integer used as an index or a range bound.
    fn position(&self, v: &Value, at: usize) -> Result<u64, EvalError> {
        match self.scalar(v, at)? {
            Some(Scalar::Int(i, _)) => u64::try_from(i)
                .map_err(|_| EvalError::invalid(at, format!("index {i} is negative"))),
            _ => Err(EvalError::invalid(
                at,
                format!("expected an integer index, found {}", self.describe(v)),
            )),
        }
    }

    fn slice(
        &self,
        base: Val,
        view: View,
        lo: u64,
        hi: Option<u64>,
        ty_name: &str,
        at: usize,
    ) -> Result<Value, EvalError> {
        let len = match &view {
            View::Seq(Seq { len, .. })
            | View::Array(Array { count: len, .. })
            | View::Str(Str { len, .. }) => *len,
            View::Items(Items { len, .. }) => *len,
            _ => {
                return Err(EvalError::invalid(
                    at,
                    format!("{ty_name} cannot be sliced"),
                ));
            }
        };
        let hi = hi.unwrap_or(len);
        if lo > hi || hi > len {
            return Err(EvalError::not_found(
                at,
                format!("range {lo}..{hi} is out of bounds: the {ty_name} has {len} elements"),
            ));
        }
        let fat = |ptr: u64, elem: Option<DieRef>| {
            let ty = match elem {
                Some(e) => {
                    let name = render::display_type(self.dbg, &types::get(self.dbg, e));
                    synth::slice(self.dbg, Some(e), &name)
                }
                None => synth::slice(self.dbg, None, "u8"),
            };
            let mut bytes = ptr.to_le_bytes().to_vec();
            bytes.extend((hi - lo).to_le_bytes());
            Value::Mem(Val::new(Place::Bytes(bytes), Some(ty)))
        };
        let size = |e: Option<DieRef>| e.map_or(0, |e| types::get(self.dbg, e).size);
        match view {
            View::Seq(Seq { ptr, elem, .. }) => Ok(fat(ptr.wrapping_add(lo * size(elem)), elem)),
            View::Array(Array { elem, .. }) => match base.place {
                Place::Mem(a) => Ok(fat(a.wrapping_add(lo * size(elem)), elem)),
                _ => self.picked_range(&base, lo, hi, at),
            },
            View::Str(Str { ptr, .. }) => Ok(fat(ptr.wrapping_add(lo), None)),
            _ => self.picked_range(&base, lo, hi, at),
        }
    }

    /// Elements `lo..hi` of a container that is not one contiguous run.
    fn picked_range(&self, base: &Val, lo: u64, hi: u64, at: usize) -> Result<Value, EvalError> {
        if hi - lo > render::MAX_PAGE {
            return Err(EvalError::invalid(
                at,
                format!(
                    "a slice of this container holds at most {} elements",
                    render::MAX_PAGE
                ),
            ));
        }
        let items: Vec<(String, Val)> = render::children(self.dbg, base, lo, hi - lo);
        let ty = views::type_of(self.dbg, base);
        let shape = match families::view(self.dbg, base, &ty) {
            View::Items(Items { shape, .. }) => shape,
            _ => Shape::Seq,
        };
        let name = format!("{}[{lo}..{hi}]", render::display_type(self.dbg, &ty));
        Ok(Value::Mem(super::filter::picked_val(
            self.dbg,
            &name,
            Picked::vals(shape, items),
        )))
    }

    fn method(
        &mut self,
        recv: &Expr,
        name: &str,
        args: &[Expr],
        at: usize,
    ) -> Result<Value, EvalError> {
        let want_args = |n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                Err(EvalError::invalid(
                    at,
                    format!(
                        "`{name}` takes {n} argument{}, not {}",
                        if n == 1 { "" } else { "s" },
                        args.len()
                    ),
                ))
            }
        };
        match name {
            "len" | "is_empty" | "count" => {
                want_args(0)?;
                let v = self.eval(recv)?;
                let len = self.len(v, recv.at)?;
                Ok(Value::Num(if name == "is_empty" {
                    Scalar::Bool(len == 0)
                } else {
                    Scalar::Int(len as i128, Some(IntTy::USIZE))
                }))
            }
            "is_some" | "is_none" | "is_ok" | "is_err" => {
                want_args(0)?;
                let v = self.eval(recv)?;
                let (variant, of) = match name {
                    "is_some" => ("Some", "Option"),
                    "is_none" => ("None", "Option"),
                    "is_ok" => ("Ok", "Result"),
                    _ => ("Err", "Result"),
                };
                let label = self.variant(&v, recv.at, of)?;
                Ok(Value::Num(Scalar::Bool(label == variant)))
            }
            "filter" => {
                want_args(1)?;
                let Kind::Closure(pattern, body) = &args[0].kind else {
                    return Err(EvalError::syntax(
                        args[0].at,
                        "filter takes a closure: v.filter(|a| a.balance < 0)",
                    ));
                };
                let v = self.eval(recv)?;
                let v = self.mem(v, recv.at, "have elements to filter")?;
                super::filter::filter(self, v, pattern, body, recv.at).map(Value::Mem)
            }
            _ => Err(EvalError::invalid(
                at,
                format!(
                    "no method `{name}`: pmdb evaluates len, is_empty, is_some, is_none, is_ok, is_err and filter itself, and never calls the program's code"
                ),
            )),
        }
    }

    fn len(&self, v: Value, at: usize) -> Result<u64, EvalError> {
        if let Value::Str(s) = &v {
            return Ok(s.len() as u64);
        }
        let val = self.mem(v, at, "have a length")?;
        let ty_name = self.type_name(&val);
        let (_, view) = self.autoderef(val, at)?;
        match view {
            View::Str(Str { len, .. })
            | View::Seq(Seq { len, .. })
            | View::Array(Array { count: len, .. })
            | View::Items(Items { len, .. }) => Ok(len),
            // A family's own: text, or a container, with its length.
            View::Own(own) => match own.kind() {
                (
                    ValueKind::Str | ValueKind::Sequence | ValueKind::Array | ValueKind::Map,
                    Some(len),
                ) => Ok(len),
                _ => Err(EvalError::invalid(at, format!("{ty_name} has no length"))),
            },
            _ => Err(EvalError::invalid(at, format!("{ty_name} has no length"))),
        }
    }

    /// The active variant's name of an `Option` or `Result` (`of`).
    fn variant(&self, v: &Value, at: usize, of: &str) -> Result<String, EvalError> {
        match v {
            Value::Variant(name, _) => Ok(name.clone()),
            Value::Mem(val) => {
                let ty_name = self.type_name(val);
                let (_, view) = self.autoderef(val.clone(), at)?;
                match view {
                    View::Fields(Fields {
                        label,
                        variant: true,
                        ..
                    }) => Ok(label),
                    _ => Err(EvalError::invalid(at, format!("{ty_name} is not an {of}"))),
                }
            }
            other => Err(EvalError::invalid(
                at,
                format!("{} is not an {of}", self.describe(other)),
            )),
        }
    }

    /// The result as a value the server can hand out with a handle.
    pub fn into_val(&self, v: Value, at: usize) -> Result<Val, EvalError> {
        match v {
            Value::Mem(v) => Ok(v),
            Value::Num(s) => {
                let (enc, size) = s.layout();
                let ty = synth::base(self.dbg, &s.type_name(), enc, size);
                Ok(Val::new(Place::Bytes(s.bytes()), Some(ty)))
            }
            Value::Ptr {
                addr,
                pointee,
                name,
            } => {
                let ty = synth::pointer(self.dbg, &name, pointee);
                Ok(Val::new(
                    Place::Bytes(addr.to_le_bytes().to_vec()),
                    Some(ty),
                ))
            }
            other => Err(EvalError::invalid(
                at,
                format!(
                    "{} is a literal, not a value of the crashed process",
                    self.describe(&other)
                ),
            )),
        }
    }
}

/// An error message from [`scalar`] at a position.
fn inv(at: usize) -> impl Fn(String) -> EvalError {
    move |m| EvalError::invalid(at, m)
}
