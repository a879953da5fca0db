//! Why a value cannot be shown: typed until the edge, where the preview
//! writer (and the protocol's error text) renders it as `<optimized out>`,
//! `<unreadable memory at 0x…>` and the rest.

use crate::memory::process::ReadError;

/// A value, or part of one, that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("<optimized out>")]
    OptimizedOut,
    #[error("<unreadable memory at {0:#x}>")]
    Unreadable(u64),
    #[error("<read of {0} bytes refused>")]
    ReadTooLarge(u64),
    #[error("<not in the {0}>")]
    NotSaved(&'static str),
    #[error("<no debug info>")]
    NoDebugInfo,
    #[error("<malformed DWARF: {0}>")]
    Dwarf(String),
    #[error("<value too short>")]
    TooShort,
    #[error("<length {0} looks corrupt>")]
    CorruptLength(u64),
    #[error("<B-tree height {0} looks corrupt>")]
    CorruptTreeHeight(u64),
    #[error("<B-tree node of {0} keys looks corrupt>")]
    CorruptTreeNode(u64),
    #[error("<invalid enum discriminant>")]
    InvalidDiscriminant,
    #[error("<dyn value with unknown vtable {0:#x}>")]
    UnknownVtable(u64),
    #[error("value nested too deeply to fetch (a cycle?)")]
    NestedTooDeeply,
    #[error("value too large to fetch ({0} elements)")]
    TooManyElements(u64),
    #[error("string of {0} bytes too large to fetch")]
    StringTooLarge(u64),
    #[error("null pointer")]
    NullPointer,
    #[error("invalid char {0:#x}")]
    InvalidChar(u32),
}

impl From<ReadError> for Unavailable {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Unreadable(a) => Unavailable::Unreadable(a),
            ReadError::TooLarge(n) => Unavailable::ReadTooLarge(n),
            ReadError::NotSaved(_, what) => Unavailable::NotSaved(what),
        }
    }
}

impl From<gimli::Error> for Unavailable {
    fn from(e: gimli::Error) -> Self {
        Unavailable::Dwarf(e.to_string())
    }
}
