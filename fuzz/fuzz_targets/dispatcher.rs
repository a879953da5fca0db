//! Fuzz target: the agent's real request dispatcher. A helper thread captures
//! its own stack as a crash and stays parked (its stack is the data); each
//! input becomes a list of messages — raw bytes, or well-formed requests with
//! arbitrary handles, frames, threads, pages, names and expressions —
//! preceded by a valid hello, and is fed to `Server::converse`. Every message must get exactly
//! one reply, and none may be an `Internal` error (a contained agent panic).

#![no_main]

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

use debuggee_agent::testing::inspector_of_current_thread;
use engine::crash::serve::Server;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use wire::{Envelope, ErrorKind, FrameId, PROTOCOL_VERSION, Request, Response, Transport, frame};

/// One message of an input.
#[derive(Debug, Arbitrary)]
enum Msg {
    Raw(Vec<u8>),
    Hello(u32, String),
    Crash,
    Threads,
    /// `true`: the crashed thread; otherwise the given id.
    Traceback(bool, u64),
    Locals(bool, u64, u32),
    Children(u64, u64, u64),
    Fetch(u64),
    Static(String),
    Stats,
    /// An expression in a frame of the crashed thread (or another).
    Eval(bool, u64, u32, String),
    Tasks,
    Source(String, u32, u32),
    /// A frame's registers, of the crashed thread (or another).
    Registers(bool, u64, u32),
}

impl Msg {
    fn encode(self, id: u64, crashed: u64) -> Vec<u8> {
        let thread = |ours: bool, t: u64| if ours { crashed } else { t };
        let body = match self {
            Msg::Raw(bytes) => return bytes,
            Msg::Hello(version, client) => Request::Hello { version, client },
            Msg::Crash => Request::Crash,
            Msg::Threads => Request::Threads,
            Msg::Traceback(ours, t) => Request::Traceback {
                thread: thread(ours, t),
            },
            Msg::Locals(ours, t, index) => Request::Locals {
                frame: FrameId {
                    thread: thread(ours, t),
                    index: index % 64,
                },
            },
            Msg::Children(value, start, count) => Request::Children {
                value: value % 4096,
                start,
                count,
            },
            Msg::Fetch(value) => Request::Fetch {
                value: value % 4096,
            },
            Msg::Static(name) => Request::Static { name },
            Msg::Stats => Request::Stats,
            Msg::Eval(ours, t, index, expr) => Request::Eval {
                frame: FrameId {
                    thread: thread(ours, t),
                    index: index % 64,
                },
                expr,
            },
            Msg::Tasks => Request::Tasks,
            Msg::Registers(ours, t, index) => Request::Registers {
                frame: FrameId {
                    thread: thread(ours, t),
                    index: index % 64,
                },
            },
            Msg::Source(path, first_line, last_line) => Request::Source {
                path,
                first_line,
                last_line,
            },
        };
        frame::encode(&Envelope { id, body }).unwrap()
    }
}

/// Messages in, replies counted.
struct Script {
    inbox: VecDeque<Vec<u8>>,
    replies: usize,
}

impl Transport for Script {
    fn send(&mut self, message: &[u8]) -> Result<(), wire::Error> {
        let reply: Envelope<Response> = frame::decode(message).expect("replies decode");
        if let Response::Error(e) = &reply.body {
            assert_ne!(e.kind, ErrorKind::Internal, "{e:?}");
        }
        self.replies += 1;
        Ok(())
    }
    fn recv(&mut self) -> Result<Vec<u8>, wire::Error> {
        self.inbox.pop_front().ok_or(wire::Error::Closed)
    }
}

#[allow(dead_code)] // read through DWARF
struct Owner {
    name: String,
    scores: Vec<i64>,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let owner = Owner {
                name: "ann".into(),
                scores: (0..300).collect(),
            };
            let garbage = 0xdead as *const Owner;
            black_box((&owner, garbage));
            tx.send(inspector_of_current_thread("fuzz")).unwrap();
            loop {
                std::thread::park();
            }
        });
        Server::new(rx.recv().unwrap(), Duration::from_secs(30))
    })
}

fuzz_target!(|msgs: Vec<Msg>| {
    let server = server();
    let crashed = server.inspector().crash.info.thread;
    let hello = frame::encode(&Envelope {
        id: 1,
        body: Request::Hello {
            version: PROTOCOL_VERSION,
            client: "fuzz".into(),
        },
    })
    .unwrap();
    let mut inbox = VecDeque::from([hello]);
    for (i, m) in msgs.into_iter().take(64).enumerate() {
        inbox.push_back(m.encode(i as u64 + 2, crashed));
    }
    let sent = inbox.len();
    let mut script = Script { inbox, replies: 0 };
    server.converse(&mut script);
    assert_eq!(script.replies, sent);
});
