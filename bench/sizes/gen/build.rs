//! Generates this crate's types and functions: `PMDB_SIZES_TYPES` of them
//! (1,000 unless told), each instantiating std collections, `Clone` and
//! `Debug`, so each generated crate adds about 250 MB of debug info.

use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=../build.rs");
    println!("cargo:rerun-if-env-changed=PMDB_SIZES_TYPES");
    let n: usize = std::env::var("PMDB_SIZES_TYPES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("gen.rs");
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
    let _ = writeln!(s, "pub fn touch_all(n: u64) -> usize {{ let mut t = 0; {calls} t }}");
    std::fs::write(out, s).expect("write gen.rs");
}
