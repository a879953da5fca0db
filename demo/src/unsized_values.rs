//! The `unsized` scenario: pointers to unsized values (`Rc<[T]>`,
//! `Box<str>`, `Arc<dyn Trait>`, custom DSTs), reference counts with weak
//! references, shadowed bindings, and references and boxes to structs, each
//! with known contents.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::fmt::Debug;
use std::rc::Rc;
use std::sync::Arc;

/// Something that has a name, behind `dyn`.
pub trait Named {
    fn name(&self) -> &str;
}

#[derive(Debug)]
pub struct Robot {
    pub serial: u32,
    pub label: &'static str,
}

impl Named for Robot {
    fn name(&self) -> &str {
        self.label
    }
}

/// A custom dynamically sized type: a header, then an unsized tail.
pub struct Packet<T: ?Sized> {
    pub id: u16,
    pub body: T,
}

#[derive(Debug)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

pub fn run() {
    let rc_slice: Rc<[u32]> = Rc::from(vec![1, 2, 3]);
    let arc_slice: Arc<[u32]> = Arc::from(vec![4, 5]);
    let box_slice: Box<[u32]> = vec![6, 7, 8, 9].into_boxed_slice();
    let rc_str: Rc<str> = Rc::from("rc text");
    let arc_str: Arc<str> = Arc::from("arc text");
    let box_str: Box<str> = Box::from("box text");
    let rc_dyn: Rc<dyn Named> = Rc::new(Robot {
        serial: 7,
        label: "r2",
    });
    let arc_dyn: Arc<dyn Debug> = Arc::new(Point { x: 3, y: 4 });
    let packet: &Packet<[u8]> = &Packet {
        id: 9,
        body: [0xa, 0xb, 0xc],
    };
    let boxed_packet: Box<Packet<dyn Named>> = Box::new(Packet {
        id: 10,
        body: Robot {
            serial: 8,
            label: "c3",
        },
    });
    let counted = Rc::new(5u8);
    let counted2 = Rc::clone(&counted);
    let counted3 = Rc::clone(&counted);
    let weak = Rc::downgrade(&counted);
    let shared = Arc::new(6u8);
    let weak_shared = Arc::downgrade(&shared);
    let weak_shared2 = Arc::downgrade(&shared);
    let point = Point { x: 1, y: 2 };
    let point_ref = &point;
    let point_box = Box::new(Point { x: 5, y: 6 });
    let point_raw: *const Point = &point;
    let raw_slice: *const [u32] = &*box_slice;
    let x = 1u8;
    let _ = std::hint::black_box(x);
    {
        let x = "two";
        let _ = std::hint::black_box(x);
        let x = 3.5f64;
        let _ = std::hint::black_box((
            &rc_slice,
            &arc_slice,
            &box_slice,
            &rc_str,
            &arc_str,
            &box_str,
            rc_dyn.name(),
            &arc_dyn,
        ));
        let _ = std::hint::black_box((
            packet,
            boxed_packet.body.name(),
            &counted2,
            &counted3,
            &weak,
            &weak_shared,
            &weak_shared2,
            point_ref,
            &point_box,
            point_raw,
            raw_slice,
        ));
        let _ = std::hint::black_box(x);
        panic!("unsized values are on the stack");
    }
}
