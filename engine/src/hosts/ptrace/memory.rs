//! A live process's memory, read from outside with `process_vm_readv`: an
//! unmapped address is an error the kernel returns, never a fault of ours.
//! The reads need the same permission as ptrace, not the tracer's role, so
//! any thread of pmdb may read while the tracer thread holds the process.

use std::io::IoSliceMut;

use nix::sys::uio::{RemoteIoVec, process_vm_readv};
use nix::unistd::Pid;

use crate::memory::process::ReadError;

/// Fills `buf` from `addr` in process `pid`, or names the first address
/// that could not be read.
pub fn read(pid: u32, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
    let pid = Pid::from_raw(pid as i32);
    let mut done = 0usize;
    while done < buf.len() {
        let at = addr
            .checked_add(done as u64)
            .ok_or(ReadError::Unreadable(addr))?;
        let remote = [RemoteIoVec {
            base: at as usize,
            len: buf.len() - done,
        }];
        let mut local = [IoSliceMut::new(&mut buf[done..])];
        match process_vm_readv(pid, &mut local, &remote) {
            // A read stops short at the first page it cannot read; asking
            // again from there says whether that page is unreadable.
            Ok(n) if n > 0 => done += n,
            _ => return Err(ReadError::Unreadable(at)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::read;
    use crate::memory::process::ReadError;

    #[test]
    fn our_own_bytes_read_and_a_null_page_does_not() {
        let here = *b"pmdb reads this";
        let mut buf = [0u8; 15];
        read(std::process::id(), here.as_ptr() as u64, &mut buf).unwrap();
        assert_eq!(&buf, b"pmdb reads this");
        assert_eq!(
            read(std::process::id(), 8, &mut buf),
            Err(ReadError::Unreadable(8))
        );
        // A read running off a mapping's end names where it stopped.
        let page = 4096u64;
        let end = (here.as_ptr() as u64 | (page - 1)) + 1;
        assert_eq!(read(std::process::id(), end - 4, &mut [0; 4]), Ok(()));
    }
}
