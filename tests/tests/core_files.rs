//! End to end: crashes that outlive their process. For every demo scenario,
//! `pmdb report --json` of the live crash, of a `gcore` of that same frozen
//! process, and of the core the agent itself writes (`PMDB_MODE=core`)
//! agree value for value. The kernel's own cores of programs that do not run
//! the agent (SIGSEGV, `abort()`, `panic = "abort"`) and systemd-coredump's
//! zstd cores open too, and bad files get one line and exit status 2.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tests::{TempDir, bin, blank_addresses, crash, crash_program, pmdb, report_json, run_to_end};

fn report(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Value {
    report_json(args, env)
}

fn report_core(core: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--core", core.to_str().unwrap()];
    args.extend_from_slice(extra);
    report(&args, &[])
}

/// gdb's `gcore` of a live process.
fn gcore(pid: u32, dir: &Path) -> PathBuf {
    let prefix = dir.join("gcore");
    let out = Command::new("gcore")
        .arg("-o")
        .arg(&prefix)
        .arg(pid.to_string())
        .output()
        .expect("gcore (package gdb) must be installed");
    assert!(
        out.status.success(),
        "gcore failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join(format!("gcore.{pid}"))
}

/// Runs `program scenario` with the agent in core mode; the core it wrote,
/// the exit status and stderr.
fn agent_core(
    program: &Path,
    scenario: &str,
    dir: &Path,
    env: &[(&str, &str)],
) -> (PathBuf, ExitStatus, String) {
    agent_core_of(Command::new(program), scenario, dir, env)
}

/// As [`agent_core`], for a command that runs the program.
fn agent_core_of(
    mut cmd: Command,
    scenario: &str,
    dir: &Path,
    env: &[(&str, &str)],
) -> (PathBuf, ExitStatus, String) {
    cmd.arg(scenario)
        .env("PMDB_MODE", "core")
        .env("PMDB_DIR", dir)
        .env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (status, stderr, _) = run_to_end(cmd, Duration::from_secs(60));
    (tests::saved_crash(&stderr), status, stderr)
}

/// The same report of another run (both without address randomisation,
/// with environments of the same size, so code and stack addresses and
/// stale stack slots are the same): the pid differs, heap addresses differ
/// where threads allocate in another order (blanked), so do the pthread ids
/// a `JoinHandle` holds (each thread's control block, at the top of a stack
/// mapped in the order threads start: printed in decimal, blanked too), and
/// where a waiting thread happens to stand in the runtime is set aside.
fn across_runs(mut r: Value) -> Value {
    r.as_object_mut().unwrap().remove("pid");
    for t in r["threads"].as_array_mut().unwrap() {
        if t["crashed"] != json!(true) {
            t["frames"]
                .as_array_mut()
                .unwrap()
                .retain(|f| f["runtime"] == json!(false));
            for (i, f) in t["frames"].as_array_mut().unwrap().iter_mut().enumerate() {
                f["index"] = json!(i);
            }
        }
    }
    blank_pthread_ids(blank_addresses(r))
}

/// `native: Thread { id: 140737346733760 }` as `native: Thread { id: … }`.
fn blank_pthread_ids(r: Value) -> Value {
    let text = serde_json::to_string(&r).unwrap();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    const AT: &str = "native: Thread { id: ";
    while let Some(i) = rest.find(AT) {
        out.push_str(&rest[..i + AT.len()]);
        rest = &rest[i + AT.len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        out.push('…');
        rest = &rest[digits..];
    }
    out.push_str(rest);
    serde_json::from_str(&out).unwrap()
}

/// Equal reports, or a panic naming the first lines that differ.
fn assert_same(got: &Value, want: &Value, what: &str) {
    if got == want {
        return;
    }
    let (g, w) = (
        serde_json::to_string_pretty(got).unwrap(),
        serde_json::to_string_pretty(want).unwrap(),
    );
    let diff: Vec<String> = g
        .lines()
        .zip(w.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .take(6)
        .map(|(i, (a, b))| format!("line {}: {a}  ≠  {b}", i + 1))
        .collect();
    panic!(
        "{what}: reports differ ({} vs {} lines):\n{}",
        g.lines().count(),
        w.lines().count(),
        diff.join("\n")
    );
}

/// `setarch -R`: the demo without address randomisation (it execs, so the
/// pid is the demo's).
fn no_aslr() -> PathBuf {
    PathBuf::from("setarch")
}

/// `pmdb report` of a live crash and of a gcore of that same frozen process
/// are equal in every byte; the live report and the gcore's directory.
fn live_and_gcore_agree(demo: &tests::Crashed, scenario: &str) -> (Value, TempDir) {
    let env = [("PMDB_DIR", demo.dir.0.as_os_str())];
    let live = report(&[&demo.pid.to_string()], &env);
    let work = TempDir::new("cores");
    let g = gcore(demo.pid, &work.0);
    assert_same(
        &report_core(&g, &[]),
        &live,
        &format!("gcore of {scenario}"),
    );
    (live, work)
}

/// The live crash, a gcore of it, and the agent's own core of another run
/// of the same scenario agree.
fn same_values(scenario: &str) {
    let demo_bin = bin("demo");
    let demo = crash_program(
        &no_aslr(),
        &["x86_64", "-R", demo_bin.to_str().unwrap(), scenario],
        scenario,
        &[],
    );
    // The same process: equal in every byte, addresses and all.
    let (live, _gcore_dir) = live_and_gcore_agree(&demo, scenario);

    // Another run, the agent writing its own core: same environment size
    // (PMDB_MODE=core for wait, the same PMDB_DIR and PMDB_WAIT).
    let mut cmd = Command::new(no_aslr());
    cmd.args(["x86_64", "-R"]).arg(&demo_bin);
    let (core, status, stderr) = agent_core_of(cmd, scenario, &demo.dir.0, &[("PMDB_WAIT", "60")]);
    let mode = std::fs::metadata(&core).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", core.display());
    let name = core.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("demo.") && name.ends_with(".core"),
        "{name}"
    );
    let from_core = report_core(&core, &[]);
    assert_same(
        &across_runs(from_core),
        &across_runs(live),
        &format!("agent core of {scenario}"),
    );
    // The program then ended as it would have.
    match scenario {
        "segv" => assert_eq!(status.signal(), Some(libc::SIGSEGV), "{stderr}"),
        // std's stack-overflow handler prints its message and aborts.
        "abort" | "overflow" => assert_eq!(status.signal(), Some(libc::SIGABRT), "{stderr}"),
        "fpe" => assert_eq!(status.signal(), Some(libc::SIGFPE), "{stderr}"),
        _ => {
            assert_eq!(status.code(), Some(101), "{stderr}");
            assert!(stderr.contains("panicked at demo/src/"), "{stderr}");
        }
    }
}

#[test]
fn bank_agrees_live_gcore_and_agent_core() {
    same_values("bank");
}

#[test]
fn values_agree_live_gcore_and_agent_core() {
    same_values("values");
}

#[test]
fn collections_agree_live_gcore_and_agent_core() {
    same_values("collections");
}

#[test]
fn corrupt_agrees_live_gcore_and_agent_core() {
    same_values("corrupt");
}

#[test]
fn segv_agrees_live_gcore_and_agent_core() {
    same_values("segv");
}

#[test]
fn abort_agrees_live_gcore_and_agent_core() {
    same_values("abort");
}

#[test]
fn fpe_agrees_live_gcore_and_agent_core() {
    same_values("fpe");
}

#[test]
fn overflow_agrees_live_gcore_and_agent_core() {
    same_values("overflow");
}

#[test]
fn threads_agree_live_gcore_and_agent_core() {
    same_values("threads");
}

/// The scenarios where a second thread crashes while the first crash is
/// served: a gcore of the frozen process shows what the live session shows.
#[test]
fn second_crashes_agree_live_and_gcore() {
    for scenario in ["twice", "twice-segv"] {
        let demo = crash(scenario);
        // The second crash is recorded while the first is served.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while demo.session().crashes().unwrap().len() < 2 {
            assert!(std::time::Instant::now() < deadline, "{}", demo.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
        live_and_gcore_agree(&demo, scenario);
    }
}

/// Where the kernel writes cores: `core_pattern` relative (a file in the
/// crashing process's directory), not piped to a helper.
fn kernel_writes_cores_here() -> bool {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    let pattern = pattern.trim();
    let here = !pattern.starts_with('|') && !pattern.contains('/');
    if !here {
        eprintln!(
            "core_pattern is {pattern:?}: the kernel sends cores elsewhere; using gdb's core of the same fault instead"
        );
    }
    here
}

/// The kernel's core of `program scenario` run without the agent
/// (`PMDB_MODE=off`), or where the kernel sends cores elsewhere, the core
/// gdb writes at the same fault.
fn kernel_core(program: &Path, scenario: &str, dir: &Path) -> PathBuf {
    if kernel_writes_cores_here() {
        let status = Command::new("sh")
            .arg("-c")
            .arg("ulimit -c unlimited && exec \"$0\" \"$1\"")
            .arg(program)
            .arg(scenario)
            .current_dir(dir)
            .env("PMDB_MODE", "off")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.core_dumped(), "{status:?}");
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with("core"))
            .expect("the kernel's core file")
    } else {
        let core = dir.join("gdb.core");
        let out = Command::new("gdb")
            .args(["-batch", "-nx", "-ex", "run", "-ex"])
            .arg(format!("gcore {}", core.display()))
            .arg("--args")
            .arg(program)
            .arg(scenario)
            .env("PMDB_MODE", "off")
            .output()
            .unwrap();
        assert!(core.exists(), "{}", String::from_utf8_lossy(&out.stderr));
        core
    }
}

fn user_frames(r: &Value) -> Vec<(String, Vec<String>)> {
    r["threads"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["runtime"] == json!(false))
        .map(|f| {
            let locals = f["locals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    format!(
                        "{}: {} = {}",
                        l["name"].as_str().unwrap(),
                        l["type"].as_str().unwrap(),
                        l["value"].as_str().unwrap()
                    )
                })
                .collect();
            (f["function"].as_str().unwrap().to_string(), locals)
        })
        .collect()
}

#[test]
fn the_kernels_core_of_a_segfault_without_the_agent() {
    let work = TempDir::new("kernel-segv");
    let core = kernel_core(&bin("demo"), "segv", &work.0);
    let r = report_core(&core, &[]);
    let c = &r["crash"];
    assert_eq!(c["kind"], "signal");
    assert_eq!(c["message"], "SIGSEGV (address not mapped) at 0x0");
    // From the core's own NT_SIGINFO, registers and segments.
    assert_eq!(c["analysis"], "null pointer dereference");
    assert_eq!(c["thread"], "main");
    assert!(
        c["file"].as_str().unwrap().ends_with("demo/src/signals.rs"),
        "{c}"
    );
    assert_eq!(c["line"], 27);
    assert_eq!(
        user_frames(&r),
        [
            (
                "demo::signals::store".to_string(),
                vec![
                    "packet: &Packet = Packet { id: 7, payload: [1, 2, 3] }".to_string(),
                    "target: *mut u32 = 0x0".to_string(),
                    "id: u32 = 7".to_string()
                ]
            ),
            (
                "demo::signals::segv".to_string(),
                vec!["packet: Packet = Packet { id: 7, payload: [1, 2, 3] }".to_string()]
            ),
            (
                "demo::main".to_string(),
                vec![
                    "name: String = \"segv\"".to_string(),
                    "run: &fn() = demo::signals::segv".to_string()
                ]
            ),
        ]
    );
    // libc's frames come from the core too: the process began in libc.
    let frames = r["threads"][0]["frames"].as_array().unwrap();
    assert_eq!(frames.last().unwrap()["function"], "_start");

    // systemd-coredump keeps cores zstd-compressed: the same report.
    let zst = work.0.join("core.zst");
    let plain = std::fs::read(&core).unwrap();
    std::fs::write(&zst, zstd::encode_all(&plain[..], 3).unwrap()).unwrap();
    assert_eq!(report_core(&zst, &[]), r);
}

#[test]
fn the_kernels_core_of_an_abort_without_the_agent() {
    let work = TempDir::new("kernel-abort");
    let core = kernel_core(&bin("demo"), "abort", &work.0);
    let r = report_core(&core, &[]);
    assert_eq!(r["crash"]["kind"], "signal");
    assert_eq!(r["crash"]["message"], "SIGABRT (aborted)");
    let names: Vec<String> = user_frames(&r).into_iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        [
            "demo::signals::give_up",
            "demo::signals::abort",
            "demo::main"
        ]
    );
    let functions: Vec<&str> = r["threads"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["function"].as_str().unwrap())
        .collect();
    assert_eq!(
        &functions[..3],
        ["__pthread_kill_implementation", "__GI_raise", "__GI_abort"]
    );
}

#[test]
fn the_kernels_core_of_a_panic_abort_build_without_the_agent() {
    let work = TempDir::new("kernel-panic-abort");
    let core = kernel_core(&tests::fixtures::DEMO_PANIC_ABORT.path(), "bank", &work.0);
    let r = report_core(&core, &[]);
    let c = &r["crash"];
    assert_eq!(c["kind"], "panic");
    // The message itself died with std's hook; the core says so plainly.
    assert_eq!(
        c["message"],
        "a panic (its message is not in a core of a program without the agent; link debuggee-agent and set PMDB_MODE=core to keep it)"
    );
    assert!(
        c["file"].as_str().unwrap().ends_with("demo/src/bank.rs"),
        "{c}"
    );
    assert_eq!((&c["line"], &c["column"]), (&json!(63), &json!(9)));
    let frames = user_frames(&r);
    assert_eq!(frames[0].0, "demo::bank::withdraw");
    assert_eq!(
        frames[0].1,
        [
            "account: &Account = Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }",
            "amount: i64 = 500",
            "memo: &str = \"round 1\"",
            "limit: i64 = 75"
        ]
    );
}

#[test]
fn a_compressed_agent_core_and_a_wait_that_ran_out_keep_the_crash() {
    let work = TempDir::new("zst");
    let (core, status, _) = agent_core(
        &bin("demo"),
        "bank",
        &work.0,
        &[("PMDB_CORE_COMPRESS", "zstd")],
    );
    assert_eq!(status.code(), Some(101));
    assert!(
        core.to_str().unwrap().ends_with(".core.zst"),
        "{}",
        core.display()
    );
    let zst = report_core(&core, &[]);
    assert_eq!(
        zst["crash"]["message"],
        "insufficient funds: bob has 75 but round 1 needs 500"
    );

    // Wait mode with nobody attaching: the crash is saved before the end.
    let mut cmd = Command::new(bin("demo"));
    cmd.arg("bank")
        .env("PMDB_MODE", "wait")
        .env("PMDB_WAIT", "0.3")
        .env("PMDB_DIR", &work.0)
        .env("RUST_BACKTRACE", "0");
    let (status, stderr, _) = run_to_end(cmd, Duration::from_secs(30));
    assert_eq!(status.code(), Some(101), "{stderr}");
    assert!(
        stderr.contains("pmdb: no debugger for 0.3 s; going on"),
        "{stderr}"
    );
    let saved = tests::saved_crash(&stderr);
    assert!(
        stderr.contains("insufficient funds: bob has 75 but round 1 needs 500"),
        "{stderr}"
    );
    let waited = report_core(&saved, &[]);
    assert_eq!(waited["crash"], zst["crash"]);
    assert_eq!(
        user_frames(&across_runs(waited)),
        user_frames(&across_runs(zst))
    );
}

/// One line on stderr, exit status 2.
fn refused(args: &[&str]) -> String {
    let (status, stdout, stderr) = pmdb(args, &[]);
    assert_eq!(status.code(), Some(2), "{args:?}: {stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr.trim_end().to_string()
}

#[test]
fn bad_core_files_get_one_line_and_status_2() {
    let work = TempDir::new("bad");
    let (core, _, _) = agent_core(&bin("demo"), "bank", &work.0, &[]);
    let bytes = std::fs::read(&core).unwrap();
    let path = |name: &str| work.0.join(name);
    let p = |name: &str| path(name).to_str().unwrap().to_string();

    std::fs::write(path("text"), "hello, not a core\n").unwrap();
    assert_eq!(
        refused(&["report", "--core", &p("text")]),
        format!(
            "pmdb: cannot open {}: not a core file: not an ELF file",
            p("text")
        )
    );

    let demo = bin("demo");
    let e = refused(&["report", "--core", demo.to_str().unwrap()]);
    assert!(e.contains("not a core file: ELF type is"), "{e}");

    std::fs::write(path("short"), &bytes[..bytes.len() / 3]).unwrap();
    let e = refused(&["report", "--core", &p("short")]);
    assert!(
        e.starts_with(&format!("pmdb: cannot open {}: ", p("short"))),
        "{e}"
    );

    std::fs::write(path("head"), &bytes[..40]).unwrap();
    refused(&["report", "--core", &p("head")]);

    let mut arm = bytes.clone();
    arm[18..20].copy_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    std::fs::write(path("arm"), &arm).unwrap();
    let e = refused(&["report", "--core", &p("arm")]);
    assert!(e.contains("AArch64"), "{e}");

    let e = refused(&["report", "--core", &p("missing")]);
    assert_eq!(e, format!("pmdb: no such core file: {}", p("missing")));

    // The executable: gone, or another build.
    let e = refused(&[
        "report",
        "--core",
        core.to_str().unwrap(),
        "--exe",
        &p("nowhere"),
    ]);
    assert_eq!(
        e,
        format!(
            "pmdb: cannot open {}: the executable {} is not on this machine; give it with --exe PATH or --substitute-path FROM=TO",
            core.display(),
            p("nowhere")
        )
    );
    let other = tests::fixtures::DEMO_PANIC_ABORT.path();
    let e = refused(&[
        "report",
        "--core",
        core.to_str().unwrap(),
        "--exe",
        other.to_str().unwrap(),
    ]);
    assert!(e.contains("the core was made by build-id "), "{e}");
    assert!(e.contains(&format!("; {} has ", other.display())), "{e}");

    // Moved elsewhere, found again with --substitute-path.
    let moved = work.0.join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::copy(&demo, moved.join("demo")).unwrap();
    let from = demo.parent().unwrap().to_str().unwrap().to_string();
    let sub = format!("{from}={}", moved.display());
    let r = report_core(&core, &["--substitute-path", &sub]);
    assert_eq!(
        r["crash"]["message"],
        "insufficient funds: bob has 75 but round 1 needs 500"
    );
}

/// A core opened away from its build tree: a small core shows the lines
/// it carries around each frame, and says so; a full one carries none, and
/// its source comes from `--source-dir`, and without it the report says
/// what to give.
#[test]
fn a_cores_source_comes_from_the_core_or_source_dir() {
    let work = TempDir::new("source-dir");
    let (small, _, _) = agent_core(&bin("demo"), "bank", &work.0, &[]);
    let full_dir = work.0.join("full");
    let (full, _, _) = agent_core(&bin("demo"), "bank", &full_dir, &[("PMDB_CORE", "full")]);
    let root = std::env::current_dir()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let gone = format!("{}/demo=/nonexistent/demo", root.display());
    let withdraw = |core: &Path, extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "report",
            "--core",
            core.to_str().unwrap(),
            "--source",
            "--substitute-path",
            &gone,
        ];
        args.extend_from_slice(extra);
        let (status, out, err) = pmdb(&args, &[]);
        assert!(status.success(), "{err}");
        let at = out
            .find("demo::bank::withdraw at ")
            .unwrap_or_else(|| panic!("{out}"));
        out[at..]
            .lines()
            .skip(1)
            .take(2)
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        withdraw(&small, &[]),
        [
            "        source: copy carried in the core (/nonexistent/demo/src/bank.rs is not on this machine)",
            "          61 |     let limit = account.balance + account.overdraft.unwrap_or(0);",
        ]
    );
    // The JSON says where the lines came from too.
    let json = report_core(&small, &["--source", "--substitute-path", &gone]);
    let frame = json["threads"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == "demo::bank::withdraw")
        .unwrap()
        .clone();
    assert_eq!(frame["source"]["origin"], "core");
    assert_eq!(frame["source"]["path"], "/nonexistent/demo/src/bank.rs");
    assert_eq!(frame["source"]["first_line"], 61);
    assert_eq!(
        withdraw(&full, &[]),
        [
            "        <source not available: /nonexistent/demo/src/bank.rs is not on this machine (No such file or directory (os error 2)), and a core file carries no source text: give --source-dir DIR or --substitute-path FROM=TO>".to_string(),
            "        account: &Account = Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }".to_string(),
        ]
    );
    let src = work.0.join("src");
    std::fs::create_dir_all(src.join("src")).unwrap();
    std::fs::copy(root.join("demo/src/bank.rs"), src.join("src/bank.rs")).unwrap();
    for core in [&small, &full] {
        assert_eq!(
            withdraw(core, &["--source-dir", src.to_str().unwrap()]),
            [
                format!(
                    "        source: local file {}",
                    src.join("src/bank.rs").display()
                ),
                "          61 |     let limit = account.balance + account.overdraft.unwrap_or(0);"
                    .to_string(),
            ]
        );
    }
}

/// Each thread of an agent's core carries its thread pointer (`fs_base`),
/// as the kernel's cores do, so gdb finds thread-local storage: glibc's
/// TCB starts with a pointer to itself, and so reads back from the core.
#[test]
fn agent_cores_carry_each_threads_thread_pointer() {
    let scratch = TempDir::new("tp");
    let (core, _, stderr) = agent_core_of(Command::new(bin("demo")), "threads", &scratch.0, &[]);
    let core = corefile::Core::open(&core).unwrap();
    let threads = core.threads();
    assert_eq!(threads.len(), 4, "{stderr}");
    let mut seen = Vec::new();
    for t in threads {
        assert_ne!(t.fs_base, 0, "thread {}", t.tid);
        let mut word = [0u8; 8];
        core.read(t.fs_base, &mut word).unwrap();
        assert_eq!(u64::from_le_bytes(word), t.fs_base, "thread {}", t.tid);
        seen.push(t.fs_base);
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 4, "one thread pointer per thread");
}

/// Sets a file's modification time to `secs` after the Unix epoch.
fn touch(path: &Path, secs: u64) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

#[test]
fn group_gives_one_line_per_distinct_crash_across_cores_and_reports() {
    const BANK: &str = "panic demo/src/bank.rs:63 | demo::bank::withdraw | demo::bank::transfer | demo::bank::settle";
    const SEGV: &str = "SIGSEGV | demo::signals::store | demo::signals::segv | demo::main";
    let work = TempDir::new("group");
    let cores = work.0.join("cores");
    std::fs::create_dir(&cores).unwrap();
    let demo = bin("demo");
    // The same panic twice, a segfault, as the agent's cores.
    let (bank1, _, _) = agent_core(&demo, "bank", &cores, &[]);
    let (bank2, _, _) = agent_core(&demo, "bank", &cores, &[]);
    let (segv, _, _) = agent_core(&demo, "segv", &cores, &[]);
    // The same panic once more, live: in `pmdb list` and as a JSON report.
    let live = crash("bank");
    let env = [("PMDB_DIR", live.dir.0.as_os_str())];
    let (status, list, stderr) = pmdb(&["list"], &env);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        list.lines().nth(2),
        Some(format!("          signature: {BANK}").as_str()),
        "{list}"
    );
    let (status, text, _) = pmdb(&["report", &live.pid.to_string(), "--depth", "0"], &env);
    assert!(status.success());
    assert_eq!(
        text.lines().nth(1),
        Some(format!("signature: {BANK}").as_str())
    );
    let r = report(&[&live.pid.to_string()], &env);
    assert_eq!(r["crash"]["signature"], BANK);
    let json = work.0.join("bank.json");
    std::fs::write(&json, serde_json::to_string(&r).unwrap()).unwrap();
    drop(live);
    // Files that are not crashes are passed over; a broken one is said.
    std::fs::write(work.0.join("notes.txt"), "not a crash").unwrap();
    let broken = work.0.join("broken.json");
    std::fs::write(&broken, "{\"crash\": ").unwrap();
    for (f, t) in [
        (&bank1, 1_000),
        (&bank2, 3_000),
        (&segv, 2_000),
        (&json, 4_000),
    ] {
        touch(f, t);
    }
    let root = work.0.to_str().unwrap();
    let (status, out, err) = pmdb(&["group", root], &[]);
    assert!(status.success(), "{err}");
    assert_eq!(
        out,
        format!(
            "    3  1970-01-01T00:16:40Z  1970-01-01T01:06:40Z  {BANK}  \"insufficient funds: bob has 75 but round 1 needs 500\"  {}\n    \
             1  1970-01-01T00:33:20Z  1970-01-01T00:33:20Z  {SEGV}  \"SIGSEGV (address not mapped) at 0x0\"  {}\n",
            json.display(),
            segv.display()
        )
    );
    assert_eq!(
        err,
        format!(
            "pmdb group: {}: not JSON: EOF while parsing a value at line 1 column 10\n",
            broken.display()
        )
    );
    let (status, out, _) = pmdb(&["group", "--json", root], &[]);
    assert!(status.success());
    let mut bank_files = vec![
        bank1.display().to_string(),
        bank2.display().to_string(),
        json.display().to_string(),
    ];
    bank_files.sort();
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"groups": [
            {"signature": BANK, "count": 3, "files": bank_files,
             "message": "insufficient funds: bob has 75 but round 1 needs 500",
             "first_seen": "1970-01-01T00:16:40Z", "last_seen": "1970-01-01T01:06:40Z"},
            {"signature": SEGV, "count": 1, "files": [segv.display().to_string()],
             "message": "SIGSEGV (address not mapped) at 0x0",
             "first_seen": "1970-01-01T00:33:20Z", "last_seen": "1970-01-01T00:33:20Z"},
        ]})
    );
    // Nothing to group: one line, status 1.
    let empty = work.0.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (status, out, _) = pmdb(&["group", empty.to_str().unwrap()], &[]);
    assert_eq!(
        (status.code(), out.as_str()),
        (Some(1), "no crash files (cores, JSON reports) found\n")
    );
    let (status, _, err) = pmdb(&["group", "/no/such/dir"], &[]);
    assert_eq!(status.code(), Some(2));
    assert_eq!(
        err,
        "pmdb: /no/such/dir: No such file or directory (os error 2)\n"
    );
}
