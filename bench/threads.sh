#!/usr/bin/env bash
# The threads-at-scale benchmark (issue 14), one command: builds the demo as a
# user would (dev profile with the README's profile lines, which this
# workspace has), `pmdb` and the harness in release, then measures panic →
# socket with 1,000 and 10,000 threads and `pmdb report --json --depth 1`
# against gdb's `thread apply all bt full` on one 2,000-thread process.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p demo
cargo build -q --release -p debugger-tui --bin pmdb
cargo build -q --release -p tests --bin pmdb-threads-bench
cargo build -q --manifest-path demo-tokio/current/Cargo.toml --target-dir target/outside
exec target/release/pmdb-threads-bench target/debug/demo target/release/pmdb \
  target/outside/debug/demo-tokio-current
