//! Fuzz target: the frame decoder. Arbitrary bytes are read as a stream of
//! length-prefixed frames (with the agent's request maximum) and each body is
//! decoded as a request envelope; nothing may panic or allocate unboundedly.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::{Envelope, Request, frame};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(body) = frame::read_frame_max(&mut rest, debuggee_agent::testing::MAX_REQUEST) {
        assert!(body.len() <= debuggee_agent::testing::MAX_REQUEST);
        if let Ok(env) = frame::decode::<Envelope<Request>>(&body) {
            // What decodes re-encodes and decodes to the same thing.
            let again: Envelope<Request> = frame::decode(&frame::encode(&env).unwrap()).unwrap();
            assert_eq!(again, env);
        }
    }
});
