#!/usr/bin/env python3
"""Checks that every peer server of the benchmark comparison answers like the others before
any of them is measured: each is started with bench/peers/start.sh on a free port, then

  - GET / returns 200, body exactly "Hello, World!", Content-Type text/plain,
    Content-Length 13, a Date and a Server header;
  - a second request on the same connection works (keep-alive), and so do 3 pipelined ones;
  - GET /json returns the JSON body as application/json;
  - a "Connection: close" request is answered with Connection: close, then the server closes.

usage: bench/peers/check.py [NAME...]     (default: all; run bench/peers/build.sh first)
Exits 1 if any check fails.
"""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compare"))
from httpclient import read_response  # noqa: E402  (after the path set-up above)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PEERS = ["nginx", "h2o", "node", "go", "hyper", "c-epoll"]
HELLO = b"Hello, World!"
JSON = b'{"message":"Hello, World!"}'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(path, close=False):
    extra = "Connection: close\r\n" if close else ""
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (path, extra)).encode()


def wait_ready(port, proc, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("exited with status %d" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(request("/"))
                read_response(s)
                return
        except (OSError, ValueError):
            time.sleep(0.05)
    raise RuntimeError("not answering on port %d after %.0f s" % (port, timeout))


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def check_hello(status, headers, body):
    expect(status == 200, "status %d" % status)
    expect(body == HELLO, "body %r" % body)
    expect(headers.get("content-type", "").startswith("text/plain"),
           "Content-Type %r" % headers.get("content-type"))
    expect(headers.get("content-length") == "13", "Content-Length %r" % headers.get("content-length"))
    expect(headers.get("date", "").endswith(" GMT"), "Date %r" % headers.get("date"))
    expect(headers.get("server"), "no Server header")


def check_peer(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request("/"))
        status, headers, body, rest = read_response(s)
        check_hello(status, headers, body)
        s.sendall(request("/"))  # keep-alive: the same connection answers again
        check_hello(*read_response(s, rest)[:3])
        s.sendall(request("/") * 3)  # pipelined
        rest = b""
        for _ in range(3):
            status, headers, body, rest = read_response(s, rest)
            check_hello(status, headers, body)
        s.sendall(request("/json"))
        status, headers, body, rest = read_response(s, rest)
        expect(status == 200 and body == JSON, "/json: %d %r" % (status, body))
        expect(headers.get("content-type", "").startswith("application/json"),
               "/json Content-Type %r" % headers.get("content-type"))
        s.sendall(request("/", close=True))
        status, headers, body, rest = read_response(s, rest)
        check_hello(status, headers, body)
        expect(headers.get("connection", "").lower() == "close",
               "Connection: close request answered with Connection %r" % headers.get("connection"))
        expect(rest == b"" and s.recv(100) == b"", "server kept the connection open after close")
    return headers.get("server")


def main():
    names = sys.argv[1:] or PEERS
    failed = 0
    for name in names:
        port = free_port()
        proc = subprocess.Popen([os.path.join(ROOT, "bench/peers/start.sh"), name, str(port), "1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            wait_ready(port, proc)
            server = check_peer(port)
            print("ok    %-8s Server: %s" % (name, server))
        except Exception as e:  # report every peer, not only the first failure
            failed += 1
            err = proc.stderr.read().decode(errors="replace") if proc.poll() is not None else ""
            print("FAIL  %-8s %s %s" % (name, e, err.strip()))
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # the group: nginx and h2o fork helpers
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    print("%d passed, %d failed" % (len(names) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
