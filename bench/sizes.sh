#!/usr/bin/env bash
# Cold first screen against binary size (issue 23): the same program
# (bench/sizes/app: `dyn` values, statics and std collections in the
# crashed frame) linked with 0 to 4 generated crates of about 250 MB of
# debug info each, and as the tokio service. For each: the first screen on
# fresh crashes, cold and warm, and the agent's RSS growth up to it
# (pmdb-cold-bench with PMDB_COLD_SCREEN_ONLY). Building the largest takes
# long on a small machine: each generated crate is built once and shared.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
cargo build -q --release -p tests --bin pmdb-cold-bench
cargo build -q -p debugger-tui --bin pmdb
mkdir -p target/sizes/bin
for features in none service g1 g1,g4 g1,g4,g5,g6; do
  flag=()
  [ "$features" = none ] || flag=(--features "$features")
  cargo build -q --manifest-path bench/sizes/Cargo.toml --target-dir target/sizes \
    -p sizes-app "${flag[@]}"
  cp target/sizes/debug/sizes-app "target/sizes/bin/app-$features"
  PMDB_COLD_SCREEN_ONLY=1 target/release/pmdb-cold-bench \
    "target/sizes/bin/app-$features" target/debug/pmdb "$runs"
done
