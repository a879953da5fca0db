//! The expression language, evaluated in the engine against the frozen
//! memory: read-only (never a call into the program, never a write), every
//! error pointing at its column.
//!
//! - [`lexer`] and [`parser`]: Rust's expression syntax (literals, paths,
//!   fields, indexes, slices, methods, closures, operators, `as`).
//! - [`scalar`]: checked arithmetic, comparisons and casts.
//! - [`value`]: the evaluator over [`Val`]s, the same views the tree shows.
//! - [`filter`]: `.filter(|a| …)` over sequences and maps, with a compiled
//!   fast path that scans a contiguous sequence in bulk reads.
//! - [`synth`]: the types computed values need.

pub mod error;
pub mod filter;
pub mod lexer;
pub mod parser;
pub mod scalar;
pub mod synth;
pub mod value;

pub use error::EvalError;

use crate::dwarf::debuginfo::DebugInfo;
use crate::values::views::Val;

/// Evaluates `expr` where `local` finds the frame's variables by name,
/// giving a value of the crashed process (lazy: its children are read only
/// when asked) or a computed one.
pub fn evaluate(
    dbg: &DebugInfo,
    local: &dyn Fn(&str) -> Option<Val>,
    expr: &str,
) -> Result<Val, EvalError> {
    let ast = parser::parse(expr)?;
    let mut cx = value::Cx::new(dbg, local);
    let v = cx.eval(&ast)?;
    cx.into_val(v, ast.at)
}
