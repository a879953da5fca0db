//! The only door into the crashed process's memory: every byte the engine
//! reads goes through [`Memory`], which asks the [`Process`] (fault-safe by
//! contract: an unmapped address is an error, never a crash) and counts the
//! bytes so laziness can be measured.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::memory::page_cache::{PageCache, Scope};
use crate::memory::process::{Process, ReadError};

/// The largest single read the engine makes (1 MiB); callers page above it.
pub const MAX_READ: usize = 1 << 20;

/// The crashed process's memory, with a count of the bytes the engine
/// asked for (not of the whole pages a cache may have read to answer).
#[derive(Clone)]
pub struct Memory {
    process: Arc<dyn Process>,
    bytes_read: Arc<AtomicU64>,
    /// For a process whose reads are system calls.
    cache: Option<PageCache>,
}

impl Memory {
    pub fn new(process: Arc<dyn Process>) -> Memory {
        Memory {
            cache: process.cache_pages().then(PageCache::default),
            process,
            bytes_read: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Keeps whole pages read until the scope ends (see
    /// [`crate::memory::page_cache`]); a no-op for a process with cheap reads.
    pub fn cached(&self) -> Option<Scope> {
        self.cache.as_ref().map(PageCache::scope)
    }

    /// The process behind this memory.
    pub fn process(&self) -> &Arc<dyn Process> {
        &self.process
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    /// Reads `len` bytes at `addr`, or says why not.
    pub fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, ReadError> {
        if len > MAX_READ {
            return Err(ReadError::TooLarge(len as u64));
        }
        let mut buf = vec![0u8; len];
        self.read_into(addr, &mut buf)?;
        Ok(buf)
    }

    /// Reads `len` bytes at `addr` in chunks of at most [`MAX_READ`], for the
    /// engine's own bounded needs (an object's unwind tables), never for a
    /// length read from the debuggee's data.
    pub fn read_large(&self, addr: u64, len: u64) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::with_capacity(len.min(64 << 20) as usize);
        let mut at = addr;
        let end = addr.checked_add(len).ok_or(ReadError::Unreadable(addr))?;
        while at < end {
            let n = (end - at).min(MAX_READ as u64) as usize;
            out.extend_from_slice(&self.read(at, n)?);
            at += n as u64;
        }
        Ok(out)
    }

    /// Fills `buf` from `addr`.
    pub fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        if buf.is_empty() {
            return Ok(());
        }
        self.bytes_read
            .fetch_add(buf.len() as u64, Ordering::Relaxed);
        if addr == 0 || addr.checked_add(buf.len() as u64).is_none() {
            return Err(ReadError::Unreadable(addr));
        }
        if let Some(cache) = &self.cache
            && cache.read(&*self.process, addr, buf).is_some()
        {
            return Ok(());
        }
        self.process.read_into(addr, buf)
    }

    /// Reads a little-endian unsigned integer of `size` bytes (1..=16).
    pub fn read_uint(&self, addr: u64, size: usize) -> Result<u128, ReadError> {
        let mut buf = [0u8; 16];
        let size = size.min(16);
        self.read_into(addr, &mut buf[..size])?;
        Ok(u128::from_le_bytes(buf))
    }

    /// Reads a pointer-sized word.
    pub fn read_word(&self, addr: u64) -> Result<u64, ReadError> {
        let mut buf = [0u8; 8];
        self.read_into(addr, &mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }
}

/// Displays an address as `0x…`.
pub struct Addr(pub u64);

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::process::Object;

    /// A process whose memory is one buffer at a fixed address.
    struct Buffer(u64, Vec<u8>);

    impl Process for Buffer {
        fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
            let start = addr
                .checked_sub(self.0)
                .ok_or(ReadError::Unreadable(addr))? as usize;
            let src = self
                .1
                .get(start..start + buf.len())
                .ok_or(ReadError::Unreadable(addr))?;
            buf.copy_from_slice(src);
            Ok(())
        }
        fn objects(&self) -> Vec<Object> {
            Vec::new()
        }
    }

    #[test]
    fn reads_are_bounded_counted_and_refuse_garbage() {
        let data: Vec<u8> = (0..3 * MAX_READ + 17).map(|i| (i % 251) as u8).collect();
        let mem = Memory::new(Arc::new(Buffer(0x1000, data.clone())));
        assert_eq!(mem.read(0x1000, 8).unwrap(), data[..8].to_vec());
        assert_eq!(
            mem.read_word(0x1000).unwrap(),
            u64::from_le_bytes(data[..8].try_into().unwrap())
        );
        assert_eq!(mem.read_uint(0x1001, 2).unwrap(), 0x0201);
        assert_eq!(mem.bytes_read(), 18);
        assert_eq!(mem.read(0, 4), Err(ReadError::Unreadable(0)));
        assert_eq!(mem.read(8, 4), Err(ReadError::Unreadable(8)));
        assert_eq!(
            mem.read(u64::MAX - 2, 4),
            Err(ReadError::Unreadable(u64::MAX - 2))
        );
        assert_eq!(
            mem.read(0x1000, MAX_READ + 1),
            Err(ReadError::TooLarge(MAX_READ as u64 + 1))
        );
        assert_eq!(mem.read_large(0x1000, data.len() as u64).unwrap(), data);
        assert_eq!(
            ReadError::Unreadable(0xdead).to_string(),
            "<unreadable memory at 0xdead>"
        );
    }
}
