//! The `declared` scenario: types of the demo's own whose views are
//! declared in `demo/.pmdb/views.toml` (and, in the test, a user-level
//! file): a sample buffer behind a raw pointer, a score table, a label, a
//! temperature, a tag set and a blob.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::ptr::NonNull;

/// `count` samples at `data` (kept alive by `storage`).
pub struct Samples {
    pub data: *const f32,
    pub count: usize,
    pub storage: Vec<f32>,
}

pub struct Score {
    pub name: &'static str,
    pub points: u32,
}

/// Name → points, as a list of entries.
pub struct Scores {
    pub entries: Vec<Score>,
}

pub struct Label {
    pub text: String,
}

pub struct Celsius {
    pub degrees: i32,
}

pub struct Tags {
    pub ptr: NonNull<u16>,
    pub len: usize,
    pub own: Vec<u16>,
}

pub struct Blob {
    pub bytes: *const u8,
    pub size: usize,
}

pub fn run() {
    let storage = vec![0.5f32, 1.5, 2.5];
    let samples = Samples {
        data: storage.as_ptr(),
        count: 2,
        storage: storage.clone(),
    };
    let scores = Scores {
        entries: vec![
            Score {
                name: "ann",
                points: 3,
            },
            Score {
                name: "bob",
                points: 5,
            },
        ],
    };
    let best = &scores.entries[1];
    let label = Label {
        text: "front door".to_string(),
    };
    let outside = Celsius { degrees: -4 };
    let mut own = vec![7u16, 9];
    let tags = Tags {
        ptr: NonNull::new(own.as_mut_ptr()).unwrap(),
        len: 2,
        own: own.clone(),
    };
    let raw = b"\x00ok\xff";
    let blob = Blob {
        bytes: raw.as_ptr(),
        size: raw.len(),
    };
    let _ = std::hint::black_box((
        &samples, &scores, best, &label, &outside, &tags, &blob, &own,
    ));
    panic!("declared views are on the stack");
}
