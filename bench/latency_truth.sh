#!/usr/bin/env bash
# Latency truth (issue 15): barrage and wrk side by side against a server that
# measures its own delay (bench/latency_truth/server.cc), at 1 ms and 10 ms,
# over kept-alive connections ("pooled") and a new connection per request.
# For each run it reads the server's own served delays (read of the request's
# last byte -> start of the response's write) and prints each tool's p50/p99
# and its offset over the server's p50/p99 in the same run, and barrage's
# minimum http.ttfb / http.response_time against the server's minimum.
#
#   pooled    wrk -t1 -cC (C kept-alive connections, closed loop) and barrage
#             with a closed-model phase of C VUs (`vusers: C`, --cores 1):
#             each VU keeps its own connection across its iterations, as
#             wrk's connections do: the same concurrency.
#   new-conn  wrk -t1 -cC with `Connection: close` (the server closes, wrk
#             reconnects) and barrage with C closed-model VUs sending the same
#             header (each request on a new connection): the same concurrency.
#   new-vu    barrage only, compared with wrk's new-conn: Artillery's default
#             model (an `arrivalRate` phase, each arrival a new VU on a new
#             connection that barrage closes) at the request rate wrk reached
#             in its new-conn run: the same rate, an open model.
#
# wrk's figures come from its Lua done() hook (latency:percentile, in us, from
# the start of the request's write to the end of the response), barrage's from
# its JSON report (http.ttfb: start of the write that completed the request
# to the first response byte; http.response_time: intended start to the last
# byte), both against 127.0.0.1 only, each run bounded by its duration.
#
# Usage: bench/latency_truth.sh     (env: LT_SECONDS=10 per run, LT_CONNS=4)
# Needs a release build: bash scripts/build.sh release. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${LT_SECONDS:-10}
conns=${LT_CONNS:-4}
exe=$PWD/build/release/barrage
srv=$PWD/build/release/bench/latency_truth_server
for f in "$exe" "$srv"; do
  [[ -x $f ]] || { echo "missing $f: build first: bash scripts/build.sh release" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is needed (bash scripts/install-deps.sh)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d)
srv_pid=
trap 'if [[ -n $srv_pid ]]; then kill "$srv_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

"$srv" --port 0 --port-file "$work/port" >"$work/server.out" 2>"$work/server.err" &
srv_pid=$!
for _ in $(seq 100); do
  [[ -s $work/port ]] && break
  sleep 0.05
done
[[ -s $work/port ]] || { echo "the server did not start: $(cat "$work/server.err")" >&2; exit 1; }
base="http://127.0.0.1:$(cat "$work/port")"

# A plain HTTP/1.1 GET with bash's /dev/tcp (no client library in the path).
server_get() {  # path -> body
  local port
  port=$(cat "$work/port")
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&3
  sed -n '/^\r$/,$p' <&3 | tail -n +2
  exec 3<&- 3>&-
}

cat >"$work/wrk.lua" <<'LUA'
if os.getenv("LT_CLOSE") == "1" then wrk.headers["Connection"] = "close" end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %.1f %.1f %.1f %.1f %d\n", summary.requests,
    latency.min, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout))
end
LUA

results=$work/results.tsv
: >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

for us in 1000 10000; do
  for mode in pooled new-conn; do
    # wrk
    server_get /reset >/dev/null
    close=0
    [[ $mode == new-conn ]] && close=1
    LT_CLOSE=$close wrk -t1 -c"$conns" -d"${secs}s" -s "$work/wrk.lua" "$base/delay/$us" >"$work/wrk.out" 2>&1
    read -r _ wreq wmin w50 w99 wmax werr < <(grep '^WRK ' "$work/wrk.out")
    stats=$(server_get /stats)
    rate=$(python3 -c 'import sys; print(max(1, round(int(sys.argv[1]) / float(sys.argv[2]))))' "$wreq" "$secs")
    printf 'wrk\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$us" "$stats" "$wreq" "$wmin" "$w50" "$w99" "$wmax" "$werr" >>"$results"

    # barrage: the same concurrency (pooled, new-conn), and for a new
    # connection also Artillery's default model at wrk's rate (new-vu)
    variants=(pooled)
    [[ $mode == new-conn ]] && variants=(new-conn new-vu)
    for variant in "${variants[@]}"; do
      case $variant in
        pooled) phase="{ duration: $secs, vusers: $conns }" headers="" ;;
        new-conn) phase="{ duration: $secs, vusers: $conns }" headers=", headers: { connection: close }" ;;
        new-vu) phase="{ duration: $secs, arrivalRate: $rate }" headers="" ;;
      esac
      cat >"$work/b.yml" <<YML
config:
  target: "$base"
  phases:
    - $phase
scenarios:
  - flow:
      - get: { url: "/delay/$us"$headers }
YML
      server_get /reset >/dev/null
      report=$work/barrage-$variant-$us.json
      "$exe" run "$work/b.yml" --cores 1 -q -o "$report" >"$work/b.out" 2>&1 ||
        { echo "barrage failed: $(tail -5 "$work/b.out")" >&2; exit 1; }
      stats=$(server_get /stats)
      printf 'barrage\t%s\t%s\t%s\t%s\n' "$variant" "$us" "$stats" "$report" >>"$results"
    done
  done
done

python3 - "$results" "$secs" "$conns" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
secs, conns = sys.argv[2], sys.argv[3]
print(f"latency truth: {secs} s per run, {conns} connections (wrk, barrage pooled) or wrk's rate "
      f"(barrage new-vu); load average {sys.argv[4]} before, {sys.argv[5]} after; figures in ms")
hdr = ("tool", "mode", "delay", "requests", "srv p50", "srv p99", "tool p50", "tool p99",
       "off p50", "off p99", "tool min", "srv min")
fmt = "{:<22} {:<8} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}"
print(fmt.format(*hdr))
wrk_off, verdicts = {}, []
def ms(x): return f"{x:.3f}"
for r in rows:
    tool, mode, us, stats = r[0], r[1], int(r[2]), json.loads(r[3])
    s50, s99, smin = stats["p50_us"] / 1000, stats["p99_us"] / 1000, stats["min_us"] / 1000
    delay = f"{us // 1000}ms"
    if tool == "wrk":
        req, wmin, w50, w99, _, err = int(r[4]), *(float(x) / 1000 for x in r[5:9]), int(r[9])
        wrk_off[(mode, us)] = (w50 - s50, w99 - s99)
        print(fmt.format("wrk latency", mode, delay, req, ms(s50), ms(s99), ms(w50), ms(w99),
                         ms(w50 - s50), ms(w99 - s99), ms(wmin), ms(smin))
              + (f"  ({err} errors)" if err else ""))
        continue
    rep = json.load(open(r[4]))["aggregate"]
    req = rep["counters"].get("http.requests", 0)
    errs = sum(v for k, v in rep["counters"].items() if k.startswith("errors."))
    for metric in ("http.ttfb", "http.response_time"):
        m = rep["summaries"][metric]
        print(fmt.format("barrage " + metric[5:], mode, delay, req, ms(s50), ms(s99), ms(m["p50"]),
                         ms(m["p99"]), ms(m["p50"] - s50), ms(m["p99"] - s99), ms(m["min"]), ms(smin))
              + (f"  ({errs} errors)" if errs else ""))
        if metric == "http.ttfb":
            w50, w99 = wrk_off[("pooled" if mode == "pooled" else "new-conn", us)]
            verdicts.append((f"{mode} {delay}: ttfb offset p50 {m['p50'] - s50:.3f} <= wrk {w50:.3f}",
                             m["p50"] - s50 <= w50))
            verdicts.append((f"{mode} {delay}: ttfb offset p99 {m['p99'] - s99:.3f} <= wrk {w99:.3f}",
                             m["p99"] - s99 <= w99))
            verdicts.append((f"{mode} {delay}: ttfb min {m['min']:.3f} >= server min {smin:.3f}",
                             m["min"] >= smin))
        else:
            verdicts.append((f"{mode} {delay}: response_time p50/p99/min >= server's",
                             m["p50"] >= s50 and m["p99"] >= s99 and m["min"] >= smin))
print()
for text, ok in verdicts:
    print(("held     " if ok else "NOT HELD ") + text)
PY
