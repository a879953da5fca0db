#!/usr/bin/env bash
# The cold-start benchmark (issue 23), one command: builds the realistic
# program (bench/sizes with `service`: tokio, regex, serde_json, a 57 MB
# debug build; `dyn` values, statics and std collections in the crashed
# frame), pmdb (dev build: the engine is optimised there too) and the
# harness, then measures on fresh crashes
# the first screen and `pmdb report --json --depth 1` cold and warm, gdb's
# `thread apply all bt full` on the same process, and the same from a core
# (tests/src/bin/pmdb-cold-bench.rs). Prints a Markdown table (see
# BENCHMARKS.md).
#
# Fails (status 1) when the median cold first screen is over twice
# PMDB_COLD_BASELINE_MS (default: the figure BENCHMARKS.md gives). Not run
# by CI: figures on a shared machine are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
cargo build -q --manifest-path bench/sizes/Cargo.toml --target-dir target/sizes \
  -p sizes-app --features service
cargo build -q -p debugger-tui --bin pmdb
cargo build -q --release -p tests --bin pmdb-cold-bench
PMDB_COLD_BASELINE_MS="${PMDB_COLD_BASELINE_MS:-28}" \
  exec target/release/pmdb-cold-bench target/sizes/debug/sizes-app target/debug/pmdb "$runs"
