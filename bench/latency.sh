#!/usr/bin/env bash
# Latency comparisons that were timed assertions in the test suite (they need
# an otherwise idle machine, so they are measured and printed here, never
# asserted; the counts of the same runs stay tests):
#   intended-start   the demo target answers in a fixed 20 ms; 20 arrivals
#                    in 1 s on 2 cores. http.response_time p50 / 20 ms: at
#                    least 1, since latency runs from the intended start and
#                    includes the server's time (was
#                    EngineTarget.LatencyIsMeasuredFromTheIntendedStart).
#   workers-1-vs-4   the same script (3 phases, 5 s, /delay/40) with
#                    `run --count 1` and `--count 4` (local worker processes,
#                    1 core each): p50 and p95 of each and the ratio
#                    four/one, close to 1: the merge is exact, what differs is
#                    scheduling noise (was Distributed.OneAndFourWorker
#                    ProcessesGiveTheSameCountsAndPercentiles).
# Usage: bench/latency.sh [repeats]   (default 1; each repeat prints its rows)
# Needs a release build (scripts/build.sh release). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-1}
exe=$PWD/build/release/barrage
[[ -x $exe ]] || { echo "build first: bash scripts/build.sh release" >&2; exit 1; }
work=$(mktemp -d)
target_pid=
trap 'kill $target_pid 2>/dev/null || true; rm -rf "$work"' EXIT

start_target() {  # latency_ms -> sets target_url
  rm -f "$work/port"
  "$exe" target --port 0 --port-file "$work/port" --latency-ms "$1" >"$work/target.log" 2>&1 &
  target_pid=$!
  local _
  for _ in $(seq 100); do
    [[ -s $work/port ]] && break
    sleep 0.05
  done
  [[ -s $work/port ]] || { echo "the demo target did not start: $(cat "$work/target.log")" >&2; exit 1; }
  target_url="http://127.0.0.1:$(cat "$work/port")"
}
stop_target() { kill "$target_pid" 2>/dev/null || true; wait "$target_pid" 2>/dev/null || true; target_pid=; }

summary_ms() {  # report, quantile
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["aggregate"]["summaries"]["http.response_time"]; print(s[sys.argv[2]])' "$1" "$2"
}
ratio() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f"{a/b:.3f}" if b else "n/a")' "$1" "$2"; }

printf '%-34s %10s %10s %10s\n' "benchmark" "value ms" "base ms" "ratio"
row() { printf '%-34s %10.2f %10.2f %10s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }

for _ in $(seq "$repeats"); do
  # 1. Latency from the intended start.
  start_target 20
  cat >"$work/intended.yml" <<YML
config:
  target: $target_url
  phases:
    - { duration: 1, arrivalRate: 20 }
scenarios:
  - flow:
      - get: { url: /catalog/items, headers: { authorization: Bearer demo-token } }
YML
  "$exe" run "$work/intended.yml" --cores 2 -q -o "$work/intended.json" >/dev/null
  row "intended-start p50 / target" "$(summary_ms "$work/intended.json" p50)" 20
  stop_target

  # 2. One and four worker processes.
  start_target 0
  cat >"$work/workers.yml" <<YML
config:
  target: $target_url
  phases:
    - { duration: 2, arrivalRate: 15 }
    - { duration: 2, arrivalRate: 3, rampTo: 11 }
    - { duration: 1, arrivalCount: 13 }
scenarios:
  - flow:
      - get: { url: /delay/40 }
YML
  for n in 1 4; do
    "$exe" run "$work/workers.yml" --count "$n" --cores 1 -q -o "$work/w$n.json" >/dev/null
  done
  for q in p50 p95; do
    row "workers-1-vs-4 $q (4 / 1)" "$(summary_ms "$work/w4.json" "$q")" "$(summary_ms "$work/w1.json" "$q")"
  done
  stop_target
done
