//! `pmdb-raw-client SOCKET ACTION`: a deliberately primitive client for the
//! hardening tests, run as its own process so a test can run it as another
//! user or kill it mid-request.
//!
//! Actions: `hello` sends a hello and prints the reply (`Hello pid N` or
//! `Error(Kind): message`); `partial` greets, then sends half a frame, prints
//! `sent` and waits forever; `unread` greets, then asks for a traceback it
//! never reads, prints `sent` and waits forever.

use std::io::Write;
use std::os::unix::net::UnixStream;

use wire::{Envelope, PROTOCOL_VERSION, Request, Response, StreamTransport, Transport, frame};

fn send(t: &mut StreamTransport<UnixStream>, id: u64, body: Request) {
    t.send(&frame::encode(&Envelope { id, body }).unwrap())
        .unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, socket, action] = &args[..] else {
        eprintln!("usage: pmdb-raw-client SOCKET hello|partial|unread");
        std::process::exit(2);
    };
    let stream = match UnixStream::connect(socket) {
        Ok(s) => s,
        Err(e) => {
            println!("connect: {e}");
            return;
        }
    };
    let mut t = StreamTransport::new(stream.try_clone().unwrap());
    send(
        &mut t,
        1,
        Request::Hello {
            version: PROTOCOL_VERSION,
            client: "raw".into(),
        },
    );
    let reply: Envelope<Response> = match t.recv() {
        Ok(bytes) => frame::decode(&bytes).unwrap(),
        Err(e) => {
            println!("recv: {e}");
            return;
        }
    };
    match (&reply.body, action.as_str()) {
        (Response::Error(e), _) => {
            println!("Error({:?}): {}", e.kind, e.message);
            return;
        }
        (Response::Hello(h), "hello") => {
            println!("Hello pid {}", h.pid);
            return;
        }
        (Response::Hello(_), "partial") => {
            let mut s = &stream;
            s.write_all(&50u32.to_be_bytes()).unwrap();
            s.write_all(&[0x82; 10]).unwrap();
        }
        (Response::Hello(_), "unread") => send(&mut t, 2, Request::Traceback { thread: 0 }),
        (other, _) => {
            println!("unexpected: {other:?}");
            return;
        }
    }
    println!("sent");
    std::io::stdout().flush().unwrap();
    loop {
        std::thread::park();
    }
}
