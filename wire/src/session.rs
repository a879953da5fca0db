//! The blocking client: connect to a crashed process, ask for its crash
//! record, threads, tracebacks and locals, and walk values lazily through
//! [`RemoteValue`] proxies that fetch children only when asked.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;

use crate::message::*;
use crate::path::{self, Step};
use crate::{Error, ErrorKind, RemoteError, StreamTransport, Transport, frame, socket};

/// Which crashed process to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A pid, looked up in the socket directory.
    Pid(u32),
    /// A socket path.
    Socket(PathBuf),
}

impl From<u32> for Target {
    fn from(pid: u32) -> Self {
        Target::Pid(pid)
    }
}

impl From<PathBuf> for Target {
    fn from(path: PathBuf) -> Self {
        Target::Socket(path)
    }
}

impl From<&std::path::Path> for Target {
    fn from(path: &std::path::Path) -> Self {
        Target::Socket(path.to_path_buf())
    }
}

impl std::str::FromStr for Target {
    type Err = std::convert::Infallible;
    /// A number is a pid; anything else is a socket path.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.parse() {
            Ok(pid) => Target::Pid(pid),
            Err(_) => Target::Socket(PathBuf::from(s)),
        })
    }
}

struct Conn {
    transport: Box<dyn Transport>,
    next_id: u64,
    traffic: Traffic,
}

/// Bytes this session has put on the wire (message bodies plus the 4-byte
/// length of each frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Traffic {
    pub sent: u64,
    pub received: u64,
}

/// A connection to one crashed process. Cheap to clone; clones share the
/// connection, and requests are answered one at a time in order.
#[derive(Clone)]
pub struct Session {
    conn: Arc<Mutex<Conn>>,
    hello: Hello,
}

impl Session {
    /// Connects by pid (socket looked up in `PMDB_DIR`) or by socket path,
    /// and exchanges the hello.
    pub fn connect(target: impl Into<Target>) -> Result<Session, Error> {
        let path = match target.into() {
            Target::Pid(pid) => socket::socket_path(&socket::socket_dir(), pid),
            Target::Socket(path) => path,
        };
        let stream = socket::connect(&path)?;
        Session::over(Box::new(StreamTransport::new(stream)))
    }

    /// Starts a session over any transport (the in-memory pair in tests).
    pub fn over(transport: Box<dyn Transport>) -> Result<Session, Error> {
        let conn = Arc::new(Mutex::new(Conn {
            transport,
            next_id: 1,
            traffic: Traffic::default(),
        }));
        let mut session = Session {
            conn,
            hello: Hello {
                version: PROTOCOL_VERSION,
                pid: 0,
                program: String::new(),
            },
        };
        session.hello = session.greet()?;
        Ok(session)
    }

    /// The hello exchange on the current connection.
    fn greet(&self) -> Result<Hello, Error> {
        match self.request(Request::Hello {
            version: PROTOCOL_VERSION,
            client: format!("wire {}", env!("CARGO_PKG_VERSION")),
        })? {
            Response::Hello(h) if h.version == PROTOCOL_VERSION => Ok(h),
            Response::Hello(h) => Err(Error::VersionMismatch {
                ours: PROTOCOL_VERSION,
                theirs: h.version,
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// Replaces the connection under this session and every clone of it
    /// (frames and values hold clones), and exchanges the hello again: the
    /// agent closes a connection that stays silent, but handles belong to the
    /// crash, so everything already fetched stays valid.
    pub fn reconnect(&self, transport: Box<dyn Transport>) -> Result<(), Error> {
        self.conn
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .transport = transport;
        let hello = self.greet()?;
        if hello.pid != self.hello.pid {
            return Err(Error::UnexpectedReply(format!(
                "another process answered: pid {}, not {}",
                hello.pid, self.hello.pid
            )));
        }
        Ok(())
    }

    /// Whether `e` means the connection is gone (closed by the agent, or
    /// out of step after its timeout reply) rather than a refused request.
    pub fn lost(e: &Error) -> bool {
        matches!(e, Error::Closed | Error::Io(_) | Error::OutOfOrder { .. })
            || e.remote_kind() == Some(ErrorKind::TimedOut)
    }

    /// The agent's hello: pid, program, protocol version.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// Sends one request and waits for its reply; error replies become
    /// [`Error::Remote`].
    pub fn request(&self, body: Request) -> Result<Response, Error> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let id = conn.next_id;
        conn.next_id += 1;
        let bytes = frame::encode(&Envelope { id, body })?;
        conn.traffic.sent += 4 + bytes.len() as u64;
        conn.transport.send(&bytes)?;
        let bytes = conn.transport.recv()?;
        conn.traffic.received += 4 + bytes.len() as u64;
        let reply: Envelope<Response> = frame::decode(&bytes)?;
        if reply.id != id {
            return Err(Error::OutOfOrder {
                expected: id,
                got: reply.id,
            });
        }
        match reply.body {
            Response::Error(e) => Err(Error::Remote(e)),
            r => Ok(r),
        }
    }

    /// The crash record.
    pub fn crash(&self) -> Result<CrashInfo, Error> {
        match self.request(Request::Crash)? {
            Response::Crash(c) => Ok(c),
            other => Err(unexpected(&other)),
        }
    }

    /// Every crash record: the one being served first, then any that
    /// happened while it was being served.
    pub fn crashes(&self) -> Result<Vec<CrashInfo>, Error> {
        match self.request(Request::Crashes)? {
            Response::Crashes(c) => Ok(c),
            other => Err(unexpected(&other)),
        }
    }

    /// Every known thread.
    pub fn threads(&self) -> Result<Vec<ThreadInfo>, Error> {
        match self.request(Request::Threads)? {
            Response::Threads(t) => Ok(t),
            other => Err(unexpected(&other)),
        }
    }

    /// One thread's frames, innermost first.
    pub fn traceback(&self, thread: u64) -> Result<Traceback, Error> {
        match self.request(Request::Traceback { thread })? {
            Response::Traceback(frames) => Ok(Traceback {
                frames: frames
                    .into_iter()
                    .map(|info| Frame {
                        session: self.clone(),
                        info,
                    })
                    .collect(),
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// A `static` by name: qualified (`demo::collections::GREETING`) or by
    /// its last segments when unambiguous (`GREETING`).
    pub fn static_value(&self, name: &str) -> Result<RemoteValue, Error> {
        let page = self.page(Request::Static {
            name: name.to_string(),
        })?;
        self.values(page)
            .pop()
            .ok_or_else(|| Error::NotFound(format!("no static named {name:?}")))
    }

    /// Bytes sent and received so far on this session.
    pub fn traffic(&self) -> Traffic {
        self.conn.lock().unwrap_or_else(|p| p.into_inner()).traffic
    }

    /// The agent's counters (memory read, DWARF units parsed, requests).
    pub fn stats(&self) -> Result<AgentStats, Error> {
        match self.request(Request::Stats)? {
            Response::Stats(s) => Ok(s),
            other => Err(unexpected(&other)),
        }
    }

    /// Lets the crashed program go on to its usual end.
    pub fn resume(&self) -> Result<(), Error> {
        self.expect_ok(Request::Resume)
    }

    /// Ends the crashed program now, with its usual panic output and status.
    pub fn kill(&self) -> Result<(), Error> {
        self.expect_ok(Request::Kill)
    }

    fn expect_ok(&self, req: Request) -> Result<(), Error> {
        match self.request(req)? {
            Response::Ok => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    fn page(&self, req: Request) -> Result<Page, Error> {
        match self.request(req)? {
            Response::Values(p) => Ok(p),
            other => Err(unexpected(&other)),
        }
    }

    fn values(&self, page: Page) -> Vec<RemoteValue> {
        page.values
            .into_iter()
            .map(|info| RemoteValue {
                session: self.clone(),
                info,
            })
            .collect()
    }
}

fn unexpected(r: &Response) -> Error {
    let text = format!("{r:?}");
    Error::UnexpectedReply(text.chars().take(120).collect())
}

/// A thread's frames, innermost first.
#[derive(Clone)]
pub struct Traceback {
    pub frames: Vec<Frame>,
}

impl Traceback {
    /// The innermost frame whose function's last path segment is `name`
    /// (`transfer` matches `demo::bank::transfer`).
    pub fn frame_named(&self, name: &str) -> Result<Frame, Error> {
        self.frames
            .iter()
            .find(|f| last_segment(&f.info.function) == name)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("no frame named {name:?} in the traceback")))
    }

    /// Frames a user sees by default (no runtime machinery).
    pub fn user_frames(&self) -> impl Iterator<Item = &Frame> {
        self.frames.iter().filter(|f| !f.info.runtime)
    }
}

/// The last path segment of a function name, generics ignored
/// (`demo::Bank::withdraw` → `withdraw`, `a::b::<T>::c` → `c`).
pub fn last_segment(function: &str) -> &str {
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = function.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => depth += 1,
            b'>' => depth -= 1,
            b':' if depth == 0 && bytes.get(i + 1) == Some(&b':') => {
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    &function[start..]
}

/// One frame of a traceback.
#[derive(Clone)]
pub struct Frame {
    session: Session,
    pub info: FrameInfo,
}

impl Frame {
    /// The frame's locals and arguments, in declaration order.
    pub fn locals(&self) -> Result<Vec<RemoteValue>, Error> {
        let page = self.session.page(Request::Locals {
            frame: self.info.id,
        })?;
        Ok(self.session.values(page))
    }

    /// One local by name (the innermost when a name is shadowed).
    pub fn local(&self, name: &str) -> Result<RemoteValue, Error> {
        self.locals()?
            .into_iter()
            .rev()
            .find(|v| v.info.name == name)
            .ok_or_else(|| Error::NotFound(format!("no local {name:?} in {}", self.info.function)))
    }

    /// Evaluates a path expression from this frame's locals.
    pub fn eval(&self, expr: &str) -> Result<RemoteValue, Error> {
        let path = path::parse(expr)?;
        // Locals first; a name that is not a local may be a static.
        let mut value = match self.local(&path.root) {
            Ok(v) => v,
            Err(Error::NotFound(local)) => match self.session.static_value(&path.root) {
                Ok(v) => v,
                Err(_) => return Err(Error::NotFound(local)),
            },
            Err(e) => return Err(e),
        };
        for step in &path.steps {
            value = value.step(step)?;
        }
        Ok(value)
    }
}

/// A value in the crashed process: its shape now, its children on request.
#[derive(Clone)]
pub struct RemoteValue {
    session: Session,
    pub info: ValueInfo,
}

impl std::fmt::Debug for RemoteValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.info.fmt(f)
    }
}

impl RemoteValue {
    pub fn name(&self) -> &str {
        &self.info.name
    }

    pub fn type_name(&self) -> &str {
        &self.info.type_name
    }

    pub fn kind(&self) -> ValueKind {
        self.info.kind
    }

    /// The one-line `{:?}`-style preview.
    pub fn preview(&self) -> &str {
        &self.info.preview
    }

    /// The element count, for containers.
    pub fn len(&self) -> Option<u64> {
        self.info.len
    }

    /// True for containers with no elements.
    pub fn is_empty(&self) -> bool {
        self.info.len == Some(0)
    }

    /// How many children [`RemoteValue::children`] can page through.
    pub fn child_count(&self) -> u64 {
        self.info.child_count
    }

    /// A page of children: `count` from `start`.
    pub fn children(&self, start: u64, count: u64) -> Result<Vec<RemoteValue>, Error> {
        let Some(handle) = self.info.handle else {
            return Ok(Vec::new());
        };
        let page = self.session.page(Request::Children {
            value: handle,
            start,
            count,
        })?;
        Ok(self.session.values(page))
    }

    /// All children (for structs and short containers).
    pub fn all_children(&self) -> Result<Vec<RemoteValue>, Error> {
        self.children(0, self.info.child_count)
    }

    /// The child named `name` (a field, `0` for a tuple field, `*` for a pointee).
    pub fn child(&self, name: &str) -> Result<RemoteValue, Error> {
        self.all_children()?
            .into_iter()
            .find(|c| c.info.name == name)
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "{} ({}) has no member {name:?}",
                    self.info.name, self.info.type_name
                ))
            })
    }

    /// The pointee of a reference, `Box` or pointer.
    pub fn deref(&self) -> Result<RemoteValue, Error> {
        if self.info.kind != ValueKind::Pointer {
            return Err(Error::NotFound(format!(
                "{} ({}) is not a pointer",
                self.info.name, self.info.type_name
            )));
        }
        self.child("*")
    }

    /// Evaluates a path relative to this value (`.field`, `[2]`, `field.0`, …).
    pub fn eval(&self, expr: &str) -> Result<RemoteValue, Error> {
        // Relative to this value: `.field`, `[2]`, or a bare `field.more`.
        let expr = expr.trim_start();
        let rooted = if expr.starts_with(['.', '[']) {
            format!("_{expr}")
        } else {
            format!("_.{expr}")
        };
        let path = path::parse(&rooted)?;
        let mut value = self.clone();
        for step in &path.steps {
            value = value.step(step)?;
        }
        Ok(value)
    }

    fn step(&self, step: &Step) -> Result<RemoteValue, Error> {
        // Like Rust's auto-deref: fields and indexes see through pointers,
        // except to a pointer's own members (an `Rc`'s `strong`, `weak`).
        if self.info.kind == ValueKind::Pointer && *step != Step::Deref {
            let mut kids = self.all_children()?;
            if let Step::Field(name) = step
                && let Some(i) = kids.iter().position(|c| c.info.name == *name)
            {
                return Ok(kids.swap_remove(i));
            }
            return match kids.into_iter().find(|c| c.info.name == "*") {
                Some(pointee) => pointee.step(step),
                None => self.child("*"),
            };
        }
        match step {
            Step::Deref => self.deref(),
            Step::Field(name) => self.child(name),
            // `m[11]` on a map: the value under the integer key 11.
            Step::Index(i) if self.info.kind == ValueKind::Map => self.entry_value(&i.to_string()),
            Step::Index(i) => {
                if !matches!(
                    self.info.kind,
                    ValueKind::Array | ValueKind::Sequence | ValueKind::Str
                ) {
                    return Err(Error::NotFound(format!(
                        "{} ({}) cannot be indexed",
                        self.info.name, self.info.type_name
                    )));
                }
                if *i >= self.info.child_count {
                    return Err(Error::NotFound(format!(
                        "index {i} is out of bounds: {} has {} elements",
                        self.info.name, self.info.child_count
                    )));
                }
                self.children(*i, 1)?
                    .pop()
                    .ok_or_else(|| Error::NotFound(format!("no element {i}")))
            }
            Step::Key(key) => self.entry_value(&format!("{key:?}")),
        }
    }

    /// The value of the map entry named `wanted` (a key's `{:?}`).
    fn entry_value(&self, wanted: &str) -> Result<RemoteValue, Error> {
        let entry = self
            .all_children()?
            .into_iter()
            .find(|c| c.info.name == wanted)
            .ok_or_else(|| Error::NotFound(format!("{} has no key {wanted}", self.info.name)))?;
        // Map entries expand as key and value; the path means the value.
        entry.child("value")
    }

    /// Transfers the whole value and decodes it into a local serde type.
    pub fn fetch<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let handle = self.info.handle.ok_or_else(|| {
            Error::Remote(RemoteError::new(
                ErrorKind::Unavailable,
                format!("{}: {}", self.info.name, self.info.preview),
            ))
        })?;
        match self.session.request(Request::Fetch { value: handle })? {
            Response::Fetched(bytes) => frame::decode(&bytes),
            other => Err(unexpected(&other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_counts_every_frame_both_ways() {
        let (client, mut agent) = crate::MemoryTransport::pair();
        let serve = std::thread::spawn(move || {
            use crate::Transport;
            for reply in [
                Response::Hello(Hello {
                    version: PROTOCOL_VERSION,
                    pid: 1,
                    program: "p".into(),
                }),
                Response::Ok,
            ] {
                let req: Envelope<Request> = frame::decode(&agent.recv().unwrap()).unwrap();
                agent
                    .send(
                        &frame::encode(&Envelope {
                            id: req.id,
                            body: reply,
                        })
                        .unwrap(),
                    )
                    .unwrap();
            }
        });
        let s = Session::over(Box::new(client)).unwrap();
        let after_hello = s.traffic();
        s.resume().unwrap();
        serve.join().unwrap();
        let hello = frame::encode(&Envelope {
            id: 1,
            body: Request::Hello {
                version: PROTOCOL_VERSION,
                client: format!("wire {}", env!("CARGO_PKG_VERSION")),
            },
        })
        .unwrap();
        assert_eq!(after_hello.sent, 4 + hello.len() as u64);
        let resume = frame::encode(&Envelope {
            id: 2,
            body: Request::Resume,
        })
        .unwrap();
        let ok = frame::encode(&Envelope {
            id: 2,
            body: Response::Ok,
        })
        .unwrap();
        assert_eq!(s.traffic().sent, after_hello.sent + 4 + resume.len() as u64);
        assert_eq!(
            s.traffic().received,
            after_hello.received + 4 + ok.len() as u64
        );
    }

    /// An agent on `transport` that answers the hello (as `pid`), then
    /// `replies`, then closes the connection.
    fn agent(mut transport: crate::MemoryTransport, pid: u32, replies: Vec<Response>) {
        use crate::Transport;
        let hello = Response::Hello(Hello {
            version: PROTOCOL_VERSION,
            pid,
            program: "p".into(),
        });
        for reply in std::iter::once(hello).chain(replies) {
            let req: Envelope<Request> = frame::decode(&transport.recv().unwrap()).unwrap();
            let bytes = frame::encode(&Envelope {
                id: req.id,
                body: reply,
            })
            .unwrap();
            transport.send(&bytes).unwrap();
        }
    }

    #[test]
    fn reconnect_replaces_the_connection_under_every_clone() {
        let (client, far) = crate::MemoryTransport::pair();
        let first = std::thread::spawn(move || agent(far, 7, vec![]));
        let s = Session::over(Box::new(client)).unwrap();
        first.join().unwrap();
        let clone = s.clone();
        let e = clone.stats().unwrap_err();
        assert!(Session::lost(&e), "{e}");

        let (client, far) = crate::MemoryTransport::pair();
        let second =
            std::thread::spawn(move || agent(far, 7, vec![Response::Stats(AgentStats::default())]));
        s.reconnect(Box::new(client)).unwrap();
        assert_eq!(clone.stats().unwrap(), AgentStats::default());
        second.join().unwrap();

        // Another process on the socket is refused.
        let (client, far) = crate::MemoryTransport::pair();
        let third = std::thread::spawn(move || agent(far, 8, vec![]));
        let e = s.reconnect(Box::new(client)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected reply: another process answered: pid 8, not 7"
        );
        third.join().unwrap();
        let refused = Error::Remote(RemoteError::new(ErrorKind::NotFound, "no local"));
        assert!(!Session::lost(&refused));
    }

    #[test]
    fn last_segment_ignores_generics() {
        assert_eq!(last_segment("demo::bank::transfer"), "transfer");
        assert_eq!(last_segment("main"), "main");
        assert_eq!(last_segment("core::option::Option<T>::unwrap"), "unwrap");
        assert_eq!(last_segment("a::<impl b::C<d::E>>::f"), "f");
    }
}
