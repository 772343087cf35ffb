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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s\n' "${tidy_args[@]}" >"$work/args"
python3 scripts/tidy_keys.py "$build" "$work/args" "${sources[@]}" >"$work/keys"
known=$passed
[[ -f $known ]] || known=/dev/null
awk 'FILENAME == ARGV[1] { ok[$1] = 1; next } !($1 in ok) || $1 == "-"' "$known" "$work/keys" >"$work/todo"
echo "lint: clang-tidy on $(wc -l <"$work/todo") of ${#sources[@]} files (the others unchanged since a clean run: $passed)"
# One clang-tidy per source, as many at once as there are cores. With
# --record, each clean source's key is appended as soon as it passes, so an
# interrupted run keeps what it checked.
check_one() { # KEY SOURCE
  local log
  log=$LINT_WORK/$(tr / _ <<<"$2").log
  # shellcheck disable=SC2086 # LINT_TIDY_ARGS: flags without spaces
  clang-tidy-16 -quiet -p "$LINT_BUILD" $LINT_TIDY_ARGS "$2" >"$log" 2>&1 || { touch "$log.failed"; return 0; }
  if ((LINT_RECORD)) && [[ $1 != - ]]; then flock "$LINT_PASSED" -c "echo '$1 $2' >>'$LINT_PASSED'"; fi
}
export -f check_one
export LINT_WORK=$work LINT_BUILD=$build LINT_TIDY_ARGS="${tidy_args[*]}" LINT_RECORD=$record LINT_PASSED=$PWD/$passed
((record)) && touch "$passed"
xargs -a "$work/todo" -n 2 -P "$(nproc)" bash -c 'check_one "$@"' _
if compgen -G "$work/*.failed" >/dev/null; then
  for f in "$work"/*.failed; do
    grep -E "warning:|error:" "${f%.failed}" | head -20 || tail -5 "${f%.failed}"
  done
  echo "lint: clang-tidy found problems in $(compgen -G "$work/*.failed" | wc -l) files"
  exit 1
fi
if ((record)); then
  # Keep only the keys of today's sources (drops what an edit made stale).
  awk 'FILENAME == ARGV[1] { now[$1] = 1; next } $1 in now' "$work/keys" "$passed" | sort -u -k2 >"$work/passed"
  mv "$work/passed" "$passed"
  echo "lint: $(wc -l <"$passed") clean sources recorded in $passed"
fi
echo "lint: ok"
