#!/usr/bin/env bash
# Installs the pinned Lambda emulation (@vercel/fun, package-lock.json) for
# barrage's Lambda tests into tests/lambda/emulator/node_modules. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
bash ../../../scripts/npm-ci-pinned.sh "$PWD" "the pinned Lambda emulation"
# fun copies its `provided` runtime into its cache on first use; do it now so
# control planes started in parallel by the tests never race on that copy
# (control-plane.mjs uses the same XDG_CACHE_HOME). Its own stamp, written
# after it succeeded (a fresh `npm ci` removes node_modules and so the stamp).
ready=node_modules/.barrage-runtime-ready
if [[ ! -f $ready ]]; then
  XDG_CACHE_HOME="$PWD/node_modules/.cache" \
    node -e 'require("@vercel/fun").initializeRuntime("provided")'
  touch "$ready"
fi
