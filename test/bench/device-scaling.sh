#!/usr/bin/env bash
# Issue 12, target 3: how the engine scales over cores, in one call on the lent
# multi-core machine (the `device` tool), which has neither Node.js nor the
# benchmark captures. Two steps:
#
#   here:        test/bench/device-scaling.sh --pack
#                  builds the standalone replay bench and the C baseline
#                  (native/build-bench) and puts them with their shared libraries
#                  in native/build-bench/device
#                  (~10 MB, glibc excluded: the machine brings its own)
#   the device:  run with carry ["native/build-bench/device"] and the command
#                  bash test/bench/device-scaling.sh [MAX_WORKERS=15]
#
# On the device it writes the two captures with the bench itself (--synth: a
# 4 M-packet mix of 100k concurrent flows, a 2 M-packet SYN flood), reads the
# memory bandwidth with 1..MAX threads (--bandwidth) and what one consumer takes
# from 1, MAX/2 and MAX producers' export rings (--ring-handoff), then replays each capture
# from memory with 1, 2, 4, 8 and MAX workers, detectors off, and with every
# detector on at 1 and MAX workers, the flood at MAX-3 workers with one
# consumer and with four, and the plain C loop of target 1 as one process and
# as MAX processes at once. The capture's packets are spread over the
# workers by flow hash, as a NIC's RSS would; it is replayed 3 x W times, so
# every worker takes about three captures' worth (12 M packets of the mix)
# whatever W, with 262,144 flows per worker. One JSON line per run goes to stdout and to
# $OUT/scaling.jsonl; the last lines give each capture's speed-up over 1 worker.
# It runs in about 3-5 minutes on 16 cores (estimate: not yet run on one).
# MIX_PACKETS and FLOOD_PACKETS shrink the captures for a try-out here.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dev=$root/native/build-bench/device

if [ "${1:-}" = --pack ]; then
  cmake -S "$root/native" -B "$root/native/build-bench" -G Ninja -DTAPLINE_ADDON=OFF -DTAPLINE_BENCH=ON \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/native/build-bench" --target tapline_replay_bench tapline_baseline_bench >/dev/null
  rm -rf "$dev" && mkdir -p "$dev/lib"
  cp "$root/native/build-bench/tapline_replay_bench" "$root/native/build-bench/tapline_baseline_bench" "$dev/"
  ldd "$dev/tapline_replay_bench" | awk '/=> \//{print $3}' |
    grep -vE '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' | xargs -r cp -L -t "$dev/lib"
  echo "packed $(du -sh "$dev" | cut -f1) in native/build-bench/device; carry that path"
  exit 0
fi

max=${1:-15}
bin=$dev/tapline_replay_bench
[ -x "$bin" ] || { echo "no $bin: run test/bench/device-scaling.sh --pack first and carry native/build-bench/device" >&2; exit 2; }
export LD_LIBRARY_PATH=$dev/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
out=${OUT:-/tmp/tapline-scaling}
mkdir -p "$out"
work=$(mktemp -d /tmp/tapline-scaling.XXXXXX)
trap 'rm -rf "$work"' EXIT
log=$out/scaling.jsonl
: >"$log"
emit() { echo "$1" | tee -a "$log"; }

emit "{\"machine\":\"$(nproc) cpus, $(awk '/MemTotal/{printf "%d GiB", $2/1048576}' /proc/meminfo)\",\"cpu\":\"$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)\"}"
emit "$("$bin" --synth=mix "$work/mix.pcap" "${MIX_PACKETS:-4000000}" 100000 7)"
emit "$("$bin" --synth=flood "$work/flood.pcap" "${FLOOD_PACKETS:-2000000}" 0 11)"
"$bin" --bandwidth="$max" | while read -r line; do emit "$line"; done
for p in 1 $((max / 2)) "$max"; do emit "$("$bin" --ring-handoff="$p")"; done

workers=""
for w in 1 2 4 8; do [ "$w" -lt "$max" ] && workers="$workers $w"; done
workers="$workers $max"
run() { # capture workers [bench options]
  "$bin" "$work/$1.pcap" "$2" $((3 * $2)) $((262144 * $2)) "${@:3}" | tail -1
}
for cap in mix flood; do
  for w in $workers; do
    r=$(run "$cap" "$w")
    emit "{\"capture\":\"$cap\",\"detectors\":false,${r#\{}"
  done
  for w in 1 "$max"; do
    r=$(run "$cap" "$w" --detectors)
    emit "{\"capture\":\"$cap\",${r#\{}"
  done
done
# The flood ends a flow per packet, and one consumer takes every record: with
# MAX-3 workers (so that 4 consumers still leave each thread a core), one
# consumer against four, each draining its own workers' rings. If four go
# faster, the flood's scaling was the consumer's.
if [ "$max" -gt 4 ]; then
  for k in 1 4; do
    r=$(run flood $((max - 3)) --consumers=$k)
    emit "{\"capture\":\"flood\",\"detectors\":false,\"consumers\":$k,${r#\{}"
  done
fi

# Target 1's plain C loop (native/bench/baseline_loop.c) on the same captures:
# one process, then MAX processes at once (one per core, each replaying the
# whole capture; their Mpps summed), as the issue's table measured it.
for cap in mix flood; do
  r=$("$dev/tapline_baseline_bench" "$work/$cap.pcap" 3 262144 | tail -1)
  emit "{\"capture\":\"$cap\",\"baseline\":true,\"processes\":1,${r#\{}"
  for k in $(seq "$max"); do "$dev/tapline_baseline_bench" "$work/$cap.pcap" 3 262144 >"$work/baseline-$k.json" & done
  wait
  total=$(cat "$work"/baseline-*.json | sed -n 's/.*"mpps":\([0-9.]*\).*/\1/p' | awk '{s += $1} END {printf "%.3f", s}')
  emit "{\"capture\":\"$cap\",\"baseline\":true,\"processes\":$max,\"mppsSum\":$total}"
done

# Speed-up over one worker (total Mpps: packets over the slowest worker's busy time).
python3 - "$log" <<'EOF' || true
import json, sys
every = [json.loads(l) for l in open(sys.argv[1]) if '"workers"' in l]
runs = [r for r in every if 'consumers' not in r]
cons = {r['consumers']: r for r in every if 'consumers' in r}
if 1 in cons and 4 in cons:
    print(json.dumps({'capture': 'flood', 'workers': cons[1]['workers'],
                      'totalMpps': {'1 consumer': cons[1]['totalMpps'], '4 consumers': cons[4]['totalMpps']},
                      'fourOverOne': round(cons[4]['totalMpps'] / cons[1]['totalMpps'], 2)}))
for cap in ('mix', 'flood'):
    for det in (False, True):
        rs = {r['workers']: r['totalMpps'] for r in runs if r['capture'] == cap and r['detectors'] == det}
        if 1 in rs:
            print(json.dumps({'capture': cap, 'detectors': det,
                              'speedup': {w: round(m / rs[1], 2) for w, m in sorted(rs.items())},
                              'totalMpps': rs}))
    # Target 1: the engine (detectors off) over the C loop, on one core and on all.
    base = [b for b in (json.loads(l) for l in open(sys.argv[1]) if '"baseline"' in l) if b['capture'] == cap]
    eng = {r['workers']: r['totalMpps'] for r in runs if r['capture'] == cap and not r['detectors']}
    one = next((b['mpps'] for b in base if b['processes'] == 1), None)
    many = next((b for b in base if b['processes'] > 1), None)
    if one and 1 in eng and many and many['processes'] in eng:
        print(json.dumps({'capture': cap, 'engineOverBaseline': {
            '1': round(eng[1] / one, 2), str(many['processes']): round(eng[many['processes']] / many['mppsSum'], 2)}}))
EOF
