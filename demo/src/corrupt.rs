//! The `corrupt` scenario: values whose memory lies — a garbage pointer, a
//! vector whose length was overwritten with 2^60, a dangling `Rc`, a cycle
//! through `Rc<RefCell<…>>` — next to a 10-million-element vector, so tests
//! can check the agent stays bounded, lazy and truthful.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

#[derive(Debug)]
pub struct Ring {
    pub id: u32,
    pub next: Option<Rc<RefCell<Ring>>>,
}

pub fn run() {
    let huge: Vec<u64> = (0..10_000_000).collect();
    let garbage: *const (u32, u32) = 0xdead as *const (u32, u32);
    let mut lying: Vec<u8> = Vec::with_capacity(8);
    lying.extend([1, 2, 3]);
    // Overwrite the length word in place (the only word equal to 3: the
    // capacity is 8), as a memory corruption would.
    let words = &mut lying as *mut Vec<u8> as *mut usize;
    for i in 0..3 {
        // SAFETY (demo only): a Vec is three words; the vector is never read,
        // dropped or resized by the program afterwards.
        unsafe {
            if *words.add(i) == 3 {
                *words.add(i) = 1 << 60;
            }
        }
    }
    // SAFETY (demo only): an `Rc` pointing nowhere, never dereferenced or dropped.
    let dangling: std::mem::ManuallyDrop<Rc<u32>> =
        unsafe { std::mem::transmute::<usize, std::mem::ManuallyDrop<Rc<u32>>>(0x40) };
    let a = Rc::new(RefCell::new(Ring { id: 1, next: None }));
    let b = Rc::new(RefCell::new(Ring {
        id: 2,
        next: Some(a.clone()),
    }));
    a.borrow_mut().next = Some(b.clone());
    let _ = std::hint::black_box((&huge, garbage, &lying, &dangling, &a, &b));
    let lying = std::mem::ManuallyDrop::new(lying);
    let _ = std::hint::black_box(&lying);
    panic!("memory lies here");
}
