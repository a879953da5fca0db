//! The adapter's session: one editor, at most one crashed (or held) process.
//! Requests are answered in order on one thread; what happens elsewhere (a
//! launched program crashing or exiting, its output, a crash appearing for
//! `waitFor`) arrives on the same channel as the editor's messages. A pid
//! with no crash waiting is a running process, held stopped while the editor
//! looks (`crate::live`, as `pmdb attach PID` holds it) and let go as it was
//! when the session ends, however it ends. While a thread of a crashed
//! program goes on running (the freeze could not stop it), the same thread
//! asks the agent for its crash records between requests, so a second crash
//! reaches the editor as a `stopped` event of its own.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use engine::hosts::ptrace;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wire::{CrashInfo, RemoteValue, Session};

use super::input::Input;
use super::process::{self, LaunchError, Launched};
use super::protocol::{self as p, Request};
use super::refs::{Node, Refs, Scope};
use super::translate::{self as t, Located, Paths};
use crate::commands::{Cursor, Output};

/// Why a request failed, worded for the editor to show.
#[derive(Debug, thiserror::Error)]
pub enum DapError {
    #[error("{0}")]
    Wire(#[from] wire::Error),
    #[error("invalid arguments for {command}: {reason}")]
    Arguments { command: String, reason: String },
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Launch(#[from] LaunchError),
}

fn fail<T>(message: impl Into<String>) -> Result<T, DapError> {
    Err(DapError::Failed(message.into()))
}

/// The crashed process the session inspects.
struct Target {
    session: Session,
    crash: CrashInfo,
    /// Its threads (a frozen process's do not change).
    threads: Vec<wire::ThreadInfo>,
    /// The process, when it runs on this machine (so it can be killed).
    pid: Option<u32>,
    /// Its socket, removed after a kill.
    socket: Option<PathBuf>,
    /// A running process held for a live snapshot, not a crash.
    holding: Option<Holding>,
}

/// How a running process is held while the editor looks at it.
enum Holding {
    /// Stopped by pmdb's ptrace; every thread goes on, exactly where it
    /// stood, when this is released or dropped (or when pmdb dies: the
    /// kernel lets go of a dead tracer's tracees).
    Ptrace(ptrace::Hold),
    /// Frozen by its own agent, which lets go when the session says resume
    /// or its connection closes.
    Agent,
}

/// The most children one `variables` answer carries (the agent's own page cap).
const MAX_PAGE: u64 = 10_000;

/// How often the agent is asked for new crash records while a thread of
/// the program goes on running (one small request each time).
const CRASH_POLL: Duration = Duration::from_millis(200);

/// How the agent names a thread its freeze could not stop (the only kind
/// that can crash while the first crash is served).
const NOT_FROZEN: &str = " (not frozen: ";

pub struct Adapter<W: Write> {
    out: W,
    seq: i64,
    tx: Sender<Input>,
    /// The editor's first line and column numbers.
    bases: (i64, i64),
    source_map: Vec<(String, String)>,
    source_base: PathBuf,
    target: Option<Target>,
    launched: Option<Launched>,
    /// Stops a `waitFor` watcher.
    watching: Option<Arc<AtomicBool>>,
    /// `attach` or `launch` was accepted.
    started: bool,
    configured: bool,
    stopped_sent: bool,
    terminated_sent: bool,
    /// The debuggee was resumed or killed; nothing more to do to it.
    released: bool,
    tracebacks: HashMap<u64, Vec<wire::Frame>>,
    /// Locals already fetched: the crashed frame's come with the attach.
    locals: HashMap<wire::FrameId, Vec<RemoteValue>>,
    refs: Refs<wire::Frame, Box<RemoteValue>>,
    located: HashMap<String, Located>,
    sources: Vec<String>,
    cursor: Option<Cursor>,
    /// The threads whose crash the editor was told of (`stopped` sent).
    announced: HashSet<u64>,
    /// Crashes after the first, by thread: what `exceptionInfo` tells.
    later: HashMap<u64, CrashInfo>,
    /// When the agent was last asked for new crash records.
    last_poll: Instant,
    /// Asking failed and a new connection did not help: ask no more.
    poll_failed: bool,
}

/// Whether the loop goes on after a message.
#[derive(PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

impl<W: Write> Adapter<W> {
    pub fn new(out: W, tx: Sender<Input>) -> Self {
        Adapter {
            out,
            seq: 0,
            tx,
            bases: (1, 1),
            source_map: Vec::new(),
            source_base: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
            target: None,
            launched: None,
            watching: None,
            started: false,
            configured: false,
            stopped_sent: false,
            terminated_sent: false,
            released: false,
            tracebacks: HashMap::new(),
            locals: HashMap::new(),
            refs: Refs::default(),
            located: HashMap::new(),
            sources: Vec::new(),
            cursor: None,
            announced: HashSet::new(),
            later: HashMap::new(),
            last_poll: Instant::now(),
            poll_failed: false,
        }
    }

    /// Runs until `disconnect`, or until the editor goes away; the program
    /// is left as it stands in the latter case.
    pub fn run(mut self, rx: Receiver<Input>) {
        loop {
            let input = match self.poll_wait() {
                None => match rx.recv() {
                    Ok(input) => input,
                    Err(_) => break,
                },
                Some(wait) => match rx.recv_timeout(wait) {
                    Ok(input) => input,
                    Err(RecvTimeoutError::Timeout) => {
                        self.poll_crashes();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                },
            };
            let flow = match input {
                Input::Message(Ok(req)) => self.dispatch(req),
                Input::Message(Err(e)) => {
                    let flow = if e.recoverable() {
                        Flow::Continue
                    } else {
                        Flow::Stop
                    };
                    self.respond(0, "", Err(DapError::Failed(e.to_string())));
                    flow
                }
                Input::End => Flow::Stop,
                Input::Crashed(socket) => {
                    self.on_crash(&socket);
                    Flow::Continue
                }
                Input::Exited(code) => {
                    self.on_exit(code);
                    Flow::Continue
                }
                Input::Output { category, text } => {
                    self.event("output", json!({"category": category, "output": text}));
                    Flow::Continue
                }
            };
            if flow == Flow::Stop {
                break;
            }
        }
        if let Some(w) = &self.watching {
            w.store(true, Ordering::Relaxed);
        }
    }

    fn send(&mut self, message: &impl serde::Serialize) {
        // An editor that stopped reading ends the session by closing stdin.
        let _ = p::write_message(&mut self.out, message);
    }

    fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        self.seq
    }

    fn event(&mut self, event: &str, body: Value) {
        let seq = self.next_seq();
        let body = (!body.is_null()).then_some(body);
        self.send(&p::Event {
            seq,
            kind: "event",
            event: event.to_string(),
            body,
        });
    }

    fn respond(&mut self, request_seq: i64, command: &str, result: Result<Value, DapError>) {
        let seq = self.next_seq();
        let (success, message, body) = match result {
            Ok(Value::Null) => (true, None, None),
            Ok(body) => (true, None, Some(body)),
            Err(e) => (false, Some(e.to_string()), None),
        };
        self.send(&p::Response {
            seq,
            kind: "response",
            request_seq,
            success,
            command: command.to_string(),
            message,
            body,
        });
    }

    /// Answers one request; a bug in a handler becomes an error response.
    pub fn dispatch(&mut self, req: Request) -> Flow {
        let command = req.command.clone();
        let mut result = std::panic::catch_unwind(AssertUnwindSafe(|| self.handle(&req)));
        if matches!(result, Ok((Err(_), _))) && self.revive() {
            // The agent had closed our idle connection; ask again on a new one.
            result = std::panic::catch_unwind(AssertUnwindSafe(|| self.handle(&req)));
        }
        let (result, after) = match result {
            Ok(r) => r,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                (
                    fail(format!("internal error in pmdb's adapter: {what}")),
                    After::Nothing,
                )
            }
        };
        self.respond(req.seq, &command, result);
        match after {
            After::Nothing => Flow::Continue,
            After::Initialized => {
                self.event("initialized", Value::Null);
                self.maybe_stop();
                Flow::Continue
            }
            After::Stop => {
                self.maybe_stop();
                Flow::Continue
            }
            After::Terminated => {
                self.terminated();
                Flow::Continue
            }
            After::End => Flow::Stop,
        }
    }

    fn handle(&mut self, req: &Request) -> (Result<Value, DapError>, After) {
        let nothing = |r: Result<Value, DapError>| (r, After::Nothing);
        if let Some(e) = self.ended_while_held(&req.command) {
            return (Err(e), After::Terminated);
        }
        match req.command.as_str() {
            "initialize" => nothing(self.initialize(req)),
            "attach" => match self.attach(req) {
                Ok(v) => (Ok(v), After::Initialized),
                Err(e) => nothing(Err(e)),
            },
            "launch" => match self.launch(req) {
                Ok(v) => (Ok(v), After::Initialized),
                Err(e) => nothing(Err(e)),
            },
            "configurationDone" => {
                self.configured = true;
                (Ok(Value::Null), After::Stop)
            }
            "setBreakpoints" | "setFunctionBreakpoints" => nothing(Ok(json!({"breakpoints": []}))),
            "setExceptionBreakpoints" => nothing(Ok(Value::Null)),
            "threads" => nothing(self.threads()),
            "stackTrace" => nothing(self.stack_trace(req)),
            "scopes" => nothing(self.scopes(req)),
            "variables" => nothing(self.variables(req)),
            "evaluate" => nothing(self.evaluate(req)),
            "exceptionInfo" => nothing(self.exception_info(req)),
            "source" => nothing(self.source(req)),
            "continue" | "next" | "stepIn" | "stepOut" | "pause" | "reverseContinue"
            | "stepBack" | "restart" => nothing(fail(match self.holding() {
                true => format!(
                    "{} is not possible: pmdb holds a snapshot of the running process; \
                     disconnect to let it run on",
                    req.command
                ),
                false => format!(
                    "{} is not possible: pmdb inspects a crashed program, which cannot run on; \
                     disconnect to let it end",
                    req.command
                ),
            })),
            "terminate" => match self.release(true) {
                Ok(()) => (Ok(Value::Null), After::Terminated),
                Err(e) => nothing(Err(e)),
            },
            "disconnect" => {
                let a: p::DisconnectArguments = match args(req) {
                    Ok(a) => a,
                    Err(e) => return nothing(Err(e)),
                };
                match self.release(a.terminate_debuggee.unwrap_or(false)) {
                    Ok(()) => (Ok(Value::Null), After::End),
                    Err(e) => nothing(Err(e)),
                }
            }
            other => nothing(fail(format!(
                "pmdb's debug adapter does not handle the request {other:?}"
            ))),
        }
    }

    /// Whether the target is a running process held for a live snapshot.
    fn holding(&self) -> bool {
        self.target.as_ref().is_some_and(|t| t.holding.is_some())
    }

    /// A held process that ended meanwhile (SIGKILL reaches even a stopped
    /// one) has nothing left to read: a request that would read it is
    /// refused in one line, and the session ends.
    fn ended_while_held(&mut self, command: &str) -> Option<DapError> {
        let reads = matches!(
            command,
            "threads" | "stackTrace" | "scopes" | "variables" | "evaluate" | "exceptionInfo"
        );
        let t = self.target.as_mut()?;
        if !reads || t.holding.is_none() || !ptrace::ended(t.crash.pid) {
            return None;
        }
        // Nothing to let go of any more.
        t.holding = None;
        self.released = true;
        Some(DapError::Failed(
            ptrace::SnapshotError::EndedWhileHeld(t.crash.pid).to_string(),
        ))
    }

    fn initialize(&mut self, req: &Request) -> Result<Value, DapError> {
        let a: p::InitializeArguments = args(req)?;
        let base = |at1: Option<bool>| if at1 == Some(false) { 0 } else { 1 };
        self.bases = (base(a.lines_start_at1), base(a.columns_start_at1));
        Ok(serde_json::to_value(p::Capabilities {
            supports_configuration_done_request: true,
            supports_exception_info_request: true,
            supports_delayed_stack_trace_loading: true,
            supports_evaluate_for_hovers: true,
            support_terminate_debuggee: true,
            supports_terminate_request: true,
            supports_variable_paging: true,
            supports_value_formatting_options: false,
        })
        .expect("capabilities serialize"))
    }

    fn attach(&mut self, req: &Request) -> Result<Value, DapError> {
        if self.started {
            return fail("this session is already attached");
        }
        let a: p::AttachArguments = args(req)?;
        self.source_map = a.source_map.pairs();
        if let Some(cwd) = &a.cwd {
            self.source_base = cwd.clone();
        }
        let dir = a.pmdb_dir.clone().unwrap_or_else(wire::socket::socket_dir);
        if a.ssh.is_some() || a.via.is_some() {
            self.attach_remote(&a)?;
        } else if let Some(core) = &a.core {
            let session = open_core(core, a.program.as_deref())?;
            self.connected(session, None, None)?;
        } else if let Some(socket) = &a.socket {
            self.connect(socket)?;
        } else if let Some(pid) = a.pid {
            // A crash waiting on its socket, else the process as it runs.
            let socket = wire::socket::socket_path(&dir, pid.0);
            if socket.exists() {
                self.connect(&socket)?;
            } else {
                self.hold(pid.0, &dir)?;
            }
        } else if a.wait_for == Some(true) {
            self.watch(dir);
        } else {
            return fail(
                "attach needs one of \"pid\", \"socket\", \"core\" (with \"program\") or \"waitFor\": true",
            );
        }
        self.started = true;
        Ok(Value::Null)
    }

    /// A crash on another machine (`ssh`) or behind a command (`via`): the
    /// session runs through `pmdb bridge` at the far end, as `pmdb attach
    /// --ssh/--via` does. The process is not ours to signal: ending it is the
    /// agent's `Kill`.
    fn attach_remote(&mut self, a: &p::AttachArguments) -> Result<(), DapError> {
        let remote = crate::remote::RemoteArgs {
            ssh: a.ssh.clone(),
            via: a.via.clone(),
            remote_pmdb: a.remote_pmdb.clone(),
        };
        let target = match (&a.pid, &a.socket) {
            (Some(pid), _) => Some(pid.0.to_string()),
            (None, Some(socket)) => Some(socket.display().to_string()),
            (None, None) => None,
        };
        let endpoint = crate::remote::Endpoint::new(&remote, target.as_deref())
            .map_err(|e| DapError::Failed(format!("{e:#}")))?;
        let session = endpoint
            .connect()
            .map_err(|e| DapError::Failed(format!("{e:#}")))?;
        self.connected(session, None, None)
    }

    /// A running process with no crash waiting: stopped for a live snapshot
    /// as `pmdb attach PID` stops it (ptrace, else its agent where ptrace is
    /// refused), and held until the session ends.
    fn hold(&mut self, pid: u32, dir: &Path) -> Result<(), DapError> {
        let held =
            crate::live::hold_in(pid, dir).map_err(|e| DapError::Failed(format!("{e:#}")))?;
        let (session, holding, how) = match held {
            crate::live::Held::Ptrace(snapshot) => {
                let session = ptrace::serve_in_process(&snapshot)?;
                (
                    session,
                    Holding::Ptrace(snapshot.hold),
                    "every thread stopped",
                )
            }
            crate::live::Held::Agent {
                session, refused, ..
            } => {
                let text = format!("{}\n", crate::live::through_agent_line(pid, &refused));
                self.event("output", json!({"category": "important", "output": text}));
                (session, Holding::Agent, "every thread frozen by its agent")
            }
        };
        let text = format!(
            "pmdb: holding pid {pid}: {how} until you disconnect, which lets it run on as it was\n"
        );
        self.event("output", json!({"category": "important", "output": text}));
        // A failure from here drops the hold: the process goes on.
        self.connected(session, Some(pid), None)?;
        if let Some(t) = &mut self.target {
            t.holding = Some(holding);
        }
        Ok(())
    }

    fn connect(&mut self, socket: &Path) -> Result<(), DapError> {
        // The socket file appears at bind; the agent listens a moment later.
        let deadline = Instant::now() + Duration::from_secs(2);
        let session = loop {
            match Session::connect(socket) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => {
                    return fail(format!("cannot attach to {}: {e}", socket.display()));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        };
        let pid = session.hello().pid;
        self.connected(session, Some(pid), Some(socket.to_path_buf()))
    }

    fn connected(
        &mut self,
        session: Session,
        pid: Option<u32>,
        socket: Option<PathBuf>,
    ) -> Result<(), DapError> {
        // What every editor asks for next — threads, the crashed thread's
        // frames, the crashed frame's locals — in one round trip.
        let screen = session.first_screen()?;
        let crash = screen.crash;
        if let (Ok(locals), Some(frame)) =
            (screen.locals, screen.traceback.frames.get(screen.frame))
        {
            self.locals.insert(frame.info.id, locals);
        }
        self.tracebacks
            .insert(crash.thread, screen.traceback.frames);
        let program = session.hello().program.clone();
        for w in &session.hello().warnings {
            let text = format!("pmdb: warning: {w}\n");
            self.event("output", json!({"category": "important", "output": text}));
        }
        self.target = Some(Target {
            session,
            crash,
            threads: screen.threads,
            pid,
            socket,
            holding: None,
        });
        let mut body = json!({"name": program, "isLocalProcess": pid.is_some(),
            "startMethod": if self.launched.is_some() { "launch" } else { "attach" }});
        if let Some(pid) = pid {
            body["systemProcessId"] = json!(pid);
        }
        self.event("process", body);
        Ok(())
    }

    /// `waitFor`: attaches to the next socket that appears in `dir`.
    fn watch(&mut self, dir: PathBuf) {
        self.watching = Some(process::watch_dir(dir, self.tx.clone()));
    }

    fn launch(&mut self, req: &Request) -> Result<Value, DapError> {
        if self.started {
            return fail("this session is already attached");
        }
        let a: p::LaunchArguments = args(req)?;
        let Some(program) = &a.program else {
            return fail("launch needs \"program\": the executable to run");
        };
        self.source_map = a.source_map.pairs();
        if let Some(cwd) = &a.cwd {
            self.source_base = cwd.clone();
        }
        let launched = process::launch(program, &a, self.tx.clone())?;
        let pid = launched.pid;
        self.launched = Some(launched);
        self.started = true;
        let name = program.display().to_string();
        self.event(
            "process",
            json!({"name": name, "systemProcessId": pid, "isLocalProcess": true, "startMethod": "launch"}),
        );
        Ok(Value::Null)
    }

    fn on_crash(&mut self, socket: &Path) {
        if self.target.is_some() || self.released {
            return;
        }
        match self.connect(socket) {
            Ok(()) => self.maybe_stop(),
            Err(e) => {
                let text = format!("pmdb: {e}\n");
                self.event("output", json!({"category": "important", "output": text}));
            }
        }
    }

    fn on_exit(&mut self, code: i32) {
        if self.terminated_sent {
            return;
        }
        self.released = true;
        self.event("exited", json!({"exitCode": code}));
        self.terminated();
    }

    fn terminated(&mut self) {
        if !self.terminated_sent {
            self.terminated_sent = true;
            self.event("terminated", Value::Null);
        }
    }

    fn maybe_stop(&mut self) {
        if self.stopped_sent || !self.configured {
            return;
        }
        let Some(t) = &self.target else { return };
        let mut body = t::stopped(&t.crash, t.crash.thread as i64);
        // A deadlock is what the editor should say first.
        if let Ok(stuck) = engine::crash::stuck::walk_with(&t.session, &t.threads)
            && let Some(d) = stuck.waits.deadlocks.first()
        {
            body.description = engine::crash::stuck::deadlock_summary(&stuck, d);
        }
        self.stopped_sent = true;
        let first = t.crash.thread;
        let earlier_later = t.threads.iter().filter(|th| th.crashed).count() > 1;
        self.announced.insert(first);
        self.event(
            "stopped",
            serde_json::to_value(body).expect("stopped serializes"),
        );
        // Threads that crashed before we attached: each its own stop.
        if earlier_later {
            self.poll_crashes();
        }
    }

    /// How long until the agent is to be asked for new crash records, when
    /// it is to be asked at all: once the editor knows of the first crash,
    /// until the program is let go, while a thread of it goes on running.
    fn poll_wait(&self) -> Option<Duration> {
        let t = self.target.as_ref()?;
        let running = t.threads.iter().any(|th| th.name.contains(NOT_FROZEN));
        if !self.stopped_sent || self.released || self.poll_failed || !running {
            return None;
        }
        Some(
            (self.last_poll + CRASH_POLL)
                .checked_duration_since(Instant::now())
                .unwrap_or_default(),
        )
    }

    /// Asks the agent for its crash records; each crash the editor was not
    /// told of yet becomes a `stopped` event on its thread, with the
    /// threads listed afresh (a crashed thread is no longer "not frozen").
    fn poll_crashes(&mut self) {
        self.last_poll = Instant::now();
        let Some(t) = &self.target else { return };
        let crashes = match t.session.crashes() {
            Ok(c) => c,
            Err(e) if Session::lost(&e) && self.revive() => match t.session.crashes() {
                Ok(c) => c,
                Err(_) => return self.poll_failed = true,
            },
            Err(_) => return self.poll_failed = true,
        };
        let fresh: Vec<CrashInfo> = crashes
            .into_iter()
            .filter(|c| !self.announced.contains(&c.thread))
            .collect();
        if fresh.is_empty() {
            return;
        }
        let known: HashSet<u64> = t.threads.iter().map(|th| th.id).collect();
        if let Ok(threads) = t.session.threads()
            && let Some(t) = &mut self.target
        {
            t.threads = threads;
        }
        // The repl's cursor lists threads as they were.
        self.cursor = None;
        for c in fresh {
            // Asked before it crashed, its traceback was that of a thread
            // running on; now it is where it crashed.
            self.tracebacks.remove(&c.thread);
            if !known.contains(&c.thread) {
                self.event(
                    "thread",
                    json!({"reason": "started", "threadId": c.thread as i64}),
                );
            }
            let mut body = t::stopped(&c, c.thread as i64);
            body.preserve_focus_hint = Some(true);
            self.announced.insert(c.thread);
            self.later.insert(c.thread, c);
            self.event(
                "stopped",
                serde_json::to_value(body).expect("stopped serializes"),
            );
        }
    }

    fn target(&self) -> Result<&Target, DapError> {
        self.target
            .as_ref()
            .ok_or_else(|| DapError::Failed("no crashed program yet".into()))
    }

    fn threads(&mut self) -> Result<Value, DapError> {
        let Some(t) = &self.target else {
            return Ok(json!({"threads": []}));
        };
        let threads: Vec<p::Thread> = t
            .threads
            .iter()
            .map(|th| p::Thread {
                id: th.id as i64,
                name: t::thread_name(th),
            })
            .collect();
        Ok(json!({ "threads": threads }))
    }

    fn traceback(&mut self, thread: u64) -> Result<&Vec<wire::Frame>, DapError> {
        if !self.tracebacks.contains_key(&thread) {
            let frames = self.target()?.session.traceback(thread)?.frames;
            self.tracebacks.insert(thread, frames);
        }
        Ok(&self.tracebacks[&thread])
    }

    fn locate(&mut self, file: &str) -> Located {
        if let Some(l) = self.located.get(file) {
            return l.clone();
        }
        let path = t::map_source(file, &self.source_map, &self.source_base);
        let l = if path.is_file() {
            Located::Here(path)
        } else {
            self.sources.push(file.to_string());
            Located::Elsewhere(self.sources.len() as i64)
        };
        self.located.insert(file.to_string(), l.clone());
        l
    }

    fn stack_trace(&mut self, req: &Request) -> Result<Value, DapError> {
        let a: p::StackTraceArguments = args(req)?;
        let frames = self.traceback(a.thread_id as u64)?.clone();
        let total = frames.len();
        let start = a.start_frame.unwrap_or(0).clamp(0, total as i64) as usize;
        let end = match a.levels {
            Some(n) if n > 0 => start.saturating_add(n as usize).min(total),
            _ => total,
        };
        let mut out = Vec::new();
        for f in &frames[start..end] {
            let id = self.refs.frame_id(f.info.id, || f.clone());
            let src = f
                .info
                .file
                .clone()
                .map(|file| t::source(&file, &self.locate(&file)));
            out.push(t::stack_frame(id, &f.info, src, self.bases));
        }
        Ok(json!({"stackFrames": out, "totalFrames": total}))
    }

    fn frame(&self, id: i64) -> Result<&wire::Frame, DapError> {
        self.refs
            .frame(id)
            .ok_or_else(|| DapError::Failed(format!("no frame {id} (ask stackTrace first)")))
    }

    fn scopes(&mut self, req: &Request) -> Result<Value, DapError> {
        let a: p::ScopesArguments = args(req)?;
        let no_frame =
            || DapError::Failed(format!("no frame {} (ask stackTrace first)", a.frame_id));
        let locals = self
            .refs
            .scope(a.frame_id, Scope::Locals)
            .ok_or_else(no_frame)?;
        let registers = self
            .refs
            .scope(a.frame_id, Scope::Registers)
            .ok_or_else(no_frame)?;
        Ok(json!({"scopes": [
            p::Scope {
                name: "Locals".into(),
                presentation_hint: "locals".into(),
                variables_reference: locals,
                expensive: false,
            },
            p::Scope {
                name: "Registers".into(),
                presentation_hint: "registers".into(),
                variables_reference: registers,
                expensive: false,
            },
        ]}))
    }

    /// A frame's registers, as the unwinder knows them in that frame.
    fn registers(&self, frame: i64) -> Result<Value, DapError> {
        let registers = self.frame(frame)?.registers()?;
        let out: Vec<p::Variable> = registers
            .into_iter()
            .map(|r| p::Variable {
                name: r.name,
                value: t::register_value(r.value),
                type_name: "u64".into(),
                variables_reference: 0,
                named_variables: None,
                indexed_variables: None,
                evaluate_name: None,
            })
            .collect();
        Ok(json!({ "variables": out }))
    }

    /// The reference that expands `v` (0 when it has no children).
    fn value_ref(&mut self, v: &RemoteValue, paths: Option<Paths>) -> i64 {
        match v.info.handle {
            Some(handle) if v.info.child_count > 0 => {
                self.refs.value(handle, || Box::new(v.clone()), paths)
            }
            _ => 0,
        }
    }

    fn variables(&mut self, req: &Request) -> Result<Value, DapError> {
        let a: p::VariablesArguments = args(req)?;
        let node = self.refs.node(a.variables_reference).ok_or_else(|| {
            DapError::Failed(format!("no variables reference {}", a.variables_reference))
        })?;
        let start = a.start.unwrap_or(0).max(0) as u64;
        let count = a.count.filter(|&c| c > 0).map(|c| c as u64);
        let (children, parent): (Vec<RemoteValue>, Option<(wire::ValueKind, Option<Paths>)>) =
            match node {
                Node::Registers(frame) => return self.registers(*frame),
                Node::Locals(frame) => {
                    let frame = self.frame(*frame)?;
                    let locals = match self.locals.get(&frame.info.id) {
                        Some(known) => known.clone(),
                        None => frame.locals()?,
                    };
                    let end = count.map_or(locals.len(), |c| {
                        (start as usize)
                            .saturating_add(c as usize)
                            .min(locals.len())
                    });
                    let start = (start as usize).min(end);
                    (locals[start..end].to_vec(), None)
                }
                Node::Value { value, paths } => {
                    // A reference to a struct lists the struct's members
                    // (one round trip more, to reach the pointee).
                    let (value, paths) = match t::flattens(&value.info) {
                        true => {
                            let target = value.expansion()?;
                            match target.info.handle == value.info.handle {
                                true => (target, paths.clone()),
                                false => {
                                    let paths = paths
                                        .as_ref()
                                        .and_then(|p| p.child(wire::ValueKind::Pointer, "*"));
                                    (target, paths)
                                }
                            }
                        }
                        false => (value.as_ref().clone(), paths.clone()),
                    };
                    let kind = value.info.kind;
                    let total = value.info.child_count;
                    let wanted = match a.filter.as_deref() {
                        Some("named") if t::indexed(kind) => 0,
                        Some("indexed") if !t::indexed(kind) => 0,
                        _ => count
                            .unwrap_or(total)
                            .min(total.saturating_sub(start))
                            .min(MAX_PAGE),
                    };
                    let kids = if wanted == 0 {
                        Vec::new()
                    } else {
                        value.children(start, wanted)?
                    };
                    (kids, Some((kind, paths)))
                }
            };
        // A shadowed local has no path that reaches it.
        let shadowed = t::shadowed(
            &children
                .iter()
                .map(|c| (c.info.name.as_str(), c.info.shadowed))
                .collect::<Vec<_>>(),
        );
        let mut out = Vec::with_capacity(children.len());
        for (i, child) in children.iter().enumerate() {
            let paths = match &parent {
                None if shadowed[i] => None,
                None => Some(Paths::root(&child.info.name)),
                Some((kind, Some(p))) => p.child(*kind, &child.info.name),
                Some((_, None)) => None,
            };
            let reference = self.value_ref(child, paths.clone());
            out.push(t::variable(&child.info, reference, paths.as_ref()));
        }
        Ok(json!({ "variables": out }))
    }

    /// The frame an expression is evaluated in: the one asked, else the
    /// crashed thread's innermost user frame.
    fn eval_frame(&mut self, frame_id: Option<i64>) -> Result<wire::Frame, DapError> {
        if let Some(id) = frame_id {
            return Ok(self.frame(id)?.clone());
        }
        let thread = self.target()?.crash.thread;
        let frames = self.traceback(thread)?;
        frames
            .iter()
            .find(|f| !f.info.runtime)
            .or(frames.first())
            .cloned()
            .ok_or_else(|| DapError::Failed("the crashed thread has no frames".into()))
    }

    fn evaluate(&mut self, req: &Request) -> Result<Value, DapError> {
        let a: p::EvaluateArguments = args(req)?;
        let frame = self.eval_frame(a.frame_id)?;
        let expr = a.expression.trim();
        let repl = a.context.as_deref() == Some("repl");
        if repl && t::is_command(expr) {
            return self.command(&frame, expr);
        }
        let value = frame.eval(expr).map_err(|e| {
            // The column counts in what the editor sent; in the debug
            // console, the line again with a caret under it, as `p` shows.
            let e = t::as_typed(e, &a.expression);
            match e.caret(2) {
                Some(caret) if repl => DapError::Failed(format!("{e}\n{caret}")),
                _ => DapError::Wire(e),
            }
        })?;
        self.evaluated(value, expr)
    }

    fn evaluated(&mut self, value: RemoteValue, expr: &str) -> Result<Value, DapError> {
        let paths = Paths::root(expr);
        let reference = self.value_ref(&value, Some(paths.clone()));
        let var = t::variable(&value.info, reference, Some(&paths));
        let mut body = json!({
            "result": var.value,
            "type": var.type_name,
            "variablesReference": var.variables_reference,
        });
        if let Some(n) = var.named_variables {
            body["namedVariables"] = json!(n);
        }
        if let Some(n) = var.indexed_variables {
            body["indexedVariables"] = json!(n);
        }
        Ok(body)
    }

    /// One of pmdb's commands, run where `frame` stands.
    fn command(&mut self, frame: &wire::Frame, line: &str) -> Result<Value, DapError> {
        if self.cursor.is_none() {
            let session = self.target()?.session.clone();
            let cursor = Cursor::new(session).map_err(|e| DapError::Failed(e.to_string()))?;
            self.cursor = Some(cursor);
        }
        let cursor = self.cursor.as_mut().expect("cursor set above");
        let want = frame.info.id;
        if cursor.threads.get(cursor.thread).map(|t| t.id) != Some(want.thread) {
            let i = cursor
                .threads
                .iter()
                .position(|t| t.id == want.thread)
                .ok_or_else(|| DapError::Failed(format!("no thread {}", want.thread)))?;
            cursor
                .select_thread(i)
                .map_err(|e| DapError::Failed(e.to_string()))?;
        }
        if let Some(i) = cursor.frames.iter().position(|f| f.info.id == want) {
            cursor.frame = i;
        }
        match cursor.execute(line).map_err(DapError::Failed)? {
            Output::Lines(lines) => {
                Ok(json!({"result": lines.join("\n"), "variablesReference": 0}))
            }
            Output::Value(value, _) => {
                let expr = line
                    .split_once(char::is_whitespace)
                    .map_or("", |(_, e)| e.trim())
                    .to_string();
                self.evaluated(value, &expr)
            }
        }
    }

    fn exception_info(&mut self, req: &Request) -> Result<Value, DapError> {
        let a: p::ExceptionInfoArguments = args(req)?;
        let crash = match self.later.get(&(a.thread_id as u64)) {
            Some(later) => later.clone(),
            None => self.target()?.crash.clone(),
        };
        let frames: Vec<wire::FrameInfo> = self
            .traceback(crash.thread)?
            .iter()
            .map(|f| f.info.clone())
            .collect();
        Ok(serde_json::to_value(t::exception_info(&crash, &frames)).expect("serializes"))
    }

    fn source(&mut self, req: &Request) -> Result<Value, DapError> {
        let a: p::SourceArguments = args(req)?;
        let reference = a
            .source
            .as_ref()
            .and_then(|s| s.source_reference)
            .unwrap_or(a.source_reference);
        let file = usize::try_from(reference.saturating_sub(1))
            .ok()
            .and_then(|i| self.sources.get(i))
            .cloned()
            .or_else(|| a.source.as_ref().and_then(|s| s.path.clone()))
            .ok_or_else(|| DapError::Failed(format!("no source reference {reference}")))?;
        let path = t::map_source(&file, &self.source_map, &self.source_base);
        if let Ok(content) = std::fs::read_to_string(&path) {
            return Ok(json!({ "content": content }));
        }
        match self.served_source(&file) {
            Ok(content) => Ok(json!({ "content": content })),
            Err(why) => fail(format!(
                "no copy of {file} is on this machine, and the crashed program could not \
                 send one ({why}); a \"sourceMap\" in the configuration can point to a \
                 local copy"
            )),
        }
    }

    /// The text of `file` as the crashed program's machine has it, a page
    /// (the agent's line and byte caps) at a time, up to `MAX_SOURCE`.
    fn served_source(&self, file: &str) -> Result<String, DapError> {
        const MAX_SOURCE: usize = 16 << 20;
        let session = &self.target()?.session;
        let mut text = String::new();
        let mut next = 1u32;
        loop {
            let page = session.source(file, next, u32::MAX)?;
            for line in &page.lines {
                text.push_str(line);
                text.push('\n');
            }
            next = page.first_line.saturating_add(page.lines.len() as u32);
            if !page.truncated
                || page.lines.is_empty()
                || next > page.total_lines
                || text.len() > MAX_SOURCE
            {
                return Ok(text);
            }
        }
    }

    /// After a failed request: whether the connection to the agent was lost
    /// (the agent closes one that stays idle) and is now replaced. Frames and
    /// values already handed out share the session, so they work on.
    fn revive(&self) -> bool {
        let Some(t) = &self.target else { return false };
        let Some(socket) = &t.socket else {
            return false;
        };
        match t.session.crash() {
            Err(e) if Session::lost(&e) => wire::socket::connect(socket)
                .and_then(|stream| {
                    t.session
                        .reconnect(Box::new(wire::StreamTransport::new(stream)))
                })
                .is_ok(),
            _ => false,
        }
    }

    /// Lets the program go on (`kill` false) or ends it now (true).
    fn release(&mut self, kill: bool) -> Result<(), DapError> {
        if let Some(w) = &self.watching {
            w.store(true, Ordering::Relaxed);
        }
        if self.released {
            return Ok(());
        }
        if let Some(t) = &mut self.target
            && let Some(holding) = t.holding.take()
        {
            self.released = true;
            let pid = t.crash.pid;
            match holding {
                Holding::Ptrace(hold) => {
                    if kill && same_process(pid, &t.crash) {
                        // SAFETY: kill has no memory-safety preconditions; the
                        // pid is the process we hold stopped, so not reused.
                        // SIGKILL ends even a thread in a ptrace stop.
                        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
                    }
                    // Every thread detached before the editor hears back.
                    let released = hold.release();
                    let text = match kill {
                        true => format!("pmdb: killed pid {pid}\n"),
                        false => format!(
                            "pmdb: let pid {pid} go on after holding it {:.1} ms\n",
                            released.paused.as_secs_f64() * 1000.0
                        ),
                    };
                    self.event("output", json!({"category": "console", "output": text}));
                }
                Holding::Agent if kill => t.session.kill()?,
                Holding::Agent => t.session.resume()?,
            }
            return Ok(());
        }
        if kill {
            if let Some(l) = &self.launched {
                l.kill();
            } else if let Some(t) = &self.target {
                if let Some(pid) = t.pid.filter(|pid| same_process(*pid, &t.crash)) {
                    // SAFETY: kill has no memory-safety preconditions; the pid is
                    // the agent's own, checked above to be that program still.
                    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
                    if let Some(s) = &t.socket {
                        // A killed agent cannot remove its socket itself.
                        let _ = std::fs::remove_file(s);
                    }
                } else if t.pid.is_none() {
                    // Not a process here (another machine, a core): the
                    // agent ends it, as `pmdb`'s own kill does.
                    t.session.kill()?;
                }
            }
        } else if let Some(t) = &self.target {
            match t.session.resume() {
                Ok(()) => {}
                // A new connection if the agent closed ours; if the agent
                // is gone (the program ended), there is nothing to resume.
                Err(e) if Session::lost(&e) => {
                    if self.revive() {
                        t.session.resume()?;
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.released = true;
        if let Some(l) = &self.launched {
            // The program's end, before we answer.
            if let Some(code) = l.wait(Duration::from_secs(10)) {
                self.on_exit(code);
            }
        }
        Ok(())
    }
}

/// What to do after the response is sent.
enum After {
    Nothing,
    /// Send `initialized` (attach and launch).
    Initialized,
    /// Send `stopped` if the crash is there and configuration is done.
    Stop,
    Terminated,
    /// Disconnect: end the loop.
    End,
}

/// A request's arguments, or an error naming what is wrong with them.
fn args<T: DeserializeOwned + Default>(req: &Request) -> Result<T, DapError> {
    if req.arguments.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(req.arguments.clone()).map_err(|e| DapError::Arguments {
        command: req.command.clone(),
        reason: e.to_string(),
    })
}

/// The core-file arm of `attach`: the engine runs in this process over the
/// in-memory transport, so the rest of the session is the same as a live one.
fn open_core(core: &Path, exe: Option<&Path>) -> Result<Session, DapError> {
    crate::core::open_core(core, exe).map_err(|e| DapError::Failed(format!("{e:#}")))
}

/// Whether `pid` is still the crashed program (not a pid reused since).
fn same_process(pid: u32, crash: &CrashInfo) -> bool {
    crash.pid == pid && Path::new(&format!("/proc/{pid}")).exists()
}
