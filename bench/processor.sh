#!/usr/bin/env bash
# Processors (docs/processors.md): CPU per request with a beforeRequest hook on
# every request, barrage against Artillery (pinned in bench/artillery, run as
# bench/artillery.sh runs it) on the same script (bench/scripts/
# processor-hook.yml: 200 VUs, 100 keep-alive GETs each, an HMAC-signing hook),
# against a local nginx. Also barrage on the same script without the hook, the
# CPU of one hook call on its own ((hook - plain) / requests; bash `time` counts
# the reaped Node.js children, so both sides of the socketpair are in it), and
# the Node host's own CPU per call (BARRAGE_PROCESSOR_STATS=1). CPU is user+sys
# of the whole process tree, startup included. Not part of CI.
# Usage: bench/processor.sh [seconds] [batch_us...]
#   seconds: the phase length (default 10); batch_us: hook batch windows to
#   measure (BARRAGE_HOOK_BATCH_US; default "2000", the built-in default).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
secs=${1:-10}
shift || true
batches=("${@:-2000}")
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/processor.sh [seconds] [batch_us...]" >&2; exit 2; }
exe=$PWD/build/release/barrage
[[ -x $exe ]] || { echo "build barrage first: bash scripts/build.sh release" >&2; exit 1; }

artillery_ready

work=$(mktemp -d)
trap 'stop_nginx "$work"; rm -rf "$work"' EXIT
port=$(free_port)
start_nginx "$work" "$port"
ulimit -n 65536 2>/dev/null || true

cp bench/scripts/processor-hook.js "$work/"
sed -e "s|http://127.0.0.1:8080|http://127.0.0.1:$port|" -e "s/duration: 10,/duration: $secs,/" \
  bench/scripts/processor-hook.yml >"$work/hook.yml"
grep -v -e 'processor:' -e 'beforeRequest:' "$work/hook.yml" >"$work/plain.yml"
# The same with 50 script variables: every call sends the VU's variables whole
# (and gets back only those a hook changed); this prices that choice.
python3 - "$work/hook.yml" "$work/vars.yml" <<'PY'
import sys
text = open(sys.argv[1]).read()
names = "".join(f"    v{i}: \"value-{i}-{'x' * 20}\"\n" for i in range(50))
open(sys.argv[2], "w").write(text.replace("  phases:", "  variables:\n" + names + "  phases:", 1))
PY
if ! grep -q "127.0.0.1:$port" "$work/hook.yml" || ! grep -q "duration: $secs," "$work/hook.yml" ||
  ! grep -q 'beforeRequest: sign' "$work/hook.yml" || grep -q 'processor:' "$work/plain.yml"; then
  echo "bench/scripts/processor-hook.yml no longer matches the patterns patched here" >&2
  exit 1
fi

# cpu_of CMD...: runs CMD (bounded), prints "user+sys" seconds of it and its children.
cpu_of() {
  TIMEFORMAT='%U %S'
  { time timeout $((secs * 20 + 120)) "$@" >"$work/cmd.out" 2>"$work/cmd.err"; } 2>"$work/time.txt" ||
    { echo "failed: $*" >&2; tail -n 20 "$work/cmd.out" "$work/cmd.err" >&2; exit 1; }
  awk '{print $1 + $2}' "$work/time.txt"
}
requests() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["aggregate"]["counters"].get("http.requests",0))' "$1"; }
per_req() { python3 -c "import sys; print(f'{float(sys.argv[1]) * 1e6 / float(sys.argv[2]):.1f}')" "$1" "$2"; }
host_us() { awk '/barrage-processor-host cpu_us/ && $5 > 0 {c += $3; n += $5} END {if (n) printf "%.1f", c / n; else print "-"}' "$work/cmd.err"; }

version=$("$artillery" version 2>/dev/null | awk '/^Artillery:/ {print $2}')
echo "barrage (--cores 1) and Artillery $version (WORKERS=1), $(nproc) cores, ${secs} s of 20 VUs/s x 100 GETs"
printf '%-44s %9s %8s %10s %14s\n' "run" "requests" "CPU s" "CPU us/req" "host us/call"

cpu=$(cpu_of "$exe" run "$work/plain.yml" --cores 1 --quiet --output "$work/plain.json")
n=$(requests "$work/plain.json"); plain_us=$(per_req "$cpu" "$n")
printf '%-44s %9s %8s %10s %14s\n' "barrage, no hook" "$n" "$cpu" "$plain_us" "-"

for b in "${batches[@]}"; do
  cpu=$(BARRAGE_HOOK_BATCH_US=$b BARRAGE_PROCESSOR_STATS=1 cpu_of "$exe" run "$work/hook.yml" --cores 1 --quiet --output "$work/hook.json")
  n=$(requests "$work/hook.json"); us=$(per_req "$cpu" "$n")
  printf '%-44s %9s %8s %10s %14s\n' "barrage, beforeRequest hook (batch ${b} us)" "$n" "$cpu" "$us" "$(host_us)"
  printf '%-44s %9s %8s %10s %14s\n' "  one hook call, both processes" "" "" \
    "$(python3 -c "print(f'{$us - $plain_us:.1f}')")" ""
  barrage_us=$us
done

cpu=$(BARRAGE_PROCESSOR_STATS=1 cpu_of "$exe" run "$work/vars.yml" --cores 1 --quiet --output "$work/vars.json")
n=$(requests "$work/vars.json"); us=$(per_req "$cpu" "$n")
printf '%-44s %9s %8s %10s %14s\n' "barrage, hook + 50 variables (default batch)" "$n" "$cpu" "$us" "$(host_us)"

cpu=$(NODE_OPTIONS="--require $artillery_app/no-telemetry.cjs" cpu_of "$artillery" run --quiet --output "$work/art.json" "$work/hook.yml")
n=$(requests "$work/art.json"); art_us=$(per_req "$cpu" "$n")
printf '%-44s %9s %8s %10s %14s\n' "Artillery, beforeRequest hook" "$n" "$cpu" "$art_us" "-"
echo "Artillery / barrage (hook, last batch window): $(python3 -c "print(f'{$art_us / $barrage_us:.1f}x')")"
