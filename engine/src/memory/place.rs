//! Where a value's bytes are: at an address of the frozen process, held as
//! bytes (a value computed by a DWARF expression), or missing with a reason.

use crate::memory::process::ReadError;
use crate::memory::read::Memory;
use crate::memory::unavailable::Unavailable;

/// A value's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Mem(u64),
    Bytes(Vec<u8>),
    Missing(Unavailable),
}

impl Place {
    /// The place `offset` bytes further in.
    pub fn at(&self, offset: u64) -> Place {
        match self {
            Place::Mem(a) => Place::Mem(a.wrapping_add(offset)),
            Place::Bytes(b) => match b.get(offset as usize..) {
                Some(rest) => Place::Bytes(rest.to_vec()),
                None => Place::Missing(Unavailable::TooShort),
            },
            Place::Missing(why) => Place::Missing(why.clone()),
        }
    }

    /// `len` bytes from `offset`.
    pub fn read(&self, mem: &Memory, offset: u64, len: usize) -> Result<Vec<u8>, Unavailable> {
        match self {
            Place::Mem(a) => mem
                .read(a.wrapping_add(offset), len)
                .map_err(Unavailable::from),
            Place::Bytes(b) => b
                .get(offset as usize..)
                .and_then(|r| r.get(..len))
                .map(<[u8]>::to_vec)
                .ok_or(Unavailable::TooShort),
            Place::Missing(why) => Err(why.clone()),
        }
    }

    /// A little-endian unsigned integer of `size` bytes at `offset`.
    pub fn uint(&self, mem: &Memory, offset: u64, size: u64) -> Result<u128, Unavailable> {
        let size = size.min(16) as usize;
        let mut buf = [0u8; 16];
        match self {
            // The engine's most frequent read: no allocation.
            Place::Mem(a) => mem.read_into(a.wrapping_add(offset), &mut buf[..size])?,
            _ => buf[..size].copy_from_slice(&self.read(mem, offset, size)?),
        }
        Ok(u128::from_le_bytes(buf))
    }

    /// A pointer-sized word at `offset`.
    pub fn word(&self, mem: &Memory, offset: u64) -> Result<u64, Unavailable> {
        self.uint(mem, offset, 8).map(|v| v as u64)
    }
}

impl From<ReadError> for Place {
    fn from(e: ReadError) -> Self {
        Place::Missing(e.into())
    }
}
