//! `pmdb list`: crashed processes waiting for a debugger.

/// Prints pid, program, age and crash message of each waiting process.
pub fn list() -> anyhow::Result<()> {
    let dir = wire::socket::socket_dir();
    let waiting = wire::socket::waiting(&dir);
    if waiting.is_empty() {
        println!("no crashed process is waiting in {}", dir.display());
        return Ok(());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    println!("{:>8}  {:<16} {:>6}  CRASH", "PID", "PROGRAM", "AGE");
    for (pid, path) in waiting {
        match wire::Session::connect(path.as_path()).and_then(|s| s.crash()) {
            Ok(c) => println!(
                "{pid:>8}  {:<16} {:>5}s  {}",
                c.program,
                now.saturating_sub(c.time),
                c.message.lines().next().unwrap_or("")
            ),
            Err(e) => println!("{pid:>8}  {:<16} {:>6}  <{e}>", "?", "?"),
        }
    }
    Ok(())
}
