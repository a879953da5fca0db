//! The `collections` scenario: std collections, smart pointers, cells, locks
//! and other std types at the crash, each with known contents, so the agent's
//! views of them can be asserted exactly.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};
use std::ffi::{CString, OsString};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

#[derive(Debug)]
pub struct Node {
    pub value: i32,
    pub next: Option<Rc<RefCell<Node>>>,
}

/// Something with an area, behind `dyn`.
pub trait Area {
    fn area(&self) -> f64;
}

#[derive(Debug)]
pub struct Square {
    pub side: f64,
}

#[derive(Debug)]
pub struct Disc {
    pub radius: f64,
}

impl Area for Square {
    fn area(&self) -> f64 {
        self.side * self.side
    }
}

impl Area for Disc {
    fn area(&self) -> f64 {
        3.0 * self.radius * self.radius
    }
}

/// Four bytes, two readings.
pub union Bits {
    pub int: u32,
    pub float: f32,
}

/// A type named like a std collection but laid out differently: the agent
/// must show it as the raw struct it is.
pub mod lookalike {
    pub struct HashMap {
        pub base: u8,
    }
}

/// Several dataless variants packed into the niche of a `bool`.
#[derive(Debug, Clone, Copy)]
pub enum Switch {
    Set(bool),
    Off,
    Unknown,
}

/// A generic struct, instantiated twice.
#[derive(Debug)]
pub struct Pair<T> {
    pub left: T,
    pub right: T,
}

pub static GREETING: &str = "hello, static";
pub static LIMITS: [u16; 2] = [10, 20];

pub fn run() {
    // A ring buffer whose contents wrap around the end of its storage.
    let mut deque: VecDeque<i32> = VecDeque::with_capacity(4);
    deque.extend([0, 1, 2, 3]);
    deque.pop_front();
    deque.pop_front();
    deque.push_back(4);
    deque.push_back(5);
    let mut scores: HashMap<String, i32> = HashMap::new();
    scores.insert("ann".to_string(), 90);
    let mut tags: HashSet<u8> = HashSet::new();
    tags.insert(7);
    let ordered: BTreeMap<i32, &str> = (1..=30)
        .map(|i| (i, if i % 2 == 0 { "even" } else { "odd" }))
        .collect();
    let small_set: BTreeSet<char> = ['c', 'a', 'b'].into_iter().collect();
    let heap: BinaryHeap<u32> = [3, 9, 4].into_iter().collect();
    let list: LinkedList<&str> = ["x", "y"].into_iter().collect();
    let shared: Rc<String> = Rc::new("shared".to_string());
    let shared2 = Rc::clone(&shared);
    let weak = Rc::downgrade(&shared);
    let counted: Arc<Vec<i32>> = Arc::new(vec![1, 2]);
    let cell: Cell<i32> = Cell::new(5);
    let refcell: RefCell<Vec<u8>> = RefCell::new(vec![1]);
    let borrowed = refcell.borrow();
    let mutex: Mutex<i32> = Mutex::new(11);
    let rwlock: RwLock<bool> = RwLock::new(true);
    let cow_borrowed: Cow<str> = Cow::Borrowed("cow");
    let cow_owned: Cow<str> = Cow::Owned("owned cow".to_string());
    let nonzero = NonZeroU32::new(9).unwrap();
    let duration = Duration::from_millis(1500);
    let path = PathBuf::from("/tmp/pmdb.txt");
    let os = OsString::from("os string");
    let cstring = CString::new("c string").unwrap();
    let atomic = AtomicUsize::new(3);
    let ordering = 1.cmp(&2);
    let pinned = Box::pin(8u8);
    let slice: &[i32] = &[4, 5, 6][..];
    let raw: *const i32 = &cell as *const Cell<i32> as *const i32;
    let null: *const u8 = std::ptr::null();
    let maybe_box: Option<Box<i32>> = Some(Box::new(12));
    let maybe_ref: Option<&i32> = None;
    let maybe_nonzero: Option<NonZeroU32> = NonZeroU32::new(77);
    let tail = Rc::new(RefCell::new(Node {
        value: 2,
        next: None,
    }));
    let head = Node {
        value: 1,
        next: Some(tail.clone()),
    };
    let closure_base = 40;
    let add = move |x: i32| x + closure_base;
    let marker: std::marker::PhantomData<u64> = std::marker::PhantomData;
    let zst = ();
    let dyn_box: Box<dyn Area> = Box::new(Square { side: 2.0 });
    let disc = Disc { radius: 1.5 };
    let dyn_ref: &dyn Area = &disc;
    let bits = Bits { float: 1.0 };
    let fake = lookalike::HashMap { base: 3 };
    let switches = [
        Switch::Set(true),
        Switch::Off,
        Switch::Unknown,
        Switch::Set(false),
    ];
    let pair_u8 = Pair {
        left: 1u8,
        right: 2u8,
    };
    let pair_str = Pair {
        left: "l",
        right: "r",
    };
    let _ = std::hint::black_box((&switches, &pair_u8, &pair_str));
    let _ = std::hint::black_box((
        dyn_box.area(),
        dyn_ref.area(),
        &bits,
        &fake,
        GREETING,
        &LIMITS,
    ));
    let _ = std::hint::black_box(&(
        &deque, &scores, &tags, &ordered, &small_set, &heap, &list, &shared2, &weak, &counted,
    ));
    let _ = std::hint::black_box(&(&cell, &borrowed, &mutex, &rwlock, &cow_borrowed, &cow_owned));
    let _ = std::hint::black_box(&(
        &nonzero, &duration, &path, &os, &cstring, &atomic, &ordering,
    ));
    let _ = std::hint::black_box(&(
        &pinned,
        slice,
        raw,
        null,
        &maybe_box,
        maybe_ref,
        maybe_nonzero,
    ));
    let _ = std::hint::black_box(&(&head, &add, marker, zst));
    panic!("collections are on the stack");
}
