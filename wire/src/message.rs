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

/// A thread id that names *the crashed thread* in [`Request::Traceback`] and
/// in [`FrameId::thread`], so a client can ask for the crashed thread's
/// traceback and locals in the same pipelined batch as the crash record,
/// before it knows the thread's real id (no real thread has id 0: ids are
/// kernel thread ids).
///
/// Agent side: `Traceback { thread: CRASHED_THREAD }` answers exactly as
/// `Traceback { thread: crash.thread }` would, with the frames' `id.thread`
/// set to the *real* id; `Locals { frame }` with `frame.thread ==
/// CRASHED_THREAD` likewise. An agent that predates this answers `NotFound`
/// ("no thread 0"), and the client falls back to asking in sequence.
pub const CRASHED_THREAD: u64 = 0;

/// A frame index that names *the crashed frame* of a thread in
/// [`Request::Locals`]: its innermost frame whose `runtime` flag is false in
/// the traceback the agent serves (frame 0 when every frame is runtime) —
/// the frame a debugger selects first.
///
/// Agent side: `Locals { frame: FrameId { thread, index: CRASHED_FRAME } }`
/// answers as `Locals` of that frame would. An older agent answers
/// `NotFound` ("no frame 4294967295").
pub const CRASHED_FRAME: u32 = u32::MAX;

impl FrameId {
    /// The crashed thread's crashed frame (see [`CRASHED_THREAD`], [`CRASHED_FRAME`]).
    pub const CRASHED: FrameId = FrameId {
        thread: CRASHED_THREAD,
        index: CRASHED_FRAME,
    };
}

/// Most source lines one [`Request::Source`] reply carries.
pub const MAX_SOURCE_LINES: u32 = 20_000;

/// Most bytes of source text (the lines' bytes plus one per line break) one
/// [`Request::Source`] reply carries.
pub const MAX_SOURCE_BYTES: u32 = 512 << 10;

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
    /// Lines of a source file that the program's own line tables name, so
    /// the source travels with the crash to a debugger on another machine.
    ///
    /// **Agent side, exactly:**
    /// - `path` must equal, byte for byte, a file name as the agent spells it
    ///   in [`FrameInfo::file`] and [`CrashInfo::file`]: an entry of the
    ///   line-number program (file table) of a compile unit of the executable
    ///   or of a loaded shared object, joined with its include directory the
    ///   same way. Any other path, however it is spelled (`..`, symlinks,
    ///   absolute or not), is refused with `NotFound` and the message
    ///   `"<path> is not a source file of this program"`, and nothing is
    ///   opened. To open a relative name the agent resolves it against its
    ///   unit's `DW_AT_comp_dir`, never against the agent's working directory.
    /// - Lines are numbered from 1. The reply holds the lines `first_line ..=
    ///   last_line` that exist (a range past the end gives no lines, not an
    ///   error), stopping early — with [`SourceText::truncated`] set — before
    ///   the line that would make more than [`MAX_SOURCE_LINES`] lines or more
    ///   than [`MAX_SOURCE_BYTES`] bytes (each line's bytes plus one for its
    ///   break). `first_line == 0` or `last_line < first_line` is
    ///   `BadRequest`. `first_line` in the reply is the one asked.
    /// - Each line is sent without its terminator (`\n`, or `\r\n`); bytes
    ///   that are not UTF-8 are replaced with U+FFFD. `total_lines` is the
    ///   whole file's line count. The file is read as a stream: the agent
    ///   never holds more of it than the reply.
    /// - A named file that cannot be read on the crashed machine (deleted,
    ///   no permission, not a regular file) is `Unavailable` with the
    ///   message `"<path>: <io error>"`.
    /// - The reply is [`Response::Source`].
    ///
    /// An agent that predates this request cannot decode it and answers
    /// `BadRequest` (with id 0); so does today's agent, explicitly. The
    /// client then reports that no copy of the source is available.
    Source {
        path: String,
        first_line: u32,
        last_line: u32,
    },
    /// Every async task of every tokio runtime in the process, each with
    /// its chain of awaited futures as frames (innermost first) and the
    /// locals each holds across its await. The reply is [`Response::Tasks`].
    Tasks,
    /// Evaluates an expression of pmdb's read-only language in a frame
    /// (paths, arithmetic, comparisons, `len()`, slices, map keys, casts,
    /// `&x`, `*p`, filters). The reply is [`Response::Values`] with one
    /// value named `expr`, with a handle like any other; an expression the
    /// agent refuses or cannot evaluate is an error reply whose
    /// [`RemoteError::column`] points into `expr` (1-based, in characters).
    ///
    /// An agent that predates this request cannot decode it and answers
    /// `BadRequest` (id 0) without a column; the client then walks the
    /// path itself, as it did before.
    Eval { frame: FrameId, expr: String },
    /// Why each thread and task is stuck: what each waits on (the lock,
    /// its address, how the frames reach it), who holds it where memory
    /// tells, and the cycles among them (deadlocks). The reply is
    /// [`Response::Waits`].
    ///
    /// An agent that predates this request cannot decode it and answers
    /// `BadRequest` (id 0); the client says the agent does not tell
    /// ([`crate::Error::NoWaitsService`]).
    Waits,
    /// Writes a core of the process as it stands (as gdb's `gcore` does) to
    /// `path`, an absolute path on the machine the process runs on, created
    /// or truncated, mode 0600: every thread's registers, the writable and
    /// anonymous memory, the mapped files, the auxiliary vector and pmdb's
    /// crash record. The reply is [`Response::Saved`]; a file that cannot
    /// be written is an `Unavailable` error reply saying why in one line.
    ///
    /// An agent that predates this request cannot decode it and answers
    /// `BadRequest` (id 0); the client says the agent cannot write cores
    /// ([`crate::Error::NoSaveService`]).
    SaveCore { path: String },
    /// The registers of one frame as the unwinder knows them: the
    /// innermost machine frame's as captured, a caller's as its unwind
    /// rules recover them (the callee-saved ones, the stack and instruction
    /// pointers); every other one unknown, never guessed. An inlined frame
    /// shares its machine frame's. The reply is [`Response::Registers`].
    ///
    /// An agent that predates this request cannot decode it and answers
    /// `BadRequest` (id 0); the client says the agent does not tell
    /// ([`crate::Error::NoRegistersService`]).
    Registers { frame: FrameId },
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
    /// Lines of a source file ([`Request::Source`]).
    Source(SourceText),
    /// The async tasks ([`Request::Tasks`]).
    Tasks(Tasks),
    /// Why threads and tasks are stuck ([`Request::Waits`]).
    Waits(Waits),
    /// The core written ([`Request::SaveCore`]).
    Saved(SavedCore),
    /// A frame's registers ([`Request::Registers`]).
    Registers(Vec<Register>),
    Ok,
    Error(RemoteError),
}

/// A core written on request ([`Request::SaveCore`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCore {
    /// Where it was written.
    pub path: String,
    /// The file's length (its apparent size: pages of zeros are holes).
    pub bytes: u64,
    /// Threads whose registers it holds.
    pub threads: u32,
    /// The process it is a core of.
    pub pid: u32,
}

/// The async tasks of the crashed process ([`Request::Tasks`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tasks {
    /// Each task of each runtime found, in list order.
    pub tasks: Vec<TaskInfo>,
    /// Why tasks could not be listed, in one line (`"tasks unavailable:
    /// tokio 1.x layout not recognised"`); `None` when the list is whole
    /// (empty when the process runs no tokio runtime).
    pub unavailable: Option<String>,
}

/// One async task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// The runtime's task id (`tokio::task::Id`).
    pub id: u64,
    /// `idle`, `notified`, `running`, `complete` or `cancelled`.
    pub state: String,
    /// The awaited futures, innermost first: each the async fn (or block)
    /// suspended at an await, with the locals held across it.
    pub frames: Vec<TaskFrame>,
}

/// One future of a task's chain, in the shape of a thread's frame: its
/// locals (those held across the await) come on request, as a thread
/// frame's do ([`Request::Locals`] with this frame's id, whose `thread` is
/// [`TASK_FRAMES`] plus the task's position in the list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFrame {
    pub info: FrameInfo,
}

/// One register of a frame ([`Request::Registers`]): its name as the
/// architecture's manuals spell it (`rip`, `rsp`, `rax`, `r8`), and its
/// value where the unwinder knows it in that frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    pub name: String,
    pub value: Option<u64>,
}

/// Why the threads and tasks of a process are stuck ([`Request::Waits`]).
/// Every field has a default, so a peer with fewer fields still decodes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Waits {
    /// Each thread found waiting, in thread order.
    #[serde(default)]
    pub threads: Vec<ThreadWait>,
    /// Each idle task found waiting, in task-list order.
    #[serde(default)]
    pub tasks: Vec<TaskWait>,
    /// Each cycle of the wait-for graph: every member waits for the next,
    /// the last for the first.
    #[serde(default)]
    pub deadlocks: Vec<Deadlock>,
    /// Why tasks' waits are missing (the task list is unavailable).
    #[serde(default)]
    pub tasks_unavailable: Option<String>,
}

/// A thread and what it waits on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadWait {
    pub thread: u64,
    pub wait: Wait,
}

/// A task (by its id, [`TaskInfo::id`]) and what it waits on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskWait {
    pub task: u64,
    pub wait: Wait,
}

/// What a thread or task waits on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Wait {
    #[serde(default)]
    pub kind: WaitKind,
    /// The lock (or channel, timer…) as a Rust programmer names its type:
    /// `Mutex<Account>`, `parking_lot::RwLock<BTreeMap<u32, usize>>`.
    #[serde(default)]
    pub what: String,
    /// Its address, where the frames or registers tell.
    #[serde(default)]
    pub address: Option<u64>,
    /// How the frames reach it: `` `to` in demo::transfer ``, `` `self.stats` in
    /// demo::Service::reload ``, `static demo::QUEUE`.
    #[serde(default)]
    pub reached_as: Option<String>,
    /// The frame (thread frame index, or task frame index) that reaches it.
    #[serde(default)]
    pub frame: Option<u32>,
    /// Whom it waits for: each thread or task whose frames hold a guard of
    /// the lock, the thread joined, the task awaited, the initialiser of
    /// a `Once`. Empty when memory does not tell (see `no_holder`).
    #[serde(default)]
    pub held_by: Vec<Holder>,
    /// Why no holder is named, for a wait that has one (a lock no frame
    /// holds a guard of).
    #[serde(default)]
    pub no_holder: Option<String>,
    /// More about the wait, in a few words: the Condvar's mutex, time left
    /// of a sleep, senders alive.
    #[serde(default)]
    pub detail: Option<String>,
}

/// A kind of wait. Unknown kinds (from a newer peer) decode as `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitKind {
    Mutex,
    RwLockRead,
    RwLockWrite,
    Condvar,
    Once,
    Join,
    ChannelRecv,
    Park,
    Sleep,
    ParkingLotMutex,
    ParkingLotRwLockRead,
    ParkingLotRwLockWrite,
    TokioMutex,
    TokioRwLockRead,
    TokioRwLockWrite,
    TokioSemaphore,
    TokioNotify,
    TokioMpscRecv,
    TokioOneshotRecv,
    TokioSleep,
    TokioJoin,
    TokioIo,
    #[default]
    #[serde(other)]
    Other,
}

impl WaitKind {
    /// Whether the wait is for something a holder gives back (a lock, a
    /// thread's or task's end, an initialisation): such waits can make a
    /// deadlock, and "held by no frame" is worth saying.
    pub fn has_holder(self) -> bool {
        use WaitKind::*;
        matches!(
            self,
            Mutex
                | RwLockRead
                | RwLockWrite
                | Once
                | Join
                | ParkingLotMutex
                | ParkingLotRwLockRead
                | ParkingLotRwLockWrite
                | TokioMutex
                | TokioRwLockRead
                | TokioRwLockWrite
                | TokioJoin
        )
    }
}

/// A thread or a task: a node of the wait-for graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Waiter {
    Thread(u64),
    Task(u64),
}

/// Who holds what another waits for, and where its frames show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub who: Waiter,
    /// The guard (or handle) as its frames name it: `` `source` in
    /// demo::transfer ``; `None` when the holder is known otherwise (the
    /// joined thread).
    #[serde(default)]
    pub guard: Option<String>,
}

/// A cycle of the wait-for graph: `members[i]` waits for something
/// `members[i + 1]` holds (the last for the first's).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Deadlock {
    #[serde(default)]
    pub members: Vec<Waiter>,
}

/// Frame ids of task frames: `thread` is this bit plus the task's position
/// in [`Tasks::tasks`] (no thread id has it).
pub const TASK_FRAMES: u64 = 1 << 63;

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

/// Lines of a source file as the crashed machine has it ([`Request::Source`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceText {
    /// The path as asked.
    pub path: String,
    /// The number of `lines[0]` (1-based); the asked `first_line`.
    pub first_line: u32,
    pub lines: Vec<String>,
    /// How many lines the whole file has.
    pub total_lines: u32,
    /// The range was cut short by [`MAX_SOURCE_LINES`] or [`MAX_SOURCE_BYTES`].
    pub truncated: bool,
    /// The lines come from the crash file (a small core carries the lines
    /// around its frames), not from a file on the crashed machine: only
    /// those it carries, so `first_line` may be past the one asked.
    #[serde(default)]
    pub carried: bool,
}

/// The agent's side of the hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub version: u32,
    pub pid: u32,
    pub program: String,
    /// What the agent could not use and the user should hear of, a line
    /// each (a views file that does not parse, and why).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// How the program died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrashKind {
    Panic,
    Signal,
    /// No crash: a snapshot of a running process ([`CrashInfo::taken_by`]
    /// says how it was taken).
    Snapshot,
}

/// How a snapshot of a running process was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TakenBy {
    /// pmdb stopped every thread through ptrace and read the process from outside.
    Ptrace,
    /// The program's own agent froze its threads and served the snapshot.
    Agent,
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
    /// For a [`CrashKind::Snapshot`], how it was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_by: Option<TakenBy>,
    /// For a fatal signal, what it most likely means, in one line (`null
    /// pointer dereference at offset 0x18`, `stack overflow: …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<String>,
}

/// One thread of the crashed process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadInfo {
    pub id: u64,
    pub name: String,
    pub crashed: bool,
    /// What the thread was doing when it was stopped, where the host knows
    /// (a live snapshot does; a crash's record does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ThreadState>,
}

/// What a thread was doing when a snapshot stopped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThreadState {
    /// In its own code: on a CPU, or ready to run.
    Running,
    /// Waiting inside a system call, named as the kernel names it
    /// (`futex`, `read`, `epoll_wait`, `nanosleep`, or `syscall 451`).
    Blocked { syscall: String },
    /// Stopped by job control (`SIGSTOP`, `SIGTSTP`, …); it stays stopped.
    Stopped { signal: String },
}

impl ThreadState {
    /// The one word scripts match on: `running`, `blocked` or `stopped`.
    pub fn kind(&self) -> &'static str {
        match self {
            ThreadState::Running => "running",
            ThreadState::Blocked { .. } => "blocked",
            ThreadState::Stopped { .. } => "stopped",
        }
    }

    /// The system call a blocked thread waits in.
    pub fn syscall(&self) -> Option<&str> {
        match self {
            ThreadState::Blocked { syscall } => Some(syscall),
            _ => None,
        }
    }
}

impl std::fmt::Display for ThreadState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ThreadState::Running => f.write_str("running"),
            ThreadState::Blocked { syscall } => write!(f, "blocked in {syscall}"),
            ThreadState::Stopped { signal } => write!(f, "stopped by {signal}"),
        }
    }
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
    /// A local hidden by a later binding of the same name (listed right
    /// after the visible one, innermost first); a path names the visible one.
    #[serde(default)]
    pub shadowed: bool,
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
