#!/usr/bin/env python3
"""Content keys for clang-tidy results, so lint re-checks only what changed.

clang-tidy 16 spends 20-40 CPU-seconds on each of our sources (its matchers
walk the whole AST, standard library included), about 25 minutes of CI's two
cores for all of them. Its verdict on a source is a function of what it reads:
the source, every header the source includes, the compile flags, the
.clang-tidy configuration and clang-tidy's version. This prints, for each
source given, a SHA-256 over exactly those (file names relative to the
repository or the build tree, each file's content, the flags with the
repository's path removed), one "KEY PATH" line per source. scripts/lint.sh
skips a source whose key is listed in .ci/clang-tidy-passed (written by
`scripts/lint.sh --record` after a clean run) and runs clang-tidy on the rest,
so a stale or missing list only costs time, never a finding. ccache-like tools
for clang-tidy (ctcache) do the same; none is packaged in Debian 12.

The header list comes from clang++-16 -M with the flags clang-tidy uses (the
same preprocessor, so the same conditional includes), a preprocessing pass of
well under a second per source.

Usage: scripts/tidy_keys.py BUILD_DIR TIDY_ARGS_FILE SOURCE...
"""
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile


def main() -> int:
    build, tidy_args_file, *sources = sys.argv[1:]
    top = os.getcwd()
    with open(os.path.join(build, "compile_commands.json")) as f:
        commands = {os.path.realpath(e["file"]): e for e in json.load(f)}
    extra = [a.removeprefix("-extra-arg=") for a in open(tidy_args_file).read().split()
             if a.startswith("-extra-arg=")]
    common = hashlib.sha256()
    common.update(subprocess.run(["clang-tidy-16", "--version"], capture_output=True,
                                 text=True, check=True).stdout.encode())
    common.update(open(".clang-tidy", "rb").read())
    common.update(" ".join(extra).encode())
    abs_build = os.path.realpath(build)

    def relative(path: str) -> str:
        path = os.path.realpath(path)
        if path.startswith(abs_build + "/"):
            return "BUILD/" + path[len(abs_build) + 1:]
        if path.startswith(top + "/"):
            return "SRC/" + path[len(top) + 1:]
        return path

    def key(source: str) -> str:
        entry = commands.get(os.path.realpath(source))
        if entry is None:
            return "-"  # not compiled: always checked
        args = shlex.split(entry["command"]) if "command" in entry else entry["arguments"]
        args = [a for a in args[1:] if a != "ccache" and not a.endswith("/ccache")]
        # Drop the output and the compile step; keep every flag that shapes the parse.
        flags, skip = [], False
        for a in args:
            if skip:
                skip = False
                continue
            if a in ("-o", "-c", "-MF", "-MT", "-MQ"):
                skip = a != "-c"
                continue
            if a in ("-MD", "-MMD") or os.path.realpath(os.path.join(entry["directory"], a)) == \
                    os.path.realpath(source):
                continue
            flags.append(a)
        with tempfile.NamedTemporaryFile(mode="r", suffix=".d") as depfile:
            deps = subprocess.run(
                ["clang++-16", *flags, *extra, "-Wno-unknown-warning-option", "-M", "-MF",
                 depfile.name, os.path.realpath(source)], cwd=entry["directory"],
                capture_output=True, text=True)
            if deps.returncode != 0:
                return "-"  # let clang-tidy say what is wrong
            files = depfile.read().replace("\\\n", " ").split(":", 1)[1].split()
        h = common.copy()
        h.update(" ".join(f.replace(top, "SRC").replace(abs_build, "BUILD") for f in flags).encode())
        for path in files:
            full = os.path.join(entry["directory"], path)
            h.update(relative(full).encode() + b"\0")
            with open(full, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
        return h.hexdigest()

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for source, k in zip(sources, pool.map(key, sources)):
            print(k, source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
