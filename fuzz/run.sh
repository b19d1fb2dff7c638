#!/usr/bin/env bash
# Fuzzes outside CI (needs the nightly toolchain and `cargo install cargo-fuzz`).
#   fuzz/run.sh build                      builds every target
#   fuzz/run.sh TARGET SECONDS [SEEDS_DIR] runs one (built) target for a while
# The corpus grows in fuzz/corpus/<target> (kept minimal: only inputs that add
# coverage); crashers land in fuzz/crashers/<target>. tests/replay.rs runs both
# on every CI run.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$HOME/.cache/rally/fuzz-target}
if [ "$1" = build ]; then
  exec cargo +nightly fuzz build --fuzz-dir libfuzzer -s none -a -O
fi
target=$1 secs=$2 seeds=${3:-}
bin=$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release/$target
mkdir -p "corpus/$target" "crashers/$target"
"$bin" "corpus/$target" ${seeds:+"$seeds"} \
  -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=1048576 \
  -artifact_prefix="crashers/$target/" -print_final_stats=1 || true
mkdir -p "corpus/$target.min"
"$bin" -merge=1 "corpus/$target.min" "corpus/$target" >/dev/null 2>&1
rm -rf "corpus/$target" && mv "corpus/$target.min" "corpus/$target"
