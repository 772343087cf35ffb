#!/usr/bin/env bash
# A/B of generator CPU per request between two barrage binaries, for "a
# refactor must not cost more than 3%": the plain GET case of bench/run.sh
# (50 keep-alive VUs against nginx on loopback, one shard), the binaries
# alternated so that a noisy neighbour hits both alike. Prints each run and
# the medians; CPU = (user + sys) / http.requests. Not part of CI.
# Usage: bench/cpu_ab.sh BEFORE_BINARY AFTER_BINARY [seconds=5] [rounds=6]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[[ $# -ge 2 ]] || { echo "usage: bench/cpu_ab.sh BEFORE_BINARY AFTER_BINARY [seconds] [rounds]" >&2; exit 2; }
A=$(realpath "$1"); B=$(realpath "$2"); secs=${3:-5}; rounds=${4:-6}
work=$(mktemp -d); port=$(free_port); start_nginx "$work" "$port"
trap 'stop_nginx "$work"; rm -rf "$work"' EXIT
for _ in $(seq "$rounds"); do
  for which in A B; do
    exe=${!which}
    /usr/bin/time -f "%U %S" -o "$work/t" "$exe" run --quiet --cores 1 --target "http://127.0.0.1:$port" \
      --overrides "{\"config\":{\"phases\":[{\"duration\":$secs,\"vusers\":50}]}}" \
      -o "$work/r.json" bench/scripts/keepalive.yml >/dev/null 2>&1
    python3 - "$which" "$work/r.json" "$work/t" >>"$work/runs" <<'PY'
import json, sys
req = json.load(open(sys.argv[2]))["aggregate"]["counters"]["http.requests"]
u, s = map(float, open(sys.argv[3]).read().split()[-2:])
print(sys.argv[1], req, round((u + s) * 1e6 / req, 2))
PY
    tail -1 "$work/runs" | awk '{printf "%s %9d requests %7.2f us/req\n", $1, $2, $3}'
  done
done
python3 - "$work/runs" <<'PY'
import statistics, sys
runs = [l.split() for l in open(sys.argv[1])]
med = {w: statistics.median(float(r[2]) for r in runs if r[0] == w) for w in "AB"}
print(f"median before {med['A']:.2f} us/req, after {med['B']:.2f} us/req, after/before {med['B'] / med['A']:.3f}")
PY
