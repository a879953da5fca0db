#!/usr/bin/env bash
# The live-snapshot benchmark (issue 21 point 7), one command: builds pmdb
# (profile release-debug: optimised, as the tests' optimised fixtures are
# built) and `demo-live` (dev profile, as a user's hung program would be:
# 22 threads, 20 of them parked in futex, nanosleep and read, one busy),
# starts demo-live once, then times on that one process, in turn A B C A B
# C …, RUNS rounds of
#   A  pmdb report PID --json --depth 1          (a new pmdb process: cold)
#   B  gdb -p PID -batch -ex 'thread apply all bt full'
#   C  eu-stack -p PID                           (package elfutils)
# each as a whole process (wall clock), and collects the pause pmdb prints
# (`pmdb: paused PID for X ms`: from the first thread stopped to the last
# let go). Prints the median and range of each, and the ratios gdb/pmdb and
# eu-stack/pmdb taken round by round. Every pmdb run is cold as to pmdb (a
# new process reads the DWARF again); the OS page cache is warm after the
# first round for all three tools. Not run by CI: figures on a shared
# machine are noisy.
#
# PMDB_PROFILE=dev times the dev build of pmdb instead (target/debug: the
# engine at opt-level 2, everything else as `cargo build` leaves it).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
profile="${PMDB_PROFILE:-release-debug}"
cargo build -q --profile "$profile" -p debugger-tui --bin pmdb
cargo build -q -p demo --bin demo-live
for tool in gdb eu-stack; do
  command -v "$tool" >/dev/null || { echo "bench/live.sh needs $tool" >&2; exit 1; }
done
case "$profile" in dev) pmdb=target/debug/pmdb ;; *) pmdb="target/$profile/pmdb" ;; esac
tmp=$(mktemp -d)
trap 'kill "$live" 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkfifo "$tmp/in"
target/debug/demo-live <"$tmp/in" >"$tmp/out" &
live=$!
exec 3>"$tmp/in"
until grep -q '^ready ' "$tmp/out"; do sleep 0.05; done
pid=$live
threads=$(ls /proc/$pid/task | wc -l)
echo "pmdb $pmdb; demo-live pid $pid, $threads threads; $runs rounds; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

now() { date +%s%N; }
# Runs "$@" with output to a file; prints its wall time in ms.
timed() {
  local out=$1; shift
  local t0 t1
  t0=$(now)
  "$@" >"$out" 2>"$out.err" || { echo "failed: $* ($(head -c 300 "$out.err"))" >&2; exit 1; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f\n", (b - a) / 1e6}'
}
: >"$tmp/pmdb" ; : >"$tmp/gdb" ; : >"$tmp/eu" ; : >"$tmp/pause"
for _ in $(seq "$runs"); do
  timed "$tmp/a" "$pmdb" report "$pid" --json --depth 1 >>"$tmp/pmdb"
  sed -n "s/^pmdb: paused $pid for \([0-9.]*\) ms$/\1/p" "$tmp/a.err" >>"$tmp/pause"
  timed "$tmp/b" gdb -p "$pid" -batch -ex 'thread apply all bt full' >>"$tmp/gdb"
  timed "$tmp/c" eu-stack -p "$pid" >>"$tmp/eu"
done
echo "last outputs: pmdb $(wc -c <"$tmp/a") B, gdb $(wc -c <"$tmp/b") B, eu-stack $(wc -c <"$tmp/c") B"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# median and range of a file of numbers
stats() { sort -n "$1" | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f ms (%.1f–%.1f)", m, a[1], a[NR]}'; }
ratio() { paste "$1" "$2" | awk '{print $1 / $2}' >"$tmp/r"; sort -n "$tmp/r" | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f× (%.1f–%.1f)", m, a[1], a[NR]}'; }
echo
echo "| measure (median of $runs; range) | figure |"
echo "|---|---|"
echo "| \`pmdb report PID --json --depth 1\`, cold | $(stats "$tmp/pmdb") |"
echo "| pause (pmdb's own line) | $(stats "$tmp/pause") |"
echo "| \`gdb -p PID -batch -ex 'thread apply all bt full'\` | $(stats "$tmp/gdb") |"
echo "| \`eu-stack -p PID\` | $(stats "$tmp/eu") |"
echo "| gdb / pmdb, round by round | $(ratio "$tmp/gdb" "$tmp/pmdb") |"
echo "| eu-stack / pmdb, round by round | $(ratio "$tmp/eu" "$tmp/pmdb") |"
