//! A bounded, fixed-seed property test of the real request dispatcher: this
//! test's own stack is captured as a crash, served by `engine::crash::serve::Server` over
//! `wire::MemoryTransport`, and bombarded with random bytes, mutated
//! encodings and well-formed requests naming random handles, frames, threads
//! and statics, and expressions (some nested far past what the parser
//! takes). Every message must get exactly one reply that decodes, with
//! the request's id when the request decoded, and the server must keep
//! answering a well-formed conversation afterwards. CI runs it (seconds).

use std::hint::black_box;
use std::time::Duration;

use crate::testing::inspector_of_current_thread;
use engine::crash::serve::Server;
use wire::{Envelope, ErrorKind, FrameId, MemoryTransport, Request, Response, Transport, frame};

/// How many messages the property run sends.
const CASES: u64 = 50_000;

/// Seeded, so a failure reproduces from its case number; with the shapes
/// of input this test wants.
struct Rng(fastrand::Rng);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.u64(..)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0.u64(..n.max(1))
    }
    /// Mostly small numbers (likely valid), sometimes anything.
    fn number(&mut self) -> u64 {
        match self.below(4) {
            0 => self.below(8),
            1 => self.below(200),
            2 => u64::MAX - self.below(3),
            _ => self.next(),
        }
    }
    fn bytes(&mut self, max: u64) -> Vec<u8> {
        (0..self.below(max)).map(|_| self.next() as u8).collect()
    }
    /// An expression from the language's own pieces, well-formed or not,
    /// sometimes nested far past what the parser takes.
    fn expr(&mut self) -> String {
        const PIECES: &[&str] = &[
            "owner",
            "garbage",
            ".",
            "name",
            "scores",
            "next",
            "[",
            "]",
            "(",
            ")",
            "0",
            "299",
            "18446744073709551615",
            "-",
            "*",
            "&",
            "!",
            "..",
            "..=",
            "as",
            "u8",
            "*const Owner",
            " ",
            "\"ann\"",
            "'x'",
            "len()",
            "filter(|s| s > 3)",
            "==",
            "+",
            "/",
            "%",
            "::",
            "is_some()",
            "?",
            "1e308",
        ];
        match self.below(8) {
            0 => "(".repeat(self.below(100_000) as usize),
            1 => format!("{}owner", "*".repeat(self.below(50_000) as usize)),
            _ => (0..self.below(12))
                .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
                .collect(),
        }
    }
    fn text(&mut self) -> String {
        const WORDS: &[&str] = &["GREETING", "demo", "::", "x", "", "é", "\0", "[0]", "std"];
        (0..self.below(4))
            .map(|_| WORDS[self.below(WORDS.len() as u64) as usize])
            .collect()
    }
}

fn request(rng: &mut Rng, thread: u64) -> Request {
    let thread = if rng.below(2) == 0 {
        thread
    } else {
        rng.number()
    };
    match rng.below(14) {
        11 => Request::Eval {
            frame: FrameId {
                thread,
                index: rng.below(40) as u32,
            },
            expr: rng.expr(),
        },
        12 => Request::Tasks,
        13 => Request::Source {
            path: rng.text(),
            first_line: rng.number() as u32,
            last_line: rng.number() as u32,
        },
        0 => Request::Hello {
            version: rng.below(3) as u32,
            client: rng.text(),
        },
        1 => Request::Crash,
        2 => Request::Threads,
        3 => Request::Traceback { thread },
        4 | 5 => Request::Locals {
            frame: FrameId {
                thread,
                index: rng.number() as u32,
            },
        },
        6 | 7 => Request::Children {
            value: rng.number(),
            start: rng.number(),
            count: rng.number(),
        },
        8 => Request::Fetch {
            value: rng.number(),
        },
        9 => Request::Static { name: rng.text() },
        _ => Request::Stats,
    }
}

/// A message: random bytes, a mutated encoding, or a well-formed request
/// (of any size: the in-memory transport has no request limit, so hostile
/// expressions reach the parser whole).
fn message(rng: &mut Rng, thread: u64) -> (Vec<u8>, Option<u64>) {
    let id = rng.next();
    let valid = frame::encode(&Envelope {
        id,
        body: request(rng, thread),
    })
    .unwrap();
    match rng.below(4) {
        0 => (rng.bytes(64), None),
        1 => {
            let mut m = valid;
            for _ in 0..=rng.below(4) {
                let at = rng.below(m.len() as u64 + 1) as usize;
                match rng.below(3) {
                    0 if at < m.len() => m[at] = rng.next() as u8,
                    1 => m.insert(at, rng.next() as u8),
                    _ => m.truncate(at),
                }
            }
            (m, None)
        }
        _ => (valid, Some(id)),
    }
}

fn ask(client: &mut MemoryTransport, bytes: &[u8]) -> Envelope<Response> {
    client.send(bytes).unwrap();
    frame::decode(&client.recv().expect("one reply per message")).expect("a decodable reply")
}

#[derive(Debug)]
#[allow(dead_code)] // read by the dispatcher through DWARF, not by the program
struct Owner {
    name: String,
    scores: Vec<i64>,
    next: Option<Box<Owner>>,
}

#[test]
fn random_and_mutated_requests_get_typed_replies_and_serving_goes_on() {
    // Locals for the dispatcher to hand out handles to, including a pointer
    // to nowhere.
    let owner = Owner {
        name: "ann".into(),
        scores: (0..300).collect(),
        next: Some(Box::new(Owner {
            name: "bob".into(),
            scores: vec![],
            next: None,
        })),
    };
    let garbage = 0xdead as *const Owner;
    black_box((&owner, garbage));

    let inspector = inspector_of_current_thread("property run");
    let thread = inspector.crash.info.thread;
    let server = std::sync::Arc::new(Server::new(inspector, Duration::from_secs(30)));
    let (mut client, mut agent) = MemoryTransport::pair();
    let conv = {
        let server = server.clone();
        std::thread::Builder::new()
            .name("pmdb-agent-conn".into())
            .spawn(move || server.converse(&mut agent))
            .unwrap()
    };

    let hello = Envelope {
        id: 1,
        body: Request::Hello {
            version: wire::PROTOCOL_VERSION,
            client: "property".into(),
        },
    };
    let r = ask(&mut client, &frame::encode(&hello).unwrap());
    assert!(matches!(r.body, Response::Hello(_)), "{r:?}");

    let mut rng = Rng(fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15));
    let mut kinds = std::collections::BTreeMap::<String, u64>::new();
    for case in 0..CASES {
        let (bytes, id) = message(&mut rng, thread);
        let reply = ask(&mut client, &bytes);
        if let Some(id) = id {
            assert_eq!(reply.id, id, "case {case}");
        }
        let kind = match &reply.body {
            Response::Error(e) => {
                assert_ne!(e.kind, ErrorKind::Internal, "case {case}: {e:?}");
                format!("{:?}", e.kind)
            }
            other => format!("{other:?}")
                .split(['(', ' '])
                .next()
                .unwrap()
                .into(),
        };
        *kinds.entry(kind).or_default() += 1;
    }
    // Every kind of outcome was exercised.
    for k in [
        "BadRequest",
        "NotFound",
        "UnknownHandle",
        "Crash",
        "Traceback",
        "Values",
        "Stats",
        "Tasks",
    ] {
        assert!(kinds.get(k).copied().unwrap_or(0) > 0, "{k}: {kinds:?}");
    }

    // Still serving a well-formed conversation.
    let r = ask(
        &mut client,
        &frame::encode(&Envelope {
            id: 7,
            body: Request::Crash,
        })
        .unwrap(),
    );
    match r.body {
        Response::Crash(c) => assert_eq!((r.id, c.message.as_str()), (7, "property run")),
        other => panic!("expected the crash record, got {other:?}"),
    }
    drop(client);
    conv.join()
        .expect("the conversation ends cleanly when the client goes");
    eprintln!("{CASES} messages, replies by kind: {kinds:?}");
}
