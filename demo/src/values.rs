//! The `values` scenario: one frame holding a local of every value kind the
// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]
//! agent reads, with known contents, so tests can assert each preview exactly.

#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[derive(Debug)]
pub struct Meters(pub f64);

#[derive(Debug, Clone, Copy)]
pub enum Color {
    Red,
    Green,
    Blue,
}

#[derive(Debug)]
pub enum Shape {
    Circle { center: Point, radius: f32 },
    Square(Point, u16),
    Empty,
}

pub fn run() {
    let n_i8: i8 = -8;
    let n_i16: i16 = -16;
    let n_i32: i32 = -32;
    let n_i64: i64 = -64;
    let n_i128: i128 = -170141183460469231731687303715884105728;
    let n_isize: isize = -1;
    let n_u8: u8 = 8;
    let n_u16: u16 = 16;
    let n_u32: u32 = 32;
    let n_u64: u64 = 18446744073709551615;
    let n_u128: u128 = 340282366920938463463374607431768211455;
    let n_usize: usize = 64;
    let f_32: f32 = 1.5;
    let f_64: f64 = -0.00225;
    let flag: bool = true;
    let letter: char = 'é';
    let unit: () = ();
    let point = Point { x: 1, y: 2 };
    let meters = Meters(3.5);
    let pair: (i32, &str) = (7, "seven");
    let array: [u8; 3] = [1, 2, 3];
    let color = Color::Green;
    let some: Option<i32> = Some(42);
    let none: Option<i32> = None;
    let ok: Result<u8, String> = Ok(1);
    let err: Result<u8, String> = Err("bad".to_string());
    let circle = Shape::Circle {
        center: point,
        radius: 2.5,
    };
    let square = Shape::Square(Point { x: -1, y: -2 }, 4);
    let empty = Shape::Empty;
    let point_ref: &Point = &point;
    let boxed: Box<Point> = Box::new(Point { x: 5, y: 6 });
    let text: &str = "hello";
    let owned = String::from("alice");
    let numbers: Vec<i32> = vec![10, 20, 30];
    let names: Vec<String> = vec!["ann".to_string(), "bob".to_string()];
    let nothing: Vec<u64> = Vec::new();
    inspect_me(
        n_i8, n_i16, n_i32, n_i64, n_i128, n_isize, n_u8, n_u16, n_u32, n_u64, n_u128, n_usize,
    );
    // Keep every local alive (and used) until the crash above.
    let _ = std::hint::black_box((
        f_32, f_64, flag, letter, unit, point, meters, pair, array, color, some, none, ok, err,
    ));
    let _ = std::hint::black_box((
        circle, square, empty, point_ref, boxed, text, owned, numbers, names, nothing,
    ));
}

#[allow(clippy::too_many_arguments)]
fn inspect_me(
    a: i8,
    b: i16,
    c: i32,
    d: i64,
    e: i128,
    f: isize,
    g: u8,
    h: u16,
    i: u32,
    j: u64,
    k: u128,
    l: usize,
) {
    let _ = std::hint::black_box((a, b, c, d, e, f, g, h, i, j, k, l));
    panic!("every value kind is on the stack");
}
