//! Errors of the expression language: what went wrong and where, as a byte
//! offset into the expression (turned into a 1-based column for people).

use crate::memory::unavailable::Unavailable;

/// Why an expression was refused or could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The text is not an expression of the language.
    #[error("{message}")]
    Syntax { at: usize, message: String },
    /// A name, field, element or key that does not exist.
    #[error("{message}")]
    NotFound { at: usize, message: String },
    /// An operation the operands do not support (adding a struct, a filter
    /// over a number, overflow, division by zero).
    #[error("{message}")]
    Invalid { at: usize, message: String },
    /// The crashed process's memory or debug info cannot give the value.
    #[error("{message}")]
    Unavailable { at: usize, message: String },
}

impl EvalError {
    pub fn syntax(at: usize, message: impl Into<String>) -> EvalError {
        EvalError::Syntax {
            at,
            message: message.into(),
        }
    }

    pub fn not_found(at: usize, message: impl Into<String>) -> EvalError {
        EvalError::NotFound {
            at,
            message: message.into(),
        }
    }

    pub fn invalid(at: usize, message: impl Into<String>) -> EvalError {
        EvalError::Invalid {
            at,
            message: message.into(),
        }
    }

    pub fn unavailable(at: usize, why: impl std::fmt::Display) -> EvalError {
        EvalError::Unavailable {
            at,
            message: why.to_string(),
        }
    }

    /// The byte offset the error points at.
    pub fn at(&self) -> usize {
        match self {
            EvalError::Syntax { at, .. }
            | EvalError::NotFound { at, .. }
            | EvalError::Invalid { at, .. }
            | EvalError::Unavailable { at, .. } => *at,
        }
    }

    /// The 1-based column (in characters) the error points at in `expr`.
    pub fn column(&self, expr: &str) -> u32 {
        let at = self.at().min(expr.len());
        let at = (0..=at)
            .rev()
            .find(|i| expr.is_char_boundary(*i))
            .unwrap_or(0);
        expr[..at].chars().count() as u32 + 1
    }
}

/// A reason a value cannot be read, at a place in the expression.
pub fn unavailable(at: usize) -> impl Fn(Unavailable) -> EvalError {
    move |why| EvalError::unavailable(at, why)
}
