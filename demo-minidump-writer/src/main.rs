//! `demo-minidump-writer PATH`: checks out an order and panics three calls
//! deep; its panic hook writes a minidump of the process to PATH with the
//! `minidump-writer` crate — from a forked child, which ptraces its parent
//! as the crate requires — then lets the panic go on (exit status 101).
//! pmdb must read the file as it reads its own minidumps.

use std::fs::File;

/// What the crashed frames hold: numbers on the stack, a `Vec` and a
/// `String` on the heap.
struct Order {
    id: u32,
    items: Vec<String>,
    note: String,
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: demo-minidump-writer PATH");
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        write_minidump(&path);
        default(info);
    }));
    let order = Order {
        id: 7,
        items: vec!["apple".into(), "pear".into(), "plum".into(), "fig".into()],
        note: "leave at the door".into(),
    };
    submit(&order, 3);
}

#[inline(never)]
fn submit(order: &Order, limit: u32) {
    let attempt: u64 = 2;
    checkout(order, limit + 0, attempt);
}

#[inline(never)]
fn checkout(order: &Order, limit: u32, attempt: u64) {
    let count = order.items.len() as u32;
    if count > limit {
        panic!(
            "order {} has {count} items, over the limit of {limit} (attempt {attempt}, note {:?})",
            order.id, order.note
        );
    }
}

/// A child process dumps this one (the crate ptraces its target, which a
/// process cannot do to itself), blamed on the panicking thread.
fn write_minidump(path: &str) {
    // SAFETY: getpid and gettid take no arguments and cannot fail.
    let (pid, tid) = unsafe { (libc::getpid(), libc::gettid()) };
    // SAFETY: this program has one thread, so the child may allocate; it
    // ends with _exit, never returning into the parent's panic.
    match unsafe { libc::fork() } {
        0 => {
            let ok = File::create(path).ok().and_then(|mut f| {
                minidump_writer::minidump_writer::MinidumpWriterConfig::new(pid, tid)
                    .write(&mut f)
                    .ok()
            });
            // SAFETY: ends the child at once.
            unsafe { libc::_exit(if ok.is_some() { 0 } else { 1 }) };
        }
        -1 => eprintln!("demo-minidump-writer: fork failed"),
        child => {
            let mut status = 0;
            // SAFETY: waits for the child just forked, into our own int.
            unsafe { libc::waitpid(child, &mut status, 0) };
            eprintln!("demo-minidump-writer: wrote {path} (status {status})");
        }
    }
}
