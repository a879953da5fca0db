//! Parsing `/proc/PID/maps` into [`Region`]s, and the rules for which regions
//! a core stores the bytes of.

use crate::Region;

/// Parses `/proc/self/maps` (or any maps text) into regions, in the text's
/// order; lines that do not parse are skipped.
///
/// A real file (a path starting with `/`, " (deleted)" kept) gives
/// `file: Some((path, offset))`. Pseudo-files keep their bracketed name with
/// offset 0 (`[heap]`, `[stack]`, `[vdso]`, `[vvar]`, `[vsyscall]`,
/// `[anon:…]`): they count as anonymous memory and never go to `NT_FILE`.
pub fn regions_from_maps(maps: &str) -> Vec<Region> {
    maps.lines().filter_map(parse_line).collect()
}

/// `start-end perms offset dev inode [path]`; the path may hold spaces.
fn parse_line(line: &str) -> Option<Region> {
    let mut rest = line.trim_start();
    let mut field = || {
        let s = rest.trim_start();
        let end = s.find(' ').unwrap_or(s.len());
        let (f, r) = s.split_at(end);
        rest = r;
        (!f.is_empty()).then_some(f)
    };
    let range = field()?;
    let perms = field()?.as_bytes();
    let offset = u64::from_str_radix(field()?, 16).ok()?;
    let _dev = field()?;
    let _inode = field()?;
    let path = rest.trim();
    let (start, end) = range.split_once('-')?;
    let start = u64::from_str_radix(start, 16).ok()?;
    let end = u64::from_str_radix(end, 16).ok()?;
    if end < start || perms.len() < 3 {
        return None;
    }
    let file = if path.is_empty() {
        None
    } else if path.starts_with('[') {
        Some((path.to_string(), 0))
    } else {
        Some((path.to_string(), offset))
    };
    Some(Region {
        start,
        end,
        read: perms[0] == b'r',
        write: perms[1] == b'w',
        exec: perms[2] == b'x',
        file,
    })
}

/// Whether the region maps a real file (not anonymous memory, not a
/// bracketed pseudo-file): what `NT_FILE` lists.
pub fn is_file(r: &Region) -> bool {
    matches!(&r.file, Some((p, _)) if !p.starts_with('['))
}

/// Whether a core stores this region's bytes: readable, and writable or
/// anonymous (stacks, heap and `[vdso]` included); never `[vvar]`,
/// `[vsyscall]` or inaccessible (PROT_NONE) memory, nor device memory under
/// `/dev/` (reading it can hang or fault) other than `/dev/zero` and
/// `/dev/shm/`.
pub fn should_dump(r: &Region) -> bool {
    if !r.read {
        return false;
    }
    match &r.file {
        None => true,
        Some((p, _)) if p.starts_with('[') => {
            !(p.starts_with("[vvar") || p.starts_with("[vsyscall"))
        }
        Some((p, _)) if p.starts_with("/dev/") => {
            r.write && (p.starts_with("/dev/zero") || p.starts_with("/dev/shm/"))
        }
        Some(_) => r.write,
    }
}

/// Which regions [`crate::write()`] stores: [`should_dump`], plus each
/// read-only, non-executable file mapping that ends where a writable mapping
/// of the same file begins. That is the RELRO part of an ELF object
/// (`.data.rel.ro`, the GOT): its pages were written by the dynamic linker's
/// relocations before it was made read-only, so the file on disk does not
/// hold the bytes the process saw. The kernel dumps it too (its pages are
/// copied-on-write).
pub fn dump_plan(regions: &[Region]) -> Vec<bool> {
    regions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            should_dump(r)
                || (r.read
                    && !r.write
                    && !r.exec
                    && is_file(r)
                    && regions.get(i + 1).is_some_and(|next| {
                        next.start == r.end
                            && next.write
                            && next.file.as_ref().map(|f| &f.0) == r.file.as_ref().map(|f| &f.0)
                    }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
5581c0a00000-5581c0a02000 r--p 00000000 08:01 1234                       /usr/bin/my prog
5581c0a02000-5581c0a06000 r-xp 00002000 08:01 1234                       /usr/bin/my prog
5581c0a06000-5581c0a07000 r--p 00006000 08:01 1234                       /usr/bin/my prog
5581c0a07000-5581c0a08000 rw-p 00007000 08:01 1234                       /usr/bin/my prog
5581c0a08000-5581c0a09000 rw-p 00000000 00:00 0 
5581c1000000-5581c1021000 rw-p 00000000 00:00 0                          [heap]
7f0000000000-7f0000001000 ---p 00000000 00:00 0 
7f0000001000-7f0000002000 rw-s 00000000 00:05 77                         /dev/dri/card0
7f0000002000-7f0000003000 rw-s 00000000 00:01 78                         /dev/zero (deleted)
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
7ffd00100000-7ffd00104000 r--p 00000000 00:00 0                          [vvar]
7ffd00104000-7ffd00106000 r-xp 00000000 00:00 0                          [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
garbage line
";

    #[test]
    fn parses_every_field() {
        let r = regions_from_maps(MAPS);
        assert_eq!(r.len(), 13);
        assert_eq!(
            r[1],
            Region {
                start: 0x5581c0a02000,
                end: 0x5581c0a06000,
                read: true,
                write: false,
                exec: true,
                file: Some(("/usr/bin/my prog".into(), 0x2000)),
            }
        );
        assert_eq!(r[4].file, None);
        assert_eq!(r[5].file, Some(("[heap]".into(), 0)));
        assert_eq!(r[12].start, 0xffffffffff600000);
        assert!(!r[12].read && r[12].exec);
    }

    #[test]
    fn dumps_writable_and_anonymous_only() {
        let r = regions_from_maps(MAPS);
        let dumped: Vec<bool> = r.iter().map(should_dump).collect();
        assert_eq!(
            dumped,
            [
                false, false, false, true, true, true, false, false, true, true, false, true, false
            ]
        );
        // The r--p mapping right before the file's rw-p one is RELRO.
        let plan = dump_plan(&r);
        assert!(plan[2]);
        assert_eq!(plan.iter().filter(|&&d| d).count(), 7);
    }
}
