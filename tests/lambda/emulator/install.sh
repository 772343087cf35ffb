#!/usr/bin/env bash
# Installs the pinned Lambda emulation (@vercel/fun, package-lock.json) for
# barrage's Lambda tests into tests/lambda/emulator/node_modules. Idempotent:
# does nothing when the installed tree came from the current lockfile.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.barrage-installed-lock.json
if [[ -f $stamp ]] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
echo "tests/lambda/emulator: installing the pinned Lambda emulation (npm ci)"
npm ci --no-audit --no-fund --loglevel=error
# fun copies its `provided` runtime into its cache on first use; do it now so
# control planes started in parallel by the tests never race on that copy
# (control-plane.mjs uses the same XDG_CACHE_HOME).
XDG_CACHE_HOME="$PWD/node_modules/.cache" \
  node -e 'require("@vercel/fun").initializeRuntime("provided")'
cp package-lock.json "$stamp"
