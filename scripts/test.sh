#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, checks
# style, builds release and runs every test (unit, integration against nginx
# and the demo target, fuzz corpus replay), then builds with AddressSanitizer
# + UndefinedBehaviorSanitizer and runs the suite again, then runs the
# threaded parts (engine shards, runner, demo target, the CLI end to end,
# Lambda runs against the emulators) under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage's wall time and the CPU time (user + sys, children included) used
# so far, printed as it ends: the CPU figure is what to cut when CI is slow,
# the wall time depends on the machine's load.
# Tests run 4 at a time on CI's 2 cores: most of them wait on timers and
# servers (the whole release suite uses about a quarter of the CPU time it
# takes), and none asserts on latencies (those comparisons are benchmarks:
# bench/latency.sh).
start=$SECONDS
stage() {
  local cpu times_file
  times_file=$(mktemp)
  times >"$times_file" # in this shell: a $( ) subshell would count only its own children
  cpu=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, "m"); sub("s", "", t[2]); s += t[1] * 60 + t[2] } printf "%.0f", s }' "$times_file")
  rm -f "$times_file"
  echo "test.sh: $1 done at $((SECONDS - start)) s (CPU used so far: $cpu s)"
}
bash scripts/install-deps.sh
bash tests/aws/install.sh
bash tests/lambda/emulator/install.sh
stage "installs"

bash scripts/build.sh release
stage "release build"
bash scripts/lint.sh build/release
stage "lint"
ctest --preset release -j 4 --timeout 300
stage "release tests"

bash scripts/build.sh asan-ubsan
stage "asan-ubsan build"
# -LE compat: the Artillery side-by-side test runs once, in the release stage
# (Artillery's own run is most of its time; the corpus runs here too, barrage alone).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --preset asan-ubsan -j 4 --timeout 600 -LE compat
stage "asan-ubsan tests"

# Every executable that an integration-labelled add_test names must be built
# here, or ctest reports it "Not Run" and fails (gtest binaries left out just
# contribute no tests): ws_tests for ws_engine_tests.
bash scripts/build.sh tsan barrage integration_tests faults_tests demo_target_tests lambda_tests run_api_tests ws_tests
stage "tsan build"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --preset tsan -L integration -j 4 --timeout 600
