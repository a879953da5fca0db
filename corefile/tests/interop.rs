//! Other tools' cores and ours: gdb reads a core this crate wrote (threads,
//! the rip we wrote), and this crate reads what `gcore` and the kernel write
//! (a `sleep`, and a Rust process crashing in one of its threads).

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
    assert!(have_gdb(), "gdb is not installed (`.ci/run` installs it)");
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

/// `sleep 30`, started through sh with core dumps allowed, in `dir`.
fn sleep_in(dir: &std::path::Path) -> std::process::Child {
    let child = Command::new("sh")
        .args(["-c", "ulimit -c unlimited; exec sleep 30"])
        .current_dir(dir)
        .spawn()
        .unwrap();
    // Wait until `sleep` sleeps: its short name alone says the exec is done
    // but not that the dynamic loader has set the thread pointer up
    // (fs_base is 0 until then; under load a core taken that early had it
    // so). It sleeps in clock_nanosleep (230) or nanosleep (35).
    let (comm, syscall) = (
        format!("/proc/{}/comm", child.id()),
        format!("/proc/{}/syscall", child.id()),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let asleep = std::fs::read_to_string(&comm).is_ok_and(|c| c.trim() == "sleep")
            && std::fs::read_to_string(&syscall)
                .is_ok_and(|s| matches!(s.split(' ').next(), Some("230" | "35")));
        if asleep {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "sleep never slept");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child
}

/// What every core of `sleep` holds, whoever wrote it.
fn check_sleep_core(core: &Core, pid: u32) {
    let ps = core.psinfo().unwrap();
    assert_eq!(ps.pid, pid);
    assert_eq!(ps.fname, "sleep");
    // The kernel writes the whole command line; gdb 13 only argv[0].
    assert!(ps.args == "sleep 30" || ps.args == "sleep", "{ps:?}");
    assert_eq!(core.threads().len(), 1);
    let t = &core.threads()[0];
    assert_eq!(t.tid, pid);
    let rip = t.regs[16].unwrap();
    let rsp = t.regs[7].unwrap();
    assert_ne!(rip, 0);
    assert_ne!(t.fs_base, 0);
    let files = core.mapped_files();
    let sleep: Vec<_> = files
        .iter()
        .filter(|f| f.path.ends_with("/bin/sleep"))
        .collect();
    assert!(!sleep.is_empty(), "{files:?}");
    // rip is in libc's code (sleep waits in a system call).
    let code = files
        .iter()
        .find(|f| f.start <= rip && rip < f.end)
        .unwrap_or_else(|| panic!("rip {rip:#x} in no file: {files:?}"));
    assert!(code.path.contains("libc"), "{code:?}");
    // The stack is in the core.
    let mut word = [0u8; 8];
    core.read(rsp, &mut word).unwrap();
    // So is the first page of the executable, with its ELF header.
    let first = sleep.iter().find(|f| f.offset == 0).unwrap();
    let mut magic = [0u8; 4];
    core.read(first.start, &mut magic).unwrap();
    assert_eq!(&magic, b"\x7fELF");
    // NT_AUXV gives the entry point; the executable's mapping holds it.
    let auxv = core.auxv().unwrap();
    let entry = auxv.iter().find(|a| a.0 == 9 /* AT_ENTRY */).unwrap().1;
    assert!(sleep.iter().any(|f| f.start <= entry && entry < f.end));
}

#[test]
fn we_read_gcore_cores() {
    assert!(have_gdb(), "gdb is not installed (`.ci/run` installs it)");
    let dir = test_dir("gcore");
    let mut child = sleep_in(&dir);
    let pid = child.id();
    let out = Command::new("gcore")
        .arg("-o")
        .arg(dir.join("core"))
        .arg(pid.to_string())
        .output()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let path = dir.join(format!("core.{pid}"));
    let core = Core::open(&path).unwrap();
    check_sleep_core(&core, pid);
    // A live process: no signal.
    assert_eq!(core.threads()[0].signal, 0);
    eprintln!("gcore: {} segments", core.segments().count());
    for s in core.segments() {
        eprintln!("  {:#x} memsz {:#x} filesz {:#x}", s.0, s.1, s.2);
    }
}

#[test]
fn we_read_kernel_cores() {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    assert!(
        !pattern.starts_with('|') && !pattern.contains('/'),
        "core_pattern is {pattern:?}: the kernel's cores go elsewhere, not to the crashing process's directory"
    );
    let dir = test_dir("kernel");
    let mut child = sleep_in(&dir);
    let pid = child.id();
    // SAFETY: kill sends a signal to our own child; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGSEGV) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(11)
    );
    let found = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("core"))
        });
    let path =
        found.unwrap_or_else(|| panic!("no core in {} (pattern {pattern:?})", dir.display()));
    let core = Core::open(&path).unwrap();
    check_sleep_core(&core, pid);
    assert_eq!(core.threads()[0].signal, 11);
    let si = core.siginfo().unwrap();
    assert_eq!(si.signo, 11);
    assert_eq!(si.code, 0); // SI_USER: sent by kill
    eprintln!("kernel: {} segments", core.segments().count());
    for s in core.segments() {
        eprintln!("  {:#x} memsz {:#x} filesz {:#x}", s.0, s.1, s.2);
    }
}

/// Not a test of its own: the crashing process of
/// `kernel_cores_put_the_crashed_thread_first`, run as a child with
/// `PMDB_COREFILE_CRASHER` set. Three threads park; the second raises
/// SIGSEGV in itself.
#[test]
#[ignore = "the crashing child of kernel_cores_put_the_crashed_thread_first"]
fn crasher_helper() {
    assert!(std::env::var_os("PMDB_COREFILE_CRASHER").is_some());
    let mut handles = Vec::new();
    for i in 0..3 {
        handles.push(std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            if i == 1 {
                println!("crashing tid {}", tid());
                // SAFETY: Rust's own SIGSEGV handler (stack overflows) goes
                // back to the default action, then raise sends SIGSEGV to
                // this thread, which ends the process with a core.
                unsafe {
                    libc::signal(libc::SIGSEGV, libc::SIG_DFL);
                    libc::raise(libc::SIGSEGV);
                }
            }
            std::thread::sleep(std::time::Duration::from_secs(10));
        }));
    }
    for h in handles {
        let _ = h.join();
    }
}

#[test]
fn kernel_cores_put_the_crashed_thread_first() {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    assert!(
        !pattern.starts_with('|') && !pattern.contains('/'),
        "core_pattern is {pattern:?}: the kernel's cores go elsewhere, not to the crashing process's directory"
    );
    let dir = test_dir("kernel-threads");
    let out = Command::new("sh")
        .args(["-c", "ulimit -c unlimited; exec \"$0\" \"$@\""])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crasher_helper",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PMDB_COREFILE_CRASHER", "1")
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let crashed: u32 = stdout
        .lines()
        .find_map(|l| l.split_once("crashing tid ").map(|(_, tid)| tid))
        .unwrap_or_else(|| panic!("{stdout}"))
        .trim()
        .parse()
        .unwrap();
    let Some(path) = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("core"))
        })
    else {
        panic!("no core in {} (pattern {pattern:?})", dir.display());
    };
    let core = Core::open(&path).unwrap();
    let threads = core.threads();
    // libtest's main thread, its test thread, and our three.
    assert_eq!(threads.len(), 5, "{threads:?}");
    assert_eq!(threads[0].tid, crashed);
    // Every thread carries the fatal signal.
    assert!(threads.iter().all(|t| t.signal == 11), "{threads:?}");
    let si = core.siginfo().unwrap();
    assert_eq!((si.signo, si.code), (11, -6)); // SI_TKILL: raise
    assert!(threads.iter().all(|t| t.fs_base != 0));
    // Every thread's stack pointer reads from the core.
    let mut word = [0u8; 8];
    for t in threads {
        core.read(t.regs[7].unwrap(), &mut word).unwrap();
    }
}
