//! The child-process transport: frames over a spawned command's stdin and
//! stdout (`ssh HOST pmdb bridge PID`, `kubectl exec -i POD -- pmdb bridge 1`),
//! with the command's stderr kept, so that whatever stops the session (ssh's
//! `Permission denied`, a remote `pmdb: command not found`, a bridge that
//! cannot reach the agent) surfaces as one clear [`Error::Command`].

use std::ffi::OsStr;
use std::io::Read;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Error;
use crate::frame::{read_frame, write_frame};
use crate::transport::Transport;

/// The most stderr kept from the command (the end of it is what matters).
const STDERR_KEPT: usize = 16 << 10;

/// How long a command that closed its stdout may take to exit before it is
/// killed (ssh needs a moment to collect the remote status).
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// Frames over the stdio of a child process.
pub struct ChildTransport {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    /// The command as a shell would show it, for error messages.
    command: String,
    /// Why the session ended, once it has (every later call says the same).
    ended: Option<String>,
}

impl ChildTransport {
    /// Runs `argv[0]` with the rest as arguments; its stdin and stdout carry
    /// the frames, its stderr is kept for errors.
    pub fn spawn<S: AsRef<OsStr>>(argv: &[S]) -> Result<ChildTransport, Error> {
        let Some((program, args)) = argv.split_first() else {
            return Err(Error::BadRemote(
                "an empty command cannot carry a session".into(),
            ));
        };
        let mut cmd = Command::new(program);
        cmd.args(args);
        ChildTransport::from_command(cmd)
    }

    /// As [`ChildTransport::spawn`], for a prepared [`Command`] (its stdio is
    /// replaced by pipes).
    pub fn from_command(mut cmd: Command) -> Result<ChildTransport, Error> {
        let command = display(&cmd);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Command {
                command: command.clone(),
                reason: format!("cannot run it: {e}"),
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut pipe = child.stderr.take().expect("stderr is piped");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let stderr_reader = std::thread::Builder::new()
            .name("pmdb-child-stderr".into())
            .spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut kept = sink.lock().unwrap_or_else(|p| p.into_inner());
                    kept.extend_from_slice(&buf[..n]);
                    if kept.len() > STDERR_KEPT {
                        let cut = kept.len() - STDERR_KEPT;
                        kept.drain(..cut);
                    }
                }
            })
            .ok();
        Ok(ChildTransport {
            child,
            stdin,
            stdout,
            stderr,
            stderr_reader,
            command,
            ended: None,
        })
    }

    /// The command as shown in errors.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The pid of the command.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The error for a session whose stream failed with `cause`: what the
    /// command said on stderr and how it ended, or `cause` itself when the
    /// command ended quietly and successfully (a plain end of the session).
    fn failure(&mut self, cause: Error) -> Error {
        if let Some(reason) = &self.ended {
            return self.error(reason.clone());
        }
        self.stdin.take();
        let deadline = Instant::now() + EXIT_GRACE;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
            }
        };
        // stderr ends with the command (unless a grandchild holds it open).
        if let Some(reader) = self.stderr_reader.take() {
            let deadline = Instant::now() + Duration::from_millis(500);
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
        let said = said(&self.stderr.lock().unwrap_or_else(|p| p.into_inner()));
        let how = match status {
            Some(s) if s.success() => None,
            Some(s) => Some(match s.code() {
                Some(code) => format!("exit status {code}"),
                None => s.to_string(),
            }),
            None => Some(format!("{cause}; the command was stopped")),
        };
        let reason = match (said, how) {
            (None, None) => {
                self.ended = Some(cause.to_string());
                return cause;
            }
            (Some(said), None) => said,
            (None, Some(how)) => format!("ended ({how}) after: {cause}"),
            (Some(said), Some(how)) => format!("{said} ({how})"),
        };
        self.ended = Some(reason.clone());
        self.error(reason)
    }

    fn error(&self, reason: String) -> Error {
        Error::Command {
            command: self.command.clone(),
            reason,
        }
    }
}

/// What the command said on stderr, on one line: its last few non-empty
/// lines, without ssh's notes about known hosts.
fn said(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .collect();
    let last = &lines[lines.len().saturating_sub(3)..];
    (!last.is_empty()).then(|| last.join(" / "))
}

/// A command as a shell would show it.
fn display(cmd: &Command) -> String {
    let words: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|w| {
            let w = w.to_string_lossy();
            shlex::try_quote(&w).map_or_else(|_| w.to_string(), |q| q.into_owned())
        })
        .collect();
    words.join(" ")
}

impl Transport for ChildTransport {
    fn send(&mut self, message: &[u8]) -> Result<(), Error> {
        if self.ended.is_some() {
            return Err(self.failure(Error::Closed));
        }
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(self.failure(Error::Closed));
        };
        match write_frame(stdin, message) {
            Ok(()) => Ok(()),
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                Err(self.failure(Error::Closed))
            }
            Err(e @ Error::Io(_)) => Err(self.failure(e)),
            Err(e) => Err(e),
        }
    }

    fn recv(&mut self) -> Result<Vec<u8>, Error> {
        if self.ended.is_some() {
            return Err(self.failure(Error::Closed));
        }
        match read_frame(&mut self.stdout) {
            Ok(frame) => Ok(frame),
            Err(Error::FrameTooLarge { len, .. }) => {
                // Text where a frame's length should be: something on the far
                // side wrote to stdout (a login script's greeting, a wrapper).
                let start = String::from_utf8_lossy(&(len as u32).to_be_bytes()).into_owned();
                let reason = format!(
                    "its output is not pmdb's protocol (it begins {start:?}): something on the far side writes to stdout, e.g. a login script"
                );
                self.ended = Some(reason.clone());
                let _ = self.child.kill();
                Err(self.error(reason))
            }
            Err(e @ (Error::Closed | Error::Io(_) | Error::Decode(_))) => Err(self.failure(e)),
            Err(e) => Err(e),
        }
    }
}

impl Drop for ChildTransport {
    fn drop(&mut self) {
        // End of input ends a bridge (and ssh with it); give it a moment.
        self.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `ssh` command line that runs `pmdb ARGS…` on `dest`
/// (`[USER@]HOST[:PORT]`, or `[USER@][V6ADDR]:PORT`).
///
/// The ssh program and its options come from `PMDB_SSH` (shell-split; default
/// `ssh`); the remote pmdb from `remote_pmdb`, else `PMDB_REMOTE`, else
/// `pmdb`. That remote part is shell text, inserted as is (so it may be
/// `PMDB_DIR=/srv/crash /opt/bin/pmdb`); `args` are quoted.
pub fn ssh_command(
    dest: &str,
    remote_pmdb: Option<&str>,
    args: &[&str],
) -> Result<Vec<String>, Error> {
    let (host, port) = parse_dest(dest)?;
    let ssh = std::env::var("PMDB_SSH")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let mut argv = match ssh {
        Some(s) => shlex::split(&s)
            .filter(|w| !w.is_empty())
            .ok_or_else(|| Error::BadRemote(format!("PMDB_SSH={s:?} is not a command")))?,
        None => vec!["ssh".to_string()],
    };
    // No terminal: the session is binary frames.
    argv.push("-T".into());
    if let Some(port) = port {
        argv.extend(["-p".to_string(), port.to_string()]);
    }
    argv.push(host);
    let env_pmdb = std::env::var("PMDB_REMOTE")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let pmdb = remote_pmdb.map(str::to_string).or(env_pmdb);
    let mut remote = pmdb.unwrap_or_else(|| "pmdb".into());
    for a in args {
        let quoted = shlex::try_quote(a)
            .map_err(|e| Error::BadRemote(format!("cannot pass {a:?} to ssh: {e}")))?;
        remote.push(' ');
        remote.push_str(&quoted);
    }
    argv.push(remote);
    Ok(argv)
}

/// `[USER@]HOST[:PORT]` → (`[USER@]HOST`, port).
fn parse_dest(dest: &str) -> Result<(String, Option<u16>), Error> {
    let bad = |why: &str| Error::BadRemote(format!("--ssh {dest:?}: {why}"));
    let (user, rest) = match dest.rsplit_once('@') {
        Some((u, r)) if !u.is_empty() => (Some(u), r),
        Some(_) => return Err(bad("the user before @ is empty")),
        None => (None, dest),
    };
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("an address in [ ] lacks its ]"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad("expected :PORT after ]"))?,
            ),
        };
        (addr, port)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() || host.starts_with('-') {
        return Err(bad("expected [USER@]HOST[:PORT]"));
    }
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| bad("the port is not a number from 1 to 65535"))
        })
        .transpose()?;
    let host = match user {
        Some(u) => format!("{u}@{host}"),
        None => host.to_string(),
    };
    Ok((host, port))
}

/// Splits a `--via` command line the way a POSIX shell would (quotes,
/// backslashes), without running a shell.
pub fn split_command(line: &str) -> Result<Vec<String>, Error> {
    match shlex::split(line) {
        Some(words) if !words.is_empty() => Ok(words),
        Some(_) => Err(Error::BadRemote("--via needs a command".into())),
        None => Err(Error::BadRemote(format!(
            "--via {line:?}: unbalanced quotes or a trailing backslash"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_parse_user_host_and_port() {
        assert_eq!(parse_dest("box").unwrap(), ("box".into(), None));
        assert_eq!(
            parse_dest("ann@box:2222").unwrap(),
            ("ann@box".into(), Some(2222))
        );
        assert_eq!(
            parse_dest("ann@[::1]:22").unwrap(),
            ("ann@::1".into(), Some(22))
        );
        assert_eq!(parse_dest("[fe80::1]").unwrap(), ("fe80::1".into(), None));
        assert_eq!(
            parse_dest("box:0").unwrap_err().to_string(),
            "--ssh \"box:0\": the port is not a number from 1 to 65535"
        );
        assert_eq!(
            parse_dest("-oProxyCommand=x").unwrap_err().to_string(),
            "--ssh \"-oProxyCommand=x\": expected [USER@]HOST[:PORT]"
        );
        assert_eq!(
            parse_dest("@box").unwrap_err().to_string(),
            "--ssh \"@box\": the user before @ is empty"
        );
    }

    #[test]
    fn the_ssh_command_quotes_arguments_and_keeps_the_remote_pmdb_as_shell_text() {
        let argv = ssh_command(
            "ann@box:2222",
            Some("PMDB_DIR=/srv/x /opt/pmdb"),
            &["bridge", "/tmp/a b.sock"],
        )
        .unwrap();
        // PMDB_SSH is not set in unit tests.
        assert_eq!(
            argv,
            [
                "ssh",
                "-T",
                "-p",
                "2222",
                "ann@box",
                "PMDB_DIR=/srv/x /opt/pmdb bridge '/tmp/a b.sock'"
            ]
        );
    }

    #[test]
    fn via_commands_split_like_a_shell() {
        assert_eq!(
            split_command("kubectl exec -i 'my pod' -- pmdb bridge 1").unwrap(),
            [
                "kubectl", "exec", "-i", "my pod", "--", "pmdb", "bridge", "1"
            ]
        );
        assert_eq!(
            split_command("sh -c 'oops").unwrap_err().to_string(),
            "--via \"sh -c 'oops\": unbalanced quotes or a trailing backslash"
        );
        assert_eq!(
            split_command("  ").unwrap_err().to_string(),
            "--via needs a command"
        );
    }

    #[test]
    fn frames_travel_through_a_child_and_back() {
        let mut t = ChildTransport::spawn(&["cat"]).unwrap();
        t.send(b"hello").unwrap();
        assert_eq!(t.recv().unwrap(), b"hello");
        t.send(&[]).unwrap();
        assert_eq!(t.recv().unwrap(), b"");
    }

    #[test]
    fn a_command_that_fails_says_why_in_one_error() {
        let mut t = ChildTransport::spawn(&[
            "sh",
            "-c",
            "echo 'Warning: Permanently added x' >&2; echo 'bash: line 1: pmdb: command not found' >&2; exit 127",
        ])
        .unwrap();
        let _ = t.send(b"x");
        let e = t.recv().unwrap_err();
        assert_eq!(
            e.to_string(),
            "sh -c \"echo 'Warning: Permanently added x' >&2; echo 'bash: line 1: pmdb: command not found' >&2; exit 127\": bash: line 1: pmdb: command not found (exit status 127)"
        );
        // And it stays that error.
        assert_eq!(t.send(b"y").unwrap_err().to_string(), e.to_string());
    }

    #[test]
    fn text_instead_of_frames_is_named_as_such() {
        let mut t = ChildTransport::spawn(&["sh", "-c", "echo Welcome to box; cat"]).unwrap();
        t.send(b"x").unwrap();
        assert_eq!(
            t.recv().unwrap_err().to_string(),
            "sh -c 'echo Welcome to box; cat': its output is not pmdb's protocol (it begins \"Welc\"): something on the far side writes to stdout, e.g. a login script"
        );
    }

    #[test]
    fn a_quiet_successful_end_is_a_plain_close() {
        let mut t = ChildTransport::spawn(&["true"]).unwrap();
        assert!(matches!(t.recv(), Err(Error::Closed)));
    }

    #[test]
    fn a_missing_program_is_named() {
        match ChildTransport::spawn(&["/nonexistent/ssh", "box"]) {
            Err(e) => assert_eq!(
                e.to_string(),
                "/nonexistent/ssh box: cannot run it: No such file or directory (os error 2)"
            ),
            Ok(_) => panic!("spawned a missing program"),
        }
    }

    #[test]
    fn a_silent_failure_gives_its_status() {
        let mut t = ChildTransport::spawn(&["sh", "-c", "exit 3"]).unwrap();
        assert_eq!(
            t.recv().unwrap_err().to_string(),
            "sh -c 'exit 3': ended (exit status 3) after: the peer closed the connection"
        );
    }
}
