//! End to end: minidumps written and read. The agent writes one
//! (`PMDB_MODE=minidump`), `pmdb minidump` writes one of a waiting crash, of
//! a running program without the agent and of a core; `pmdb report --core`
//! reads each back (locals on the stack exact, heap values `<not in the
//! minidump>`). Bad
//! files get one line and exit status 2.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tests::{TempDir, bin, crash, pmdb, report_json, run_to_end};

fn report_of(dump: &Path) -> Value {
    report_json(&["--core", dump.to_str().unwrap()], &[])
}

/// The frame of `function` in the crashed thread of a report.
fn frame<'a>(report: &'a Value, function: &str) -> &'a Value {
    report["threads"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == function)
        .unwrap_or_else(|| panic!("no frame {function} in {report:#}"))
}

fn local<'a>(frame: &'a Value, name: &str) -> &'a Value {
    frame["locals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no local {name} in {frame:#}"))
}

/// What every minidump of `demo bank` shows: the panic, the stack's
/// locals exact, the heap's left out.
fn assert_bank(report: &Value) {
    assert_eq!(report["crash"]["kind"], "panic");
    assert_eq!(
        report["crash"]["message"],
        "insufficient funds: bob has 75 but round 1 needs 500"
    );
    assert_eq!(report["crash"]["file"], "demo/src/bank.rs");
    assert_eq!(report["crash"]["line"], 63);
    let withdraw = frame(report, "demo::bank::withdraw");
    assert_eq!(local(withdraw, "amount")["value"], "500");
    assert_eq!(local(withdraw, "limit")["value"], "75");
    assert_eq!(local(withdraw, "memo")["value"], "<not in the minidump>");
    assert_eq!(
        local(withdraw, "account")["value"],
        "Account { id: 2, owner: <not in the minidump>, balance: 50, history: [<not in the minidump>], overdraft: Some(..) }"
    );
    let transfer = frame(report, "demo::bank::transfer");
    assert_eq!(local(transfer, "from_id")["value"], "2");
    assert_eq!(local(transfer, "to_id")["value"], "1");
}

#[test]
fn the_agents_minidump_reads_back_with_the_stacks_locals() {
    let dir = TempDir::new("md-agent");
    let dump = tests::agent_minidump("bank", &dir.0);
    assert_bank(&report_of(&dump));
    // Small: stacks, not the heap.
    let len = std::fs::metadata(&dump).unwrap().len();
    assert!(len < 256 * 1024, "{len} bytes");
    // The program's module carries its build-id, which rust-minidump's
    // reader turns into the debug id Sentry and Breakpad compute.
    let demo = bin("demo");
    let (code_id, debug_id) = module_ids(&dump, &demo);
    let build_id = build_id_of(&demo);
    assert_eq!(code_id, hex(&build_id));
    assert_eq!(debug_id, breakpad_debug_id(&build_id));
}

/// The code id and the Breakpad-style debug id rust-minidump reads for the
/// module mapped from `file`.
fn module_ids(dump: &Path, file: &Path) -> (String, String) {
    use minidump::Module;
    let md = minidump::Minidump::read_path(dump).expect("rust-minidump reads it");
    let modules: minidump::MinidumpModuleList = md.get_stream().expect("a module list");
    let m = modules
        .iter()
        .find(|m| Path::new(&*m.code_file()) == file)
        .unwrap_or_else(|| panic!("no module {} in {}", file.display(), dump.display()));
    (
        m.code_identifier().expect("a code id").to_string(),
        m.debug_identifier()
            .expect("a debug id")
            .breakpad()
            .to_string(),
    )
}

/// The GNU build-id of an ELF file.
fn build_id_of(file: &Path) -> Vec<u8> {
    use object::Object;
    let bytes = std::fs::read(file).unwrap();
    let elf = object::File::parse(&*bytes).unwrap();
    elf.build_id().unwrap().expect("a build-id").to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Breakpad's debug id of an ELF build-id: its first 16 bytes as a GUID
/// (the first three fields little-endian), then the age, 0.
fn breakpad_debug_id(id: &[u8]) -> String {
    let b = id;
    let guid = [
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
        b[14], b[15],
    ];
    guid.iter().map(|b| format!("{b:02X}")).collect::<String>() + "0"
}

#[test]
fn a_waiting_crash_and_a_core_convert_to_the_same_minidump_report() {
    let dir = TempDir::new("md-wait");
    let crashed = crash("bank");
    let out = dir.0.join("wait.dmp");
    let (status, _, stderr) = pmdb(
        &[
            "minidump",
            &crashed.pid.to_string(),
            "-o",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("pmdb: wrote the minidump of pid "),
        "{stderr}"
    );
    assert_bank(&report_of(&out));
    drop(crashed);

    let mut cmd = Command::new(bin("demo"));
    cmd.arg("bank")
        .env("PMDB_MODE", "core")
        .env("PMDB_DIR", &dir.0)
        .env("RUST_BACKTRACE", "0");
    let (_, stderr, _) = run_to_end(cmd, Duration::from_secs(60));
    let core = tests::saved_crash(&stderr);
    let converted = dir.0.join("core.dmp");
    let (status, _, stderr) = pmdb(
        &[
            "minidump",
            "--core",
            core.to_str().unwrap(),
            "-o",
            converted.to_str().unwrap(),
        ],
        &[],
    );
    assert!(status.success(), "{stderr}");
    assert_bank(&report_of(&converted));
}

/// A word of the file, little-endian.
fn word(bytes: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()))
}

/// Where the directory (from the header) says the streams end.
fn streams_end(bytes: &[u8]) -> u64 {
    let (count, dir) = (word(bytes, 8) as usize, word(bytes, 12) as usize);
    (0..count)
        .map(|i| word(bytes, dir + 12 * i + 8) + word(bytes, dir + 12 * i + 4))
        .max()
        .unwrap()
}

/// A truncated minidump and garbage after the magic: `pmdb report --core`
/// and `pmdb open --batch` each say why in one line and exit 2.
#[test]
fn bad_minidumps_get_one_line() {
    let dir = TempDir::new("md-bad");
    let good = tests::agent_minidump("bank", &dir.0);
    let bytes = std::fs::read(&good).unwrap();
    let cut = bytes.len() / 3;
    let garbage = {
        let mut g = b"MDMP".to_vec();
        g.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        g
    };
    let garbage_dir = word(&garbage, 12) + 12 * word(&garbage, 8);
    let cases: [(&str, Vec<u8>, String); 3] = [
        (
            "magic",
            b"MDMP".to_vec(),
            "the minidump is truncated: its header needs 32 bytes, the file has 4".into(),
        ),
        (
            "cut",
            bytes[..cut].to_vec(),
            format!(
                "the minidump is truncated: its streams need {} bytes, the file has {cut}",
                streams_end(&bytes)
            ),
        ),
        (
            "garbage",
            garbage,
            format!(
                "the minidump is truncated: its stream directory needs {garbage_dir} bytes, the file has 4004"
            ),
        ),
    ];
    for (name, data, why) in cases {
        let path = dir.0.join(format!("{name}.dmp"));
        std::fs::write(&path, data).unwrap();
        let file = path.to_str().unwrap();
        let want = format!("pmdb: cannot open {file}: {why}\n");
        for args in [
            vec!["report", "--core", file],
            vec!["open", file, "--batch", "-c", "bt"],
        ] {
            let (status, stdout, stderr) = pmdb(&args, &[]);
            assert_eq!(status.code(), Some(2), "{name} {args:?}: {stdout}{stderr}");
            assert_eq!(
                (stdout.as_str(), stderr.as_str()),
                ("", want.as_str()),
                "{args:?}"
            );
        }
    }
}

/// Where a minidump's structure is: the header, the stream directory and
/// the first bytes of each stream (what a reader parses before it reaches
/// a stack's bytes), as byte ranges of the file.
fn structure(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let (count, dir) = (u32_at(8), u32_at(12));
    let mut out = vec![0..32, dir..dir + 12 * count];
    for i in 0..count {
        let entry = dir + 12 * i;
        let (size, rva) = (u32_at(entry + 4), u32_at(entry + 8));
        out.push(rva..(rva + size.min(256)).min(bytes.len()));
    }
    out.retain(|r| r.start + 4 <= r.end);
    out
}

/// Seeded, so a failure replays: 1,500 cuts and byte mutations of a real
/// minidump, each opened by the reader `pmdb open` and `report --core` use;
/// each opens or is refused in one line, never a panic.
#[test]
fn mutated_minidumps_open_or_are_refused_in_one_line() {
    use engine::hosts::{coredump::Options, minidump::open_bytes};
    let dir = TempDir::new("md-mutations");
    let good = tests::agent_minidump("bank", &dir.0);
    let bytes = std::fs::read(&good).unwrap();
    let options = Options::default();
    let (_, crash) = open_bytes(&bytes, &good, &options).expect("the dump as written opens");
    assert_eq!(
        crash.info.message,
        "insufficient funds: bob has 75 but round 1 needs 500"
    );
    let parts = structure(&bytes);
    let mut rng = fastrand::Rng::with_seed(0x6d64_6d70_5eed);
    let (mut opened, mut refused) = (0, 0);
    let started = std::time::Instant::now();
    for i in 0..1_500 {
        let mut m = bytes.clone();
        if i % 10 == 0 {
            // A cut, at any length.
            m.truncate(rng.usize(..bytes.len()));
        } else {
            for _ in 0..1 + rng.usize(..4) {
                let part = &parts[rng.usize(..parts.len())];
                let at = rng.usize(part.clone()).min(m.len() - 4);
                match rng.usize(..3) {
                    0 => m[at] ^= 1 << rng.usize(..8),
                    1 => m[at] = rng.u8(..),
                    _ => {
                        let v = [0u32, 1, 0xff, 0xffff, 0x7fff_ffff, u32::MAX][rng.usize(..6)];
                        m[at..at + 4].copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
        }
        match open_bytes(&m, &good, &options) {
            Ok(_) => opened += 1,
            Err(e) => {
                let line = e.to_string();
                assert!(!line.is_empty() && !line.contains('\n'), "{line:?}");
                refused += 1;
            }
        }
    }
    eprintln!(
        "{opened} mutations opened, {refused} refused, in {:?}",
        started.elapsed()
    );
    assert!(
        opened > 100 && refused > 100,
        "{opened} opened, {refused} refused"
    );
}
