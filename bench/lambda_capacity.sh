#!/usr/bin/env bash
# The per-worker capacity behind `--count auto` (src/lambda/cost.h,
# kWorkerCapacityRps): one barrage worker process on one core, as a Lambda
# worker at 1,769 MB (one vCPU) runs, against nginx on loopback, with
# Artillery's default model (a new connection per VU, one GET each). Steps
# the arrival rate up and reports, per step, the rate achieved, the worker's
# scheduling lag p99 (over 10 ms = saturated: latencies include the
# generator's delay) and its CPU per request. Not part of CI.
# Usage: bench/lambda_capacity.sh [seconds per step] [rates...]
#   default: 10 s at 2000 4000 6000 8000 10000 12000 arrivals/s
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
secs=${1:-10}
shift || true
rates=("$@")
((${#rates[@]})) || rates=(2000 4000 6000 8000 10000 12000)
bash scripts/build.sh release barrage >/dev/null
exe=$PWD/build/release/barrage
work=$(mktemp -d)
trap 'stop_nginx "$work"; rm -rf "$work"' EXIT
port=$(free_port)
start_nginx "$work" "$port"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

printf '%-10s %12s %10s %14s %12s\n' "demo_target/s" "achieved/s" "ratio" "lag p99 ms" "CPU us/req"
for rate in "${rates[@]}"; do
  cat >"$work/s.yml" <<YML
config:
  target: "http://127.0.0.1:$port"
  phases:
    - { duration: $secs, arrivalRate: $rate }
scenarios:
  - flow:
      - get: { url: "/" }
YML
  TIMEFORMAT='%U %S'
  { time "$exe" run "$work/s.yml" --count 1 --cores 1 --heartbeat-ms 1000 --quiet \
      --output "$work/r.json" >"$work/out.txt" 2>&1; } 2>"$work/time.txt" || true
  python3 - "$work/r.json" "$work/time.txt" "$rate" "$secs" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cpu = sum(float(x) for x in open(sys.argv[2]).read().split())
rate, secs = float(sys.argv[3]), float(sys.argv[4])
n = r["aggregate"]["counters"].get("http.requests", 0)
lag = max(w.get("lag_p99_max_ms", 0) for w in r["workers"])
ok = n / (rate * secs)
print(f"{rate:<10.0f} {n / secs:12.0f} {ok:10.3f} {lag:14.2f} {cpu * 1e6 / max(n, 1):12.1f}"
      + ("" if ok >= 0.99 and lag < 10 else "   saturated"))
PY
done
