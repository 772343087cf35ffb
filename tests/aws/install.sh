#!/usr/bin/env bash
# Installs the pinned AWS emulators (package-lock.json) for barrage's AWS
# integration tests into tests/aws/node_modules. Idempotent: does nothing when
# the installed tree came from the current lockfile.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.barrage-installed-lock.json
if [[ -f $stamp ]] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
echo "tests/aws: installing the pinned emulators (npm ci)"
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
