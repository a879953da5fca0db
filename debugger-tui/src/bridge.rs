//! `pmdb bridge [PID|SOCKET]`: relays this process's stdin and stdout to a
//! crashed process's local socket, byte for byte, so that `ssh HOST pmdb
//! bridge PID` (or `kubectl exec -i …`) carries a debugger's session to
//! another machine. It is a transport, not a server: it opens no port, runs
//! as whoever ssh logged in as, and the agent checks it (`SO_PEERCRED`)
//! like any local client.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use anyhow::bail;

/// The socket for `target`, never asking (stdin is the session): a pid or a
/// path, or the one waiting process.
pub fn socket_for(target: Option<&str>) -> anyhow::Result<PathBuf> {
    if target.is_some() {
        return crate::target::resolve(target);
    }
    let dir = wire::socket::socket_dir();
    let waiting = wire::socket::waiting(&dir);
    match waiting.as_slice() {
        [] => bail!(
            "no crashed process is waiting for a debugger in {} (set PMDB_DIR if it uses another directory)",
            dir.display()
        ),
        [(_, path)] => Ok(path.clone()),
        several => {
            let pids: Vec<String> = several.iter().map(|(p, _)| p.to_string()).collect();
            bail!(
                "several crashed processes are waiting ({}); name one: pmdb bridge PID",
                pids.join(", ")
            )
        }
    }
}

/// Relays stdin → socket and socket → stdout until the agent closes the
/// connection or stdin ends (then the socket's sending half is shut, and the
/// agent's replies to what was already sent still come back).
pub fn bridge(target: Option<&str>) -> anyhow::Result<()> {
    let path = socket_for(target)?;
    let socket = UnixStream::connect(&path)
        .map_err(|e| anyhow::anyhow!("cannot reach the agent at {}: {e}", path.display()))?;
    let mut to_agent = socket.try_clone()?;
    std::thread::Builder::new()
        .name("pmdb-bridge-in".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let _ = copy(&mut stdin, &mut to_agent);
            let _ = to_agent.shutdown(Shutdown::Write);
        })?;
    let mut from_agent = socket;
    let mut stdout = std::io::stdout().lock();
    match copy(&mut from_agent, &mut stdout) {
        // An agent that ended with a request of ours unread resets the
        // connection: for the client as for us, the session is over.
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => bail!("relaying the agent's replies: {e}"),
    }
    // The agent is done with us; a reader still blocked on stdin ends with
    // the process.
    Ok(())
}

/// Copies until end of input, flushing every chunk (frames must not wait in
/// a buffer).
fn copy(from: &mut impl Read, to: &mut impl Write) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 64 << 10];
    let mut total = 0;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        to.flush()?;
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_moves_every_byte_and_counts_them() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        assert_eq!(copy(&mut &data[..], &mut out).unwrap(), 200_000);
        assert_eq!(out, data);
    }
}
