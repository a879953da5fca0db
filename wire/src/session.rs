//! The blocking client: connect to a crashed process, ask for its crash
//! record, threads, tracebacks and locals, and walk values lazily through
//! [`RemoteValue`] proxies that fetch children only when asked.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::child::ChildTransport;
use crate::message::*;
use crate::remote::{Frame, RemoteValue, Task, TaskList, Traceback};
use crate::{Error, ErrorKind, StreamTransport, Transport, frame, socket};

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
    round_trips: u64,
}

impl Conn {
    /// Sends every request, then reads every reply: one round trip however
    /// many requests. Replies come in order (the agent answers a connection's
    /// requests one after another); an error reply with id 0 is the answer of
    /// an agent that could not decode the request it stands for (an older
    /// agent, a request it does not know).
    fn exchange(&mut self, bodies: Vec<Request>) -> Result<Vec<Result<Response, Error>>, Error> {
        let first = self.next_id;
        // All encoded before any is sent: one the agent would refuse unread
        // fails the lot here, with the stream still in step.
        let mut encoded = Vec::with_capacity(bodies.len());
        for (k, body) in bodies.iter().cloned().enumerate() {
            let bytes = frame::encode(&Envelope {
                id: first + k as u64,
                body,
            })?;
            if bytes.len() > frame::MAX_REQUEST {
                return Err(Error::RequestTooLarge {
                    len: bytes.len(),
                    max: frame::MAX_REQUEST,
                });
            }
            encoded.push(bytes);
        }
        for bytes in encoded {
            self.next_id += 1;
            self.traffic.sent += 4 + bytes.len() as u64;
            self.transport.send(&bytes)?;
        }
        if !bodies.is_empty() {
            self.round_trips += 1;
        }
        let mut out = Vec::with_capacity(bodies.len());
        for id in first..first + bodies.len() as u64 {
            let bytes = self.transport.recv()?;
            self.traffic.received += 4 + bytes.len() as u64;
            let reply: Envelope<Response> = frame::decode(&bytes)?;
            match reply.body {
                Response::Error(e) if reply.id == id || reply.id == 0 => {
                    out.push(Err(Error::Remote(e)))
                }
                _ if reply.id != id => {
                    return Err(Error::OutOfOrder {
                        expected: id,
                        got: reply.id,
                    });
                }
                r => out.push(Ok(r)),
            }
        }
        Ok(out)
    }
}

/// Bytes this session has put on the wire (message bodies plus the 4-byte
/// length of each frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Traffic {
    pub sent: u64,
    pub received: u64,
}

/// Most requests [`Session::locals_of`] sends before reading their replies.
pub const PIPELINE_WINDOW: usize = 64;

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
            round_trips: 0,
        }));
        let mut session = Session {
            conn,
            hello: Hello {
                version: PROTOCOL_VERSION,
                pid: 0,
                program: String::new(),
                warnings: Vec::new(),
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

    /// Connects through a command whose stdin and stdout carry the session
    /// (`kubectl exec -i POD -- pmdb bridge 1`, `ssh HOST pmdb bridge 42`).
    pub fn via_command<S: AsRef<std::ffi::OsStr>>(argv: &[S]) -> Result<Session, Error> {
        Session::over(Box::new(ChildTransport::spawn(argv)?))
    }

    /// Connects to a crashed process on another machine: runs `ssh [-p PORT]
    /// [USER@]HOST pmdb bridge TARGET` (see [`crate::child::ssh_command`]
    /// for `PMDB_SSH` and `PMDB_REMOTE`). `target` is a pid or socket path
    /// there; `None` is the one process waiting there.
    pub fn ssh(dest: &str, target: Option<&str>) -> Result<Session, Error> {
        let mut args = vec!["bridge"];
        args.extend(target);
        Session::via_command(&crate::child::ssh_command(dest, None, &args)?)
    }

    /// Sends one request and waits for its reply; error replies become
    /// [`Error::Remote`].
    pub fn request(&self, body: Request) -> Result<Response, Error> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.exchange(vec![body])?
            .pop()
            .expect("one reply per request")
    }

    /// Sends all `requests` before reading any reply, and returns the replies
    /// in order: one round trip for the lot. For a handful of small requests
    /// (all are written before anything is read). The outer error is the
    /// connection's; each inner one is that request's error reply.
    pub fn pipeline(&self, requests: Vec<Request>) -> Result<Vec<Result<Response, Error>>, Error> {
        self.conn
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .exchange(requests)
    }

    /// The locals of each of `frames`, asked for [`PIPELINE_WINDOW`] frames
    /// per round trip: one round trip for a usual traceback. The window keeps
    /// both directions of the connection from filling up (the client
    /// writing requests nobody reads while the agent writes replies nobody
    /// reads) on a traceback of thousands of frames, such as a stack
    /// overflow's.
    pub fn locals_of(
        &self,
        frames: &[Frame],
    ) -> Result<Vec<Result<Vec<RemoteValue>, Error>>, Error> {
        let mut out = Vec::with_capacity(frames.len());
        for window in frames.chunks(PIPELINE_WINDOW) {
            let requests = window
                .iter()
                .map(|f| Request::Locals { frame: f.info.id })
                .collect();
            out.extend(
                self.pipeline(requests)?
                    .into_iter()
                    .map(|reply| match reply? {
                        Response::Values(page) => Ok(self.values(page)),
                        other => Err(unexpected(&other)),
                    }),
            );
        }
        Ok(out)
    }

    /// How many times this session has sent and then waited for replies
    /// (the hello included): what latency costs, whatever the bytes.
    pub fn round_trips(&self) -> u64 {
        self.conn
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .round_trips
    }

    /// Everything a debugger shows first — the crash, the threads, the
    /// crashed thread's traceback and its crashed frame's locals — in one
    /// round trip: the four requests are pipelined, naming the crashed thread
    /// and frame by [`CRASHED_THREAD`] and [`CRASHED_FRAME`]. An agent that
    /// does not know those names costs two more round trips (the traceback,
    /// then the locals, asked by real ids).
    pub fn first_screen(&self) -> Result<FirstScreen, Error> {
        let mut replies = self
            .pipeline(vec![
                Request::Crash,
                Request::Threads,
                Request::Traceback {
                    thread: CRASHED_THREAD,
                },
                Request::Locals {
                    frame: FrameId::CRASHED,
                },
            ])?
            .into_iter();
        let mut next = || replies.next().expect("four replies");
        let crash = match next()? {
            Response::Crash(c) => c,
            other => return Err(unexpected(&other)),
        };
        let threads = match next()? {
            Response::Threads(t) => t,
            other => return Err(unexpected(&other)),
        };
        let (traceback, locals) = match (next(), next()) {
            (Ok(Response::Traceback(frames)), locals) => (self.frames(frames), locals),
            (Err(e), _) if refused_name(&e) => (self.traceback(crash.thread)?, Err(e)),
            (Err(e), _) => return Err(e),
            (Ok(other), _) => return Err(unexpected(&other)),
        };
        let frame = traceback
            .frames
            .iter()
            .position(|f| !f.info.runtime)
            .unwrap_or(0);
        let locals = match locals {
            Ok(Response::Values(page)) => Ok(self.values(page)),
            Ok(other) => Err(unexpected(&other)),
            Err(e) if refused_name(&e) => match traceback.frames.get(frame) {
                Some(f) => f.locals(),
                None => Ok(Vec::new()),
            },
            Err(e) => Err(e),
        };
        Ok(FirstScreen {
            crash,
            threads,
            traceback,
            frame,
            locals,
        })
    }

    /// Lines `first_line ..= last_line` (from 1) of a source file the
    /// program's line tables name, as the crashed machine has it (see
    /// [`Request::Source`] for the bounds). An agent that does not serve
    /// source gives [`Error::NoSourceService`].
    pub fn source(&self, path: &str, first_line: u32, last_line: u32) -> Result<SourceText, Error> {
        let first_line = first_line.max(1);
        let req = Request::Source {
            path: path.to_string(),
            first_line,
            last_line: last_line.max(first_line),
        };
        match self.request(req) {
            Ok(Response::Source(text)) => Ok(text),
            Ok(other) => Err(unexpected(&other)),
            Err(Error::Remote(e)) if e.kind == ErrorKind::BadRequest => {
                Err(Error::NoSourceService(e.message))
            }
            Err(e) => Err(e),
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
            Response::Traceback(frames) => Ok(self.frames(frames)),
            other => Err(unexpected(&other)),
        }
    }

    /// Every async task of the crashed process (see [`Request::Tasks`]).
    pub fn tasks(&self) -> Result<TaskList, Error> {
        match self.request(Request::Tasks)? {
            Response::Tasks(t) => Ok(TaskList {
                unavailable: t.unavailable,
                tasks: t
                    .tasks
                    .into_iter()
                    .map(|task| Task {
                        id: task.id,
                        state: task.state,
                        frames: task
                            .frames
                            .into_iter()
                            .map(|f| Frame {
                                session: self.clone(),
                                info: f.info,
                            })
                            .collect(),
                    })
                    .collect(),
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// Why each thread and task is stuck, and the deadlocks. An agent that
    /// predates the request gives [`Error::NoWaitsService`].
    pub fn waits(&self) -> Result<crate::Waits, Error> {
        match self.request(Request::Waits) {
            Ok(Response::Waits(w)) => Ok(w),
            Ok(other) => Err(unexpected(&other)),
            Err(Error::Remote(e)) if e.kind == ErrorKind::BadRequest => {
                Err(Error::NoWaitsService(e.message))
            }
            Err(e) => Err(e),
        }
    }

    /// The tracebacks of each of `threads`, asked for [`PIPELINE_WINDOW`]
    /// threads per round trip: a process of 2,000 threads costs 32 round
    /// trips rather than 2,000.
    pub fn tracebacks(&self, threads: &[u64]) -> Result<Vec<Result<Traceback, Error>>, Error> {
        let mut out = Vec::with_capacity(threads.len());
        for window in threads.chunks(PIPELINE_WINDOW) {
            let requests = window
                .iter()
                .map(|&thread| Request::Traceback { thread })
                .collect();
            out.extend(
                self.pipeline(requests)?
                    .into_iter()
                    .map(|reply| match reply? {
                        Response::Traceback(frames) => Ok(self.frames(frames)),
                        other => Err(unexpected(&other)),
                    }),
            );
        }
        Ok(out)
    }

    fn frames(&self, frames: Vec<FrameInfo>) -> Traceback {
        Traceback {
            frames: frames
                .into_iter()
                .map(|info| Frame {
                    session: self.clone(),
                    info,
                })
                .collect(),
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

    /// Writes a core of the process to `path` (absolute, on the machine
    /// the process runs on); an agent that predates the request gives
    /// [`Error::NoSaveService`].
    pub fn save_core(&self, path: &str) -> Result<crate::SavedCore, Error> {
        match self.request(Request::SaveCore {
            path: path.to_string(),
        }) {
            Ok(Response::Saved(s)) => Ok(s),
            Ok(other) => Err(unexpected(&other)),
            Err(Error::Remote(e)) if e.kind == ErrorKind::BadRequest => {
                Err(Error::NoSaveService(e.message))
            }
            Err(e) => Err(e),
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

    pub(crate) fn page(&self, req: Request) -> Result<Page, Error> {
        match self.request(req)? {
            Response::Values(p) => Ok(p),
            other => Err(unexpected(&other)),
        }
    }

    pub(crate) fn values(&self, page: Page) -> Vec<RemoteValue> {
        page.values
            .into_iter()
            .map(|info| RemoteValue {
                session: self.clone(),
                info,
            })
            .collect()
    }
}

/// An agent's answer to a request naming [`CRASHED_THREAD`] or
/// [`CRASHED_FRAME`] when it does not know those names.
fn refused_name(e: &Error) -> bool {
    matches!(
        e.remote_kind(),
        Some(ErrorKind::NotFound | ErrorKind::BadRequest)
    )
}

/// What a debugger shows first ([`Session::first_screen`]).
pub struct FirstScreen {
    pub crash: CrashInfo,
    pub threads: Vec<ThreadInfo>,
    /// The crashed thread's traceback.
    pub traceback: Traceback,
    /// The crashed frame: the index in `traceback.frames` of the innermost
    /// frame that is not runtime machinery (0 when all are).
    pub frame: usize,
    /// That frame's locals, or why they cannot be read.
    pub locals: Result<Vec<RemoteValue>, Error>,
}

pub(crate) fn unexpected(r: &Response) -> Error {
    let text = format!("{r:?}");
    Error::UnexpectedReply(text.chars().take(120).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RemoteError;
    use crate::remote::last_segment;

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
                    warnings: Vec::new(),
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

    /// A scripted agent on the other end of an in-memory pair: answers each
    /// request with `answer(request)` (id 0 when it returns `None` for the
    /// id, as an agent that could not decode the request does).
    fn fake_agent(
        answer: impl Fn(&Request) -> (bool, Response) + Send + 'static,
    ) -> (Session, std::thread::JoinHandle<Vec<Request>>) {
        let (client, mut agent) = crate::MemoryTransport::pair();
        let serve = std::thread::spawn(move || {
            use crate::Transport;
            let mut seen = Vec::new();
            while let Ok(bytes) = agent.recv() {
                let req: Envelope<Request> = frame::decode(&bytes).unwrap();
                let (echo_id, body) = match &req.body {
                    Request::Hello { .. } => (
                        true,
                        Response::Hello(Hello {
                            version: PROTOCOL_VERSION,
                            pid: 7,
                            program: "p".into(),
                            warnings: Vec::new(),
                        }),
                    ),
                    r => answer(r),
                };
                seen.push(req.body);
                let id = if echo_id { req.id } else { 0 };
                let reply = frame::encode(&Envelope { id, body }).unwrap();
                if agent.send(&reply).is_err() {
                    break;
                }
            }
            seen
        });
        (Session::over(Box::new(client)).unwrap(), serve)
    }

    const TID: u64 = 4242;

    fn frame_info(index: u32, function: &str, runtime: bool) -> FrameInfo {
        FrameInfo {
            id: FrameId { thread: TID, index },
            function: function.into(),
            file: Some("src/main.rs".into()),
            line: Some(index + 10),
            column: None,
            pc: 0x1000 + index as u64,
            inlined: false,
            runtime,
        }
    }

    fn value(name: &str, preview: &str, handle: Option<Handle>, children: u64) -> ValueInfo {
        ValueInfo {
            name: name.into(),
            type_name: "T".into(),
            kind: if children > 0 {
                ValueKind::Struct
            } else {
                ValueKind::Int
            },
            preview: preview.into(),
            len: None,
            handle,
            child_count: children,
            shadowed: false,
        }
    }

    /// A crashed process: thread 4242 with a runtime frame, then `main`.
    /// `names` says whether it knows CRASHED_THREAD / CRASHED_FRAME.
    fn crashed_agent(names: bool) -> impl Fn(&Request) -> (bool, Response) {
        move |r| {
            let not_found = |m: String| Response::Error(RemoteError::new(ErrorKind::NotFound, m));
            let resp = match r {
                Request::Crash => Response::Crash(CrashInfo {
                    kind: CrashKind::Panic,
                    message: "boom".into(),
                    payload_type: None,
                    file: None,
                    line: None,
                    column: None,
                    thread: TID,
                    thread_name: "main".into(),
                    pid: 7,
                    program: "p".into(),
                    time: 0,
                    taken_by: None,
                    analysis: None,
                }),
                Request::Threads => Response::Threads(vec![ThreadInfo {
                    id: TID,
                    name: "main".into(),
                    crashed: true,
                    state: None,
                }]),
                Request::Traceback { thread } if *thread == TID || (names && *thread == 0) => {
                    Response::Traceback(vec![
                        frame_info(0, "core::panicking::panic", true),
                        frame_info(1, "p::main", false),
                    ])
                }
                Request::Traceback { thread } => not_found(format!("no thread {thread}")),
                Request::Locals { frame }
                    if *frame
                        == FrameId {
                            thread: TID,
                            index: 1,
                        }
                        || (names && *frame == FrameId::CRASHED) =>
                {
                    Response::Values(Page {
                        start: 0,
                        total: 1,
                        values: vec![value("p", "P { x: 1 }", Some(5), 1)],
                    })
                }
                Request::Locals { frame } => not_found(format!("no frame {}", frame.index)),
                Request::Children { value: 5, .. } => Response::Values(Page {
                    start: 0,
                    total: 1,
                    values: vec![value("x", "1", None, 0)],
                }),
                other => not_found(format!("{other:?}")),
            };
            (true, resp)
        }
    }

    #[test]
    fn the_first_screen_takes_two_round_trips_and_an_expansion_one() {
        let (s, serve) = fake_agent(crashed_agent(true));
        assert_eq!(s.round_trips(), 1);
        let screen = s.first_screen().unwrap();
        assert_eq!(s.round_trips(), 2);
        assert_eq!(screen.crash.message, "boom");
        assert_eq!(screen.threads.len(), 1);
        assert_eq!(screen.frame, 1);
        assert_eq!(screen.traceback.frames[1].info.function, "p::main");
        let locals = screen.locals.unwrap();
        assert_eq!(locals[0].preview(), "P { x: 1 }");
        let kids = locals[0].children(0, 100).unwrap();
        assert_eq!(s.round_trips(), 3);
        assert_eq!(kids[0].name(), "x");
        drop((s, screen.traceback, locals, kids));
        let seen = serve.join().unwrap();
        assert_eq!(seen.len(), 6);
        assert_eq!(
            seen[3],
            Request::Traceback {
                thread: CRASHED_THREAD
            }
        );
        assert_eq!(
            seen[4],
            Request::Locals {
                frame: FrameId::CRASHED
            }
        );
    }

    #[test]
    fn an_agent_without_the_crashed_names_costs_two_more_round_trips() {
        let (s, serve) = fake_agent(crashed_agent(false));
        let screen = s.first_screen().unwrap();
        assert_eq!(s.round_trips(), 4);
        assert_eq!(screen.frame, 1);
        assert_eq!(screen.locals.unwrap()[0].name(), "p");
        drop((s, screen.traceback));
        let seen = serve.join().unwrap();
        assert_eq!(seen[5], Request::Traceback { thread: TID });
        assert_eq!(
            seen[6],
            Request::Locals {
                frame: FrameId {
                    thread: TID,
                    index: 1
                }
            }
        );
    }

    #[test]
    fn source_from_an_agent_that_cannot_decode_the_request_is_plainly_unavailable() {
        let (s, _serve) = fake_agent(|_| {
            (
                false,
                Response::Error(RemoteError::new(
                    ErrorKind::BadRequest,
                    "malformed message: unknown variant `Source`",
                )),
            )
        });
        let e = s.source("src/main.rs", 1, 20).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no copy of the source is available: the agent does not serve source text (malformed message: unknown variant `Source`)"
        );
        assert_eq!(s.round_trips(), 2);
    }

    #[test]
    fn source_replies_arrive_whole() {
        let (s, _serve) = fake_agent(|r| match r {
            Request::Source {
                path,
                first_line,
                last_line,
            } => (
                true,
                Response::Source(SourceText {
                    path: path.clone(),
                    first_line: *first_line,
                    lines: (*first_line..=*last_line)
                        .map(|n| format!("line {n}"))
                        .collect(),
                    total_lines: 40,
                    truncated: false,
                    carried: false,
                }),
            ),
            _ => (true, Response::Ok),
        });
        let text = s.source("src/main.rs", 0, 2).unwrap();
        assert_eq!(text.first_line, 1);
        assert_eq!(text.lines, ["line 1", "line 2"]);
    }

    /// An agent on `transport` that answers the hello (as `pid`), then
    /// `replies`, then closes the connection.
    fn agent(mut transport: crate::MemoryTransport, pid: u32, replies: Vec<Response>) {
        use crate::Transport;
        let hello = Response::Hello(Hello {
            version: PROTOCOL_VERSION,
            pid,
            program: "p".into(),
            warnings: Vec::new(),
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
    fn eval_falls_back_to_walking_the_path_on_an_agent_without_eval() {
        let old = crashed_agent(true);
        let (s, serve) = fake_agent(move |r| match r {
            Request::Eval { .. } => (
                false,
                Response::Error(RemoteError::new(
                    ErrorKind::BadRequest,
                    "malformed message: unknown variant `Eval`",
                )),
            ),
            r => old(r),
        });
        let tb = s.traceback(TID).unwrap();
        let v = tb.frame_named("main").unwrap().eval("p.x").unwrap();
        assert_eq!((v.name(), v.preview()), ("x", "1"));
        drop((s, tb, v));
        let seen = serve.join().unwrap();
        assert!(matches!(seen[2], Request::Eval { ref expr, .. } if expr == "p.x"));
        assert_eq!(
            seen[3],
            Request::Locals {
                frame: FrameId {
                    thread: TID,
                    index: 1
                }
            }
        );
    }

    #[test]
    fn expression_errors_carry_their_column_and_draw_a_caret() {
        let (s, _serve) = fake_agent(|r| match r {
            Request::Eval { .. } => (
                true,
                Response::Error(RemoteError::at_column(
                    ErrorKind::NotFound,
                    "Account has no field `balanc`",
                    9,
                )),
            ),
            r => crashed_agent(true)(r),
        });
        let tb = s.traceback(TID).unwrap();
        let e = tb
            .frame_named("main")
            .unwrap()
            .eval("account.balanc")
            .unwrap_err();
        assert_eq!(e.to_string(), "Account has no field `balanc` (column 9)");
        assert_eq!(e.remote_kind(), Some(ErrorKind::NotFound));
        assert_eq!(e.caret(2).unwrap(), "  account.balanc\n          ^");
    }

    #[test]
    fn last_segment_ignores_generics() {
        assert_eq!(last_segment("demo::bank::transfer"), "transfer");
        assert_eq!(last_segment("main"), "main");
        assert_eq!(last_segment("core::option::Option<T>::unwrap"), "unwrap");
        assert_eq!(last_segment("a::<impl b::C<d::E>>::f"), "f");
    }
}
