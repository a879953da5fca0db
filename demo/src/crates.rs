//! The `crates` scenario: a request handler's locals made of the crates
//! services use (bytes, indexmap, smallvec, arrayvec, hashbrown,
//! parking_lot, dashmap, serde_json, uuid, smol_str, compact_str, tokio's
//! locks) and std's `OnceLock`/`LazyLock`, each with known contents.

// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]

use std::sync::{LazyLock, OnceLock};

/// Types named like the crates' but laid out otherwise: shown raw.
pub mod lookalike {
    pub struct Bytes {
        pub ptr: u8,
    }
    pub struct Uuid(pub u32);
    pub enum Value {
        Null,
        Count(u8),
    }
}

static CONFIG: LazyLock<u32> = LazyLock::new(|| 8080);

pub fn run() {
    let body = bytes::Bytes::from_static(b"0123456789abc");
    let mut buf = bytes::BytesMut::with_capacity(16);
    buf.extend_from_slice(b"hello");
    let mut order: indexmap::IndexMap<&str, i32> = indexmap::IndexMap::new();
    order.insert("first", 1);
    order.insert("second", 2);
    let mut seen: indexmap::IndexSet<u16> = indexmap::IndexSet::new();
    seen.insert(30);
    seen.insert(10);
    let mut inline: smallvec::SmallVec<[u8; 4]> = smallvec::SmallVec::new();
    inline.extend([1, 2, 3]);
    let mut spilled: smallvec::SmallVec<[u8; 2]> = smallvec::SmallVec::new();
    spilled.extend([4, 5, 6]);
    let mut fixed: arrayvec::ArrayVec<u32, 4> = arrayvec::ArrayVec::new();
    fixed.push(7);
    fixed.push(8);
    let label: arrayvec::ArrayString<8> = arrayvec::ArrayString::from("tag").unwrap();
    let mut brown: hashbrown::HashMap<u8, &str> = hashbrown::HashMap::new();
    brown.insert(1, "one");
    let lock = parking_lot::Mutex::new(41u32);
    let rw = parking_lot::RwLock::new("rw");
    let guard = lock.lock();
    let dash: dashmap::DashMap<u32, &str> = dashmap::DashMap::new();
    dash.insert(5, "five");
    let json: serde_json::Value = serde_json::json!({
        "id": 7,
        "tags": ["a", "b"],
        "ok": true,
        "ratio": -1.5,
        "none": null
    });
    let id = uuid::Uuid::from_u128(0x67e55044_10b1_426f_9247_bb680e5fe0c8);
    let smol = smol_str::SmolStr::new("smol");
    let compact = compact_str::CompactString::new("compact");
    let long_compact = compact_str::CompactString::new("a compact string past twenty-four bytes");
    let once: OnceLock<String> = OnceLock::new();
    let _ = once.set("set once".to_string());
    let empty_once: OnceLock<u8> = OnceLock::new();
    let lazy = &*CONFIG;
    let tmutex = tokio::sync::Mutex::new(3i64);
    let trw = tokio::sync::RwLock::new(vec![1u8, 2]);
    let tcell: tokio::sync::OnceCell<u8> = tokio::sync::OnceCell::new_with(Some(9));
    let fake_bytes = lookalike::Bytes { ptr: 1 };
    let fake_uuid = lookalike::Uuid(2);
    let fake_value = lookalike::Value::Count(3);
    let _ = std::hint::black_box((
        &body, &buf, &order, &seen, &inline, &spilled, &fixed, &label,
    ));
    let _ = std::hint::black_box((&brown, &lock, &rw, &*guard, &dash, &json, &id, &smol));
    let _ = std::hint::black_box((&compact, &long_compact, &once, &empty_once, lazy, &CONFIG));
    let _ = std::hint::black_box((&tmutex, &trw, &tcell));
    let _ = std::hint::black_box((&fake_bytes, &fake_uuid, &fake_value, lookalike::Value::Null));
    panic!("a handler with service crates panicked");
}
