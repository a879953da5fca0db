//! The transport: a trait of two functions, send one message and receive one
//! message, with a byte-stream implementation (local sockets, stdin/stdout)
//! and an in-memory pair for tests.

use std::io::{Read, Write};
use std::sync::mpsc;

use crate::Error;
use crate::frame::{MAX_FRAME, read_frame_max, write_frame};

/// Carries whole encoded messages between the debugger and the agent.
pub trait Transport: Send {
    /// Sends one encoded message.
    fn send(&mut self, message: &[u8]) -> Result<(), Error>;
    /// Receives one encoded message; [`Error::Closed`] when the peer is gone.
    fn recv(&mut self) -> Result<Vec<u8>, Error>;
}

/// Length-prefixed frames over any byte stream.
pub struct StreamTransport<S> {
    stream: S,
    max_frame: usize,
}

impl<S> StreamTransport<S> {
    pub fn new(stream: S) -> Self {
        StreamTransport {
            stream,
            max_frame: MAX_FRAME,
        }
    }

    /// A transport that refuses to receive frames longer than `max` bytes
    /// (the agent uses it: requests are small).
    pub fn with_max_frame(stream: S, max: usize) -> Self {
        StreamTransport {
            stream,
            max_frame: max.min(MAX_FRAME),
        }
    }

    pub fn get_ref(&self) -> &S {
        &self.stream
    }
}

impl<S: Read + Write + Send> Transport for StreamTransport<S> {
    fn send(&mut self, message: &[u8]) -> Result<(), Error> {
        write_frame(&mut self.stream, message)
    }

    fn recv(&mut self) -> Result<Vec<u8>, Error> {
        read_frame_max(&mut self.stream, self.max_frame)
    }
}

/// One end of an in-memory pair made by [`MemoryTransport::pair`].
pub struct MemoryTransport {
    tx: mpsc::Sender<Vec<u8>>,
    rx: mpsc::Receiver<Vec<u8>>,
}

impl MemoryTransport {
    /// Two connected ends: what one sends, the other receives.
    pub fn pair() -> (MemoryTransport, MemoryTransport) {
        let (a_tx, b_rx) = mpsc::channel();
        let (b_tx, a_rx) = mpsc::channel();
        (
            MemoryTransport { tx: a_tx, rx: a_rx },
            MemoryTransport { tx: b_tx, rx: b_rx },
        )
    }
}

impl Transport for MemoryTransport {
    fn send(&mut self, message: &[u8]) -> Result<(), Error> {
        self.tx.send(message.to_vec()).map_err(|_| Error::Closed)
    }

    fn recv(&mut self) -> Result<Vec<u8>, Error> {
        self.rx.recv().map_err(|_| Error::Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_pair_carries_messages_both_ways_and_reports_close() {
        let (mut a, mut b) = MemoryTransport::pair();
        a.send(b"ping").unwrap();
        assert_eq!(b.recv().unwrap(), b"ping");
        b.send(b"pong").unwrap();
        assert_eq!(a.recv().unwrap(), b"pong");
        drop(b);
        assert!(matches!(a.recv(), Err(Error::Closed)));
    }

    #[test]
    fn stream_transport_frames_over_a_socket_pair() {
        let (x, y) = std::os::unix::net::UnixStream::pair().unwrap();
        let (mut a, mut b) = (StreamTransport::new(x), StreamTransport::new(y));
        a.send(&[1, 2, 3]).unwrap();
        assert_eq!(b.recv().unwrap(), vec![1, 2, 3]);
        drop(a);
        assert!(matches!(b.recv(), Err(Error::Closed)));
    }
}
