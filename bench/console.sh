#!/usr/bin/env bash
# The web console under load (docs/console.md): RUNS runs at once, each with
# CLIENTS live-stream readers, against the demo target on loopback. Reports
# the console process's own CPU per run-second (utime+stime from
# /proc/PID/stat, the runs being other processes) and the live update latency:
# when a reader received a period minus that period's end (wall clocks of one
# machine). A number, not a test.
#
# Usage: bench/console.sh   (needs a built build/release/barrage)
#   RUNS      concurrent runs (default 4)
#   CLIENTS   live-stream readers per run (default 2)
#   RATE      arrivals per second per run (default 50)
#   DURATION  seconds per run (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BARRAGE:-$PWD/build/release/barrage}
runs=${RUNS:-4}
clients=${CLIENTS:-2}
rate=${RATE:-50}
duration=${DURATION:-20}
work=$(mktemp -d /tmp/barrage-console-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$B" target --port 0 --port-file "$work/tport" --duration $((duration + 60)) >/dev/null 2>&1 &
pids+=($!)
"$B" console --listen 127.0.0.1:0 --data "$work/data" --max-runs "$runs" >"$work/console.log" 2>&1 &
console_pid=$!
pids+=($console_pid)
for _ in $(seq 100); do
  grep -q "First admin token" "$work/console.log" 2>/dev/null && [[ -s $work/tport ]] && break
  sleep 0.1
done
base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/console.log" | head -1)
token=$(grep -o 'brg_[0-9a-f]*' "$work/console.log" | head -1)
tport=$(cat "$work/tport")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$console_pid/stat"; }

python3 - "$base" "$token" "$tport" "$runs" "$clients" "$rate" "$duration" "$console_pid" <<'PY'
import json, os, sys, threading, time, urllib.request
base, token, tport, runs, clients, rate, duration, pid = sys.argv[1:]
runs, clients, duration = int(runs), int(clients), int(duration)
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, headers=H,
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")
def ticks():
    with open(f"/proc/{pid}/stat") as f:
        s = f.read().rsplit(")", 1)[1].split()
    return int(s[11]) + int(s[12])
test = call("POST", "/api/v1/tests", {"name": "bench", "form": {
    "url": f"http://127.0.0.1:{tport}/health", "rate": float(rate), "duration": duration}})
lat, lock = [], threading.Lock()
def reader(run_id):
    req = urllib.request.Request(f"{base}/api/v1/runs/{run_id}/live", headers=H)
    with urllib.request.urlopen(req, timeout=duration + 60) as r:
        event = None
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "period":
                p = json.loads(line[6:])
                with lock:
                    lat.append(time.time() * 1000 - p["end_ms"])
            elif line.startswith("data: ") and event == "end":
                return
t0, c0 = time.time(), ticks()
ids = [call("POST", f"/api/v1/tests/{test['id']}/runs", {})["id"] for _ in range(runs)]
threads = [threading.Thread(target=reader, args=(i,)) for i in ids for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
c1, t1 = ticks(), time.time()
hz = os.sysconf("SC_CLK_TCK")
statuses = [call("GET", f"/api/v1/runs/{i}")["status"] for i in ids]
run_seconds = runs * duration
lat.sort()
q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] if lat else float("nan")
print(f"runs {runs} x {duration} s at {rate}/s, {clients} live readers each: {statuses.count('passed')}/{runs} passed")
print(f"console CPU: {(c1 - c0) * 1000 / hz:.0f} ms over {t1 - t0:.1f} s wall = "
      f"{(c1 - c0) * 1000 / hz / run_seconds:.2f} ms per run-second")
print(f"live update latency (period end -> reader), {len(lat)} events: "
      f"p50 {q(0.5):.0f} ms, p99 {q(0.99):.0f} ms, max {lat[-1] if lat else float('nan'):.0f} ms")
PY
