#!/usr/bin/env bash
# The engine's per-packet cost, this tree against an earlier commit, side by
# side on one machine: both standalone replay benches (no Node.js) are built
# (the earlier one from `git archive` into a temp dir, nothing in the checkout
# is touched), then run alternately ROUNDS times on the same capture; and, with
# --callgrind SMALL_FILE, instructions per packet of Worker::run_feed for each
# (valgrind's callgrind: repeatable where wall time on a shared VM is not).
#
#   test/bench/native-compare.sh BASE_REV FILE [ROUNDS=3] [--callgrind SMALL_FILE] [--jobs N]
#
# Prints one JSON line per run ({"build":"base"|"head",...}) and a summary of
# best Mpps, the ratio head/base, and instructions per packet.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
base_rev=${1:?usage: native-compare.sh BASE_REV FILE [ROUNDS] [--callgrind SMALL_FILE] [--jobs N]}
file=${2:?capture file}
shift 2
rounds=3
small=''
jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --callgrind) small=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) rounds=$1; shift ;;
  esac
done
work=${TAPLINE_COMPARE_DIR:-/tmp/tapline-native-compare}
mkdir -p "$work/base-src"
rm -rf "$work/base-src/native"
git -C "$root" archive "$base_rev" CMakeLists.txt native | tar -x -C "$work/base-src"
build() { # src build-dir
  cmake -S "$1/native" -B "$2" -G Ninja -DTAPLINE_ADDON=OFF -DTAPLINE_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$2" --parallel "$jobs" >/dev/null
}
build "$work/base-src" "$work/build-base"
build "$root" "$work/build-head"
best_base=0
best_head=0
for ((i = 1; i <= rounds; i++)); do
  for b in base head; do
    line=$("$work/build-$b/tapline_replay_bench" "$file" 1 3 262144)
    echo "{\"build\":\"$b\",\"round\":$i,${line#\{}"
    mpps=$(sed -E 's/.*"totalMpps":([0-9.]+).*/\1/' <<<"$line")
    if [ "$b" = base ]; then best_base=$(awk -v a="$best_base" -v b="$mpps" 'BEGIN{print (b>a)?b:a}'); else best_head=$(awk -v a="$best_head" -v b="$mpps" 'BEGIN{print (b>a)?b:a}'); fi
  done
done
echo "best Mpps (1 worker): base $best_base, head $best_head, head/base $(awk -v a="$best_base" -v b="$best_head" 'BEGIN{printf "%.3f", b/a}')"
if [ -n "$small" ]; then
  for b in base head; do
    out="$work/callgrind.$b.out"
    rm -f "$out"
    line=$(valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='tapline::Worker::run_feed*' \
      "$work/build-$b/tapline_replay_bench" "$small" 1 2 65536 2>/dev/null)
    packets=$(sed -E 's/.*"packets":([0-9]+).*/\1/' <<<"$line")
    ir=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
    echo "callgrind $b: $ir instructions in run_feed for $packets packets = $(awk -v i="$ir" -v p="$packets" 'BEGIN{printf "%.1f", i/p}') per packet"
  done
fi
