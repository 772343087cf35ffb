#!/usr/bin/env bash
# Runs Artillery (pinned in bench/artillery/package-lock.json) on the same scenario as
# barrage's new-connection benchmark in bench/run.sh, against a local nginx, and prints
# requests, generator CPU (user+sys of the Artillery process tree, worker threads included)
# and CPU microseconds per request, plus Artillery's own median/p99 http.response_time.
# Scenarios: bench/scripts/new-connection.yml (2,000 arrivals/s, one GET per VU, a new
# connection per VU), then the same script with config.http.pool: 50 (VUs share 50
# keep-alive connections). Traffic goes to 127.0.0.1 only; Artillery telemetry is disabled
# and its telemetry client stubbed (bench/artillery/no-telemetry.cjs). Not part of CI.
# Usage: bench/artillery.sh [seconds]   (default 10, as in bench/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
secs=${1:-10}
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/artillery.sh [seconds]" >&2; exit 2; }

artillery_ready

work=$(mktemp -d)
trap 'stop_nginx "$work"; rm -rf "$work"' EXIT

port=$(free_port)
ARRIVAL_LOG=1 start_nginx "$work" "$port"
ulimit -n 65536 2>/dev/null || true

sed -e "s|http://127.0.0.1:8080|http://127.0.0.1:$port|" -e "s/duration: 10,/duration: $secs,/" \
  bench/scripts/new-connection.yml >"$work/s.yml"
if ! grep -q "127.0.0.1:$port" "$work/s.yml" || ! grep -q "duration: $secs," "$work/s.yml"; then
  echo "bench/scripts/new-connection.yml no longer matches the patterns patched here" >&2
  exit 1
fi

# run_artillery OUT.json [artillery run flags...]: runs Artillery on $work/s.yml, bounded in
# time (it keeps running past the phase while VUs are backlogged), and prints
# "wall user+sys" seconds of the process tree (bash `time` counts reaped children).
run_artillery() {
  local out=$1; shift
  TIMEFORMAT='%R %U %S'
  { time NODE_OPTIONS="--require $artillery_app/no-telemetry.cjs" timeout $((secs * 3 + 60)) \
      "$artillery" run --quiet --output "$out" "$@" "$work/s.yml" >"$work/cmd.out" 2>&1; } 2>"$work/time.txt" ||
    { echo "artillery failed or timed out; its output:" >&2; tail -20 "$work/cmd.out" >&2; exit 1; }
  awk '{print $1, $2 + $3}' "$work/time.txt"
}

# line NAME REPORT.json WALL_S CPU_S FIRST_LOG_LINE: one result line from Artillery's JSON
# report. Achieved req/s comes from nginx's access log (requests / first-to-last arrival at
# the server, from line FIRST_LOG_LINE on). Startup and shutdown CPU (node, CLI, plugin
# loading) is measured once by a one-VU run and subtracted for "net us".
line() {
  python3 - "$@" "$base_cpu" "$work/access.log" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
wall, cpu = float(sys.argv[3]), float(sys.argv[4])
first, base_cpu = int(sys.argv[5]), float(sys.argv[6])
t = [float(x) for x in open(sys.argv[7]).read().split()[first:]]
span = max(t) - min(t) if len(t) > 1 else float("nan")
agg = json.load(open(path))["aggregate"]
c = agg["counters"]
n = c.get("http.requests", 0)
rt = agg.get("summaries", {}).get("http.response_time", {})
nan = float("nan")
print(f"{name:<36} {n:>8} {len(t) / span:>8.0f} {c.get('vusers.failed', 0):>6} {wall:>6.1f} "
      f"{cpu:>6.2f} {cpu * 1e6 / n if n else nan:>8.0f} {(cpu - base_cpu) * 1e6 / n if n else nan:>8.0f} "
      f"{rt.get('median', nan):>6.1f} {rt.get('p99', nan):>6.1f}")
PY
}

version=$("$artillery" version 2>/dev/null | awk '/^Artillery:/ {print $2}')
echo "Artillery $version, node $(node --version), $(nproc) cores, ${secs} s phase at 2,000 arrivals/s"
r=$(run_artillery "$work/base.json" --solo); read -r base_wall base_cpu <<<"$r"
echo "one-VU run (--solo; startup, 1 s phase, shutdown): ${base_wall} s wall, ${base_cpu} s CPU"
printf '%-36s %8s %8s %6s %6s %6s %8s %8s %6s %6s\n' "benchmark" "requests" "req/s" "failed" "wall s" \
  "CPU s" "us/req" "net us" "p50 ms" "p99 ms"
logged() { wc -l <"$work/access.log"; }
from=$(logged); r=$(run_artillery "$work/new.json"); read -r wall cpu <<<"$r"
line "artillery new connection 2000/s" "$work/new.json" "$wall" "$cpu" "$from"
from=$(logged); r=$(run_artillery "$work/pool.json" --overrides '{"config":{"http":{"pool":50}}}')
read -r wall cpu <<<"$r"
line "artillery pool 50 keep-alive 2000/s" "$work/pool.json" "$wall" "$cpu" "$from"
echo "req/s: achieved, at the server (nginx log, first to last request); wall: whole run;" \
  "us/req: user+sys CPU of the Artillery process tree per request; net us: minus the one-VU" \
  "run's CPU (startup); p50/p99: Artillery's http.response_time"
