#!/usr/bin/env python3
"""Artillery compatibility corpus (tests/compat/corpus, docs/compatibility.md).

Every script here is written in Artillery's documented syntax. expected.json
says, per script, the counters a run must produce exactly (requests, codes,
VUs, errors, expect-plugin checks that carry the captures, custom metrics a
processor emits) and the run's exit code.

  corpus.py --barrage EXE --node NODE
      runs each script with barrage against the demo target (`barrage
      target` on 127.0.0.1) and asserts expected.json.
  corpus.py --barrage EXE --node NODE --artillery DIR
      the side-by-side test: for each script marked "artillery", runs the
      pinned Artillery (DIR/node_modules, bench/artillery) and barrage on the
      same script against the same demo target, asserts expected.json for
      both and that every counter Artillery reports (and barrage's of the same
      families) is the same, except the keys the script lists under
      "differences" (each with the documented reason; then Artillery's value
      is asserted too). Artillery missing is a failure, or a skip (exit 77)
      with BARRAGE_ALLOW_MISSING_DEPS=1.

expected.json, per script: "counters" (name -> exact value; an absent counter
is 0), "absent" (counters that must not appear), "args" (extra `run` flags,
the same for both tools), "exit" / "artillery_exit" (exit codes, default 0),
"custom" (custom metric prefixes compared side by side), "artillery" (in the
side-by-side sample), "differences" (counter -> {"artillery": value, "why":
the documented reason}), "timeout" (seconds per barrage run).

Runs are bounded (timeout per run), traffic stays on 127.0.0.1. Exit 0 when
every case holds, 1 otherwise (each mismatch printed).
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Counter families compared side by side (Artillery's names).
FAMILIES = ("http.requests", "http.responses", "http.codes.", "vusers.created",
            "vusers.completed", "vusers.failed", "vusers.skipped", "errors.", "plugins.expect.")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_target(exe, work):
    port_file = os.path.join(work, "target.port")
    proc = subprocess.Popen([exe, "target", "--host", "127.0.0.1", "--port", "0", "--port-file",
                             port_file, "--duration", "900s"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return proc, int(open(port_file).read().strip())
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("corpus: the demo target did not start")


def run(cmd, env, timeout, cwd):
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        print("  %s: %.1f s" % (os.path.basename(cmd[1] if cmd[0].endswith("node") else cmd[0]),
                                time.monotonic() - start))
        return p.returncode, p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return -1, "timed out after %d s\n%s" % (timeout, (e.stdout or b"").decode(errors="replace"))


def counters_of(report):
    try:
        with open(report) as f:
            return json.load(f)["aggregate"]["counters"]
    except (OSError, ValueError, KeyError):
        return None


def compared(name, custom):
    if name.startswith(FAMILIES) and not name.startswith("errors.Failed expectations for"):
        return True
    return any(name == c or name.startswith(c + ".") for c in custom)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--barrage", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--artillery", help="folder holding the pinned Artillery's node_modules")
    ap.add_argument("--only", help="run only these scripts (comma-separated; or $CORPUS_ONLY)")
    args = ap.parse_args()
    args.only = args.only or os.environ.get("CORPUS_ONLY")
    args.barrage = os.path.abspath(args.barrage)
    if args.artillery:
        args.artillery = os.path.abspath(args.artillery)

    with open(os.path.join(HERE, "expected.json")) as f:
        cases = json.load(f)
    side = args.artillery is not None
    if args.only:
        cases = {k: v for k, v in cases.items() if k in args.only.split(",")}
    if side:
        cases = {k: v for k, v in cases.items() if v.get("artillery")}
        art_bin = os.path.join(args.artillery, "node_modules", "artillery", "bin", "run")
        if not os.path.exists(art_bin) or not os.access(args.node, os.X_OK):
            msg = ("corpus: Artillery is not installed (%s missing, node %s): run "
                   "scripts/install-deps.sh" % (art_bin, args.node))
            if os.environ.get("BARRAGE_ALLOW_MISSING_DEPS") == "1":
                print(msg + " (skipped: BARRAGE_ALLOW_MISSING_DEPS=1)")
                return 77
            print(msg)
            return 1

    # ctest's timeout sends SIGTERM: exit through the finally below (the
    # target stopped, the running tool killed by subprocess.run, files removed).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix="barrage-corpus-")
    target, port = start_target(args.barrage, work)
    target_url = "http://127.0.0.1:%d" % port
    env = dict(os.environ)
    env.update({
        "BARRAGE_NODE": args.node,
        "CORPUS_TOKEN": "s3cret",
        "CORPUS_RATE": "3",
        "CORPUS_CLOSED": "http://127.0.0.1:%d" % closed_port(),
        # Artillery: one worker thread, no telemetry (posthog stubbed, as bench/artillery.sh).
        "WORKERS": "1",
        "ARTILLERY_DISABLE_TELEMETRY": "true",
    })
    failures = []
    try:
        for name, case in cases.items():
            script = os.path.join(HERE, name)
            extra = case.get("args", [])
            timeout = case.get("timeout", 60)
            expected = case.get("counters", {})
            absent = case.get("absent", [])
            out = os.path.join(work, name + ".barrage.json")
            rc, text = run([args.barrage, "run", "-q", "--cores", "1", "--seed", "7", "-t",
                            target_url, "-o", out] + extra + [script], env, timeout, HERE)
            got = counters_of(out)

            def check(tool, rc, got, text, want_rc):
                bad = []
                if rc != want_rc:
                    bad.append("exit code %d, expected %d" % (rc, want_rc))
                if got is None:
                    bad.append("no JSON report")
                else:
                    for k, v in expected.items():
                        if got.get(k, 0) != v:
                            bad.append("%s = %s, expected %s" % (k, got.get(k, 0), v))
                    for k in absent:
                        if k in got:
                            bad.append("%s = %s, expected none" % (k, got[k]))
                if bad:
                    failures.append("%s (%s): %s" % (name, tool, "; ".join(bad)))
                    print("---- %s output (%s):\n%s" % (tool, name, text[-3000:]))
                return not bad

            ok = check("barrage", rc, got, text, case.get("exit", 0))
            print("%s %s: barrage" % ("ok  " if ok else "FAIL", name))
            if not side:
                continue
            aout = os.path.join(work, name + ".artillery.json")
            aenv = dict(env)
            aenv["NODE_OPTIONS"] = "--require " + os.path.join(args.artillery, "no-telemetry.cjs")
            arc, atext = run([args.node, art_bin, "run", "-q", "-t", target_url, "-o", aout] + extra +
                             [script], aenv, timeout + 240, HERE)
            agot = counters_of(aout)
            diffs = case.get("differences", {})
            # Artillery's own value for a documented difference replaces the expected one.
            saved = dict(expected)
            for k, d in diffs.items():
                if "artillery" in d:
                    expected[k] = d["artillery"]
                else:
                    expected.pop(k, None)
            aok = check("artillery", arc, agot, atext, case.get("artillery_exit", case.get("exit", 0)))
            expected.clear()
            expected.update(saved)
            if got is not None and agot is not None:
                custom = case.get("custom", [])
                keys = {k for k in list(got) + list(agot) if compared(k, custom)}
                for k in sorted(keys):
                    if k in diffs:
                        continue
                    if got.get(k, 0) != agot.get(k, 0):
                        failures.append("%s: %s barrage %s, Artillery %s" %
                                        (name, k, got.get(k, 0), agot.get(k, 0)))
                        aok = False
            print("%s %s: side by side with Artillery" % ("ok  " if aok else "FAIL", name))
    finally:
        target.terminate()
        target.wait(timeout=10)
        subprocess.run(["rm", "-rf", work])
    for f in failures:
        print("FAIL " + f)
    print("%d case(s), %d failure(s)" % (len(cases), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
