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
# With LT_ROUNDS=R the whole sequence runs R times, interleaved, and the table
# gives the median over the rounds of each figure and offset (min: the
# smallest), so one stall of a shared machine does not decide a verdict; the
# "never below the server" checks must hold in every round.
#
# Usage: bench/latency_truth.sh   (env: LT_SECONDS=10 per run, LT_CONNS=4,
#                                  LT_ROUNDS=1)
# Needs a release build: bash scripts/build.sh release. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${LT_SECONDS:-10}
conns=${LT_CONNS:-4}
rounds=${LT_ROUNDS:-1}
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

for round in $(seq "$rounds"); do
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
    printf '%s\twrk\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$mode" "$us" "$stats" "$wreq" "$wmin" "$w50" "$w99" "$wmax" "$werr" >>"$results"

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
      report=$work/barrage-$variant-$us-$round.json
      "$exe" run "$work/b.yml" --cores 1 -q -o "$report" >"$work/b.out" 2>&1 ||
        { echo "barrage failed: $(tail -5 "$work/b.out")" >&2; exit 1; }
      stats=$(server_get /stats)
      printf '%s\tbarrage\t%s\t%s\t%s\t%s\n' "$round" "$variant" "$us" "$stats" "$report" >>"$results"
    done
  done
done
done

python3 - "$results" "$secs" "$conns" "$rounds" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, statistics, sys
path, secs, conns, rounds, load_before, load_after = sys.argv[1:]
rounds = int(rounds)
recs = []  # one per tool figure per run
for line in open(path):
    r = line.rstrip("\n").split("\t")
    rnd, tool, mode, us, stats = int(r[0]), r[1], r[2], int(r[3]), json.loads(r[4])
    srv = (stats["p50_us"] / 1000, stats["p99_us"] / 1000, stats["min_us"] / 1000)
    if tool == "wrk":
        req, tmin, t50, t99, err = int(r[5]), *(float(x) / 1000 for x in r[6:9]), int(r[10])
        recs.append(dict(r=rnd, tool="wrk latency", mode=mode, us=us, req=req, srv=srv,
                         t=(t50, t99, tmin), err=err))
        continue
    rep = json.load(open(r[5]))["aggregate"]
    req = rep["counters"].get("http.requests", 0)
    err = sum(v for k, v in rep["counters"].items() if k.startswith("errors."))
    for metric in ("http.ttfb", "http.response_time"):
        m = rep["summaries"][metric]
        recs.append(dict(r=rnd, tool="barrage " + metric[5:], mode=mode, us=us, req=req, srv=srv,
                         t=(m["p50"], m["p99"], m["min"]), err=err))

groups = {}
for x in recs:
    groups.setdefault((x["tool"], x["mode"], x["us"]), []).append(x)
med = statistics.median
def fig(g):
    """Median over rounds of each figure and offset; min of the minimums."""
    return dict(req=med(x["req"] for x in g), s50=med(x["srv"][0] for x in g),
                s99=med(x["srv"][1] for x in g), t50=med(x["t"][0] for x in g),
                t99=med(x["t"][1] for x in g), o50=med(x["t"][0] - x["srv"][0] for x in g),
                o99=med(x["t"][1] - x["srv"][1] for x in g), tmin=min(x["t"][2] for x in g),
                smin=min(x["srv"][2] for x in g), err=sum(x["err"] for x in g))

what = "one round" if rounds == 1 else f"median of {rounds} interleaved rounds"
print(f"latency truth: {secs} s per run, {what}, {conns} connections (wrk, barrage pooled and "
      f"new-conn) or wrk's rate (barrage new-vu); load average {load_before} before, "
      f"{load_after} after; figures in ms")
hdr = ("tool", "mode", "delay", "requests", "srv p50", "srv p99", "tool p50", "tool p99",
       "off p50", "off p99", "tool min", "srv min")
fmt = "{:<22} {:<8} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}"
print(fmt.format(*hdr))
def ms(v): return f"{v:.3f}"
for (tool, mode, us), g in groups.items():
    f = fig(g)
    print(fmt.format(tool, mode, f"{us // 1000}ms", round(f["req"]), ms(f["s50"]), ms(f["s99"]),
                     ms(f["t50"]), ms(f["t99"]), ms(f["o50"]), ms(f["o99"]), ms(f["tmin"]),
                     ms(f["smin"])) + (f"  ({f['err']} errors)" if f["err"] else ""))
print()
for (tool, mode, us), g in groups.items():
    if not tool.startswith("barrage"):
        continue
    f, delay = fig(g), f"{mode} {us // 1000}ms:"
    below = [x["r"] for x in g if x["t"][0] < x["srv"][0] or x["t"][1] < x["srv"][1]
             or x["t"][2] < x["srv"][2]]
    if tool == "barrage ttfb":
        w = fig(groups[("wrk latency", "pooled" if mode == "pooled" else "new-conn", us)])
        for q in ("50", "99"):
            ok = f["o" + q] <= w["o" + q]
            print(("held     " if ok else "NOT HELD ") +
                  f"{delay} ttfb offset p{q} {f['o' + q]:.3f} <= wrk {w['o' + q]:.3f}")
        print(("held     " if not below else "NOT HELD ") +
              f"{delay} ttfb p50/p99/min >= server's in every round" +
              (f" (not in round {below})" if below else f" (min {f['tmin']:.3f} vs {f['smin']:.3f})"))
    else:
        print(("held     " if not below else "NOT HELD ") +
              f"{delay} response_time p50/p99/min >= server's in every round" +
              (f" (not in round {below})" if below else ""))
PY
