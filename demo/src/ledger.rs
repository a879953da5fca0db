//! The `ledger` scenario: questions in one line. Ten million postings (a
//! `Vec` of small structs, a hundred of them negative), accounts with
//! strings and `Option`s, maps keyed by integers, strings, `Option`s and a
//! C-like enum, an array and a few scalars, for the expression language
//! (`pmdb`'s `p EXPR`, `report --eval`, `Frame::eval`) to be tried on and
//! tested against.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};

/// One posting: 16 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Posting {
    pub id: u32,
    pub day: u16,
    pub flags: u16,
    pub balance: i64,
}

#[derive(Debug)]
pub struct Holder {
    pub name: String,
    pub balance: i64,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    North,
    South,
}

/// How many postings the ledger holds.
pub const POSTINGS: u32 = 10_000_000;

/// Posting `i`: negative (−i) for every 100,000th, the last of each run.
pub fn posting(i: u32) -> Posting {
    Posting {
        id: i,
        day: (i % 365) as u16,
        flags: (i % 4) as u16,
        balance: if i % 100_000 == 99_999 {
            -(i as i64)
        } else {
            (i % 1000) as i64
        },
    }
}

pub fn run() {
    let postings: Vec<Posting> = (0..POSTINGS).map(posting).collect();
    let holders = vec![
        Holder {
            name: "ann".into(),
            balance: 120,
            limit: None,
        },
        Holder {
            name: "bob".into(),
            balance: -40,
            limit: Some(50),
        },
        Holder {
            name: "cyd".into(),
            balance: -75,
            limit: Some(25),
        },
    ];
    let by_id: HashMap<u32, &str> = [(1, "one"), (2, "two"), (3, "three")].into();
    let by_name: BTreeMap<String, i64> = [("ann".to_string(), 5), ("bob".to_string(), -3)].into();
    let by_option: HashMap<Option<u8>, &str> = [(Some(2), "two"), (None, "none")].into();
    let by_region: HashMap<Region, u32> = [(Region::North, 10), (Region::South, 20)].into();
    let primes: [u32; 6] = [2, 3, 5, 7, 11, 13];
    let word: &str = "crashing";
    let ratio: f64 = 0.25;
    let threshold: i64 = -5;
    let count: u8 = 200;
    let _ = std::hint::black_box((
        &postings, &holders, &by_id, &by_name, &by_option, &by_region, &primes, word, ratio,
        threshold, count,
    ));
    panic!("the ledger does not balance");
}
