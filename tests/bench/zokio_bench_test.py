#!/usr/bin/env python3
"""Integration test of zokio-bench against the hello_http example: exact request counts,
pipelining, --close, --rate, 10,000 connections (when the hard open-file limit allows), the
JSON and text reports, errors by kind from a misbehaving server, and the exit statuses for bad
input, a refused port and a server that dies mid-run. Takes about 6 s (each command is bounded
at 30 s).

usage: zokio_bench_test.py ZOKIO_BENCH HELLO_HTTP
"""
import json
import re
import os
import resource
import signal
import socket
import subprocess
import sys
import struct
import tempfile
import threading
import time

BENCH, HELLO = sys.argv[1], sys.argv[2]
KEYS = ["requests", "duration_s", "requests_per_sec", "bytes_per_sec", "latency_us",
        "success_rate", "errors", "connections", "threads", "pipeline"]
failures = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_fd_limit():
    """In the server's child process: room for 10,000 connections if the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 16384 if hard == resource.RLIM_INFINITY else min(hard, 16384)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))


def start_server():
    port = free_port()
    proc = subprocess.Popen([HELLO, f"127.0.0.1:{port}", "1"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=raise_fd_limit)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("zokio_bench_test: hello_http did not start")


def misbehaving_server(mode):
    """A listener on a thread of its own that answers every request wrongly: "silent" never
    reads, "framing" sends a head with two different Content-Lengths, "reset" aborts the
    connection. Returns its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def serve():
        while mode != "silent":
            try:
                conn, _ = listener.accept()
            except OSError:  # the listener was closed: the test is done with it
                return
            conn.recv(4096)
            if mode == "framing":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
            else:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/", listener


def bench(*args):
    return subprocess.run([BENCH, *args], capture_output=True, text=True, timeout=30)


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        failures.append(name)


def report(name, proc, code=0):
    """Parses the JSON report of a run that should exit with `code`."""
    if proc.returncode != code:
        check(name, False, f"exit {proc.returncode}, stderr: {proc.stderr.strip()}")
        return None
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        check(name, False, f"stdout is not one JSON object: {proc.stdout!r}")
        return None
    missing = [k for k in KEYS if k not in out]
    if missing:
        check(name, False, f"missing keys {missing}")
        return None
    return out


def exact(name, out, n):
    errors = out["errors"]
    check(name, out["requests"] == n and out["success_rate"] == 1.0 and not any(errors.values()),
          f"requests {out['requests']}, success rate {out['success_rate']}, errors {errors}")


server, url = start_server()
try:
    out = report("-n 1000", bench(url + "/", "-n", "1000", "-c", "10", "-t", "2", "--json"))
    if out:
        exact("-n 1000 answers exactly 1000", out, 1000)
        check("-n 1000 reports its setup",
              (out["connections"], out["threads"], out["pipeline"]) == (10, 2, 1), str(out))
        lat = out["latency_us"]
        check("latency percentiles are ordered",
              0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"], str(lat))

    out = report("--pipeline 16", bench(url + "/", "-n", "1600", "-c", "4", "--pipeline", "16",
                                        "--json"))
    if out:
        exact("--pipeline 16 answers exactly 1600", out, 1600)
        check("--pipeline 16 reuses its connections", out.get("connections_opened") == 4, str(out))

    out = report("--close", bench(url + "/", "-n", "200", "-c", "4", "--close", "--json"))
    if out:
        exact("--close answers exactly 200", out, 200)
        check("--close opens a connection per request", out.get("connections_opened") == 200,
              str(out.get("connections_opened")))

    out = report("--rate", bench(url + "/", "-d", "1", "--warmup", "0.2", "-c", "10", "--rate",
                                 "2000", "--json"))
    if out:
        check("--rate 2000 holds the rate", 1600 <= out["requests_per_sec"] <= 2400,
              str(out["requests_per_sec"]))
        check("--rate 2000 succeeds", out["success_rate"] == 1.0, str(out["success_rate"]))

    out = report("-d 1", bench(url + "/", "-d", "1", "--warmup", "0", "-c", "4", "--json"))
    if out:
        check("-d 1 runs for a second", 0.99 <= out["duration_s"] <= 1.01, str(out["duration_s"]))
        check("-d 1 counts bytes", out["requests"] > 0 and out["bytes_per_sec"] > 0, str(out))

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as body:
        body.write("x" * 1000)
    out = report("POST --body", bench(url + "/echo", "-m", "POST", "--body", body.name, "-n",
                                      "100", "-c", "2", "-H", "X-Test: 1", "--json"))
    os.unlink(body.name)
    if out:
        exact("POST --body gets 100 answers", out, 100)
        check("POST --body gets the body back", out["bytes_per_sec"] > 0 and
              out["requests"] * 1000 < out["bytes_per_sec"] * out["duration_s"] * 1.01, str(out))

    out = report("404", bench(url + "/missing", "-n", "50", "-c", "2", "--json"), code=1)
    if out:
        check("a 404 counts as a status error", out["errors"]["status"] == 50 and
              out["success_rate"] == 0.0, str(out))

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard >= 10_200:
        out = report("-c 10000", bench(url + "/", "-c", "10000", "-t", "2", "-n", "20000",
                                       "--json"))
        if out:
            exact("-c 10000 answers exactly 20000", out, 20000)
            check("-c 10000 holds 10,000 connections", out.get("connections") == 10000 and
                  out.get("connections_opened") == 10000, str(out))
    else:
        print(f"skip -c 10000: the hard open-file limit is {hard}")

    text = bench(url + "/", "-n", "100", "-c", "2")
    check("the text report names the figures", text.returncode == 0 and all(
        w in text.stdout for w in ("requests/s", "latency", "p99.9", "success rate", "errors")),
        text.stdout + text.stderr)
    text = bench(url + "/missing", "-n", "40", "-c", "2")
    check("the text report breaks answers down by status class, as h2load does",
          "status         2xx 0, 3xx 0, 4xx 40, 5xx 0, other 0" in text.stdout, text.stdout)
    version = bench("--version")
    check("--version names the program and its version", version.returncode == 0 and
          re.fullmatch(r"zokio-bench \d+\.\d+\.\d+\n", version.stdout), repr(version.stdout))
finally:
    server.kill()
    server.wait()

# Errors by kind, each request counted once; nothing succeeds, so the exit status is 1.
for mode, kind, extra in (("silent", "timeout", ["--timeout", "300ms"]), ("framing", "framing", []),
                          ("reset", "reset", [])):
    bad_url, listener = misbehaving_server(mode)
    out = report(f"{kind} errors", bench(bad_url, "-n", "4", "-c", "2", "--json", *extra), code=1)
    if out:
        check(f"a {mode} server gives {kind} errors", out["errors"][kind] == 4 and
              out["requests"] == 0 and out["success_rate"] == 0.0, str(out))
    listener.close()

for args in (["not-a-url"], ["ftp://127.0.0.1/"], ["http://127.0.0.1:99999/"],
             [url + "/", "-c", "0"], [url + "/", "-d", "5", "-n", "10"], [url + "/", "-d", "x"],
             [url + "/", "-H", "no colon"], [url + "/", "--bogus"]):
    p = bench(*args)
    lines = p.stderr.strip().splitlines()
    check(f"{' '.join(args)} exits 2 with one line", p.returncode == 2 and len(lines) == 1 and
          p.stdout == "", f"exit {p.returncode}, stderr {p.stderr!r}")

p = bench(f"http://127.0.0.1:{free_port()}/", "-d", "1", "--json")
check("a refused port exits 1 with a message", p.returncode == 1 and
      "cannot connect" in p.stderr and p.stdout == "", f"exit {p.returncode}, {p.stderr!r}")

# The server dies one second into a ten-second run: the partial results, then exit 1, soon.
server, url = start_server()
started = time.monotonic()
run = subprocess.Popen([BENCH, url + "/", "-d", "10", "--warmup", "0", "-c", "8", "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(1)
server.send_signal(signal.SIGKILL)
server.wait()
try:
    stdout, stderr = run.communicate(timeout=30)
except subprocess.TimeoutExpired:
    run.kill()
    stdout, stderr = run.communicate()
elapsed = time.monotonic() - started
proc = subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)
out = report("server killed mid-run", proc, code=1)
if out:
    check("server killed mid-run: partial results, exit 1, promptly",
          out["requests"] > 0 and out.get("complete") is False and elapsed < 5 and
          "stopped accepting connections" in stderr, f"{out}, {elapsed:.1f} s, {stderr!r}")

print(f"zokio_bench_test: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
