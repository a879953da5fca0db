#!/usr/bin/env bash
# The benchmark, one command: builds the big demo (over 100 MB with debug
# info) and the harness, crashes the demo, and measures pmdb and gdb on the
# same frozen process. Prints a Markdown table (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p demo --features big --profile bench-big
cargo build -q -p tests --release --bin pmdb-bench
exec target/release/pmdb-bench target/bench-big/demo
