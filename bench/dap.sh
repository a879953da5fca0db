#!/usr/bin/env bash
# The DAP benchmark: builds the big demo (as bench/run.sh does), pmdb and the
# harness (tests/src/bin/pmdb-dap-bench.rs), then times `pmdb dap` on the big
# demo's crash the way an editor drives it. Prints a Markdown table (see
# BENCHMARKS.md). pmdb is the workspace's dev build, as `cargo build` makes it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p demo --features big --profile bench-big
cargo build -q -p debugger-tui
cargo build -q -p tests --release --bin pmdb-dap-bench
exec target/release/pmdb-dap-bench target/bench-big/demo target/debug/pmdb
