//! `pmdb list`: crashed processes waiting for a debugger — here, on an
//! `--ssh` host (by running `pmdb list` there), or the one process a `--via`
//! command reaches (by asking it through that command, as `attach` would).

use crate::remote::RemoteArgs;

/// Prints pid, program, age and crash message of each waiting process,
/// and under it the crash's signature; returns the exit code.
pub fn list(remote: &RemoteArgs) -> anyhow::Result<i32> {
    if let Some(dest) = &remote.ssh {
        // The remote pmdb lists what waits there, with its own socket directory.
        let argv = wire::child::ssh_command(dest, remote.remote_pmdb.as_deref(), &["list"])?;
        let status = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(std::process::Stdio::null())
            .status()
            .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", argv[0]))?;
        return Ok(status.code().unwrap_or(1));
    }
    if remote.via.is_some() {
        let endpoint = crate::remote::Endpoint::new(remote, None)?;
        header();
        let session = endpoint.connect();
        let row = session.and_then(|s| Ok((s.hello().pid, identify(&s)?)));
        match row {
            Ok((pid, crash)) => line(pid, Ok(crash)),
            Err(e) => line(0, Err(e)),
        }
        return Ok(0);
    }
    let dir = wire::socket::socket_dir();
    let waiting = wire::socket::waiting(&dir);
    if waiting.is_empty() {
        println!("no crashed process is waiting in {}", dir.display());
        return Ok(0);
    }
    header();
    for (pid, path) in waiting {
        let crash = wire::Session::connect(path.as_path()).and_then(|s| identify(&s));
        line(pid, crash.map_err(anyhow::Error::from));
    }
    Ok(0)
}

fn header() {
    println!("{:>8}  {:<16} {:>6}  CRASH", "PID", "PROGRAM", "AGE");
}

/// The crash and its signature: the record, then the crashed thread's
/// traceback (no locals).
fn identify(s: &wire::Session) -> Result<(wire::CrashInfo, String), wire::Error> {
    let crash = s.crash()?;
    let tb = s.traceback(crash.thread)?;
    let signature =
        engine::crash::signature::of(&crash, tb.user_frames().map(|f| f.info.function.as_str()));
    Ok((crash, signature))
}

fn line(pid: u32, crash: anyhow::Result<(wire::CrashInfo, String)>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match crash {
        Ok((c, signature)) => println!(
            "{pid:>8}  {:<16} {:>5}s  {}\n{:>10}signature: {signature}",
            c.program,
            now.saturating_sub(c.time),
            c.message.lines().next().unwrap_or(""),
            ""
        ),
        Err(e) => println!("{pid:>8}  {:<16} {:>6}  <{e}>", "?", "?"),
    }
}
