//! End to end: programs that die by a fatal signal. The agent serves the
//! crash from the faulting instruction, with locals, then the process dies by
//! the same signal (or std's stack-overflow abort) as it would without it.

use std::os::unix::process::ExitStatusExt;

use tests::{crash, crash_panic_abort};
use wire::CrashKind;

fn user_frames(s: &wire::Session) -> (wire::CrashInfo, wire::Traceback, Vec<String>) {
    let c = s.crash().unwrap();
    let tb = s.traceback(c.thread).unwrap();
    let names = tb.user_frames().map(|f| f.info.function.clone()).collect();
    (c, tb, names)
}

fn locals(frame: &wire::Frame) -> Vec<String> {
    frame
        .locals()
        .unwrap()
        .iter()
        .map(|v| format!("{}: {} = {}", v.name(), v.type_name(), v.preview()))
        .collect()
}

#[test]
fn segv_is_served_from_the_faulting_write_then_dies_by_sigsegv() {
    let demo = crash("segv");
    let s = demo.session();
    let (c, tb, names) = user_frames(&s);
    assert_eq!(c.kind, CrashKind::Signal);
    assert_eq!(c.message, "SIGSEGV (address not mapped) at 0x0");
    assert_eq!(c.thread_name, "main");
    assert_eq!(c.payload_type, None);
    assert!(
        c.file.as_deref().unwrap().ends_with("demo/src/signals.rs"),
        "{c:?}"
    );
    assert_eq!(c.line, Some(27));
    assert_eq!(
        names,
        ["demo::signals::store", "demo::signals::segv", "demo::main"]
    );
    // The traceback starts at the faulting instruction itself (inside std's
    // write_volatile, a runtime frame), not at a return address.
    assert_eq!(tb.frames[0].info.function, "core::ptr::write_volatile");
    assert!(tb.frames[0].info.runtime);
    let store = tb.frame_named("store").unwrap();
    assert_eq!(
        locals(&store),
        [
            "packet: &Packet = Packet { id: 7, payload: [1, 2, 3] }",
            "target: *mut u32 = 0x0",
            "id: u32 = 7"
        ]
    );
    s.resume().unwrap();
    let (status, stderr) = demo.wait();
    assert_eq!(status.signal(), Some(libc::SIGSEGV), "{stderr}");
    assert!(
        stderr.contains(
            "pmdb: thread 'main' crashed: SIGSEGV (address not mapped) at 0x0; inspect it with"
        ),
        "{stderr}"
    );
}

#[test]
fn abort_is_served_then_dies_by_sigabrt() {
    let demo = crash("abort");
    let s = demo.session();
    let (c, tb, names) = user_frames(&s);
    assert_eq!(c.message, "SIGABRT (aborted)");
    assert_eq!(
        names,
        [
            "demo::signals::give_up",
            "demo::signals::abort",
            "demo::main"
        ]
    );
    assert_eq!(
        locals(&tb.frame_named("give_up").unwrap()),
        [
            "reason: &str = \"state is inconsistent\"",
            "attempts: u8 = 3"
        ]
    );
    // The frames above the user's are libc's and std's, named from symbols.
    let above: Vec<&str> = tb
        .frames
        .iter()
        .take_while(|f| f.info.runtime)
        .map(|f| f.info.function.as_str())
        .collect();
    // libc's own symbol table is stripped; its full one comes from the
    // separate debug file found by build-id (libc6-dbg, installed by .ci/run).
    assert_eq!(
        above,
        [
            "__pthread_kill_implementation",
            "__GI_raise",
            "__GI_abort",
            "std::sys::pal::unix::abort_internal",
            "std::process::abort"
        ]
    );
    // ...and their source locations from that debug file's DWARF.
    let libc_at: Vec<(Option<&str>, Option<u32>)> = tb.frames[..3]
        .iter()
        .map(|f| (f.info.file.as_deref(), f.info.line))
        .collect();
    assert_eq!(
        libc_at,
        [
            (Some("./nptl/pthread_kill.c"), Some(44)),
            (Some("./signal/../sysdeps/posix/raise.c"), Some(26)),
            (Some("./stdlib/abort.c"), Some(79))
        ]
    );
    s.resume().unwrap();
    let (status, _) = demo.wait();
    assert_eq!(status.signal(), Some(libc::SIGABRT));
}

#[test]
fn fpe_is_served_at_the_division() {
    let demo = crash("fpe");
    let s = demo.session();
    let (c, tb, names) = user_frames(&s);
    assert_eq!(
        names,
        ["demo::signals::divide", "demo::signals::fpe", "demo::main"]
    );
    let divide = tb.frame_named("divide").unwrap();
    // For SIGFPE the kernel reports the faulting instruction's address.
    assert_eq!(
        c.message,
        format!("SIGFPE (integer divide by zero) at {:#x}", divide.info.pc)
    );
    assert_eq!(divide.info.line, Some(66));
    assert_eq!(divide.local("numerator").unwrap().preview(), "42");
    assert_eq!(divide.local("denominator").unwrap().preview(), "0");
    s.kill().unwrap();
    let (status, _) = demo.wait();
    assert_eq!(status.signal(), Some(libc::SIGFPE));
}

#[test]
fn stack_overflow_is_served_from_the_alternate_stack() {
    let demo = crash("overflow");
    let s = demo.session();
    let (c, tb, _) = user_frames(&s);
    assert!(
        c.message
            .starts_with("SIGSEGV (address not mapped) at 0x7f"),
        "{}",
        c.message
    );
    let recursing: Vec<&wire::Frame> = tb
        .frames
        .iter()
        .filter(|f| f.info.function == "demo::signals::recurse")
        .collect();
    assert_eq!(
        recursing.len(),
        512 - tb
            .frames
            .iter()
            .take_while(|f| f.info.function != "demo::signals::recurse")
            .count()
    );
    // Consecutive frames hold consecutive depths, each with its own pad.
    let depth = |f: &wire::Frame| f.local("depth").unwrap().fetch::<u64>().unwrap();
    let d1 = depth(recursing[1]);
    assert!(d1 > 1000, "{d1}");
    assert_eq!(depth(recursing[2]), d1 - 1);
    assert_eq!(depth(recursing[3]), d1 - 2);
    assert_eq!(
        recursing[2]
            .eval("pad[255]")
            .unwrap()
            .fetch::<u8>()
            .unwrap(),
        ((d1 - 1) % 256) as u8
    );
    s.resume().unwrap();
    let (status, stderr) = demo.wait();
    assert_eq!(status.signal(), Some(libc::SIGABRT));
    assert!(
        stderr.contains("thread 'main' (") && stderr.contains(") has overflowed its stack"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fatal runtime error: stack overflow, aborting"),
        "{stderr}"
    );
}

#[test]
fn every_thread_is_frozen_and_listed_with_its_own_traceback() {
    let demo = crash("threads");
    let s = demo.session();
    let c = s.crash().unwrap();
    assert_eq!(c.thread_name, "checker");
    assert_eq!(c.message, "checker saw 2 items, limit 3");
    let threads = s.threads().unwrap();
    let listed: Vec<(&str, bool)> = threads
        .iter()
        .map(|t| (t.name.as_str(), t.crashed))
        .collect();
    assert_eq!(
        listed,
        [
            ("checker", true),
            ("main", false),
            ("worker-1", false),
            ("worker-2", false)
        ]
    );
    let check = s.traceback(c.thread).unwrap().frame_named("check").unwrap();
    assert_eq!(check.local("seen").unwrap().preview(), "[3, 4]");
    for (t, expected) in threads[2..].iter().zip([
        "Job { id: 1, name: \"alpha\" }",
        "Job { id: 2, name: \"beta\" }",
    ]) {
        let tb = s.traceback(t.id).unwrap();
        let worker = tb.frame_named("worker").unwrap();
        assert_eq!(
            worker.local("job").unwrap().preview(),
            expected,
            "{}",
            t.name
        );
        // Frozen inside the channel's wait: the innermost frames are libc's.
        assert!(tb.frames[0].info.runtime);
    }
    let main = s.traceback(threads[1].id).unwrap();
    let run = main.frame_named("run").unwrap();
    assert_eq!(run.local("senders").unwrap().len(), Some(2));
    s.resume().unwrap();
    let (status, stderr) = demo.wait();
    assert_eq!(status.code(), Some(101));
    let line = tests::line_containing("demo/src/threads.rs", "panic!(\"checker saw");
    let want = format!("panicked at demo/src/threads.rs:{line}:9:\nchecker saw 2 items, limit 3\n");
    assert!(stderr.contains(&want), "{stderr}");
}

#[test]
fn panic_abort_builds_are_served_once_then_abort() {
    let demo = crash_panic_abort("bank");
    let s = demo.session();
    let c = s.crash().unwrap();
    assert_eq!(c.kind, CrashKind::Panic);
    assert_eq!(
        c.message,
        "insufficient funds: bob has 75 but round 1 needs 500"
    );
    let tb = s.traceback(c.thread).unwrap();
    assert_eq!(
        tb.frame_named("withdraw")
            .unwrap()
            .local("limit")
            .unwrap()
            .preview(),
        "75"
    );
    s.resume().unwrap();
    let (status, stderr) = demo.wait();
    // The abort that follows the panic is part of the same crash: served once.
    assert_eq!(status.signal(), Some(libc::SIGABRT), "{stderr}");
    assert_eq!(
        stderr.matches("inspect it with `pmdb attach").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("panicked at demo/src/bank.rs:63:9:\ninsufficient funds: bob has 75 but round 1 needs 500\n"),
        "{stderr}"
    );
}

/// The crash records, once there are `n` of them (or after 10 s).
fn wait_for_crashes(s: &wire::Session, n: usize) -> Vec<wire::CrashInfo> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let c = s.crashes().unwrap();
        if c.len() == n || std::time::Instant::now() > deadline {
            return c;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_second_crash_while_serving_is_recorded_and_visible() {
    let demo = crash("twice");
    let s = demo.session();
    assert_eq!(s.crash().unwrap().message, "first crash");
    // The late thread cannot be frozen (it blocks every signal) and panics
    // about 300 ms after the first crash.
    let crashes = wait_for_crashes(&s, 2);
    let brief: Vec<(&str, &str)> = crashes
        .iter()
        .map(|c| (c.thread_name.as_str(), c.message.as_str()))
        .collect();
    assert_eq!(
        brief,
        [("main", "first crash"), ("late", "second crash, attempt 2")]
    );
    let threads = s.threads().unwrap();
    let listed: Vec<(&str, bool)> = threads
        .iter()
        .map(|t| (t.name.as_str(), t.crashed))
        .collect();
    assert_eq!(listed, [("main", true), ("late", true)]);
    let late = s.traceback(threads[1].id).unwrap();
    let closure = late.user_frames().next().unwrap();
    assert_eq!(closure.info.function, "demo::twice::run::{{closure}}");
    assert_eq!(closure.local("attempt").unwrap().preview(), "2");
    s.resume().unwrap();
    let (status, stderr) = demo.wait();
    assert_eq!(status.code(), Some(101));
    assert!(stderr.contains("first crash"), "{stderr}");
}

#[test]
fn a_second_fault_while_serving_a_fault_is_recorded_and_visible() {
    let demo = crash("twice-segv");
    let s = demo.session();
    assert_eq!(
        s.crash().unwrap().message,
        "SIGSEGV (address not mapped) at 0x0"
    );
    let crashes = wait_for_crashes(&s, 2);
    let brief: Vec<(&str, &str)> = crashes
        .iter()
        .map(|c| (c.thread_name.as_str(), c.message.as_str()))
        .collect();
    assert_eq!(
        brief,
        [
            ("main", "SIGSEGV (address not mapped) at 0x0"),
            ("late", "SIGSEGV (address not mapped) at 0x0")
        ]
    );
    let threads = s.threads().unwrap();
    let listed: Vec<(&str, bool)> = threads
        .iter()
        .map(|t| (t.name.as_str(), t.crashed))
        .collect();
    assert_eq!(listed, [("main", true), ("late", true)]);
    let late = s.traceback(threads[1].id).unwrap();
    let write = late.frame_named("write_through").unwrap();
    assert_eq!(write.local("value").unwrap().preview(), "2");
    s.resume().unwrap();
    let (status, _) = demo.wait();
    assert_eq!(status.signal(), Some(libc::SIGSEGV));
}

/// The crash's message and its one-line analysis, then the demo killed.
fn triaged(scenario: &str) -> (wire::CrashInfo, wire::Traceback) {
    let demo = crash(scenario);
    let s = demo.session();
    let c = s.crash().unwrap();
    let tb = s.traceback(c.thread).unwrap();
    s.kill().unwrap();
    let _ = demo.wait();
    (c, tb)
}

/// The address a signal's message ends with (`… at 0x7f…`).
fn fault_address(message: &str) -> u64 {
    let hex = message.rsplit_once(" at 0x").unwrap().1;
    u64::from_str_radix(hex, 16).unwrap()
}

#[test]
fn each_kind_of_fault_is_triaged_in_one_line() {
    let (c, _) = triaged("segv");
    assert_eq!(c.analysis.as_deref(), Some("null pointer dereference"));

    let (c, _) = triaged("null-field");
    assert_eq!(c.message, "SIGSEGV (address not mapped) at 0x10");
    assert_eq!(
        c.analysis.as_deref(),
        Some("null pointer dereference at offset 0x10")
    );

    // A general protection fault has no fault address; the register that
    // holds the non-canonical one is named.
    let (c, _) = triaged("noncanonical");
    assert_eq!(c.message, "SIGSEGV (segmentation fault) at 0x0");
    assert_eq!(
        c.analysis.as_deref(),
        Some(
            "non-canonical address 0xdead000000000000 (in rax): a general protection fault, the address is outside the 48-bit address space"
        )
    );

    let demo = crash("use-after-free");
    let s = demo.session();
    let c = s.crash().unwrap();
    let tb = s.traceback(c.thread).unwrap();
    let addr = fault_address(&c.message);
    assert_eq!(
        c.message,
        format!("SIGSEGV (address not mapped) at {addr:#x}")
    );
    assert_eq!(
        c.analysis,
        Some(format!(
            "fault in unmapped memory at {addr:#x}: nothing is mapped there (freed, or never allocated)"
        ))
    );
    // The pointer the frame holds is the freed vector's, the address read.
    assert_eq!(
        tb.frame_named("read_freed")
            .unwrap()
            .local("first")
            .unwrap()
            .preview(),
        format!("{addr:#x}")
    );
    s.kill().unwrap();
    let _ = demo.wait();

    // x86 says neither the address nor the size of a misaligned access.
    let (c, _) = triaged("misaligned");
    assert_eq!(c.message, "SIGBUS (invalid address alignment) at 0x0");
    assert_eq!(
        c.analysis.as_deref(),
        Some(
            "misaligned access: a load or store at an address not aligned to its size (x86's alignment check is on)"
        )
    );

    // The fault is at the instruction fetch: the pc is the address.
    let (c, tb) = triaged("call-data");
    let addr = fault_address(&c.message);
    assert_eq!(
        c.message,
        format!("SIGSEGV (invalid permissions) at {addr:#x}")
    );
    assert_eq!(tb.frames[0].info.pc, addr);
    assert_eq!(
        c.analysis,
        Some(format!(
            "execute of non-code at {addr:#x}: the jump landed in [stack], which is not executable"
        ))
    );

    let (c, _) = triaged("overflow");
    let addr = fault_address(&c.message);
    assert_eq!(
        c.analysis,
        Some(format!(
            "stack overflow: the fault at {addr:#x} is in the guard page just below the stack pointer"
        ))
    );

    // Nothing to say of an abort or a division by zero.
    assert_eq!(triaged("abort").0.analysis, None);
    assert_eq!(triaged("fpe").0.analysis, None);
}

#[test]
fn the_analysis_is_in_the_reports_header_and_json() {
    let demo = crash("null-field");
    let env = [("PMDB_DIR", demo.dir.0.as_os_str())];
    let pid = demo.pid.to_string();
    let (status, stdout, stderr) = tests::pmdb(&["report", &pid, "--depth", "0"], &env);
    assert!(status.success(), "{stderr}");
    let head: Vec<&str> = stdout.lines().take(3).collect();
    let at = tests::line_containing("demo/src/signals.rs", "read_volatile(std::ptr::addr_of!");
    assert_eq!(
        head,
        [
            format!(
                "signal in thread 'main' at {}/demo/src/signals.rs:{at}:14: SIGSEGV (address not mapped) at 0x10",
                env!("CARGO_MANIFEST_DIR").trim_end_matches("/tests")
            )
            .as_str(),
            "analysis: null pointer dereference at offset 0x10",
            "signature: SIGSEGV | demo::signals::checksum_of | demo::signals::null_field | demo::main"
        ]
    );
    let r = tests::report_json(&[&pid], &env);
    assert_eq!(
        r["crash"]["analysis"],
        "null pointer dereference at offset 0x10"
    );
    // A panic has none.
    let panic = crash("bank");
    let env = [("PMDB_DIR", panic.dir.0.as_os_str())];
    let r = tests::report_json(&[&panic.pid.to_string()], &env);
    assert!(r["crash"].get("analysis").is_none(), "{}", r["crash"]);
}
