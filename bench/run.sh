#!/usr/bin/env bash
# Benchmarks barrage against wrk and ab in the same session, on loopback.
# Prints requests/s and generator CPU microseconds per request (user+sys of
# the generator process / requests) and the ratio to wrk. Not part of CI.
# Usage: bench/run.sh [seconds]   (default 10, as in docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
secs=${1:-10}
bash scripts/install-deps.sh
bash scripts/build.sh release >/dev/null
exe=$PWD/build/release/barrage
work=$(mktemp -d)
trap 'stop_nginx "$work"; kill $target_pid 2>/dev/null || true; rm -rf "$work"' EXIT
target_pid=

port=$(free_port); tls_port=$(free_port)
start_nginx "$work" "$port" "$tls_port"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# cpu_of CMD...: runs CMD, prints "user+sys seconds" of it (children included).
cpu_of() {
  local out=$work/time.txt
  TIMEFORMAT='%U %S'
  { time "$@" >"$work/cmd.out" 2>&1; } 2>"$out"
  awk '{print $1 + $2}' "$out"
}
report_requests() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["aggregate"]["counters"].get("http.requests",0))' "$1"; }
summary_ms() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["aggregate"]["summaries"]["http.response_time"]; print(s[sys.argv[2]])' "$1" "$2"; }
wrk_requests() { awk '/requests in/ {print $1}' "$work/cmd.out"; }

printf '%-34s %12s %12s %10s\n' "benchmark" "requests/s" "CPU us/req" "vs wrk"
line() { printf '%-34s %12.0f %12.2f %10s\n' "$1" "$2" "$3" "$4"; }

with_script() {  # script, target URL -> temp script with duration and target patched
  sed -e "s|http://127.0.0.1:8080|$2|" -e "s/duration: 10,/duration: $secs,/" "$1" >"$work/s.yml"
  echo "$work/s.yml"
}

# 1. plain GET keep-alive, 50 connections
cpu=$(cpu_of wrk -t1 -c50 -d"${secs}s" "http://127.0.0.1:$port/"); n=$(wrk_requests)
wrk_us=$(python3 -c "print($cpu*1e6/$n)"); line "wrk plain keep-alive" "$(python3 -c "print($n/$secs)")" "$wrk_us" "1.00x"
s=$(with_script bench/scripts/keepalive.yml "http://127.0.0.1:$port")
cpu=$(cpu_of "$exe" run "$s" --cores 1 --quiet --output "$work/r.json"); n=$(report_requests "$work/r.json")
us=$(python3 -c "print($cpu*1e6/$n)"); line "barrage plain keep-alive" "$(python3 -c "print($n/$secs)")" "$us" "$(python3 -c "print(f'{$us/$wrk_us:.2f}x')")"

# 1b. a flow with a JSON capture and a templated follow-up request, vs wrk's plain GET
s=$(with_script bench/scripts/capture-flow.yml "http://127.0.0.1:$port")
cpu=$(cpu_of "$exe" run "$s" --cores 1 --quiet --output "$work/r.json"); n=$(report_requests "$work/r.json")
us=$(python3 -c "print($cpu*1e6/$n)"); line "barrage capture + templated GET" "$(python3 -c "print($n/$secs)")" "$us" "$(python3 -c "print(f'{$us/$wrk_us:.2f}x')")"

# 2. TLS keep-alive
cpu=$(cpu_of wrk -t1 -c50 -d"${secs}s" "https://127.0.0.1:$tls_port/"); n=$(wrk_requests)
wrk_tls=$(python3 -c "print($cpu*1e6/$n)"); line "wrk TLS keep-alive" "$(python3 -c "print($n/$secs)")" "$wrk_tls" "1.00x"
s=$(with_script bench/scripts/keepalive.yml "https://127.0.0.1:$tls_port")
cpu=$(cpu_of "$exe" run "$s" --cores 1 --quiet --insecure --output "$work/r.json"); n=$(report_requests "$work/r.json")
us=$(python3 -c "print($cpu*1e6/$n)"); line "barrage TLS keep-alive" "$(python3 -c "print($n/$secs)")" "$us" "$(python3 -c "print(f'{$us/$wrk_tls:.2f}x')")"

# 3. a new connection per VU: 2,000 arrivals/s vs ab without keep-alive
total=$((2000 * secs))
cpu=$(cpu_of ab -q -n "$total" -c 50 "http://127.0.0.1:$port/"); n=$total
ab_us=$(python3 -c "print($cpu*1e6/$n)"); line "ab new connection (-c 50)" "0" "$ab_us" "-"
s=$(with_script bench/scripts/new-connection.yml "http://127.0.0.1:$port")
cpu=$(cpu_of "$exe" run "$s" --cores 1 --quiet --output "$work/r.json"); n=$(report_requests "$work/r.json")
us=$(python3 -c "print($cpu*1e6/$n)"); line "barrage new connection 2000/s" "$(python3 -c "print($n/$secs)")" "$us" "$(python3 -c "print(f'{$us/$ab_us:.2f}x ab')")"

# 4. memory: 10,000 idle keep-alive connections, peak RSS delta over 1 VU
peak_rss_kib() {  # runs barrage, polls VmHWM of the process
  "$exe" run "$1" --cores 1 --quiet >/dev/null 2>&1 &
  local pid=$! hwm=0
  while kill -0 $pid 2>/dev/null; do
    h=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
    [[ -n $h && $h -gt $hwm ]] && hwm=$h
    sleep 0.1
  done
  echo "$hwm"
}
sed -e "s|http://127.0.0.1:8080|http://127.0.0.1:$port|" bench/scripts/idle-connections.yml >"$work/idle.yml"
sed -e "s/vusers: 10000/vusers: 1/" "$work/idle.yml" >"$work/idle1.yml"
base=$(peak_rss_kib "$work/idle1.yml"); big=$(peak_rss_kib "$work/idle.yml")
printf '%-34s %s KiB per connection (peak RSS %s KiB vs %s KiB for 1)\n' "barrage 10,000 idle connections" \
  "$(python3 -c "print(round(($big-$base)/9999, 2))")" "$big" "$base"

# 5. latency truth against barrage target with a fixed 10 ms latency
"$exe" target --port 0 --port-file "$work/tport" --latency-ms 10 >/dev/null &
target_pid=$!
for _ in $(seq 100); do [[ -s $work/tport ]] && break; sleep 0.05; done
s=$(with_script bench/scripts/latency-truth.yml "http://127.0.0.1:$(cat "$work/tport")")
"$exe" run "$s" --cores 1 --quiet --output "$work/r.json" >/dev/null
printf '%-34s p50 %.3f ms, p99 %.3f ms (server latency 10 ms)\n' "barrage latency truth" \
  "$(summary_ms "$work/r.json" p50)" "$(summary_ms "$work/r.json" p99)"

# 6. local scaling: the same closed-model load from 2 in-process shards vs 2
# worker processes (`--count 2`, one core each, through the coordinator).
s=$(with_script bench/scripts/keepalive.yml "http://127.0.0.1:$port")
cpu=$(cpu_of "$exe" run "$s" --cores 2 --quiet --output "$work/r.json"); n=$(report_requests "$work/r.json")
shard_us=$(python3 -c "print($cpu*1e6/$n)")
line "barrage 2 in-process shards" "$(python3 -c "print($n/$secs)")" "$shard_us" "$(python3 -c "print(f'{$shard_us/$wrk_us:.2f}x')")"
cpu=$(cpu_of "$exe" run "$s" --count 2 --cores 1 --quiet --output "$work/r.json"); n=$(report_requests "$work/r.json")
us=$(python3 -c "print($cpu*1e6/$n)")
line "barrage --count 2 processes" "$(python3 -c "print($n/$secs)")" "$us" "$(python3 -c "print(f'{$us/$wrk_us:.2f}x ({$us/$shard_us:.2f}x shards)')")"
