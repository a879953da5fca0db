//! The messages: requests the debugger sends, replies the agent returns, and
//! the shapes they carry (crash record, threads, frames, values).
//!
//! Copy rules: primitives and short strings travel by value inside a
//! [`ValueInfo`]'s preview; anything with inside structure travels as a
//! [`Handle`] plus its shape, and its members come on request, in pages.

use serde::{Deserialize, Serialize};

use crate::RemoteError;

/// The protocol version; the hello exchange refuses a mismatch.
pub const PROTOCOL_VERSION: u32 = 1;

/// An opaque reference to a value held by the agent.
pub type Handle = u64;

/// A request or reply with the id that pairs them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub id: u64,
    pub body: T,
}

/// Identifies one frame of one thread's traceback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrameId {
    pub thread: u64,
    pub index: u32,
}

/// What the debugger asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// First request on every connection.
    Hello { version: u32, client: String },
    /// The crash record.
    Crash,
    /// Every known thread.
    Threads,
    /// Every crash record: the one served first, then any that happened
    /// while it was being served.
    Crashes,
    /// The frames of one thread, innermost first.
    Traceback { thread: u64 },
    /// The locals and arguments of one frame.
    Locals { frame: FrameId },
    /// A page of a value's children.
    Children {
        value: Handle,
        start: u64,
        count: u64,
    },
    /// A `static` by name (qualified, or its last segments when unambiguous).
    Static { name: String },
    /// The whole value, as MessagePack a local serde type can decode.
    Fetch { value: Handle },
    /// Counters of the agent's own work, for benchmarks and regression checks.
    Stats,
    /// Let the crashed program go on (its usual panic output and exit follow).
    Resume,
    /// End the crashed program now, with its usual panic output and status.
    Kill,
}

/// What the agent answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    Hello(Hello),
    Crash(CrashInfo),
    Threads(Vec<ThreadInfo>),
    Crashes(Vec<CrashInfo>),
    Traceback(Vec<FrameInfo>),
    /// Locals of a frame or a page of children.
    Values(Page),
    /// A fully transferred value, MessagePack-encoded.
    Fetched(#[serde(with = "bytes")] Vec<u8>),
    Stats(AgentStats),
    Ok,
    Error(RemoteError),
}

/// What the agent has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AgentStats {
    /// Bytes read from the debuggee's memory.
    pub bytes_read: u64,
    /// Compile units whose DWARF was parsed.
    pub units_parsed: u64,
    /// Requests answered.
    pub requests: u64,
}

/// The agent's side of the hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub version: u32,
    pub pid: u32,
    pub program: String,
}

/// How the program died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrashKind {
    Panic,
    Signal,
}

/// The crash record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashInfo {
    pub kind: CrashKind,
    /// The panic message, or the signal described (`SIGSEGV … at 0x0`).
    pub message: String,
    /// The panic payload's type (`&str`, `String`, or `Box<dyn Any>`).
    pub payload_type: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The crashed thread's id (as in [`ThreadInfo::id`]).
    pub thread: u64,
    pub thread_name: String,
    pub pid: u32,
    pub program: String,
    /// Seconds since the Unix epoch when the crash happened.
    pub time: u64,
}

/// One thread of the crashed process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadInfo {
    pub id: u64,
    pub name: String,
    pub crashed: bool,
}

/// One frame of a traceback (inlined calls are frames of their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameInfo {
    pub id: FrameId,
    /// Demangled, without the hash.
    pub function: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The instruction address this frame is at.
    pub pc: u64,
    /// An inlined call, sharing the machine frame of its caller.
    pub inlined: bool,
    /// Panic machinery, unwinding, the agent: hidden by default.
    pub runtime: bool,
}

/// What a value is, so viewers know how to show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    Int,
    Float,
    Bool,
    Char,
    Unit,
    Str,
    Struct,
    Tuple,
    Array,
    Enum,
    Pointer,
    Sequence,
    Map,
    Function,
    /// The value could not be read; the preview says why.
    Error,
}

/// A value's shape: everything a viewer needs to draw it collapsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueInfo {
    /// The local's name, field name, `[i]` for elements, `*` for a pointee.
    pub name: String,
    /// The type as a Rust programmer writes it (`Vec<String>`, `&str`).
    pub type_name: String,
    pub kind: ValueKind,
    /// One line in `{:?}` style, bounded.
    pub preview: String,
    /// Number of elements, for containers.
    pub len: Option<u64>,
    /// Present when the value has children to ask for.
    pub handle: Option<Handle>,
    /// How many children [`Request::Children`] can return.
    pub child_count: u64,
}

/// A page of values: locals of a frame, or children from `start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub start: u64,
    pub total: u64,
    pub values: Vec<ValueInfo>,
}

/// Byte buffers as MessagePack `bin`, not as an array of integers.
mod bytes {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        d.deserialize_byte_buf(V)
    }
}
