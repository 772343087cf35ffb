#!/usr/bin/env bash
# Style gates: the layering check (scripts/check-layers.sh), clang-format (no
# diffs allowed) and clang-tidy on our sources.
# Needs compile_commands.json from a configured build (default build/release).
#
# Usage: scripts/lint.sh [--record] [BUILD_DIR]
# clang-tidy skips a source whose content key (scripts/tidy_keys.py: the
# source, every header it includes, flags, config and clang-tidy's version) is
# in .ci/clang-tidy-passed; --record rewrites that list after a clean run, so
# commit it with the change (a stale list costs CI time, never a finding).
set -euo pipefail
cd "$(dirname "$0")/.."
record=0
if [[ ${1:-} == --record ]]; then
  record=1
  shift
fi
build=${1:-build/release}

bash scripts/check-layers.sh

mapfile -t files < <(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' 'bench/*.cc')
echo "lint: clang-format on ${#files[@]} files"
clang-format --dry-run -Werror "${files[@]}"

mapfile -t sources < <(git ls-files 'src/*.cc')
# clang-tidy 16 (Debian's clang-tidy-16); run-clang-tidy parallelizes over the
# cores. libstdc++ 12 declares std::expected (util/error.h) only when
# __cpp_concepts >= 202002L; clang 16 implements what <expected> needs (P0848)
# but reports 201907L (the value was raised in clang 19), so the macro is
# redefined here (-U then -D: no redefinition warning), as for the fuzz
# preset's clang++-16. clang 14 cannot parse <expected>.
tidy_args=(-extra-arg=-std=c++2b -extra-arg=-U__cpp_concepts -extra-arg=-D__cpp_concepts=202002L
  -extra-arg=-Wno-unknown-warning-option)
passed=.ci/clang-tidy-passed
keys=$(mktemp)
trap 'rm -f "$keys" "$keys.args"' EXIT
printf '%s\n' "${tidy_args[@]}" >"$keys.args"
python3 scripts/tidy_keys.py "$build" "$keys.args" "${sources[@]}" >"$keys"
known=$passed
[[ -f $known ]] || known=/dev/null
mapfile -t todo < <(awk 'FILENAME == ARGV[1] { ok[$1] = 1; next } !($1 in ok) || $1 == "-" { print $2 }' \
  "$known" "$keys")
echo "lint: clang-tidy on ${#todo[@]} of ${#sources[@]} files (the others unchanged since a clean run: $passed)"
((${#todo[@]} == 0)) || run-clang-tidy-16 -quiet -clang-tidy-binary clang-tidy-16 "${tidy_args[@]}" -p "$build" -j "$(nproc)" \
  "${todo[@]/#/$PWD/}" >/tmp/barrage-tidy.log 2>&1 || {
  grep -E "warning:|error:" /tmp/barrage-tidy.log | head -50
  echo "lint: clang-tidy found problems (full log: /tmp/barrage-tidy.log)"
  exit 1
}
if ((record)); then
  grep -v '^- ' "$keys" | sort -k2 >"$passed"
  echo "lint: recorded $(wc -l <"$passed") clean sources in $passed"
fi
echo "lint: ok"
