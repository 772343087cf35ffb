#!/usr/bin/env bash
# Installs a folder's pinned npm packages (its package-lock.json) with `npm ci`.
# Idempotent: does nothing when the installed tree came from the current
# lockfile. npm's own errors are printed (nothing is silenced), and a failure
# names the folder.
# Usage: scripts/npm-ci-pinned.sh DIR [what, for the message]
set -euo pipefail
dir=$1
what=${2:-$dir}
cd "$dir"
stamp=node_modules/.barrage-installed-lock.json
if [[ -f $stamp ]] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
echo "$dir: installing $what (npm ci)"
if ! PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error; then
  echo "$dir: npm ci failed (see npm's message above); $what is not installed" >&2
  exit 1
fi
cp package-lock.json "$stamp"
