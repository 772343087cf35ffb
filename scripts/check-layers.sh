#!/usr/bin/env bash
# The layering check (docs/architecture.md, "Libraries"): each library under
# src/ may include headers only from itself and from the libraries listed for
# it below, the layers beneath it. A library that includes a header from a
# layer above it (or from a library not listed) fails the check, naming the
# file, the line and the include. A new folder under src/ must be added here.
# Usage: scripts/check-layers.sh   (exit 0: clean, 1: violations)
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A allowed=(
  [util]=""
  [metrics]="util"
  [http]="util"
  [script]="util"
  [engine]="util metrics http script"
  [processor]="util metrics http script engine"
  [demo_target]="util http engine"
  [fleet]="util metrics script engine"
  [aws]="util"
  [lambda]="util metrics script engine fleet aws"
  [report]="util metrics script engine fleet lambda"
  [run]="util metrics http script engine fleet aws lambda report"
  [console]="util metrics http script engine fleet aws lambda report run"
  [cli]="util metrics http script engine processor demo_target fleet aws lambda report run console"
)

status=0
for dir in src/*/; do
  lib=$(basename "$dir")
  if [[ ! -v "allowed[$lib]" ]]; then
    echo "check-layers: src/$lib is not in scripts/check-layers.sh's table: say which layers it may use" >&2
    status=1
    continue
  fi
  ok=" $lib ${allowed[$lib]} "
  while IFS=: read -r file line text; do
    [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([a-z_0-9]+)/ ]] || continue
    used=${BASH_REMATCH[1]} # (a regex here, not a sed per line: thousands of forks on a loaded machine)
    [[ -d src/$used ]] || continue # not one of ours (e.g. "gtest/gtest.h")
    if [[ $ok != *" $used "* ]]; then
      echo "$file:$line: $lib includes from $used, a layer it may not use: $text" >&2
      status=1
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_0-9]+/' "$dir" || true)
done
if ((status == 0)); then echo "check-layers: every library includes only from the layers below it"; fi
exit $status
