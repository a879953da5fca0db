//! The server: binds `<PMDB_DIR>/<pid>.sock` (directory 0700 and ours,
//! socket 0600, whatever the umask), admits only clients of the same effective
//! uid or root (checked with `SO_PEERCRED`), at most [`MAX_CONNECTIONS`] at a
//! time, answers each on its own thread with a per-connection idle timeout,
//! and ends when a debugger says resume or kill, or when no request came for
//! `PMDB_WAIT` (a crash), or when the last debugger went (a live snapshot).
//!
//! The conversation itself is the engine's (`engine::crash::serve::Server`), which
//! runs over any `wire::Transport`.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use engine::crash::serve::{Server, Verdict, reply};
use engine::{Crash, Inspector};
use interprocess::local_socket::{
    GenericFilePath, Listener, ListenerNonblockingMode, ListenerOptions, Stream, ToFsName,
    prelude::*,
};
use interprocess::os::unix::local_socket::ListenerOptionsExt;
use wire::{ErrorKind, RemoteError, Response, StreamTransport, Transport};

/// Most connections served at once; one more is told so and closed.
pub const MAX_CONNECTIONS: usize = 64;

/// The largest request frame the agent reads (64 KiB).
pub use wire::frame::MAX_REQUEST;

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
    #[error("the socket {path} is in use by another live agent")]
    InUse { path: PathBuf },
}

/// The effective uid of this process.
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
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
    // Only a real directory of our own: not a symlink, not someone else's
    // (whose owner could enter it whatever its mode).
    let meta = std::fs::symlink_metadata(dir).map_err(dir_err)?;
    if !meta.is_dir() {
        return Err(dir_err(std::io::Error::other("not a directory")));
    }
    if meta.uid() != euid() {
        return Err(dir_err(std::io::Error::other(format!(
            "owned by uid {}, not by us (uid {})",
            meta.uid(),
            euid()
        ))));
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(dir_err)?;
    let path = wire::socket::socket_path(dir, pid);
    let listen_err = |source| BindError::Listen {
        path: path.clone(),
        source,
    };
    // A socket left by an earlier process with our pid is stale, unless
    // something still answers on it: then it is not ours to take.
    if std::fs::symlink_metadata(&path).is_ok() {
        if wire::socket::connect(&path).is_ok() {
            return Err(BindError::InUse { path });
        }
        let _ = std::fs::remove_file(&path);
    }
    // Listen under a temporary name, then rename: once `<pid>.sock` exists it
    // accepts connections (a bound but not yet listening socket refuses them).
    let staging = dir.join(format!(".{pid}.sock.tmp"));
    let _ = std::fs::remove_file(&staging);
    let name = staging
        .clone()
        .to_fs_name::<GenericFilePath>()
        .map_err(listen_err)?;
    let listener = ListenerOptions::new()
        .name(name)
        .mode(0o600)
        .reclaim_name(false)
        .nonblocking(ListenerNonblockingMode::Neither)
        .create_sync()
        .map_err(listen_err)?;
    // Accept blocks, so a debugger is answered the moment it connects, but
    // wakes every tick to check the verdict and the idle timeout.
    let Listener::UdSocket(uds) = &listener;
    socket2::SockRef::from(uds)
        .set_read_timeout(Some(ACCEPT_TICK))
        .map_err(listen_err)?;
    let ready = std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| std::fs::rename(&staging, &path));
    if let Err(e) = ready {
        let _ = std::fs::remove_file(&staging);
        return Err(listen_err(e));
    }
    Ok(Bound { listener, path })
}

/// The shared server and the count of connections it serves.
///
/// Every thread of the agent holds it as a `&'static Shared` (see [`share`]),
/// never by value or in an `Arc`: a debugger that prints each frame's locals
/// (`rust-gdb`'s `thread apply all bt full`) follows an `Arc` and a `Vec`
/// into the engine's every table, which took minutes and ended in its own
/// errors; a reference it prints as an address.
pub struct Shared {
    server: Server,
    connections: AtomicUsize,
}

impl Shared {
    /// Why `stream` may not be served, if it may not: another user, or one
    /// connection too many.
    fn refusal(&self, stream: &Stream) -> Option<RemoteError> {
        let ours = euid();
        match stream.peer_creds().map(|c| c.euid()) {
            Ok(Some(uid)) if uid == ours || uid == 0 => {}
            Ok(Some(uid)) => {
                return Some(RemoteError::new(
                    ErrorKind::PermissionDenied,
                    format!(
                        "permission denied: process {} runs as uid {ours}; only that user or root may attach, not uid {uid}",
                        self.server.inspector().crash.info.pid
                    ),
                ));
            }
            Ok(None) | Err(_) => {
                return Some(RemoteError::new(
                    ErrorKind::PermissionDenied,
                    "permission denied: the client's credentials cannot be checked",
                ));
            }
        }
        if self.connections.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
            return Some(RemoteError::new(
                ErrorKind::Busy,
                format!("the agent already serves {MAX_CONNECTIONS} connections; try again later"),
            ));
        }
        None
    }
}

/// How often a waiting `accept` wakes to check the verdict and the idle timeout.
const ACCEPT_TICK: Duration = Duration::from_millis(20);

/// Counts a connection while it lives.
struct Slot(&'static Shared);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

/// When serving ends, besides a debugger's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// No request came for this long (a crash: `PMDB_WAIT`).
    Idle(Duration),
    /// The last debugger went (its connection closed), or none came
    /// within this long (a live snapshot: the program goes on as soon as
    /// nobody looks, and a debugger that died never holds it).
    Detached(Duration),
}

/// The server of one crash, made to last as long as the process: one per
/// crash served (a process serves few), so that the threads serving it hold
/// only a reference (see [`Shared`]). Called inline with the `Inspector` built
/// in its argument, so no frame that lives while the crash is served has the
/// inspector among its locals.
/// `saver` writes a core of this process when a debugger asks
/// (`crate::save::saver`).
pub fn share(
    inspector: Inspector,
    client_timeout: Duration,
    saver: engine::crash::serve::Saver,
) -> &'static Shared {
    Box::leak(Box::new(Shared {
        server: Server::new(inspector, client_timeout)
            .trimming()
            .saving_with(saver),
        connections: AtomicUsize::new(0),
    }))
}

/// Serves `shared` on `bound` until a verdict or `until` says so; a
/// connection that sends nothing for `client_timeout` is closed. Returns
/// the verdict, the crash, and whether any debugger ever attached.
pub fn serve(
    bound: Bound,
    shared: &'static Shared,
    until: Until,
    client_timeout: Duration,
) -> (Verdict, Crash, bool) {
    let server = &shared.server;
    // While nobody is attached yet, load the debug info and symbolise the
    // crashed thread, so the first screen finds them ready. A request that
    // needs them meanwhile waits for this work instead of repeating it.
    let _ = std::thread::Builder::new()
        .name("pmdb-agent-warm".into())
        .spawn(move || {
            let ins = shared.server.inspector();
            let _ = ins.traceback(ins.crash.info.thread);
            ins.engine().trim();
        });
    let mut attached = false;
    let end = |v: Verdict, attached: bool| (v, server.inspector().crash.clone(), attached);
    loop {
        if let Some(v) = server.verdict() {
            return end(v, attached);
        }
        // Nothing for a moment: give back the DWARF pages requests touched.
        if server.idle() >= ACCEPT_TICK {
            server.trim_if_touched();
        }
        match until {
            Until::Idle(wait) => {
                crate::keep::refresh(&server.inspector().crash);
                if server.idle() >= wait {
                    return end(Verdict::TimedOut, attached);
                }
            }
            Until::Detached(_) if attached && shared.connections.load(Ordering::SeqCst) == 0 => {
                return end(Verdict::Resume, attached);
            }
            Until::Detached(first) if !attached && server.idle() >= first => {
                return end(Verdict::TimedOut, attached);
            }
            Until::Detached(_) => {}
        }
        match bound.listener.accept() {
            Ok(stream) => {
                // Replies to a client that does not read must not block us.
                let _ = stream.set_send_timeout(Some(client_timeout));
                if let Some(refusal) = shared.refusal(&stream) {
                    // A refused client does not count as activity for `PMDB_WAIT`.
                    refuse(stream, refusal);
                    continue;
                }
                server.touch();
                attached = true;
                let _ = stream.set_recv_timeout(Some(client_timeout));
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let slot = Slot(shared);
                let spawned = std::thread::Builder::new()
                    .name("pmdb-agent-conn".into())
                    .spawn(move || {
                        let mut t = StreamTransport::with_max_frame(stream, MAX_REQUEST);
                        slot.0.server.converse(&mut t);
                        drop(slot);
                    });
                if let Err(e) = spawned {
                    eprintln!("pmdb: cannot serve a connection: {e}");
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => {
                eprintln!("pmdb: accept failed: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Refusals being told at once, each on a thread of its own.
static REFUSING: AtomicUsize = AtomicUsize::new(0);
/// Most refusals told at once; past it, the reply is sent without waiting.
const MAX_REFUSING: usize = 16;
/// How long a refusal waits for the client's first message.
const REFUSAL_LINGER: Duration = Duration::from_millis(500);

/// One error reply, then the connection closes. The client's hello is read
/// first (for at most `REFUSAL_LINGER`): a client still writing it when the
/// connection closed would see a broken pipe instead of the reason.
fn refuse(stream: Stream, refusal: RemoteError) {
    let tell = move |stream: Stream, linger: bool| {
        let mut t = StreamTransport::with_max_frame(stream, MAX_REQUEST);
        if linger {
            let _ = t.get_ref().set_recv_timeout(Some(REFUSAL_LINGER));
            let _ = t.recv();
        }
        let _ = reply(&mut t, 0, Response::Error(refusal));
    };
    if REFUSING.fetch_add(1, Ordering::Relaxed) >= MAX_REFUSING {
        REFUSING.fetch_sub(1, Ordering::Relaxed);
        return tell(stream, false);
    }
    let spawned = std::thread::Builder::new()
        .name("pmdb-agent-refuse".into())
        .spawn(move || {
            tell(stream, true);
            REFUSING.fetch_sub(1, Ordering::Relaxed);
        });
    if spawned.is_err() {
        REFUSING.fetch_sub(1, Ordering::Relaxed);
    }
}
