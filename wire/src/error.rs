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
}

impl RemoteError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        RemoteError {
            kind,
            message: message.into(),
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
    #[error("{0}")]
    NotFound(String),
    /// The command carrying the session (`ssh …`, `kubectl exec …`) could
    /// not start, or ended; `reason` is what it said on stderr, or its status.
    #[error("{command}: {reason}")]
    Command { command: String, reason: String },
    /// The agent does not answer [`crate::Request::Source`]: it predates it.
    #[error("no copy of the source is available: the agent does not serve source text ({0})")]
    NoSourceService(String),
    /// An `--ssh` destination or `--via` command that cannot be used.
    #[error("{0}")]
    BadRemote(String),
}

impl Error {
    /// The agent's error kind, when this error is an error reply.
    pub fn remote_kind(&self) -> Option<ErrorKind> {
        match self {
            Error::Remote(e) => Some(e.kind),
            _ => None,
        }
    }
}
