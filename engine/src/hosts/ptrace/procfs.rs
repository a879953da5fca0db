//! What `/proc` says of a live process: its threads, each thread's state and
//! name, its mappings and auxiliary vector, who traces it and who owns it.
//! Every reader takes the text as it stands and never panics on odd lines.

use std::io;

/// `PF_KTHREAD` in `/proc/PID/stat`'s flags: a kernel thread.
const PF_KTHREAD: u64 = 0x0020_0000;

/// The fields of `/proc/PID/stat` (or `/proc/PID/task/TID/stat`) pmdb uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// The command name in parentheses (`comm`, at most 15 bytes).
    pub comm: String,
    /// `R` running, `S` sleeping, `D` uninterruptible, `T` stopped,
    /// `t` traced, `Z` zombie, `X` dead, `I` idle kernel thread.
    pub state: char,
    pub flags: u64,
}

impl Stat {
    /// A kernel thread (kthreadd and its children).
    pub fn kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }
}

/// Parses a `stat` line: `PID (COMM) STATE PPID …`, where COMM may hold
/// spaces and parentheses (the last `)` ends it).
pub fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let mut rest = text.get(close + 1..)?.split_ascii_whitespace();
    let state = rest.next()?.chars().next()?;
    // ppid pgrp session tty_nr tpgid, then flags.
    let flags = rest.nth(5)?.parse().ok()?;
    Some(Stat { comm, state, flags })
}

/// `/proc/PID/stat`.
pub fn stat(pid: u32) -> io::Result<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat(&text).ok_or_else(|| bad(format!("/proc/{pid}/stat")))
}

/// `/proc/PID/task/TID/stat`.
pub fn task_stat(pid: u32, tid: u32) -> io::Result<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat"))?;
    parse_stat(&text).ok_or_else(|| bad(format!("/proc/{pid}/task/{tid}/stat")))
}

/// The fields of `/proc/PID/status` pmdb uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// The thread group (process) a thread id belongs to.
    pub tgid: u32,
    /// The pid of the process tracing it, 0 for none.
    pub tracer: u32,
    /// The real user id.
    pub uid: u32,
}

/// Parses `/proc/PID/status` text.
pub fn parse_status(text: &str) -> Status {
    let mut out = Status::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let first = value.split_ascii_whitespace().next().unwrap_or("");
        match key {
            "Tgid" => out.tgid = first.parse().unwrap_or(0),
            "TracerPid" => out.tracer = first.parse().unwrap_or(0),
            "Uid" => out.uid = first.parse().unwrap_or(0),
            _ => {}
        }
    }
    out
}

/// `/proc/PID/status`.
pub fn status(pid: u32) -> io::Result<Status> {
    Ok(parse_status(&std::fs::read_to_string(format!(
        "/proc/{pid}/status"
    ))?))
}

/// The thread ids of process `pid`, in ascending order.
pub fn tasks(pid: u32) -> io::Result<Vec<u32>> {
    let mut out: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/task"))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// A thread's name as the kernel keeps it (`comm`).
pub fn comm(pid: u32, tid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
        .ok()
        .map(|s| s.trim_end_matches('\n').to_string())
}

/// One line of `/proc/PID/maps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    pub offset: u64,
    /// The file, `[stack]`, `[heap]`, `[vdso]`, …, or empty for anonymous
    /// memory; a file deleted since it was mapped keeps its name without
    /// the kernel's ` (deleted)`.
    pub path: String,
    pub deleted: bool,
}

/// Parses `/proc/PID/maps` text.
pub fn parse_maps(text: &str) -> Vec<Mapping> {
    text.lines().filter_map(parse_map_line).collect()
}

fn parse_map_line(line: &str) -> Option<Mapping> {
    // start-end perms offset dev inode path
    let mut fields = line.splitn(6, ' ');
    let (range, perms, offset) = (fields.next()?, fields.next()?, fields.next()?);
    let (_dev, _inode) = (fields.next()?, fields.next()?);
    let path = fields.next().unwrap_or("").trim_start();
    let (start, end) = range.split_once('-')?;
    let perms = perms.as_bytes();
    let (path, deleted) = match path.strip_suffix(" (deleted)") {
        Some(p) => (p, true),
        None => (path, false),
    };
    Some(Mapping {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        read: perms.first() == Some(&b'r'),
        write: perms.get(1) == Some(&b'w'),
        exec: perms.get(2) == Some(&b'x'),
        offset: u64::from_str_radix(offset, 16).ok()?,
        path: path.to_string(),
        deleted,
    })
}

/// `/proc/PID/maps`.
pub fn maps(pid: u32) -> io::Result<Vec<Mapping>> {
    Ok(parse_maps(&std::fs::read_to_string(format!(
        "/proc/{pid}/maps"
    ))?))
}

/// `/proc/PID/auxv`: (key, value) pairs.
pub fn auxv(pid: u32) -> io::Result<Vec<(u64, u64)>> {
    let bytes = std::fs::read(format!("/proc/{pid}/auxv"))?;
    Ok(bytes
        .chunks_exact(16)
        .map(|c| {
            let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
            (word(&c[..8]), word(&c[8..]))
        })
        .take_while(|&(k, _)| k != 0)
        .collect())
}

/// The ELF class and machine of the program a process runs, from the
/// header of `/proc/PID/exe`: `None` when it cannot be read.
pub fn exe_machine(pid: u32) -> Option<(u8, u16)> {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(format!("/proc/{pid}/exe"))
        .ok()?
        .read_exact(&mut header)
        .ok()?;
    if &header[..4] != b"\x7fELF" {
        return None;
    }
    Some((header[4], u16::from_le_bytes([header[18], header[19]])))
}

fn bad(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{what} does not parse"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_reads_a_name_with_spaces_and_parentheses() {
        let s = parse_stat("42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0").unwrap();
        assert_eq!(s.comm, "a (b) c");
        assert_eq!(s.state, 'S');
        assert_eq!(s.flags, 4_194_560);
        assert!(!s.kernel_thread());
        let k = parse_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0").unwrap();
        assert!(k.kernel_thread());
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x"), None);
    }

    #[test]
    fn status_reads_the_tracer_and_the_owner() {
        let s = parse_status(
            "Name:\tx\nTgid:\t7\nPid:\t8\nTracerPid:\t99\nUid:\t1000\t1000\t1000\t1000\n",
        );
        assert_eq!(
            s,
            Status {
                tgid: 7,
                tracer: 99,
                uid: 1000
            }
        );
    }

    #[test]
    fn maps_lines_parse_with_and_without_paths() {
        let m = parse_maps(
            "55d0c0000000-55d0c0001000 r-xp 00002000 08:01 1234   /usr/bin/a b\n\
             7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n\
             7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n\
             7f0000001000-7f0000002000 r--p 00000000 08:01 77 /tmp/x (deleted)\n\
             nonsense\n",
        );
        assert_eq!(m.len(), 4);
        assert_eq!(
            m[0],
            Mapping {
                start: 0x55d0_c000_0000,
                end: 0x55d0_c000_1000,
                read: true,
                write: false,
                exec: true,
                offset: 0x2000,
                path: "/usr/bin/a b".into(),
                deleted: false,
            }
        );
        assert_eq!(m[1].path, "[stack]");
        assert!(m[1].write);
        assert_eq!(m[2].path, "");
        assert_eq!((m[3].path.as_str(), m[3].deleted), ("/tmp/x", true));
    }

    #[test]
    fn this_process_reads_as_itself() {
        let pid = std::process::id();
        let tasks = tasks(pid).unwrap();
        assert!(tasks.contains(&pid));
        assert_eq!(status(pid).unwrap().tgid, pid);
        assert_eq!(exe_machine(pid), Some((2, 62)));
        assert!(auxv(pid).unwrap().iter().any(|&(k, _)| k == 9));
        assert!(maps(pid).unwrap().iter().any(|m| m.path == "[stack]"));
    }
}
