//! Records the target pmdb is built for: `pmdb test` names it in cargo's
//! runner variable (`CARGO_TARGET_<TRIPLE>_RUNNER`) without running
//! `rustc -vV` at every run (22 ms of CPU, more wall time on a loaded
//! machine, against a test run of under 100 ms).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=PMDB_BUILT_FOR={target}");
}
