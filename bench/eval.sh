#!/bin/sh
# The expression benchmark: a filter over ten million postings (`demo
# ledger`, a Vec of 16-byte structs), evaluated by the agent of the frozen
# process; prints a Markdown table for BENCHMARKS.md.
set -eu
cd "$(dirname "$0")/.."
cargo build -q -p demo -p debuggee-agent
cargo build -q --release -p tests --bin pmdb-eval-bench
dir=$(mktemp -d)
chmod 700 "$dir"
PMDB_MODE=wait PMDB_DIR="$dir" PMDB_WAIT=120 RUST_BACKTRACE=0 target/debug/demo ledger 2>/dev/null &
pid=$!
while [ ! -S "$dir/$pid.sock" ]; do sleep 0.05; done
target/release/pmdb-eval-bench "$dir/$pid.sock"
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
rm -rf "$dir"
