#!/usr/bin/env bash
# Soak: barrage against nginx on loopback at a moderate rate for a long time,
# sampling the barrage process's resident memory and open descriptors, then
# checking that both stayed flat. Not part of CI.
#
# Usage: bench/soak.sh
#   DURATION  run length: 30m (default), 5m, 300s, 300
#   RATE      arrivals per second (default 100); each runs a 2-request flow on
#             its own connection (opened and closed per VU: Artillery's default)
#   CORES     barrage --cores (default 2)
#   WARMUP    seconds before the baseline sample (default 300: the histograms'
#             bucket windows widen as rarer latencies arrive, and the
#             allocator's arenas settle; both are bounded and done within the
#             first minutes, see docs/reliability.md)
#   INTERVAL  seconds between samples (default 10)
#   OUT       CSV of the samples (default soak.csv): t_s,rss_kb,fds
#
# Verdict: the baseline is the first sample at or after WARMUP; every later
# sample of VmRSS (/proc/PID/status) and of open descriptors (/proc/PID/fd)
# must be within 5% of it. Descriptors are the minimum of 5 reads 50 ms apart,
# so a connection that happens to be open at the sampling instant is not
# counted as growth. Exit 1 when either drifted, or when barrage failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

to_seconds() {
  case "$1" in
    *h) echo $((${1%h} * 3600)) ;;
    *m) echo $((${1%m} * 60)) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}
duration=$(to_seconds "${DURATION:-30m}")
rate=${RATE:-100}
cores=${CORES:-2}
warmup=${WARMUP:-300}
interval=${INTERVAL:-10}
out=${OUT:-$PWD/soak.csv}
if ((warmup + interval >= duration)); then
  echo "soak: DURATION ($duration s) must exceed WARMUP + INTERVAL ($((warmup + interval)) s)" >&2
  exit 2
fi

exe=$PWD/build/release/barrage
[[ -x $exe ]] || bash scripts/build.sh release barrage >/dev/null
work=$(mktemp -d)
barrage_pid=
cleanup() {
  [[ -n $barrage_pid ]] && kill "$barrage_pid" 2>/dev/null || true
  stop_nginx "$work"
  rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
start_nginx "$work" "$port"

cat >"$work/soak.yml" <<YML
config:
  target: http://127.0.0.1:$port
  http: { timeout: 10 }
  phases:
    - { duration: $duration, arrivalRate: $rate, name: soak }
scenarios:
  - flow:
      - get: { url: "/json", capture: { json: "\$.id", as: id } }
      - get: { url: "/?id={{ id }}" }
YML

echo "soak: $duration s at $rate arrivals/s, --cores $cores, nginx on 127.0.0.1:$port"
echo "soak: samples every $interval s into $out (baseline after $warmup s)"
"$exe" run "$work/soak.yml" --cores "$cores" --quiet -o "$work/report.json" >"$work/barrage.log" 2>&1 &
barrage_pid=$!
start=$(date +%s)

fds_of() {  # minimum of 5 reads, 50 ms apart
  local min= n
  for _ in 1 2 3 4 5; do
    n=$(ls "/proc/$1/fd" 2>/dev/null | wc -l) || return 1
    [[ -z $min || $n -lt $min ]] && min=$n
    sleep 0.05
  done
  echo "$min"
}

echo "t_s,rss_kb,fds" >"$out"
while kill -0 "$barrage_pid" 2>/dev/null; do
  sleep "$interval"
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$barrage_pid/status" 2>/dev/null) || break
  fds=$(fds_of "$barrage_pid") || break
  [[ -n $rss && -n $fds ]] || break
  echo "$(($(date +%s) - start)),$rss,$fds" >>"$out"
done
rc=0
wait "$barrage_pid" || rc=$?
barrage_pid=

python3 - "$out" "$warmup" "$work/report.json" "$rc" <<'PY'
import csv, json, sys
path, warmup, report, rc = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rows = [(int(r["t_s"]), int(r["rss_kb"]), int(r["fds"])) for r in csv.DictReader(open(path))]
after = [r for r in rows if r[0] >= warmup]
ok = rc == 0
print(f"barrage exit code: {rc}")
try:
    c = json.load(open(report))["aggregate"]["counters"]
    errors = {k: v for k, v in c.items() if k.startswith("errors.")}
    print(f"requests: {c.get('http.requests', 0)}, 200s: {c.get('http.codes.200', 0)}, errors: {errors or 'none'}")
except (OSError, ValueError, KeyError) as e:
    print(f"no report: {e}")
    ok = False
if len(after) < 2:
    print(f"FAIL: only {len(after)} samples after the {warmup} s warm-up")
    sys.exit(1)
for i, name in ((1, "RSS (kB)"), (2, "open fds")):
    base = after[0][i]
    lo, hi = min(r[i] for r in after), max(r[i] for r in after)
    dev = max(abs(lo - base), abs(hi - base)) / base * 100 if base else 0.0
    verdict = "flat" if dev <= 5.0 else "DRIFTED"
    ok = ok and dev <= 5.0
    print(f"{name}: baseline {base} at {after[0][0]} s, min {lo}, max {hi}, "
          f"max deviation {dev:.1f}% over {len(after)} samples: {verdict} (limit 5%)")
print("soak: PASS" if ok else "soak: FAIL")
sys.exit(0 if ok else 1)
PY
