//! The server: binds `<PMDB_DIR>/<pid>.sock` (directory 0700, socket 0600),
//! answers each debugger connection on its own thread, and ends when a
//! debugger says resume or kill, or when no request came for `PMDB_WAIT`.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use interprocess::local_socket::{
    GenericFilePath, Listener, ListenerNonblockingMode, ListenerOptions, Stream, ToFsName,
    prelude::*,
};
use interprocess::os::unix::local_socket::ListenerOptionsExt;
use wire::{
    Envelope, ErrorKind, Hello, PROTOCOL_VERSION, RemoteError, Request, Response, StreamTransport,
    Transport, frame,
};

use crate::inspect::Inspector;

/// How serving ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Resume,
    Kill,
    TimedOut,
}

/// Why the socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("cannot create the socket directory {dir}: {source}")]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {path}: {source}")]
    Listen {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A bound socket, removed when dropped.
pub struct Bound {
    listener: Listener,
    pub path: PathBuf,
}

impl Drop for Bound {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Creates the socket directory (0700) and listens on `<dir>/<pid>.sock` (0600).
pub fn bind(dir: &Path, pid: u32) -> Result<Bound, BindError> {
    let dir_err = |source| BindError::Dir {
        dir: dir.to_path_buf(),
        source,
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(dir_err)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(dir_err)?;
    let path = wire::socket::socket_path(dir, pid);
    let listen_err = |source| BindError::Listen {
        path: path.clone(),
        source,
    };
    // A socket left by an earlier process with our pid is stale.
    let _ = std::fs::remove_file(&path);
    let name = path
        .clone()
        .to_fs_name::<GenericFilePath>()
        .map_err(listen_err)?;
    let listener = ListenerOptions::new()
        .name(name)
        .mode(0o600)
        .nonblocking(ListenerNonblockingMode::Accept)
        .create_sync()
        .map_err(listen_err)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(listen_err)?;
    Ok(Bound { listener, path })
}

struct Shared {
    inspector: Inspector,
    verdict: Mutex<Option<Verdict>>,
    last_request: AtomicU64,
    requests: AtomicU64,
    started: Instant,
}

impl Shared {
    fn touch(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.last_request
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let last = self.last_request.load(Ordering::Relaxed);
        self.started
            .elapsed()
            .saturating_sub(Duration::from_millis(last))
    }
}

/// Serves `inspector` on `bound` until a verdict or `wait` without requests.
pub fn serve(bound: Bound, inspector: Inspector, wait: Duration) -> Verdict {
    let shared = Arc::new(Shared {
        inspector,
        verdict: Mutex::new(None),
        last_request: AtomicU64::new(0),
        requests: AtomicU64::new(0),
        started: Instant::now(),
    });
    loop {
        if let Some(v) = *shared.verdict.lock().unwrap_or_else(|p| p.into_inner()) {
            return v;
        }
        if shared.idle() >= wait {
            return Verdict::TimedOut;
        }
        match bound.listener.accept() {
            Ok(stream) => {
                shared.touch();
                let shared = shared.clone();
                let spawned = std::thread::Builder::new()
                    .name("pmdb-agent-conn".into())
                    .spawn(move || connection(stream, &shared));
                if let Err(e) = spawned {
                    eprintln!("pmdb: cannot serve a connection: {e}");
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                eprintln!("pmdb: accept failed: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn connection(stream: Stream, shared: &Shared) {
    let mut transport = StreamTransport::new(stream);
    let mut greeted = false;
    loop {
        let bytes = match transport.recv() {
            Ok(b) => b,
            Err(wire::Error::Closed) => return,
            Err(e) => {
                // The stream may be out of step; say why once, then close.
                let _ = reply(
                    &mut transport,
                    0,
                    error(ErrorKind::BadRequest, e.to_string()),
                );
                return;
            }
        };
        shared.touch();
        let (id, request) = match frame::decode::<Envelope<Request>>(&bytes) {
            Ok(env) => (env.id, env.body),
            Err(e) => {
                if reply(
                    &mut transport,
                    0,
                    error(ErrorKind::BadRequest, e.to_string()),
                )
                .is_err()
                {
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
                    pid: shared.inspector.crash.info.pid,
                    program: shared.inspector.crash.info.program.clone(),
                })
            }
            (_, false) => error(ErrorKind::BadRequest, "the first request must be a hello"),
            _ => dispatch(shared, request),
        };
        if reply(&mut transport, id, response).is_err() {
            return;
        }
    }
}

fn dispatch(shared: &Shared, request: Request) -> Response {
    let ins = &shared.inspector;
    let set = |v| {
        *shared.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(v);
        Response::Ok
    };
    // A bug in the agent must not take the debuggee down: contain it here.
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match request {
        Request::Hello { .. } => unreachable!("handled by the connection"),
        Request::Crash => Ok(Response::Crash(ins.crash.info.clone())),
        Request::Threads => Ok(Response::Threads(ins.threads())),
        Request::Traceback { thread } => ins.traceback(thread).map(Response::Traceback),
        Request::Locals { frame } => ins.locals(frame).map(Response::Values),
        Request::Children {
            value,
            start,
            count,
        } => ins.children(value, start, count).map(Response::Values),
        Request::Static { name } => ins.static_value(&name).map(Response::Values),
        Request::Fetch { value } => ins.fetch(value).map(Response::Fetched),
        Request::Stats => Ok(Response::Stats(wire::AgentStats {
            bytes_read: crate::memory::bytes_read(),
            units_parsed: crate::debuginfo::units_parsed(),
            requests: shared.requests.fetch_add(0, Ordering::Relaxed),
        })),
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

fn error(kind: ErrorKind, message: impl Into<String>) -> Response {
    Response::Error(RemoteError::new(kind, message))
}

fn reply(t: &mut impl Transport, id: u64, body: Response) -> Result<(), wire::Error> {
    t.send(&frame::encode(&Envelope { id, body })?)
}
