//! The view model: a typed value of the frozen process ([`Val`]) and what it
//! is to a Rust programmer ([`View`]): a scalar, a string, a sequence with a
//! length, a pointer with a pointee, a struct, an enum's active variant, a
//! container walked through its storage, a std wrapper. Each of those
//! shapes says every answer a client gets about a value of it
//! ([`Shown`], in [`shapes`](crate::values::shapes)); which view a value
//! has is decided in [`families`](crate::values::families).

use std::sync::Arc;

use crate::dwarf::debuginfo::{DebugInfo, DieRef};
use crate::dwarf::types::{self, Encoding, Kind, Type};
use crate::memory::place::Place;
use crate::memory::unavailable::Unavailable;
use crate::values::picked::Picked;
use crate::values::render::Shown;
use crate::values::shapes::{
    Array, Bytes, CEnum, Entry, Fields, Function, Items, Pointer, Scalar, Seq, Str, Wrapper,
};
use crate::values::unsized_views::Meta;

/// A typed value in the frozen process.
#[derive(Debug, Clone)]
pub struct Val {
    pub place: Place,
    pub ty: Option<DieRef>,
    /// Set for a map entry, which has no place of its own: (key, value).
    pub entry: Option<Box<(Val, Val)>>,
    /// Set for an unsized value: what its pointer said about its size.
    pub meta: Option<Meta>,
    /// Set for an expression's result made of picked items (a filter's
    /// matches), which has no place of its own either.
    pub picked: Option<Arc<Picked>>,
}

impl Val {
    pub fn new(place: Place, ty: Option<DieRef>) -> Val {
        Val {
            place,
            ty,
            entry: None,
            meta: None,
            picked: None,
        }
    }

    /// An unsized value: a slice, a `str`, or a custom DST.
    pub fn with_meta(place: Place, ty: Option<DieRef>, meta: Meta) -> Val {
        Val {
            place,
            ty,
            entry: None,
            meta: Some(meta),
            picked: None,
        }
    }

    /// A map entry made of its key and value.
    pub fn entry(key: Val, value: Val) -> Val {
        Val {
            place: Place::Bytes(Vec::new()),
            ty: None,
            entry: Some(Box::new((key, value))),
            meta: None,
            picked: None,
        }
    }
}

/// What a value is: one of the shapes, each with its own way of being shown.
#[derive(Debug, Clone)]
pub enum View {
    Scalar(Scalar),
    Str(Str),
    Bytes(Bytes),
    Seq(Seq),
    Array(Array),
    Pointer(Pointer),
    Fields(Fields),
    CEnum(CEnum),
    Function(Function),
    Items(Items),
    Wrapper(Wrapper),
    Entry(Entry),
    /// The value cannot be shown; the text says why.
    Error(Unavailable),
    /// A view a family shows its own way.
    Own(Arc<dyn Shown>),
}

impl View {
    /// How this view is shown: the one place its shape is told apart.
    pub fn shown(&self) -> &dyn Shown {
        match self {
            View::Scalar(s) => s,
            View::Str(s) => s,
            View::Bytes(s) => s,
            View::Seq(s) => s,
            View::Array(s) => s,
            View::Pointer(s) => s,
            View::Fields(s) => s,
            View::CEnum(s) => s,
            View::Function(s) => s,
            View::Items(s) => s,
            View::Wrapper(s) => s,
            View::Entry(s) => s,
            View::Error(s) => s,
            View::Own(s) => s.as_ref(),
        }
    }
}

/// Upper bound on any length the agent believes (2^32 elements); above it the
/// length is reported as corrupt instead of being used.
pub const MAX_LEN: u64 = 1 << 32;

/// `view`, unless `len` is past [`MAX_LEN`]: then the length is corrupt.
pub fn checked(len: u64, view: View) -> View {
    if len > MAX_LEN {
        View::Error(Unavailable::CorruptLength(len))
    } else {
        view
    }
}

/// The value's type, or a placeholder when it has none.
pub fn type_of(dbg: &DebugInfo, v: &Val) -> Arc<Type> {
    match v.ty {
        Some(t) => types::get(dbg, t),
        None => Arc::new(Type {
            name: "()".into(),
            size: 0,
            kind: Kind::Base(Encoding::Unit),
            params: Vec::new(),
        }),
    }
}
