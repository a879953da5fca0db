//! gdb against our cores and ours against gdb's: gdb reads a core this crate
//! wrote (threads, the rip we wrote), and this crate reads what `gcore`
//! writes of a live process.

mod common;

use std::process::Command;

use common::*;
use corefile::{Compression, Core};

fn have_gdb() -> bool {
    Command::new("gdb")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A function gdb can name from the executable's symbols.
#[inline(never)]
#[unsafe(no_mangle)]
pub extern "C" fn corefile_gdb_marker() -> u64 {
    std::hint::black_box(42)
}

#[test]
fn gdb_reads_our_core() {
    if !have_gdb() {
        eprintln!("gdb is not installed: skipped");
        return;
    }
    let dir = test_dir("gdb-reads-ours");
    let rip = corefile_gdb_marker as *const () as u64;
    let spec = self_spec(rip);
    let path = dir.join("self.core");
    write_self_core(&spec, &path, Compression::None);
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-c"])
        .arg(&path)
        .arg(std::env::current_exe().unwrap())
        .args(["-ex", "info threads", "-ex", "info registers rip"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    // One line per thread, with its LWP, and rip in the marker.
    for t in &spec.threads {
        assert!(text.contains(&format!("LWP {}", t.tid)), "{text}");
    }
    assert!(text.contains(&format!("rip            {rip:#x}")), "{text}");
    assert!(text.contains("corefile_gdb_marker"), "{text}");
    assert!(
        text.contains("Program terminated with signal SIGSEGV"),
        "{text}"
    );
}
