//! Generates thousands of types and functions (each instantiating std
//! collections, `Clone` and `Debug`) into `OUT_DIR/big.rs`, for the
//! benchmarks' big binaries: with the demo's `big` feature, 2,000 of them
//! (a debug binary of well over 100 MB); in the size benchmark's generated
//! crates (`bench/sizes/gen`, whose build script this is too),
//! `PMDB_SIZES_TYPES` of them (1,000 unless told). Otherwise an empty module.

use std::fmt::Write;

fn main() {
    let sizes_crate = std::env::var("CARGO_PKG_NAME").is_ok_and(|n| n.starts_with("sizes-g"));
    // This file, from the package's own directory.
    let me = if sizes_crate {
        "../../../../demo/build.rs"
    } else {
        "build.rs"
    };
    println!("cargo:rerun-if-changed={me}");
    println!("cargo:rerun-if-env-changed=PMDB_SIZES_TYPES");
    let n = if sizes_crate {
        std::env::var("PMDB_SIZES_TYPES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000)
    } else if std::env::var_os("CARGO_FEATURE_BIG").is_some() {
        2000
    } else {
        0
    };
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("big.rs");
    let mut s = String::new();
    for i in 0..n {
        let _ = writeln!(
            s,
            "#[derive(Debug, Clone, Default, PartialEq)]\n\
             pub struct S{i} {{ pub id: u64, pub name: String, pub tags: Vec<u32>, pub next: Option<Box<S{i}>> }}\n\
             #[inline(never)]\n\
             pub fn f{i}(n: u64) -> usize {{\n\
                 let mut m: std::collections::HashMap<u64, S{i}> = std::collections::HashMap::new();\n\
                 m.insert(n, S{i} {{ id: n, ..Default::default() }});\n\
                 let v: Vec<S{i}> = m.values().cloned().collect();\n\
                 format!(\"{{v:?}}\").len()\n\
             }}"
        );
    }
    let calls: String = (0..n).map(|i| format!("t += f{i}(n);\n")).collect();
    let _ = writeln!(
        s,
        "pub fn touch_all(n: u64) -> usize {{ let mut t = 0; {calls} t }}"
    );
    std::fs::write(out, s).expect("write big.rs");
}
