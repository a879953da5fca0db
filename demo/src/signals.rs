//! Fatal signals, not panics: a null write (`segv`), `abort()`, unbounded
//! recursion (`overflow`), a hardware divide by zero (`fpe`), and one of each
//! fault pmdb triages (`null-field`, `noncanonical`, `use-after-free`,
//! `misaligned`, `call-data`). Each leaves locals in the faulting frame.

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

/// A message header read through a null pointer: the fault is at the
/// field's offset, not at 0.
#[repr(C)]
pub struct Header {
    pub magic: u64,
    pub len: u64,
    pub checksum: u64,
}

pub fn null_field() {
    let header: *const Header = std::hint::black_box(std::ptr::null());
    checksum_of(header);
}

#[inline(never)]
fn checksum_of(header: *const Header) -> u64 {
    // SAFETY (demo only): deliberately not safe — `header` is null, so this
    // reads address 0x10.
    unsafe { std::ptr::read_volatile(std::ptr::addr_of!((*header).checksum)) }
}

pub fn noncanonical() {
    let tagged: u64 = std::hint::black_box(0xdead_0000_0000_0000);
    load_tagged(tagged);
}

#[inline(never)]
fn load_tagged(tagged: u64) -> u64 {
    let word: u64;
    // SAFETY (demo only): deliberately not safe — the address is outside
    // the 48-bit address space: a general protection fault. It is held in
    // rax so the fault names that register.
    unsafe {
        std::arch::asm!(
            "mov {w}, qword ptr [rax]",
            w = out(reg) word,
            in("rax") tagged,
        );
    }
    word
}

pub fn use_after_free() {
    // 1 MiB: glibc's malloc maps it on its own and unmaps it when freed.
    let postings: Vec<u64> = vec![7; 1 << 17];
    let first: *const u64 = postings.as_ptr();
    drop(postings);
    read_freed(first);
}

#[inline(never)]
fn read_freed(first: *const u64) -> u64 {
    // SAFETY (demo only): deliberately not safe — `first` was freed.
    unsafe { std::ptr::read_volatile(first) }
}

pub fn misaligned() {
    let words: [u64; 2] = [0x1122_3344_5566_7788, 0x99aa_bbcc_ddee_ff00];
    let odd = std::hint::black_box(words.as_ptr() as usize + 1);
    load_aligned_only(odd);
}

#[inline(never)]
fn load_aligned_only(odd: usize) -> u32 {
    let word: u32;
    // SAFETY (demo only): turns on x86's alignment check (EFLAGS.AC, which
    // Linux honours in user space), then loads from an odd address: SIGBUS.
    unsafe {
        std::arch::asm!(
            "pushfq",
            "or qword ptr [rsp], 0x40000",
            "popfq",
            "mov {w:e}, dword ptr [{p}]",
            "pushfq",
            "and qword ptr [rsp], ~0x40000",
            "popfq",
            p = in(reg) odd,
            w = out(reg) word,
        );
    }
    word
}

pub fn call_data() {
    // `ret` instructions, on the stack, which is not executable.
    let code: [u8; 16] = [0xc3; 16];
    jump_into(&code);
}

#[inline(never)]
fn jump_into(code: &[u8; 16]) {
    // SAFETY (demo only): deliberately not safe — calls bytes on the stack.
    let f: extern "C" fn() = unsafe { std::mem::transmute(code.as_ptr()) };
    f();
}
