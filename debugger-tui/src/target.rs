//! Finding the crashed process to attach to: a pid, a socket path, or the
//! processes waiting in the socket directory (asking when there are several).

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};

/// The socket to connect to for `arg` (a pid or a path), or for the one
/// waiting process when `arg` is `None`.
pub fn resolve(arg: Option<&str>) -> anyhow::Result<PathBuf> {
    let dir = wire::socket::socket_dir();
    if let Some(arg) = arg {
        return Ok(match arg.parse::<wire::Target>() {
            Ok(wire::Target::Pid(pid)) => wire::socket::socket_path(&dir, pid),
            Ok(wire::Target::Socket(path)) => path,
            Err(never) => match never {},
        });
    }
    let waiting = wire::socket::waiting(&dir);
    match waiting.len() {
        0 => bail!(
            "no crashed process is waiting for a debugger in {} (set PMDB_DIR if it uses another directory)",
            dir.display()
        ),
        1 => Ok(waiting[0].1.clone()),
        _ => {
            eprintln!("Several crashed processes are waiting:");
            for (i, (pid, _)) in waiting.iter().enumerate() {
                eprintln!("  {}) pid {pid}", i + 1);
            }
            eprint!("Attach to which one? ");
            std::io::stderr().flush().ok();
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let n: usize = line.trim().parse().context("expected a number")?;
            waiting
                .get(n.wrapping_sub(1))
                .map(|w| w.1.clone())
                .context("no such choice")
        }
    }
}
