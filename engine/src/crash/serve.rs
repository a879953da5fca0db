//! The conversation with one debugger over any [`Transport`]: hello first
//! (version checked), then requests dispatched to an [`Inspector`] until the
//! client closes. The same dispatcher answers over the agent's socket, over
//! `pmdb`'s in-memory transport for a core file, and in tests and fuzzing.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wire::{
    Envelope, ErrorKind, Hello, PROTOCOL_VERSION, RemoteError, Request, Response, Transport, frame,
};

use crate::crash::inspect::Inspector;

/// Longest a burst of requests keeps the DWARF pages it touched.
pub const TRIM_EVERY: Duration = Duration::from_millis(100);

/// How serving ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Resume,
    Kill,
    TimedOut,
}

/// The state every conversation about one crash shares: the inspector, the
/// verdict, and the counters behind idle timeouts and stats.
pub struct Server {
    inspector: Inspector,
    verdict: Mutex<Option<Verdict>>,
    last_request: AtomicU64,
    requests: AtomicU64,
    started: Instant,
    client_timeout: Duration,
    /// Give the DWARF's pages back between requests (inside a crashed process).
    trim: bool,
    /// When the pages were last given back (ms since `started`), and
    /// whether requests have touched them since.
    last_trim: AtomicU64,
    touched: std::sync::atomic::AtomicBool,
    /// Why source text is not served here, where it is not (a core file:
    /// its files are this machine's, which the client reads itself).
    no_source: Option<String>,
    /// The source lines the crash file carries (a small core's note),
    /// answered where the host has no source of its own.
    carried: crate::crash::carried::CarriedSource,
    /// How this host writes a core of the process it serves
    /// (`Request::SaveCore`), or why it cannot.
    saver: Result<Saver, String>,
}

/// Writes a core of the process an inspector serves to an absolute path:
/// what was written, or why not in one line. Each host brings its own (it
/// knows the process's registers, maps and files); the dispatcher only
/// calls it.
pub type Saver =
    Box<dyn Fn(&Inspector, &std::path::Path) -> Result<wire::SavedCore, String> + Send + Sync>;

impl Server {
    /// A server for `inspector`; `client_timeout` is only named in the reply
    /// to a client that stayed silent that long.
    pub fn new(inspector: Inspector, client_timeout: Duration) -> Server {
        Server {
            inspector,
            verdict: Mutex::new(None),
            last_request: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            started: Instant::now(),
            client_timeout,
            trim: false,
            last_trim: AtomicU64::new(0),
            touched: std::sync::atomic::AtomicBool::new(false),
            no_source: None,
            carried: Default::default(),
            saver: Err("pmdb cannot write a core of what it serves here".into()),
        }
    }

    /// Answers `SaveCore` requests with `saver`.
    pub fn saving_with(mut self, saver: Saver) -> Server {
        self.saver = Ok(saver);
        self
    }

    /// Answers `SaveCore` requests with this reason instead of a core.
    pub fn without_saving(mut self, why: impl Into<String>) -> Server {
        self.saver = Err(why.into());
        self
    }

    /// Answers source requests with this reason instead of file text.
    pub fn without_source(mut self, why: impl Into<String>) -> Server {
        self.no_source = Some(why.into());
        self
    }

    /// Answers source requests, where the host has no source of its own,
    /// from the lines the crash file carries.
    pub fn with_carried_source(mut self, carried: crate::crash::carried::CarriedSource) -> Server {
        self.carried = carried;
        self
    }

    /// Give the executable's DWARF pages back between requests, so the
    /// process being served keeps the RSS it had: after a request when the
    /// last give-back is over [`TRIM_EVERY`] old, and whenever the host says
    /// it is idle ([`Server::trim_if_touched`]). A burst of requests (a
    /// report of thousands of threads) refaults its pages once per period,
    /// not once per request.
    pub fn trimming(mut self) -> Server {
        self.trim = true;
        self
    }

    /// Gives the DWARF's pages back if requests touched them since the
    /// last time (the agent calls it when nothing has come for a moment).
    pub fn trim_if_touched(&self) {
        if self.trim && self.touched.swap(false, Ordering::Relaxed) {
            self.inspector.engine().trim();
            self.last_trim
                .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
        }
    }

    /// The crash being served.
    pub fn inspector(&self) -> &Inspector {
        &self.inspector
    }

    /// How serving ended, once a client said resume or kill.
    pub fn verdict(&self) -> Option<Verdict> {
        *self.verdict.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a request (or a new connection) as activity.
    pub fn touch(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.last_request
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// How long since the last activity.
    pub fn idle(&self) -> Duration {
        let last = self.last_request.load(Ordering::Relaxed);
        self.started
            .elapsed()
            .saturating_sub(Duration::from_millis(last))
    }

    /// One client's conversation: hello first (version checked), then
    /// requests until it closes, sends something unreadable at the framing
    /// level, or stays silent past the transport's timeout. Undecodable
    /// messages get a `BadRequest` reply and the conversation goes on.
    pub fn converse<T: Transport + ?Sized>(&self, transport: &mut T) {
        let mut greeted = false;
        loop {
            let bytes = match transport.recv() {
                Ok(b) => b,
                Err(wire::Error::Closed) => return,
                Err(wire::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    let _ = reply(
                        transport,
                        0,
                        error(
                            ErrorKind::TimedOut,
                            format!(
                                "no request for {} s; the agent closed the connection",
                                self.client_timeout.as_secs_f64()
                            ),
                        ),
                    );
                    return;
                }
                Err(e) => {
                    // The stream may be out of step; say why once, then close.
                    let _ = reply(transport, 0, error(ErrorKind::BadRequest, e.to_string()));
                    return;
                }
            };
            self.touch();
            let (id, request) = match frame::decode::<Envelope<Request>>(&bytes) {
                Ok(env) => (env.id, env.body),
                Err(e) => {
                    if reply(transport, 0, error(ErrorKind::BadRequest, e.to_string())).is_err() {
                        return;
                    }
                    continue;
                }
            };
            let response = match (&request, greeted) {
                (Request::Hello { version, .. }, _) if *version != PROTOCOL_VERSION => error(
                    ErrorKind::VersionMismatch,
                    format!(
                        "protocol version mismatch: the agent speaks {PROTOCOL_VERSION}, the client {version}"
                    ),
                ),
                (Request::Hello { .. }, _) => {
                    greeted = true;
                    Response::Hello(Hello {
                        version: PROTOCOL_VERSION,
                        pid: self.inspector.crash.info.pid,
                        program: self.inspector.crash.info.program.clone(),
                        warnings: crate::values::declared_views::problems().to_vec(),
                    })
                }
                (_, false) => error(ErrorKind::BadRequest, "the first request must be a hello"),
                _ => self.dispatch(request),
            };
            if self.trim {
                self.touched.store(true, Ordering::Relaxed);
                let now = self.started.elapsed().as_millis() as u64;
                if now.saturating_sub(self.last_trim.load(Ordering::Relaxed))
                    >= TRIM_EVERY.as_millis() as u64
                {
                    self.trim_if_touched();
                }
            }
            if reply(transport, id, response).is_err() {
                return;
            }
        }
    }

    fn dispatch(&self, request: Request) -> Response {
        let ins = &self.inspector;
        let set = |v| {
            *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(v);
            Response::Ok
        };
        // The debuggee stands still while a request is answered: pages read
        // once answer every later read in them, until the reply.
        let _pages = ins.engine().mem().cached();
        // A bug in the engine must not take the debuggee (or pmdb) down.
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match request {
            Request::Hello { .. } => unreachable!("handled by the connection"),
            Request::Crash => Ok(Response::Crash(ins.crash.info.clone())),
            Request::Threads => Ok(Response::Threads(ins.threads())),
            Request::Crashes => Ok(Response::Crashes(ins.crashes())),
            Request::Traceback { thread } => ins
                .traceback(ins.thread_named(thread))
                .map(Response::Traceback),
            Request::Locals { frame } => ins
                .frame_named(frame)
                .and_then(|f| ins.locals(f))
                .map(Response::Values),
            Request::Source {
                path,
                first_line,
                last_line,
            } => match &self.no_source {
                // No source of its own (a core): debuginfod's copy, by the
                // executable's build-id, when there is a fetcher; else the
                // lines the core carries.
                Some(why) => match ins.fetched_source(&path, first_line, last_line) {
                    Some(Ok(text)) => Ok(text),
                    fetched => match self.carried.lines(&path, first_line, last_line) {
                        Some(text) => Ok(text),
                        None => fetched.unwrap_or_else(|| {
                            Err(RemoteError::new(ErrorKind::BadRequest, why.clone()))
                        }),
                    },
                }
                .map(Response::Source),
                None => ins
                    .source(&path, first_line, last_line)
                    .map(Response::Source),
            },
            Request::Children {
                value,
                start,
                count,
            } => ins.children(value, start, count).map(Response::Values),
            Request::Static { name } => ins.static_value(&name).map(Response::Values),
            Request::Fetch { value } => ins.fetch(value).map(Response::Fetched),
            Request::Eval { frame, expr } => ins
                .frame_named(frame)
                .and_then(|f| ins.eval(f, &expr))
                .map(Response::Values),
            Request::Stats => Ok(Response::Stats(wire::AgentStats {
                bytes_read: ins.engine().mem().bytes_read(),
                units_parsed: ins.engine().units_parsed(),
                requests: self.requests.load(Ordering::Relaxed),
            })),
            Request::Tasks => ins.tasks().map(Response::Tasks),
            Request::Waits => ins.waits().map(Response::Waits),
            Request::SaveCore { path } => {
                let unavailable = |why: String| RemoteError::new(ErrorKind::Unavailable, why);
                match &self.saver {
                    Err(why) => Err(unavailable(why.clone())),
                    Ok(_) if !std::path::Path::new(&path).is_absolute() => Err(unavailable(
                        format!("the core's path must be absolute: {path}"),
                    )),
                    Ok(save) => save(ins, std::path::Path::new(&path))
                        .map(Response::Saved)
                        .map_err(unavailable),
                }
            }
            Request::Registers { frame } => ins
                .frame_named(frame)
                .and_then(|f| ins.registers(f))
                .map(Response::Registers),
            Request::Resume => Ok(set(Verdict::Resume)),
            Request::Kill => Ok(set(Verdict::Kill)),
        }));
        match answer {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Response::Error(e),
            Err(_) => error(
                ErrorKind::Internal,
                "the agent failed on this request; the debuggee is unaffected",
            ),
        }
    }
}

/// An error reply.
pub fn error(kind: ErrorKind, message: impl Into<String>) -> Response {
    Response::Error(RemoteError::new(kind, message))
}

/// Sends one reply.
pub fn reply<T: Transport + ?Sized>(t: &mut T, id: u64, body: Response) -> Result<(), wire::Error> {
    t.send(&frame::encode(&Envelope { id, body })?)
}

/// Serves `server` over the in-memory transport on a thread of its own, and
/// returns the client's session: a crash inspected in the same process.
pub fn in_process(server: Server) -> Result<wire::Session, wire::Error> {
    let (client, mut server_end) = wire::MemoryTransport::pair();
    std::thread::Builder::new()
        .name("pmdb-agent-inprocess".into())
        .spawn(move || server.converse(&mut server_end))
        .map_err(wire::Error::Io)?;
    wire::Session::over(Box::new(client))
}
