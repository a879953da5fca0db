//! The processes around a session: a program `launch` runs with the agent
//! waiting in a private socket directory (its output forwarded, its crash and
//! its end reported), and the `waitFor` watch over a socket directory.

use std::io::Read;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::input::Input;
use super::protocol::LaunchArguments;

/// Why a program could not be launched.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("cannot create {}: {source}", dir.display())]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot run {}: {source}", program.display())]
    Run {
        program: PathBuf,
        source: std::io::Error,
    },
}

/// A program `launch` started.
pub struct Launched {
    child: Arc<Mutex<Child>>,
    pub pid: u32,
    /// Its private socket directory.
    dir: PathBuf,
}

/// Runs `program` as `args` say, with `PMDB_MODE=wait` and a private
/// `PMDB_DIR`; its output, its crash (the socket appearing) and its end
/// arrive on `tx`.
pub fn launch(
    program: &Path,
    args: &LaunchArguments,
    tx: Sender<Input>,
) -> Result<Launched, LaunchError> {
    let dir = std::env::temp_dir().join(format!(
        "pmdb-dap-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(&dir)
        .map_err(|source| LaunchError::Dir {
            dir: dir.clone(),
            source,
        })?;
    let mut cmd = Command::new(program);
    cmd.args(&args.args)
        .env("PMDB_MODE", "wait")
        .env("PMDB_DIR", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(cwd) = &args.cwd {
        cmd.current_dir(cwd);
    }
    for (k, v) in &args.env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd.spawn().map_err(|source| {
        let _ = std::fs::remove_dir(&dir);
        LaunchError::Run {
            program: program.to_path_buf(),
            source,
        }
    })?;
    let pid = child.id();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || forward(out, "stdout", tx));
    }
    if let Some(err) = child.stderr.take() {
        let tx = tx.clone();
        std::thread::spawn(move || forward(err, "stderr", tx));
    }
    let child = Arc::new(Mutex::new(child));
    let socket = wire::socket::socket_path(&dir, pid);
    let watched = child.clone();
    std::thread::spawn(move || watch_child(watched, socket, tx));
    Ok(Launched { child, pid, dir })
}

impl Launched {
    /// Ends the program now (SIGKILL).
    pub fn kill(&self) {
        let _ = self.lock().kill();
    }

    /// Waits up to `limit` for the program to end; its exit code. The
    /// socket directory is removed either way.
    pub fn wait(&self, limit: Duration) -> Option<i32> {
        let _ = std::fs::remove_dir_all(&self.dir);
        let deadline = Instant::now() + limit;
        loop {
            match self.lock().try_wait() {
                Ok(Some(status)) => return Some(exit_code(status)),
                Err(_) => return None,
                Ok(None) if Instant::now() > deadline => return None,
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Watches `dir` for the next crashed process's socket (one not there now)
/// and sends it on `tx`; setting the flag returned stops the watch.
pub fn watch_dir(dir: PathBuf, tx: Sender<Input>) -> Arc<AtomicBool> {
    let before: Vec<u32> = wire::socket::waiting(&dir)
        .into_iter()
        .map(|(pid, _)| pid)
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::spawn(move || {
        while !stopped.load(Ordering::Relaxed) {
            if let Some((_, socket)) = wire::socket::waiting(&dir)
                .into_iter()
                .find(|(pid, _)| !before.contains(pid))
            {
                let _ = tx.send(Input::Crashed(socket));
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    stop
}

/// The shell's convention: the exit code, or 128 + the signal that killed it.
fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

/// Sends a launched program's output, a chunk at a time, as output events.
fn forward(mut pipe: impl Read, category: &'static str, tx: Sender<Input>) {
    let mut buf = vec![0u8; 8192];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                if tx.send(Input::Output { category, text }).is_err() {
                    return;
                }
            }
        }
    }
}

/// Waits for a launched program to crash (its socket appears) and to end.
fn watch_child(child: Arc<Mutex<Child>>, socket: PathBuf, tx: Sender<Input>) {
    let mut crashed = false;
    loop {
        let status = child.lock().unwrap_or_else(|p| p.into_inner()).try_wait();
        match status {
            Ok(Some(status)) => {
                let _ = tx.send(Input::Exited(exit_code(status)));
                return;
            }
            Err(_) => return,
            Ok(None) => {}
        }
        if !crashed && socket.exists() {
            crashed = true;
            if tx.send(Input::Crashed(socket.clone())).is_err() {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
