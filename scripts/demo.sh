#!/usr/bin/env bash
# The demo: installs what is missing, builds the barrage binary (not the
# tests), starts the built-in
# demo target on loopback, runs examples/quickstart.yml against it, prints
# the summary and writes the JSON report to report.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release barrage  # the binary only; the tests build with the test command
exe=build/release/barrage

portfile=$(mktemp)
"$exe" target --port 0 --port-file "$portfile" --latency-ms 5 --jitter-ms 2 >/dev/null &
target_pid=$!
trap 'kill $target_pid 2>/dev/null || true; rm -f "$portfile"' EXIT
for _ in $(seq 100); do [[ -s $portfile ]] && break; sleep 0.05; done
port=$(cat "$portfile")
echo "demo target running on http://127.0.0.1:$port"

"$exe" run examples/quickstart.yml --target "http://127.0.0.1:$port" --output report.json
