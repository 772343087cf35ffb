#!/usr/bin/env python3
"""Checks bench/latency_truth/server.cc over real loopback sockets (CTest:
LatencyTruthServer). Usage: latency_truth_test.py PATH/latency_truth_server

No timed upper bounds: only facts that hold however slow the machine is (an
answer never comes before its delay; the served delays the server reports are
never below what was asked; counts, order and framing)."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

server_bin = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def read_response(sock, buf=b""):
    """One response (Content-Length framed); returns (status, headers, body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed before a response")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    n = int(headers["content-length"])
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed inside a body")
        rest += chunk
    return status, headers, rest[:n].decode(), rest[n:]


def get(sock, path, extra=""):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n".encode())
    status, headers, body, rest = read_response(sock)
    assert rest == b"", rest
    return status, headers, body


with tempfile.TemporaryDirectory() as work:
    port_file = os.path.join(work, "port")
    proc = subprocess.Popen([server_bin, "--port", "0", "--port-file", port_file],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        port = int(open(port_file).read())
        addr = ("127.0.0.1", port)

        def stats():
            with socket.create_connection(addr) as s:
                status, _, body = get(s, "/stats")
                check(status == 200, "/stats answers 200")
                return json.loads(body)

        # Keep-alive: two requests on one connection; the answer never precedes its delay.
        with socket.create_connection(addr) as s:
            t0 = time.monotonic()
            status, headers, body = get(s, "/delay/20000")
            elapsed = time.monotonic() - t0
            check(status == 200 and body == "ok", "/delay/20000 answers 200 ok")
            check("connection" not in headers, "a keep-alive answer has no Connection: close")
            check(elapsed >= 0.020, f"the answer came after its 20 ms delay (took {elapsed:.6f} s)")
            status, _, body = get(s, "/delay/0")
            check(status == 200 and body == "ok", "a second request on the same connection")
        st = stats()
        check(st["count"] == 2, f"two served delays recorded (got {st['count']})")
        check(st["max_us"] >= 20000.0, f"the 20 ms delay served at least 20 ms ({st['max_us']} us)")
        check(st["late_min_us"] >= 0.0,
              f"no delay served below asked (late min {st['late_min_us']} us)")

        # /reset forgets; /stats itself is not recorded.
        with socket.create_connection(addr) as s:
            status, _, body = get(s, "/reset")
            check(status == 200 and body == "ok", "/reset answers ok")
        check(stats()["count"] == 0, "/reset forgets the served delays")

        # Connection: close: the answer says so and the server closes.
        with socket.create_connection(addr) as s:
            status, headers, body = get(s, "/delay/1000", "Connection: close\r\n")
            check(status == 200 and headers.get("connection") == "close",
                  "Connection: close is answered with Connection: close")
            check(s.recv(10) == b"", "the server closes after a Connection: close answer")
        # HTTP/1.0 without keep-alive closes too.
        with socket.create_connection(addr) as s:
            s.sendall(b"GET /delay/0 HTTP/1.0\r\n\r\n")
            status, headers, body, _ = read_response(s)
            check(status == 200 and headers.get("connection") == "close", "HTTP/1.0 closes")
            check(s.recv(10) == b"", "the server closes an HTTP/1.0 connection")

        # Pipelined: a /stats sent right behind a delay waits for it (answers in order).
        with socket.create_connection(addr) as s:
            get(s, "/reset")
            s.sendall(b"GET /delay/30000 HTTP/1.1\r\nHost: t\r\n\r\n"
                      b"GET /stats HTTP/1.1\r\nHost: t\r\n\r\n")
            status, _, body, rest = read_response(s)
            check(status == 200 and body == "ok", "the pipelined delay answers first")
            status, _, body, rest = read_response(s, rest)
            check(json.loads(body)["count"] == 1, "the pipelined /stats sees the delay served")

        # A body (Content-Length) is read and skipped; the next request parses.
        with socket.create_connection(addr) as s:
            s.sendall(b"POST /delay/1000 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
            status, _, body, rest = read_response(s)
            check(status == 200 and body == "ok" and rest == b"", "POST with a body")
            status, _, body = get(s, "/delay/0")
            check(status == 200, "the request after a body")

        # Bad input: clear errors.
        for request, want in [
            (b"GET /delay/abc HTTP/1.1\r\n\r\n", 400),
            (b"GET /delay/99999999999 HTTP/1.1\r\n\r\n", 400),
            (b"GET /nowhere HTTP/1.1\r\n\r\n", 404),
            (b"PUT /delay/1 HTTP/1.1\r\n\r\n", 405),
            (b"POST /delay/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
            (b"GET /delay/1 HTTP/2.0\r\n\r\n", 505),
            (b"NONSENSE\r\n\r\n", 400),
        ]:
            with socket.create_connection(addr) as s:
                s.sendall(request)
                status, _, body, _ = read_response(s)
                check(status == want, f"{request!r} answers {want} (got {status}: {body.strip()})")
        with socket.create_connection(addr) as s:
            s.sendall(b"GET /" + b"x" * 20000)
            status, _, _, _ = read_response(s)
            check(status == 431, "an endless header block answers 431")

        # A client that leaves before its answer: nothing recorded, server alive.
        with socket.create_connection(addr) as s:
            get(s, "/reset")
        s = socket.create_connection(addr)
        s.sendall(b"GET /delay/50000 HTTP/1.1\r\nHost: t\r\n\r\n")
        s.close()
        with socket.create_connection(addr) as s2:
            status, _, _ = get(s2, "/delay/60000")  # outlasts the abandoned one
            check(status == 200, "the server still answers after a client left")
        check(stats()["count"] == 1, "an abandoned request's delay is not recorded")

        # SIGTERM: the stats line on stdout, exit 0.
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        check(proc.returncode == 0, f"exit 0 on SIGTERM (got {proc.returncode}: {err})")
        final = json.loads(out.strip().splitlines()[-1])
        check(final["count"] == 1 and final["max_us"] >= 60000.0,
              f"SIGTERM prints the served delays ({out.strip()})")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

# Bad options: a clear error, exit 2.
r = subprocess.run([server_bin, "--port", "70000"], capture_output=True, text=True, timeout=30)
check(r.returncode == 2 and "--port wants 0..65535" in r.stderr, "a bad --port is refused")
r = subprocess.run([server_bin, "--bogus", "1"], capture_output=True, text=True, timeout=30)
check(r.returncode == 2 and "unknown option --bogus" in r.stderr, "an unknown option is refused")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("latency_truth_server: all checks passed")
