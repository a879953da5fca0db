//! The program pmdb started, as the engine reads it while it is stopped:
//! memory through `process_vm_readv` (any thread of pmdb may read, the
//! tracer thread need not), objects placed from `/proc/PID/maps` and the
//! ELF headers in its memory, as the core host places a core's.

use crate::hosts::coredump::memory::FileMapping;
use crate::memory::process::ReadError;
use crate::memory::process::{Object, Process};

use super::sys::{self, Tid};

/// `AT_ENTRY`: the program's entry point in the auxiliary vector.
pub const AT_ENTRY: u64 = 9;

/// A stopped process of ours.
pub struct Launched {
    pid: Tid,
    objects: Vec<Object>,
}

impl Launched {
    /// The process as its mappings stand now.
    pub fn new(pid: Tid) -> Launched {
        Launched {
            pid,
            objects: objects(pid),
        }
    }

    /// Its loaded objects, the executable first.
    #[cfg(test)]
    pub fn loaded(&self) -> &[Object] {
        &self.objects
    }
}

impl Process for Launched {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        sys::read(self.pid, addr, buf).map_err(|_| ReadError::Unreadable(addr))
    }

    fn objects(&self) -> Vec<Object> {
        self.objects.clone()
    }

    fn cache_pages(&self) -> bool {
        true
    }
}

/// Every ELF object `pid` maps (and the vDSO), the executable first.
fn objects(pid: Tid) -> Vec<Object> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let files: Vec<FileMapping> = text
        .lines()
        .filter_map(map_line)
        .filter(|m| m.path.starts_with('/') || m.path == "[vdso]")
        .collect();
    let read = |addr: u64, buf: &mut [u8]| {
        sys::read(pid, addr, buf).map_err(|_| ReadError::Unreadable(addr))
    };
    let entry = sys::auxv(pid, AT_ENTRY);
    let mut objects = crate::hosts::coredump::objects::objects(&files, &read, &read, entry);
    // An executable rebuilt since it started is still readable as `exe`.
    if let Some(main) = objects.first_mut()
        && main.main
        && !std::path::Path::new(&main.path).exists()
    {
        main.path = format!("/proc/{pid}/exe");
    }
    objects
}

/// One line of `/proc/PID/maps`: `start-end perms offset dev inode path`.
fn map_line(line: &str) -> Option<FileMapping> {
    let mut fields = line.splitn(6, ' ');
    let (range, _perms, offset) = (fields.next()?, fields.next()?, fields.next()?);
    let (_dev, _inode) = (fields.next()?, fields.next()?);
    let path = fields.next().unwrap_or("").trim_start();
    let path = path.strip_suffix(" (deleted)").unwrap_or(path);
    let (start, end) = range.split_once('-')?;
    Some(FileMapping {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        offset: u64::from_str_radix(offset, 16).ok()?,
        path: path.to_string(),
        data: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_lines_parse_with_and_without_paths() {
        let m =
            map_line("55d0c0000000-55d0c0001000 r-xp 00002000 08:01 1234   /usr/bin/a b").unwrap();
        assert_eq!(
            (m.start, m.end, m.offset, m.path.as_str()),
            (0x55d0_c000_0000, 0x55d0_c000_1000, 0x2000, "/usr/bin/a b")
        );
        let anon = map_line("7f0000000000-7f0000001000 rw-p 00000000 00:00 0 ").unwrap();
        assert_eq!(anon.path, "");
        let gone = map_line("7f0000001000-7f0000002000 r--p 00000000 08:01 77 /tmp/x (deleted)");
        assert_eq!(gone.unwrap().path, "/tmp/x");
        assert!(map_line("nonsense").is_none());
    }

    #[test]
    fn this_test_binary_is_its_own_first_object() {
        let me = Launched::new(std::process::id() as Tid);
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        assert_eq!(me.loaded()[0].path, exe.to_string_lossy());
        assert!(me.loaded()[0].main);
        let mut word = [0u8; 4];
        let here = *b"pmdb";
        me.read_into(here.as_ptr() as u64, &mut word).unwrap();
        assert_eq!(&word, b"pmdb");
    }
}
