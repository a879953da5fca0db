//! The crash record kept in this process's memory while a crash is served,
//! behind an exported static the core host finds by name: a `gcore` of a
//! frozen crash then shows the panic message, location and crashed thread
//! as they show live.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use engine::Crash;
use engine::crash::record::{CrashRecord, STATIC_MAGIC};

/// Where the encoded record is: a magic word, its address and its length.
#[repr(C)]
pub struct RecordSlot {
    magic: AtomicU64,
    ptr: AtomicU64,
    len: AtomicU64,
}

/// The slot, by the name `engine::crash::record::STATIC_SYMBOL`.
#[unsafe(no_mangle)]
#[allow(non_upper_case_globals)]
pub static pmdb_crash_record: RecordSlot = RecordSlot {
    magic: AtomicU64::new(0),
    ptr: AtomicU64::new(0),
    len: AtomicU64::new(0),
};

/// Publishes `crash`'s record, with the crashes recorded since; it stays in
/// memory for the process's life.
pub fn publish(crash: &Crash, signal: Option<corefile::SigInfo>) {
    *SIGNAL.lock().unwrap_or_else(|p| p.into_inner()) = signal;
    let later = crate::state::later();
    LATER_PUBLISHED.store(later.len(), Ordering::SeqCst);
    // A core stops every thread: none is "not frozen" there.
    let mut kept = crash.clone();
    for t in &mut kept.threads {
        if let Some((name, _)) = t.name.split_once(" (not frozen: ") {
            t.name = name.to_string();
        }
    }
    let bytes: &'static [u8] = Box::leak(
        CrashRecord::of(&kept, &later)
            .with_signal(signal.map(|s| (s.signo, s.code, s.addr)))
            .to_bytes()
            .into_boxed_slice(),
    );
    let slot = &pmdb_crash_record;
    slot.ptr.store(bytes.as_ptr() as u64, Ordering::SeqCst);
    slot.len.store(bytes.len() as u64, Ordering::SeqCst);
    slot.magic.store(STATIC_MAGIC, Ordering::SeqCst);
}

/// The signal of the crash last published, for a refresh.
static SIGNAL: std::sync::Mutex<Option<corefile::SigInfo>> = std::sync::Mutex::new(None);

/// How many later crashes the published record holds.
static LATER_PUBLISHED: AtomicUsize = AtomicUsize::new(0);

/// Publishes again if crashes were recorded since the last time.
pub fn refresh(crash: &Crash) {
    if crate::state::later().len() != LATER_PUBLISHED.load(Ordering::SeqCst) {
        let signal = *SIGNAL.lock().unwrap_or_else(|p| p.into_inner());
        publish(crash, signal);
    }
}
