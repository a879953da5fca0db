#!/usr/bin/env bash
# The remote benchmark, one command: the demo's crash over real ssh (a
# private sshd on 127.0.0.1, started by the harness with generated keys) on
# links of 0, 10 and 50 ms round-trip time, pmdb's first screen against
# `ssh HOST gdb -p PID -batch -ex 'thread apply all bt full'` over the same
# link. The delay is `pmdb-delay` (tests/src/bin) as ssh's ProxyCommand:
# each direction holds every chunk RTT/2 (no `tc netem` on this kernel).
# Needs root (sshd's /run/sshd, gdb attaching), openssh-server and gdb.
# Prints a Markdown table (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p debugger-tui -p demo
cargo build -q -p tests --bin pmdb-delay --bin pmdb-remote-bench
exec target/debug/pmdb-remote-bench target/debug
