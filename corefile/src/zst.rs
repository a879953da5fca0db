//! zstd: recognising a compressed core by its magic, and decompressing it,
//! bounded, into a sparse unnamed temporary file the reader then maps.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileExt, OpenOptionsExt};

use crate::CoreError;

/// The magic number that starts a zstd frame.
pub const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// The largest core we decompress.
pub const MAX_SIZE: u64 = 64 << 30;

pub fn is_zstd(head: &[u8]) -> bool {
    head.starts_with(&MAGIC)
}

fn err(e: impl std::fmt::Display) -> CoreError {
    CoreError::Zstd(e.to_string())
}

/// Decompresses `src` (positioned at the frame's start) into a new unnamed
/// file in the temporary directory: pages of zeros stay holes, and more than
/// [`MAX_SIZE`] bytes, declared or produced, is refused.
pub fn decompress_to_temp(src: &File) -> Result<File, CoreError> {
    let mut head = [0u8; 18]; // the longest frame header
    let n = src.read_at(&mut head, 0)?;
    if let Ok(Some(size)) = zstd::zstd_safe::get_frame_content_size(&head[..n])
        && size > MAX_SIZE
    {
        return Err(too_big(size));
    }
    let tmp = temp_file()?;
    let mut dec = zstd::stream::read::Decoder::new(src).map_err(err)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    loop {
        let n = read_full(&mut dec, &mut buf)?;
        if n == 0 {
            break;
        }
        if at + n as u64 > MAX_SIZE {
            return Err(too_big(at + n as u64));
        }
        for (i, page) in buf[..n].chunks(4096).enumerate() {
            if page.iter().any(|&b| b != 0) {
                tmp.write_all_at(page, at + 4096 * i as u64)?;
            }
        }
        at += n as u64;
    }
    tmp.set_len(at)?;
    Ok(tmp)
}

fn too_big(size: u64) -> CoreError {
    CoreError::Zstd(format!(
        "the core decompresses to {size} bytes or more; pmdb opens cores up to 64 GiB"
    ))
}

/// Fills `buf` as far as the stream goes; a corrupt stream is a zstd error.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> Result<usize, CoreError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(err(e)),
        }
    }
    Ok(n)
}

/// An unnamed file (`O_TMPFILE`) in the temporary directory; where the file
/// system has none, a named one removed at once.
fn temp_file() -> Result<File, CoreError> {
    let dir = std::env::temp_dir();
    if let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE)
        .open(&dir)
    {
        return Ok(f);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = dir.join(format!("pmdb-core-{}-{nanos}", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(f)
}
