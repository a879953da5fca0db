//! `wire`: the protocol between a crashed program's agent and the debugger.
//!
//! It owns the message types ([`message`]), the length-prefixed MessagePack
//! framing ([`frame`]), the [`Transport`] trait with its local-socket and
//! in-memory implementations and a child process's stdio ([`child`]: `ssh HOST pmdb bridge`), where sockets live ([`socket`]), how a running program's agent is asked for a snapshot ([`snapshot`]), and the blocking
//! client [`Session`] with its [`RemoteValue`] proxies and path expressions
//! ([`path`]). Both sides depend on this crate and nothing else of each other.

pub mod child;
pub mod error;
pub mod frame;
pub mod message;
pub mod path;
pub mod remote;
pub mod session;
pub mod snapshot;
pub mod socket;
pub mod transport;

pub use child::ChildTransport;
pub use error::{Error, ErrorKind, RemoteError, caret};
pub use message::*;
pub use remote::{Frame, RemoteValue, Task, TaskList, Traceback};
pub use session::{FirstScreen, Session, Target, Traffic};
pub use transport::{MemoryTransport, StreamTransport, Transport};
