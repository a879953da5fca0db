//! Errors of the wire layer: transport failures, malformed frames, and errors
//! the agent reported for a request.

use serde::{Deserialize, Serialize};

/// What went wrong, as the agent reports it in an error reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// The request could not be decoded or is not understood.
    BadRequest,
    /// Client and agent speak different protocol versions.
    VersionMismatch,
    /// A handle that the agent never issued, or that was released.
    UnknownHandle,
    /// A thread, frame, variable or member that does not exist.
    NotFound,
    /// The value cannot be produced (unreadable memory, no debug info, …).
    Unavailable,
    /// A failure inside the agent; the debuggee is unaffected.
    Internal,
    /// The client may not attach: it runs as another user (and not as root).
    PermissionDenied,
    /// The agent already serves as many connections as it allows.
    Busy,
    /// The client sent no request for the agent's per-connection timeout.
    TimedOut,
}

/// An error reply from the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct RemoteError {
    pub kind: ErrorKind,
    pub message: String,
    /// For an error about an expression ([`crate::Request::Eval`]): the
    /// 1-based column (in characters) it points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl RemoteError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        RemoteError {
            kind,
            message: message.into(),
            column: None,
        }
    }

    /// An error about an expression, pointing at `column` (1-based).
    pub fn at_column(kind: ErrorKind, message: impl Into<String>, column: u32) -> Self {
        RemoteError {
            column: Some(column),
            ..RemoteError::new(kind, message)
        }
    }
}

/// Every error the wire crate returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("the peer closed the connection")]
    Closed,
    #[error("frame of {len} bytes exceeds the maximum of {max}")]
    FrameTooLarge { len: usize, max: usize },
    /// A request the agent would refuse unread (an expression of 100,000
    /// characters): not sent, so the connection stays usable.
    #[error(
        "a request of {len} bytes is more than the agent takes ({max} bytes); nothing was sent"
    )]
    RequestTooLarge { len: usize, max: usize },
    #[error("malformed message: {0}")]
    Decode(String),
    #[error("cannot encode message: {0}")]
    Encode(String),
    #[error("protocol version mismatch: we speak {ours}, the agent speaks {theirs}")]
    VersionMismatch { ours: u32, theirs: u32 },
    #[error("the agent replied to request {got}, expected {expected}")]
    OutOfOrder { expected: u64, got: u64 },
    #[error("unexpected reply: {0}")]
    UnexpectedReply(String),
    #[error("no crashed process is waiting for a debugger in {dir}")]
    NoTarget { dir: String },
    #[error("{0}")]
    Remote(#[from] RemoteError),
    #[error("bad path expression {expr:?}: {reason}")]
    BadPath { expr: String, reason: String },
    /// An expression the agent refused or could not evaluate, pointing at
    /// its column (1-based, in characters); [`Error::caret`] draws it.
    #[error("{message} (column {column})")]
    Expression {
        expr: String,
        column: u32,
        message: String,
        kind: ErrorKind,
    },
    #[error("{0}")]
    NotFound(String),
    /// The command carrying the session (`ssh …`, `kubectl exec …`) could
    /// not start, or ended; `reason` is what it said on stderr, or its status.
    #[error("{command}: {reason}")]
    Command { command: String, reason: String },
    /// The agent does not answer [`crate::Request::Source`]: it predates it.
    #[error("no copy of the source is available: the agent does not serve source text ({0})")]
    NoSourceService(String),
    /// The agent does not answer [`crate::Request::Waits`]: it predates it.
    #[error("why it is stuck is not supported by this agent ({0})")]
    NoWaitsService(String),
    /// The agent predates `Request::SaveCore`.
    #[error("this agent cannot write cores: it is older than this pmdb")]
    NoSaveService(String),
    /// The agent does not answer [`crate::Request::Registers`]: it predates it.
    #[error("registers are not told by this agent ({0})")]
    NoRegistersService(String),
    /// An `--ssh` destination or `--via` command that cannot be used.
    #[error("{0}")]
    BadRemote(String),
}

impl Error {
    /// The agent's error kind, when this error is an error reply.
    pub fn remote_kind(&self) -> Option<ErrorKind> {
        match self {
            Error::Remote(e) => Some(e.kind),
            Error::Expression { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// For an expression error: the expression and a caret under the
    /// column it points at, each line indented by `indent` spaces.
    pub fn caret(&self, indent: usize) -> Option<String> {
        match self {
            Error::Expression { expr, column, .. } => Some(caret(expr, *column, indent)),
            _ => None,
        }
    }
}

/// `expr`, then a caret under column `column` (1-based, in characters).
pub fn caret(expr: &str, column: u32, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let under = " ".repeat(column.saturating_sub(1) as usize);
    format!("{pad}{expr}\n{pad}{under}^")
}
