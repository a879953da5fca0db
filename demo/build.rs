//! With the `big` feature, generates thousands of types and functions (each
//! instantiating std collections and `Debug`), so the demo becomes a debug
//! binary of well over 100 MB for the benchmark. Without it, an empty module.

use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("big.rs");
    let n = if std::env::var_os("CARGO_FEATURE_BIG").is_some() {
        2000
    } else {
        0
    };
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
