//! Framing: a 4-byte big-endian length, then one MessagePack message
//! (rmp-serde, structs as maps so fields can be added without breaking peers).

use serde::{Serialize, de::DeserializeOwned};

use crate::Error;

/// The largest frame either side accepts (16 MiB). Longer frames are refused
/// before anything is allocated for them.
pub const MAX_FRAME: usize = 16 << 20;

/// Encodes one message body as MessagePack (named fields).
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, Error> {
    rmp_serde::to_vec_named(msg).map_err(|e| Error::Encode(e.to_string()))
}

/// Decodes one message body.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    rmp_serde::from_slice(bytes).map_err(|e| Error::Decode(e.to_string()))
}

/// The largest request frame an agent reads (64 KiB): requests are small,
/// so a hostile length costs nothing; a client refuses to send a bigger one.
pub const MAX_REQUEST: usize = 64 << 10;

/// Frames up to this size are written with their prefix in one write.
const SMALL_FRAME: usize = 64 * 1024;

/// Writes `body` with its length prefix.
pub fn write_frame(w: &mut impl std::io::Write, body: &[u8]) -> Result<(), Error> {
    if body.len() > MAX_FRAME {
        return Err(Error::FrameTooLarge {
            len: body.len(),
            max: MAX_FRAME,
        });
    }
    let len = (body.len() as u32).to_be_bytes();
    if body.len() <= SMALL_FRAME {
        // One write for the common small frame.
        let mut buf = Vec::with_capacity(4 + body.len());
        buf.extend_from_slice(&len);
        buf.extend_from_slice(body);
        w.write_all(&buf)?;
    } else {
        // A big one (a task list is megabytes) is not copied to prefix it.
        w.write_all(&len)?;
        w.write_all(body)?;
    }
    w.flush()?;
    Ok(())
}

/// Reads one length-prefixed frame; a clean end of stream before the length is
/// [`Error::Closed`], a length over [`MAX_FRAME`] is refused unread.
pub fn read_frame(r: &mut impl std::io::Read) -> Result<Vec<u8>, Error> {
    read_frame_max(r, MAX_FRAME)
}

/// Memory reserved for a frame body before its bytes arrive: a peer that
/// announces a large frame and sends nothing costs at most this much.
const BODY_RESERVE: usize = 64 << 10;

/// As [`read_frame`], refusing lengths over `max` (never more than
/// [`MAX_FRAME`]). The body buffer grows only as bytes actually arrive.
pub fn read_frame_max(r: &mut impl std::io::Read, max: usize) -> Result<Vec<u8>, Error> {
    let max = max.min(MAX_FRAME);
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Err(Error::Closed),
            Ok(0) => return Err(Error::Decode("truncated frame length".into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(Error::FrameTooLarge { len, max });
    }
    use std::io::Read as _;
    let mut body = Vec::with_capacity(len.min(BODY_RESERVE));
    r.take(len as u64).read_to_end(&mut body)?;
    if body.len() < len {
        return Err(Error::Decode("truncated frame body".into()));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Envelope, Request};

    #[test]
    fn round_trips_a_request() {
        let msg = Envelope {
            id: 7,
            body: Request::Children {
                value: 3,
                start: 10,
                count: 5,
            },
        };
        let mut wire = Vec::new();
        write_frame(&mut wire, &encode(&msg).unwrap()).unwrap();
        assert_eq!(&wire[..4], &((wire.len() - 4) as u32).to_be_bytes());
        let back: Envelope<Request> = decode(&read_frame(&mut &wire[..]).unwrap()).unwrap();
        assert_eq!(back, msg);
    }

    #[test]
    fn small_and_big_frames_carry_the_same_prefix() {
        for len in [0, 1, SMALL_FRAME, SMALL_FRAME + 1, 3 * SMALL_FRAME + 5] {
            let body: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let mut wire = Vec::new();
            write_frame(&mut wire, &body).unwrap();
            assert_eq!(wire.len(), 4 + len);
            assert_eq!(&wire[..4], &(len as u32).to_be_bytes());
            assert_eq!(read_frame(&mut &wire[..]).unwrap(), body);
        }
    }

    #[test]
    fn refuses_oversized_length_without_reading() {
        let wire = (MAX_FRAME as u32 + 1).to_be_bytes();
        match read_frame(&mut &wire[..]) {
            Err(Error::FrameTooLarge { len, max }) => {
                assert_eq!(len, MAX_FRAME + 1);
                assert_eq!(max, MAX_FRAME);
            }
            other => panic!("expected FrameTooLarge, got {other:?}"),
        }
    }

    #[test]
    fn reports_truncation_and_clean_close() {
        assert!(matches!(read_frame(&mut &[][..]), Err(Error::Closed)));
        assert!(matches!(
            read_frame(&mut &[0u8, 0][..]),
            Err(Error::Decode(m)) if m == "truncated frame length"
        ));
        assert!(matches!(
            read_frame(&mut &[0u8, 0, 0, 9, 1, 2][..]),
            Err(Error::Decode(m)) if m == "truncated frame body"
        ));
    }

    #[test]
    fn a_smaller_maximum_is_enforced_and_capped() {
        let mut wire = 65u32.to_be_bytes().to_vec();
        wire.extend([0u8; 65]);
        match read_frame_max(&mut &wire[..], 64) {
            Err(e) => assert_eq!(e.to_string(), "frame of 65 bytes exceeds the maximum of 64"),
            Ok(b) => panic!("expected FrameTooLarge, got {} bytes", b.len()),
        }
        assert_eq!(read_frame_max(&mut &wire[..], 65).unwrap(), vec![0u8; 65]);
        let huge = (MAX_FRAME as u32 + 1).to_be_bytes();
        assert!(matches!(
            read_frame_max(&mut &huge[..], usize::MAX),
            Err(Error::FrameTooLarge { max: MAX_FRAME, .. })
        ));
    }

    #[test]
    fn a_large_announced_body_that_never_comes_reserves_little() {
        // 16 MiB announced, 3 bytes sent: truncated, and the buffer stayed small.
        let mut wire = (MAX_FRAME as u32).to_be_bytes().to_vec();
        wire.extend([1, 2, 3]);
        assert!(matches!(
            read_frame(&mut &wire[..]),
            Err(Error::Decode(m)) if m == "truncated frame body"
        ));
    }

    #[test]
    fn garbage_body_is_a_decode_error() {
        let r: Result<Envelope<Request>, _> = decode(&[0xc1, 0xff, 0x00]);
        assert!(matches!(r, Err(Error::Decode(_))));
    }
}
