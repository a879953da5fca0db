//! What the adapter's loop reacts to, on one channel: the editor's messages
//! and what happens around the session (a launched program's output, its
//! crash and its end, a crash appearing for `waitFor`).

use std::path::PathBuf;

use super::protocol::{FrameError, Request};

/// What the adapter's loop reacts to.
pub enum Input {
    /// A message from the editor (or why one could not be read).
    Message(Result<Request, FrameError>),
    /// The editor closed our stdin.
    End,
    /// A crashed process serves on this socket (launch, `waitFor`).
    Crashed(PathBuf),
    /// The launched program ended with this status (128 + signal if killed).
    Exited(i32),
    /// A line the launched program wrote.
    Output {
        category: &'static str,
        text: String,
    },
}
