//! `pmdb minidump TARGET -o FILE.dmp`: a minidump of a crash waiting for a
//! debugger or of any running process (stopped through ptrace while its
//! stacks are read), or with `--core FILE` of a core. The engine writes it
//! (`engine::hosts::minidump`); here the source is chosen and opened.

use std::path::Path;

use anyhow::Context;
use engine::hosts::{coredump, minidump};

/// Writes the minidump of `target` (a pid, a socket path, or the one
/// waiting process) or of `core` to `out`; says what it wrote on stderr.
pub fn write(
    target: Option<&str>,
    core: Option<&Path>,
    options: &coredump::Options,
    out: &Path,
) -> anyhow::Result<()> {
    let (spec, what) = match core {
        Some(path) => (of_core(path, options)?, format!("core {}", path.display())),
        None => {
            let pid = pid_of(target)?;
            (of_pid(pid)?, format!("pid {pid}"))
        }
    };
    let len = minidump::write_file(out, &spec)
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "pmdb: wrote the minidump of {what} to {} ({len} bytes, {} threads, {} modules)",
        out.display(),
        spec.threads.len(),
        spec.modules.len()
    );
    Ok(())
}

/// The pid a target names: a number, a socket `<pid>.sock`, or the one
/// waiting process.
fn pid_of(target: Option<&str>) -> anyhow::Result<u32> {
    if let Some(pid) = target.and_then(|t| t.parse::<u32>().ok()) {
        return Ok(pid);
    }
    let socket = crate::target::resolve(target)?;
    socket
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".sock"))
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("{} does not name a process", socket.display()))
}

/// A running process, held stopped while it is read: the agent's record
/// where it serves a crash, else a snapshot.
fn of_pid(pid: u32) -> anyhow::Result<corefile::minidump::MinidumpSpec> {
    let snapshot =
        engine::hosts::ptrace::snapshot(pid, &engine::hosts::ptrace::Options::default())?;
    let (maps, proc_streams) = minidump::proc_files(&pid.to_string());
    let (crash, later, signal) = match coredump::agent_record(&snapshot.engine) {
        Some(record) => {
            let signal =
                record
                    .signal
                    .map(|(signo, code, addr)| corefile::SigInfo { signo, code, addr });
            let (crash, later) = record.into_crash();
            (crash, later, signal)
        }
        None => (snapshot.crash.clone(), Vec::new(), None),
    };
    let extras = minidump::Extras {
        signal,
        maps,
        fs_bases: snapshot
            .registers
            .iter()
            .map(|(tid, r)| (u64::from(*tid), r.fs_base))
            .collect(),
        proc_streams,
        later,
    };
    let spec = minidump::spec(&**snapshot.engine.mem().process(), &crash, &extras);
    let released = snapshot.hold.release();
    crate::live::say_paused(pid, &released);
    Ok(spec)
}

/// A core: its crash, threads and memory as the core host reads them.
fn of_core(
    path: &Path,
    options: &coredump::Options,
) -> anyhow::Result<corefile::minidump::MinidumpSpec> {
    let (engine, crash) =
        coredump::open(path, options).with_context(|| format!("cannot open {}", path.display()))?;
    let core = corefile::Core::open(path)?;
    let mut proc_streams = Vec::new();
    if let Some(auxv) = core.auxv() {
        let bytes: Vec<u8> = auxv
            .iter()
            .flat_map(|(k, v)| k.to_le_bytes().into_iter().chain(v.to_le_bytes()))
            .collect();
        proc_streams.push((corefile::minidump::stream::LINUX_AUXV, bytes));
    }
    if let Some(ps) = core.psinfo() {
        let cmdline: Vec<u8> = ps
            .args
            .split(' ')
            .flat_map(|a| a.bytes().chain([0]))
            .collect();
        proc_streams.push((corefile::minidump::stream::LINUX_CMD_LINE, cmdline));
    }
    let extras = minidump::Extras {
        signal: core
            .siginfo()
            .filter(|s| s.signo != 19 /* gcore's SIGSTOP */),
        maps: None,
        fs_bases: core
            .threads()
            .iter()
            .map(|t| (u64::from(t.tid), t.fs_base))
            .collect(),
        proc_streams,
        later: engine.mem().process().later_crashes(),
    };
    Ok(minidump::spec(&**engine.mem().process(), &crash, &extras))
}
