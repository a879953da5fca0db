//! The crash record as it outlives its process: the crash (message, payload
//! type, location, crashed thread, pid, program, time) and every thread with
//! the machine frames the agent captured. The agent writes it into its cores
//! (a note of its own) and keeps it in a static (so a `gcore` of a frozen
//! crash has it too); the core host reads it back. One shape, MessagePack.

use serde::{Deserialize, Serialize};
use wire::CrashInfo;

use crate::memory::process::{Crash, LaterCrash, RawFrame, Regs, Stack, Thread};

/// The owner name of pmdb's note in a core.
pub const NOTE_NAME: &str = "PMDB";
/// The type of pmdb's note ("PMDB" read as a number).
pub const NOTE_TYPE: u32 = 0x4244_4d50;
/// The symbol of the agent's static that points at the encoded record.
pub const STATIC_SYMBOL: &str = "pmdb_crash_record";
/// The static's first word, so a stray symbol is never taken for it.
pub const STATIC_MAGIC: u64 = u64::from_le_bytes(*b"pmdbrec1");
/// The largest record read back (16 MiB): enough for 10,000 threads.
pub const MAX_RECORD: u64 = 16 << 20;

/// One machine frame as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRecord {
    pub ip: u64,
    pub sp: u64,
    pub exact: bool,
    /// Each register, known or not (the record's format since it began).
    pub regs: [Option<u64>; 17],
}

/// One thread as recorded: the crashed one first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadRecord {
    pub id: u64,
    pub name: String,
    pub frames: Vec<FrameRecord>,
}

/// The crash record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashRecord {
    pub crash: CrashInfo,
    pub threads: Vec<ThreadRecord>,
    /// Crashes of other threads while this one was served.
    #[serde(default)]
    pub later: Vec<LaterRecord>,
    /// The fatal signal, where the crash is one: number, `si_code`, address
    /// (what a minidump's exception says).
    #[serde(default)]
    pub signal: Option<(i32, i32, u64)>,
}

/// A crash that happened while the first was being served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaterRecord {
    pub crash: CrashInfo,
    pub frames: Vec<FrameRecord>,
}

/// Why a record could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("pmdb's crash record does not decode: {0}")]
pub struct RecordError(String);

impl CrashRecord {
    /// The record of a crash: each thread's unwound frames, or for a thread
    /// known only by its registers, its one exact frame (read back as
    /// registers, to be unwound by whoever reads the record).
    pub fn of(crash: &Crash, later: &[LaterCrash]) -> CrashRecord {
        CrashRecord {
            later: later
                .iter()
                .map(|l| LaterRecord {
                    crash: l.info.clone(),
                    frames: l.frames.iter().map(FrameRecord::of).collect(),
                })
                .collect(),
            crash: crash.info.clone(),
            threads: crash
                .threads
                .iter()
                .map(|t| ThreadRecord {
                    id: t.id,
                    name: t.name.clone(),
                    frames: match &t.stack {
                        Stack::Unwound(frames) => frames.iter().map(FrameRecord::of).collect(),
                        Stack::Regs(regs) => vec![FrameRecord {
                            ip: regs.get(crate::memory::process::RIP).unwrap_or(0),
                            sp: regs.get(crate::memory::process::RSP).unwrap_or(0),
                            exact: true,
                            regs: regs.to_array(),
                        }],
                    },
                })
                .collect(),
            signal: None,
        }
    }

    /// The record with the fatal signal (number, `si_code`, address).
    pub fn with_signal(mut self, signal: Option<(i32, i32, u64)>) -> CrashRecord {
        self.signal = signal;
        self
    }

    /// The crash this record describes, and those that came after it.
    pub fn into_crash(self) -> (Crash, Vec<LaterCrash>) {
        let later = self
            .later
            .into_iter()
            .map(|l| LaterCrash {
                info: l.crash,
                frames: l.frames.into_iter().map(FrameRecord::into_raw).collect(),
            })
            .collect();
        let crash = Crash {
            info: self.crash,
            threads: self
                .threads
                .into_iter()
                .map(|t| Thread {
                    id: t.id,
                    name: t.name,
                    stack: match &t.frames[..] {
                        // A thread known by its registers (the agent unwinds
                        // frozen threads only when asked): unwound here too.
                        [only] if only.exact => Stack::Regs(Box::new(Regs::from(only.regs))),
                        _ => Stack::Unwound(
                            t.frames.into_iter().map(FrameRecord::into_raw).collect(),
                        ),
                    },
                })
                .collect(),
        };
        (crash, later)
    }

    /// MessagePack, fields by name.
    pub fn to_bytes(&self) -> Vec<u8> {
        wire::frame::encode(self).unwrap_or_default()
    }

    /// Decodes a record, refusing anything malformed.
    pub fn from_bytes(bytes: &[u8]) -> Result<CrashRecord, RecordError> {
        wire::frame::decode(bytes).map_err(|e| RecordError(e.to_string()))
    }
}

impl FrameRecord {
    fn of(f: &RawFrame) -> FrameRecord {
        FrameRecord {
            ip: f.ip,
            sp: f.sp,
            exact: f.exact,
            regs: f.regs.to_array(),
        }
    }

    fn into_raw(self) -> RawFrame {
        RawFrame {
            ip: self.ip,
            sp: self.sp,
            exact: self.exact,
            regs: Regs::from(self.regs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_garbage_is_refused() {
        let mut regs = Regs::NONE;
        regs.set(7, Some(0x7ffd_0000));
        regs.set(16, Some(0x5555_1234));
        let crash = Crash {
            info: CrashInfo {
                kind: wire::CrashKind::Panic,
                message: "boom".into(),
                payload_type: Some("&str".into()),
                file: Some("src/main.rs".into()),
                line: Some(7),
                column: Some(5),
                thread: 42,
                thread_name: "main".into(),
                pid: 42,
                program: "demo".into(),
                time: 1_700_000_000,
                taken_by: None,
                analysis: None,
            },
            threads: vec![Thread {
                id: 42,
                name: "main".into(),
                stack: Stack::Regs(Box::new(regs)),
            }],
        };
        let record = CrashRecord::of(&crash, &[]);
        let back = CrashRecord::from_bytes(&record.to_bytes()).unwrap();
        assert_eq!(back, record);
        let (crash, later) = back.into_crash();
        assert!(later.is_empty());
        assert_eq!(crash.info.message, "boom");
        match &crash.threads[0].stack {
            Stack::Regs(back) => assert_eq!(**back, regs),
            other => panic!("{other:?}"),
        }
        assert!(CrashRecord::from_bytes(b"\x92\x01").is_err());
    }
}
