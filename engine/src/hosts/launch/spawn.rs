//! Starting a program under ptrace from its first instruction: the command
//! is found and checked first (each refusal one line), then pmdb forks; the
//! child waits on a pipe until the parent has seized it, then calls
//! `execve`, so the first thing it does traced is become the program
//! (`PTRACE_EVENT_EXEC`). A failed `execve` sends its errno back over a
//! close-on-exec pipe.

use std::ffi::{CString, OsStr, OsString};
use std::io::Read;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::sys::ptrace::Options;

use super::LaunchError;
use super::sys::{self, Status, Tid};

/// What kind of file a command is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An x86-64 ELF executable.
    Elf,
    /// A script: its `#!` line.
    Script(String),
}

/// Finds `command` as a shell would (a name with a `/` as a path, else
/// along `PATH`) and says what it is, or why it cannot run.
pub fn resolve(command: &OsStr) -> Result<(PathBuf, Kind), LaunchError> {
    let shown = command.to_string_lossy().into_owned();
    let path = if command.as_bytes().contains(&b'/') {
        PathBuf::from(command)
    } else {
        let dirs = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        let found: Vec<PathBuf> = std::env::split_paths(&dirs)
            .map(|d| d.join(command))
            .filter(|p| p.is_file())
            .collect();
        match found.iter().find(|p| executable(p)).or(found.first()) {
            Some(p) => p.clone(),
            None => return Err(LaunchError::NotFound(shown)),
        }
    };
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LaunchError::NoFile(shown));
        }
        Err(e) => {
            return Err(LaunchError::Exec {
                path: shown,
                error: e,
            });
        }
    };
    if meta.is_dir() {
        return Err(LaunchError::Directory(shown));
    }
    if !executable(&path) {
        return Err(LaunchError::NotExecutable(shown));
    }
    let mut head = [0u8; 128];
    let n = std::fs::File::open(&path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|error| LaunchError::Exec {
            path: shown.clone(),
            error,
        })?;
    let head = &head[..n];
    if let Some(line) = head.strip_prefix(b"#!") {
        let line = line.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line).trim().to_string();
        return Ok((path, Kind::Script(format!("#!{line}"))));
    }
    if !head.starts_with(b"\x7fELF") {
        let start: String = head
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        return Err(LaunchError::NotElf {
            path: shown,
            start: if start.is_empty() {
                "nothing: it is empty".into()
            } else {
                start
            },
        });
    }
    match (head.get(4), head.get(18..20)) {
        (Some(2), Some([62, 0])) => Ok((path, Kind::Elf)),
        (Some(1), _) => Err(LaunchError::WrongMachine {
            path: shown,
            what: "a 32-bit program".into(),
        }),
        (_, Some(m)) => Err(LaunchError::WrongMachine {
            path: shown,
            what: format!(
                "a program for ELF machine {}",
                u16::from_le_bytes([m[0], m[1]])
            ),
        }),
        _ => Err(LaunchError::NotElf {
            path: shown,
            start: "a truncated ELF header".into(),
        }),
    }
}

fn executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Two ends of a pipe, both close-on-exec.
fn pipe() -> Result<(OwnedFd, OwnedFd), LaunchError> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid two-int array for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(LaunchError::Ptrace {
            what: "pipe2",
            error: std::io::Error::last_os_error(),
        });
    }
    // SAFETY: pipe2 succeeded, so both are open descriptors we now own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn cstring(s: &OsStr) -> Result<CString, LaunchError> {
    CString::new(s.as_bytes()).map_err(|_| LaunchError::NulInArgument(s.to_string_lossy().into()))
}

/// Forks and execs `path` with `argv` (its `argv[0]` first) and pmdb's
/// environment with `env` set, its standard output on `stdout` if given,
/// traced with `options`; returns the pid, stopped at its
/// `PTRACE_EVENT_EXEC`.
pub fn spawn(
    path: &Path,
    argv: &[OsString],
    env: &[(OsString, OsString)],
    stdout: Option<BorrowedFd<'_>>,
    options: Options,
) -> Result<Tid, LaunchError> {
    let stdout = stdout.map_or(-1, |fd| fd.as_raw_fd());
    let shown = path.display().to_string();
    let c_path = cstring(path.as_os_str())?;
    let c_args = argv
        .iter()
        .map(|a| cstring(a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut c_argv: Vec<*const libc::c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
    c_argv.push(std::ptr::null());
    let c_env = std::env::vars_os()
        .filter(|(k, _)| !env.iter().any(|(set, _)| set == k))
        .chain(env.iter().cloned())
        .map(|(k, v)| {
            let mut kv = k;
            kv.push("=");
            kv.push(v);
            cstring(&kv)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut c_envp: Vec<*const libc::c_char> = c_env.iter().map(|a| a.as_ptr()).collect();
    c_envp.push(std::ptr::null());
    let (go_read, go_write) = pipe()?;
    let (err_read, err_write) = pipe()?;
    // SAFETY: between fork and execve the child calls only async-signal-safe
    // functions (read, dup2, execve, write, _exit) on memory prepared before the
    // fork; it allocates nothing and takes no lock.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(LaunchError::Exec {
            path: shown,
            error: std::io::Error::last_os_error(),
        });
    }
    if pid == 0 {
        // SAFETY: see above; every pointer passed is to data the child owns
        // (its copy of the parent's memory).
        unsafe {
            let mut byte = 0u8;
            loop {
                let r = libc::read(go_read.as_raw_fd(), (&raw mut byte).cast(), 1);
                if r == 1 {
                    break;
                }
                if r < 0 && *libc::__errno_location() == libc::EINTR {
                    continue;
                }
                // The parent went away, or could not trace us.
                libc::_exit(127);
            }
            if stdout >= 0 && libc::dup2(stdout, 1) < 0 {
                libc::_exit(127);
            }
            libc::execve(c_path.as_ptr(), c_argv.as_ptr(), c_envp.as_ptr());
            let errno = *libc::__errno_location();
            libc::write(err_write.as_raw_fd(), (&raw const errno).cast(), 4);
            libc::_exit(127);
        }
    }
    drop(go_read);
    drop(err_write);
    if let Err(error) = sys::seize(pid, options) {
        // Without a byte the child ends itself.
        drop(go_write);
        let _ = sys::wait(pid);
        return Err(LaunchError::Trace { path: shown, error });
    }
    let mut go = std::fs::File::from(go_write);
    let _ = std::io::Write::write_all(&mut go, b"g");
    drop(go);
    loop {
        match sys::wait(pid) {
            Ok((_, Status::Stopped { event, .. })) if event == libc::PTRACE_EVENT_EXEC => {
                return Ok(pid);
            }
            Ok((_, Status::Stopped { signal, event: 0 })) => {
                // A signal before the program ran (the terminal's SIGINT):
                // it is the program's.
                let _ = sys::cont(pid, signal);
            }
            Ok((_, Status::Stopped { .. })) => {
                let _ = sys::cont(pid, 0);
            }
            Ok((_, Status::Exited(_) | Status::Killed { .. })) => {
                let mut errno = [0u8; 4];
                let mut err = std::fs::File::from(err_read);
                let error = match err.read_exact(&mut errno) {
                    Ok(()) => std::io::Error::from_raw_os_error(i32::from_le_bytes(errno)),
                    Err(_) => std::io::Error::other("it ended before it started"),
                };
                return Err(LaunchError::Exec { path: shown, error });
            }
            Err(error) => return Err(LaunchError::Trace { path: shown, error }),
        }
    }
}
