//! Writing a core: ELF header, one `PT_NOTE`, one `PT_LOAD` per region, the
//! dumped bytes page by page with pages of zeros left as holes, or the whole
//! stream through zstd.

use std::fs::File;

use crate::{Compression, CoreError, CoreSpec, WriteStats};

/// Writes the core of `spec` to `out` (a new, empty file). `read(addr, buf)`
/// fills `buf` from the process's memory or returns false when it cannot
/// (those bytes are stored as zeros).
pub fn write(
    spec: &CoreSpec,
    read: &mut dyn FnMut(u64, &mut [u8]) -> bool,
    out: &mut File,
    compression: Compression,
) -> Result<WriteStats, CoreError> {
    let _ = (spec, read, out, compression);
    Err(CoreError::Corrupt("not implemented yet".into()))
}
