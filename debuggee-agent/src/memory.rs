//! Fault-safe reads of the process's own memory. Every byte the agent reads
//! from the debuggee's data goes through here: `process_vm_readv` on our own
//! pid returns an error for unmapped or unreadable addresses instead of
//! faulting, so a garbage pointer becomes an "unreadable memory" value.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes read from the debuggee's memory since start (for stats and benches).
static BYTES_READ: AtomicU64 = AtomicU64::new(0);

/// Total bytes this process has read through [`read_into`].
pub fn bytes_read() -> u64 {
    BYTES_READ.load(Ordering::Relaxed)
}

/// The largest single read the agent makes (1 MiB); callers page above it.
pub const MAX_READ: usize = 1 << 20;

/// A read that could not be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("<unreadable memory at {0:#x}>")]
    Unreadable(u64),
    #[error("<read of {0} bytes refused>")]
    TooLarge(u64),
}

/// Reads `len` bytes at `addr`, or says why not.
pub fn read(addr: u64, len: usize) -> Result<Vec<u8>, ReadError> {
    if len > MAX_READ {
        return Err(ReadError::TooLarge(len as u64));
    }
    let mut buf = vec![0u8; len];
    read_into(addr, &mut buf)?;
    Ok(buf)
}

/// Reads `len` bytes at `addr` in chunks of at most [`MAX_READ`], for the
/// agent's own bounded needs (an object's unwind tables), never for a length
/// read from the debuggee's data.
pub fn read_large(addr: u64, len: u64) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::with_capacity(len.min(64 << 20) as usize);
    let mut at = addr;
    let end = addr.checked_add(len).ok_or(ReadError::Unreadable(addr))?;
    while at < end {
        let n = (end - at).min(MAX_READ as u64) as usize;
        out.extend_from_slice(&read(at, n)?);
        at += n as u64;
    }
    Ok(out)
}

/// Fills `buf` from `addr`.
pub fn read_into(addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
    if buf.is_empty() {
        return Ok(());
    }
    BYTES_READ.fetch_add(buf.len() as u64, Ordering::Relaxed);
    if addr == 0 || addr.checked_add(buf.len() as u64).is_none() {
        return Err(ReadError::Unreadable(addr));
    }
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` describes `buf`, which we own mutably for the call; the
    // kernel validates `remote` and fails with EFAULT instead of faulting.
    let n = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
    if n == buf.len() as isize {
        Ok(())
    } else {
        Err(ReadError::Unreadable(addr))
    }
}

/// Reads a little-endian unsigned integer of `size` bytes (1..=16).
pub fn read_uint(addr: u64, size: usize) -> Result<u128, ReadError> {
    let mut buf = [0u8; 16];
    let size = size.min(16);
    read_into(addr, &mut buf[..size])?;
    Ok(u128::from_le_bytes(buf))
}

/// Reads a pointer-sized word.
pub fn read_word(addr: u64) -> Result<u64, ReadError> {
    let mut buf = [0u8; 8];
    read_into(addr, &mut buf)?;
    Ok(u64::from_le_bytes(buf))
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

    #[test]
    fn reads_own_memory_and_refuses_garbage() {
        let data = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let addr = data.as_ptr() as u64;
        assert_eq!(read(addr, 8).unwrap(), data.to_vec());
        assert_eq!(read_word(addr).unwrap(), u64::from_le_bytes(data));
        assert_eq!(read_uint(addr + 1, 2).unwrap(), 0x0302);
        assert_eq!(read(0, 4), Err(ReadError::Unreadable(0)));
        assert_eq!(read(8, 4), Err(ReadError::Unreadable(8)));
        assert_eq!(
            read(u64::MAX - 2, 4),
            Err(ReadError::Unreadable(u64::MAX - 2))
        );
        assert_eq!(
            read(addr, MAX_READ + 1),
            Err(ReadError::TooLarge(MAX_READ as u64 + 1))
        );
        assert_eq!(
            ReadError::Unreadable(0xdead).to_string(),
            "<unreadable memory at 0xdead>"
        );
    }

    #[test]
    fn large_reads_go_in_chunks() {
        let data: Vec<u8> = (0..3 * MAX_READ + 17).map(|i| (i % 251) as u8).collect();
        assert_eq!(
            read_large(data.as_ptr() as u64, data.len() as u64).unwrap(),
            data
        );
        assert_eq!(read_large(0, 4), Err(ReadError::Unreadable(0)));
    }
}
