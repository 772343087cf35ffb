#!/usr/bin/env bash
# Installs the pinned AWS emulators (package-lock.json) for barrage's AWS
# integration tests into tests/aws/node_modules. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/../../scripts/npm-ci-pinned.sh" "$here" "the pinned AWS emulators"
