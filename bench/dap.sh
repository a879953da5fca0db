#!/usr/bin/env bash
# The DAP benchmark: builds the big demo (as bench/run.sh does), pmdb and the
# harness (tests/src/bin/pmdb-dap-bench.rs), then times `pmdb dap` on the big
# demo's crash the way an editor drives it. Prints a Markdown table (see
# BENCHMARKS.md). `bench/dap.sh` times the dev build of pmdb (what `cargo
# build` makes); `bench/dap.sh release` the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-debug}"
cargo build -q -p demo --features big --profile bench-big
if [ "$profile" = release ]; then
  cargo build -q --release -p debugger-tui
else
  cargo build -q -p debugger-tui
fi
cargo build -q -p tests --release --bin pmdb-dap-bench
exec target/release/pmdb-dap-bench target/bench-big/demo "target/$profile/pmdb"
