#!/bin/sh
# pmdb test's overhead over plain cargo test (issue 22): a generated crate
# of a hundred unit tests (97 pass, 3 fail by a panic with locals), its test
# binary built first, then `cargo test` and `pmdb test` each run RUNS times
# (default 5) after one warm-up, warm (binaries built, files cached).
# Prints each run's wall time and the medians; the target is pmdb test at
# most twice cargo test's wall time. Where cargo-nextest is installed,
# `pmdb test --nextest` against `cargo nextest run` too (a process per
# test: a hundred runners).
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
cargo build -q -p debugger-tui --bin pmdb
pmdb=$PWD/target/debug/pmdb
suite=$PWD/target/bench-hundred-tests
mkdir -p "$suite/src"
cat >"$suite/Cargo.toml" <<'TOML'
[package]
name = "hundred-tests"
version = "0.1.0"
edition = "2024"
publish = false

[workspace]
TOML
{
    echo '//! A hundred unit tests for bench/test_overhead.sh (generated).'
    echo '#[cfg(test)]'
    echo 'mod tests {'
    i=0
    while [ $i -lt 100 ]; do
        if [ $((i % 33)) -eq 32 ]; then want=1; else want=0; fi
        echo "    #[test]"
        echo "    fn t$i() {"
        echo "        let items: Vec<u32> = (0..$i).collect();"
        echo "        let total: u32 = items.iter().sum();"
        echo "        assert_eq!(total - $i * ($i - 1) / 2, $want, \"t$i\");"
        echo "    }"
        i=$((i + 1))
    done
    echo '}'
} | sed 's/(0 - 1)/(0u32.wrapping_sub(1))/' >"$suite/src/lib.rs"
export CARGO_TARGET_DIR="$suite/target" RUST_BACKTRACE=0
(cd "$suite" && cargo test -q --no-run 2>/dev/null)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_one() { # prints the wall seconds of one run of "$@" in the suite
    start=$(date +%s.%N)
    (cd "$suite" && "$@" >/dev/null 2>&1) || true
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
tools="cargo pmdb"
if cargo nextest --version >/dev/null 2>&1; then
    tools="$tools nextest pmdb-nextest"
fi
for tool in $tools; do
    case $tool in
    cargo) cmd="cargo test -q" ;;
    pmdb) cmd="$pmdb test -q" ;;
    nextest) cmd="cargo nextest run --no-fail-fast" ;;
    pmdb-nextest) cmd="$pmdb test --nextest --no-fail-fast" ;;
    esac
    # shellcheck disable=SC2086
    time_one $cmd >/dev/null
    : >"$suite/$tool.times"
    n=0
    while [ $n -lt "$runs" ]; do
        # shellcheck disable=SC2086
        time_one $cmd >>"$suite/$tool.times"
        n=$((n + 1))
    done
    echo "$cmd: $(tr '\n' ' ' <"$suite/$tool.times")s, median $(median <"$suite/$tool.times") s"
done
ratio() { echo "scale=2; $(median <"$suite/$1.times") / $(median <"$suite/$2.times")" | bc; }
echo "pmdb test / cargo test (medians, warm): $(ratio pmdb cargo)x (target: at most 2x)"
case $tools in
*nextest*) echo "pmdb test --nextest / cargo nextest run (medians, warm): $(ratio pmdb-nextest nextest)x" ;;
esac
