//! Where the crash is: on this machine (a pid or socket), on another one over
//! ssh (`--ssh [USER@]HOST[:PORT]` runs `pmdb bridge` there), or at the far
//! end of any command whose stdio carries the session (`--via "kubectl exec
//! -i POD -- pmdb bridge 1"`). Every command that takes a target accepts
//! [`RemoteArgs`].

use std::path::PathBuf;

use anyhow::bail;
use wire::Session;

/// `--ssh`, `--via` and `--remote-pmdb`, shared by `attach`, `report` and `list`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RemoteArgs {
    /// The crash is on another machine: run `ssh [-p PORT] [USER@]HOST pmdb
    /// bridge TARGET` and talk through it ($PMDB_SSH replaces `ssh` and its
    /// options).
    #[arg(long, value_name = "[USER@]HOST[:PORT]", conflicts_with = "via")]
    pub ssh: Option<String>,
    /// Talk through COMMAND's stdin and stdout, e.g. "kubectl exec -i POD --
    /// pmdb bridge 1" or "docker exec -i CT pmdb bridge 1" (split like a
    /// shell would; it names its own target).
    #[arg(long, value_name = "COMMAND")]
    pub via: Option<String>,
    /// The pmdb to run on the --ssh host, as shell text (default
    /// $PMDB_REMOTE, else `pmdb`), e.g. "PMDB_DIR=/srv/crash /opt/pmdb".
    #[arg(long, value_name = "PATH", requires = "ssh")]
    pub remote_pmdb: Option<String>,
}

impl RemoteArgs {
    /// True when the crash is not on this machine.
    pub fn is_remote(&self) -> bool {
        self.ssh.is_some() || self.via.is_some()
    }
}

/// How to reach one crashed process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A socket on this machine.
    Local(PathBuf),
    /// A command whose stdio carries the session.
    Command(Vec<String>),
    /// A core file, served by the engine inside this process.
    Core(PathBuf, engine::hosts::coredump::Options),
    /// A running process with no crash waiting: a snapshot through ptrace,
    /// served by the engine inside this process.
    Live(u32),
}

impl Endpoint {
    /// The endpoint for `target` as the options say: a remote bridge, or a
    /// local socket (`None` is the one waiting process, asked for when several).
    pub fn new(remote: &RemoteArgs, target: Option<&str>) -> anyhow::Result<Endpoint> {
        if let Some(via) = &remote.via {
            if let Some(t) = target {
                bail!("with --via the command names the target itself; drop {t:?}");
            }
            return Ok(Endpoint::Command(wire::child::split_command(via)?));
        }
        if let Some(dest) = &remote.ssh {
            let mut args = vec!["bridge"];
            args.extend(target);
            return Ok(Endpoint::Command(wire::child::ssh_command(
                dest,
                remote.remote_pmdb.as_deref(),
                &args,
            )?));
        }
        // A pid with no agent waiting on a crash: the process as it runs.
        if let Some(Ok(pid)) = target.map(str::parse::<u32>)
            && !wire::socket::socket_path(&wire::socket::socket_dir(), pid).exists()
        {
            return Ok(Endpoint::Live(pid));
        }
        Ok(Endpoint::Local(crate::target::resolve(target)?))
    }

    /// Connects and exchanges the hello.
    pub fn connect(&self) -> anyhow::Result<Session> {
        let session = match self {
            Endpoint::Local(socket) => Session::connect(socket.as_path()),
            Endpoint::Command(argv) => Session::via_command(argv),
            Endpoint::Core(file, options) => return crate::core::open(file, options),
            Endpoint::Live(pid) => return crate::live::held_session(*pid),
        };
        session.map_err(|e| match (self, e) {
            // The command's own error already names it.
            (Endpoint::Command(_), e @ wire::Error::Command { .. }) => {
                anyhow::anyhow!("cannot attach: {e}")
            }
            (_, e) => anyhow::anyhow!("cannot attach to {}: {e}", self.describe()),
        })
    }

    /// The socket path, or the command line.
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Local(p) | Endpoint::Core(p, _) => p.display().to_string(),
            Endpoint::Live(pid) => format!("pid {pid}"),
            Endpoint::Command(argv) => {
                shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_takes_its_command_and_refuses_a_second_target() {
        let via = RemoteArgs {
            via: Some("docker exec -i ct pmdb bridge 1".into()),
            ..Default::default()
        };
        assert_eq!(
            Endpoint::new(&via, None).unwrap(),
            Endpoint::Command(
                ["docker", "exec", "-i", "ct", "pmdb", "bridge", "1"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(
            Endpoint::new(&via, Some("42")).unwrap_err().to_string(),
            "with --via the command names the target itself; drop \"42\""
        );
    }

    #[test]
    fn ssh_runs_the_remote_bridge_on_the_target() {
        let ssh = RemoteArgs {
            ssh: Some("ann@box:2200".into()),
            remote_pmdb: Some("/opt/pmdb".into()),
            ..Default::default()
        };
        let Endpoint::Command(argv) = Endpoint::new(&ssh, Some("42")).unwrap() else {
            panic!("not a command");
        };
        assert_eq!(argv[argv.len() - 1], "/opt/pmdb bridge 42");
        assert_eq!(argv[argv.len() - 2], "ann@box");
    }
}
