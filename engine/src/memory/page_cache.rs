//! Whole pages of the crashed process kept for the length of a request.
//!
//! Reading a live process costs a system call per read, and the engine
//! makes many small ones: a task list of 10,000 tokio tasks reads each
//! task's header, vtable, id and future a word at a time; an unwind reads a
//! stack a word at a time. Inside a request the debuggee is frozen, so a
//! page read once can answer every later read that falls in it.
//!
//! The cache holds pages only while a [`Scope`] is open (the server opens
//! one per request) and drops them all when the last scope ends, so what
//! it shows is never older than the request that asked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::memory::process::Process;
use crate::memory::process::ReadError;

/// The unit of caching (the smallest page on x86-64 and aarch64 Linux:
/// a page is mapped or not as a whole).
pub const PAGE: usize = 4096;

/// Most pages held at once (16 MiB); past it the cache starts over.
const MAX_PAGES: usize = 4096;

#[derive(Default)]
struct Pages {
    scopes: usize,
    pages: HashMap<u64, Box<[u8]>>,
}

/// The pages read within the open scopes.
#[derive(Default, Clone)]
pub struct PageCache {
    inner: Arc<Mutex<Pages>>,
}

/// While alive, small reads are answered from whole cached pages.
pub struct Scope {
    cache: PageCache,
}

impl Drop for Scope {
    fn drop(&mut self) {
        let mut p = self.cache.lock();
        p.scopes -= 1;
        if p.scopes == 0 {
            p.pages = HashMap::new();
        }
    }
}

impl PageCache {
    fn lock(&self) -> MutexGuard<'_, Pages> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens a scope: pages read until it (and every other open scope)
    /// ends are kept.
    pub fn scope(&self) -> Scope {
        self.lock().scopes += 1;
        Scope {
            cache: self.clone(),
        }
    }

    /// Fills `buf` from `addr` through cached pages. `None` when no scope
    /// is open, the read is larger than a page, or a page it touches could
    /// not be read whole: the caller then reads directly.
    pub fn read(&self, process: &dyn Process, addr: u64, buf: &mut [u8]) -> Option<()> {
        if buf.len() > PAGE || buf.is_empty() {
            return None;
        }
        let mut p = self.lock();
        if p.scopes == 0 {
            return None;
        }
        let end = addr.checked_add(buf.len() as u64 - 1)?;
        let (first, last) = (addr / PAGE as u64, end / PAGE as u64);
        for page in first..=last {
            if !p.pages.contains_key(&page) {
                let mut bytes = vec![0u8; PAGE].into_boxed_slice();
                process
                    .read_into(page * PAGE as u64, &mut bytes)
                    .map_err(|_: ReadError| ())
                    .ok()?;
                if p.pages.len() >= MAX_PAGES {
                    p.pages.clear();
                }
                p.pages.insert(page, bytes);
            }
        }
        let mut at = addr;
        let mut filled = 0;
        while filled < buf.len() {
            let page = at / PAGE as u64;
            let offset = (at % PAGE as u64) as usize;
            let n = (PAGE - offset).min(buf.len() - filled);
            // A first page dropped when the cache started over while the
            // second was read: the caller reads directly.
            let bytes = p.pages.get(&page)?;
            buf[filled..filled + n].copy_from_slice(&bytes[offset..offset + n]);
            filled += n;
            at += n as u64;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::process::Object;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Two readable pages at 0x10000 (byte i holds i % 251), then nothing;
    /// counts the reads that reach it.
    #[derive(Default)]
    struct TwoPages {
        reads: AtomicUsize,
    }

    impl Process for TwoPages {
        fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            let end = addr + buf.len() as u64;
            if addr < 0x10000 || end > 0x10000 + 2 * PAGE as u64 {
                return Err(ReadError::Unreadable(addr));
            }
            for (i, b) in buf.iter_mut().enumerate() {
                *b = ((addr - 0x10000 + i as u64) % 251) as u8;
            }
            Ok(())
        }
        fn objects(&self) -> Vec<Object> {
            Vec::new()
        }
    }

    fn expected(addr: u64, len: usize) -> Vec<u8> {
        (0..len as u64)
            .map(|i| ((addr - 0x10000 + i) % 251) as u8)
            .collect()
    }

    #[test]
    fn pages_answer_reads_only_inside_a_scope() {
        let p = TwoPages::default();
        let cache = PageCache::default();
        let mut buf = [0u8; 8];
        assert_eq!(cache.read(&p, 0x10008, &mut buf), None, "no scope open");
        assert_eq!(p.reads.load(Ordering::Relaxed), 0);

        let scope = cache.scope();
        for addr in [0x10008, 0x10100, 0x10ff0] {
            assert_eq!(cache.read(&p, addr, &mut buf), Some(()));
            assert_eq!(buf.to_vec(), expected(addr, 8));
        }
        assert_eq!(p.reads.load(Ordering::Relaxed), 1, "one page read once");

        // Across the page boundary: the second page is read, then kept.
        let mut across = [0u8; 32];
        assert_eq!(cache.read(&p, 0x10ff0, &mut across), Some(()));
        assert_eq!(across.to_vec(), expected(0x10ff0, 32));
        assert_eq!(cache.read(&p, 0x11100, &mut buf), Some(()));
        assert_eq!(p.reads.load(Ordering::Relaxed), 2);

        // A page that cannot be read whole is left to the caller.
        assert_eq!(cache.read(&p, 0x11ffc, &mut buf), None);
        let mut big = vec![0u8; PAGE + 1];
        assert_eq!(
            cache.read(&p, 0x10000, &mut big),
            None,
            "larger than a page"
        );

        // Nested scopes keep the pages until the last one ends.
        let inner = cache.scope();
        drop(scope);
        let before = p.reads.load(Ordering::Relaxed);
        assert_eq!(cache.read(&p, 0x10008, &mut buf), Some(()));
        assert_eq!(p.reads.load(Ordering::Relaxed), before);
        drop(inner);
        assert!(cache.lock().pages.is_empty());
        let _again = cache.scope();
        assert_eq!(cache.read(&p, 0x10008, &mut buf), Some(()));
        assert_eq!(p.reads.load(Ordering::Relaxed), before + 1, "read afresh");
    }
}
