//! Scenarios that die by a fatal signal rather than a panic: a null write
//! (`segv`), `std::process::abort()` (`abort`), unbounded recursion
//! (`overflow`) and a hardware divide by zero (`fpe`). Each leaves locals in
//! the faulting frame for the debugger to read.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

#[derive(Debug)]
pub struct Packet {
    pub id: u32,
    pub payload: Vec<u8>,
}

pub fn segv() {
    let packet = Packet {
        id: 7,
        payload: vec![1, 2, 3],
    };
    store(&packet, std::ptr::null_mut());
}

#[inline(never)]
fn store(packet: &Packet, target: *mut u32) {
    let id = packet.id;
    // SAFETY (demo only): deliberately not safe — this write faults.
    unsafe { std::ptr::write_volatile(target, id) };
}

pub fn abort() {
    let reason = String::from("state is inconsistent");
    let attempts: u8 = 3;
    give_up(&reason, attempts);
}

#[inline(never)]
fn give_up(reason: &str, attempts: u8) {
    std::hint::black_box((reason, attempts));
    std::process::abort();
}

pub fn overflow() {
    recurse(0);
}

#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let pad = [depth as u8; 256];
    std::hint::black_box(&pad);
    recurse(depth + 1) + pad[0] as u64
}

pub fn fpe() {
    let numerator: u64 = 42;
    let denominator: u64 = std::hint::black_box(0);
    divide(numerator, denominator);
}

#[inline(never)]
fn divide(numerator: u64, denominator: u64) -> u64 {
    let quotient: u64;
    // SAFETY (demo only): a hardware division by zero, which Rust's `/` would
    // have caught with a panic; this raises SIGFPE instead.
    unsafe {
        std::arch::asm!(
            "div {d}",
            d = in(reg) denominator,
            inout("rax") numerator => quotient,
            inout("rdx") 0u64 => _,
        );
    }
    quotient
}
