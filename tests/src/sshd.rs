//! A private `sshd` for the remote tests: on 127.0.0.1 only, on a free port,
//! with a host key and a user key generated into a temporary directory,
//! public-key login only. Clients reach it through the ssh config it writes
//! (`PMDB_SSH="ssh -F …"`), which trusts exactly that host key.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::TempDir;

/// A running sshd, stopped on drop.
pub struct Sshd {
    child: Child,
    pub port: u16,
    pub dir: TempDir,
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "pmdb-test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen is needed (.ci/run installs openssh-client)");
    assert!(ok.success(), "ssh-keygen failed");
}

/// The user the tests run as (whom the test sshd lets in).
pub fn user_name() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Sshd {
    /// Generates the keys and configs and starts sshd; returns once it
    /// accepts connections.
    pub fn start() -> Sshd {
        let dir = TempDir::new("sshd");
        let d = dir.0.clone();
        for key in ["host_key", "user_key", "stranger_key"] {
            keygen(&d.join(key));
        }
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile {pid}\n\
                 AuthorizedKeysFile {auth}\nPubkeyAuthentication yes\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n\
                 AllowTcpForwarding no\nX11Forwarding no\nLogLevel ERROR\n",
                host = d.join("host_key").display(),
                pid = d.join("sshd.pid").display(),
                auth = d.join("authorized_keys").display(),
            ),
        )
        .unwrap();
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        let host_pub: Vec<&str> = host_pub.split_whitespace().take(2).collect();
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {}\n", host_pub.join(" ")),
        )
        .unwrap();
        for (name, key) in [
            ("ssh_config", "user_key"),
            ("stranger_config", "stranger_key"),
        ] {
            std::fs::write(
                d.join(name),
                format!(
                    "Host *\n  User {user}\n  IdentityFile {key}\n  IdentitiesOnly yes\n  \
                     UserKnownHostsFile {known}\n  StrictHostKeyChecking yes\n  \
                     BatchMode yes\n  LogLevel ERROR\n",
                    user = user_name(),
                    key = d.join(key).display(),
                    known = d.join("known_hosts").display(),
                ),
            )
            .unwrap();
        }
        // sshd's privilege separation directory (it runs as root in CI).
        let _ = std::fs::create_dir_all("/run/sshd");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("/usr/sbin/sshd is needed (.ci/run installs openssh-server)");
        let mut sshd = Sshd { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = sshd.child.try_wait() {
                panic!("sshd ended at once ({status})");
            }
            assert!(Instant::now() < deadline, "sshd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        sshd
    }

    /// `--ssh` destination.
    pub fn dest(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `PMDB_SSH` for a client that logs in with the test's user key.
    pub fn ssh_env(&self) -> String {
        format!("ssh -F {}", self.config("ssh_config").display())
    }

    /// `PMDB_SSH` for a client whose key the server does not know.
    pub fn stranger_env(&self) -> String {
        format!("ssh -F {}", self.config("stranger_config").display())
    }

    fn config(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
