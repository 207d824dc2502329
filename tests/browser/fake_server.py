#!/usr/bin/python3
"""A stand-in for zokio-server, for working on site/ without building the C++ project.

    python3 tests/browser/fake_server.py [--port 8080] [--root site]
    then open http://127.0.0.1:8080/dashboard

Python standard library only. It serves site/ with zokio-server's static rules (`/` gives
index.html to a browser and `Hello, World!` to anything else, a directory gives its index.html,
`/dashboard` gives dashboard.html, MIME types by extension, dotfiles hidden (404), traversal
refused (403)), the built-in routes (/hello, /plaintext, /json, POST /api/echo, /api/status, /api/stats,
/healthz, /readyz, /metrics) with live figures counted from the requests it really answers, and
it prints the same `listening on http://HOST:PORT` line on stderr. SIGTERM/SIGINT: /readyz turns
503 and the process exits 0. tests/browser/dashboard_test.py accepts it in place of the real
binary (`python3 tests/browser/dashboard_test.py tests/browser/fake_server.py`).

It is not a model of zokio-server's performance or of its HTTP strictness: only of its API.
"""
import argparse
import collections
import json
import mimetypes
import os
import posixpath
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "0.1.0"
HELLO = b"Hello, World!"
MIME = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".json": "application/json",
    ".txt": "text/plain; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml",
    ".ico": "image/x-icon", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".wasm": "application/wasm", ".xml": "application/xml",
}


class Stats:
    """Counters shaped like zokio-server's /api/stats, kept under one lock."""

    def __init__(self, workers):
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.workers = [dict(worker=i, active_connections=0, total_connections=0, total_requests=0,
                             bytes_in=0, bytes_out=0) for i in range(workers)]
        self.responses = {k: 0 for k in ("1xx", "2xx", "3xx", "4xx", "5xx")}
        self.recent = collections.deque()  # completion times of the last 60 s
        self.latencies = collections.deque(maxlen=4096)  # microseconds
        self.next_conn = 0
        self.draining = False

    def connection_opened(self):
        with self.lock:
            w = self.next_conn % len(self.workers)
            self.next_conn += 1
            self.workers[w]["active_connections"] += 1
            self.workers[w]["total_connections"] += 1
            return w

    def connection_closed(self, w):
        with self.lock:
            self.workers[w]["active_connections"] -= 1

    def request_done(self, w, status, bytes_in, bytes_out, micros):
        now = time.monotonic()
        with self.lock:
            wk = self.workers[w]
            wk["total_requests"] += 1
            wk["bytes_in"] += bytes_in
            wk["bytes_out"] += bytes_out
            self.responses[f"{status // 100}xx"] += 1
            self.recent.append(now)
            self.latencies.append(micros)

    def snapshot(self, io_backend):
        now = time.monotonic()
        with self.lock:
            while self.recent and self.recent[0] < now - 60:
                self.recent.popleft()
            uptime = now - self.start

            def rate(window):
                n = sum(1 for t in self.recent if t >= now - window)
                return round(n / min(window, max(uptime, 1.0)), 1)

            lat = sorted(self.latencies) or [0]

            def pct(p):
                return int(lat[min(len(lat) - 1, int(p * len(lat)))])

            per_worker = [dict(w) for w in self.workers]
            return {
                "uptime_seconds": round(uptime, 1), "io_backend": io_backend,
                "workers": len(self.workers),
                "total_connections": sum(w["total_connections"] for w in per_worker),
                "active_connections": sum(w["active_connections"] for w in per_worker),
                "total_requests": sum(w["total_requests"] for w in per_worker),
                "requests_per_second": {"1s": rate(1), "10s": rate(10), "60s": rate(60)},
                "bytes_in": sum(w["bytes_in"] for w in per_worker),
                "bytes_out": sum(w["bytes_out"] for w in per_worker),
                "responses": dict(self.responses),
                "latency_us": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "p999": pct(0.999)},
                "parse_errors": 0, "timeouts": 0, "handler_errors": 0,
                "per_worker": per_worker,
            }


def metrics_text(s):
    lines = []

    def metric(name, kind, help_text, samples):
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lines.append(f"{name}{labels} {value}")

    metric("zokio_connections_total", "counter", "Connections accepted.", [("", s["total_connections"])])
    metric("zokio_connections_active", "gauge", "Connections open now.", [("", s["active_connections"])])
    metric("zokio_requests_total", "counter", "Requests answered.", [("", s["total_requests"])])
    metric("zokio_responses_total", "counter", "Responses by status class.",
           [(f'{{class="{k}"}}', v) for k, v in s["responses"].items()])
    metric("zokio_bytes_received_total", "counter", "Bytes read from clients.", [("", s["bytes_in"])])
    metric("zokio_bytes_sent_total", "counter", "Bytes written to clients.", [("", s["bytes_out"])])
    metric("zokio_parse_errors_total", "counter", "Requests rejected by the parser.", [("", 0)])
    metric("zokio_timeouts_total", "counter", "Connections closed by a timeout.", [("", 0)])
    metric("zokio_handler_errors_total", "counter", "Handlers that failed.", [("", 0)])
    metric("zokio_uptime_seconds", "gauge", "Seconds since start.", [("", s["uptime_seconds"])])
    metric("zokio_worker_requests_total", "counter", "Requests answered per worker.",
           [(f'{{worker="{w["worker"]}"}}', w["total_requests"]) for w in s["per_worker"]])
    return ("\n".join(lines) + "\n").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body go out in two writes: no 40 ms delayed-ACK stall
    server_version = "zokio-fake"
    sys_version = ""

    def setup(self):
        super().setup()
        self.worker = self.server.stats.connection_opened()

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.stats.connection_closed(self.worker)

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    # One entry point for every method: routes first, then static files.
    def do_GET(self):
        self.handle_any(head=False)

    def do_HEAD(self):
        self.handle_any(head=True)

    def do_POST(self):
        self.handle_any(head=False)

    def handle_any(self, head):
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        status, ctype, payload, extra = self.route(url, body)
        headers = [("Content-Type", ctype), ("Content-Length", str(len(payload)))] + extra
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(payload)
        out = len(payload) + sum(len(k) + len(v) + 4 for k, v in headers) + 40
        inn = len(self.requestline) + len(body) + sum(len(k) + len(v) + 4 for k, v in self.headers.items())
        self.server.stats.request_done(self.worker, status, inn, out, (time.monotonic() - started) * 1e6)

    def route(self, url, body):
        path, method, stats = url.path, self.command, self.server.stats
        text = "text/plain; charset=utf-8"
        if self.server.builtin:
            p = self.server.prefix
            if p and path.startswith(p + "/"):
                path = path[len(p):]
                builtin = True
            else:
                builtin = not p
            if builtin:
                if path in ("/hello", "/plaintext") and method != "POST":
                    return 200, text, HELLO, []
                if path == "/json" and method != "POST":
                    return 200, "application/json", b'{"message":"Hello, World!"}', []
                if path == "/api/echo":
                    if method != "POST":
                        return 405, text, b"method not allowed\n", [("Allow", "POST")]
                    q = urllib.parse.parse_qs(url.query)
                    if q.get("format") == ["json"]:
                        return 200, "application/json", json.dumps(
                            {"body": body.decode("utf-8", "replace")}, separators=(",", ":")).encode(), []
                    return 200, self.headers.get("Content-Type", "application/octet-stream"), body, []
                if path == "/api/status":
                    s = {"status": "ok", "version": VERSION,
                         "uptime_seconds": round(time.monotonic() - stats.start, 1),
                         "io_backend": self.server.io_backend, "workers": len(stats.workers)}
                    return 200, "application/json", json.dumps(s, separators=(",", ":")).encode(), []
                if path == "/api/stats":
                    s = stats.snapshot(self.server.io_backend)
                    return 200, "application/json", json.dumps(s, separators=(",", ":")).encode(), \
                        [("Cache-Control", "no-store")]
                if path == "/healthz":
                    return 200, text, b"ok", []
                if path == "/readyz":
                    return (503, text, b"draining", []) if stats.draining else (200, text, b"ready", [])
                if path == "/metrics":
                    return 200, "text/plain; version=0.0.4; charset=utf-8", \
                        metrics_text(stats.snapshot(self.server.io_backend)), []
        if method not in ("GET", "HEAD"):
            return 405, text, b"method not allowed\n", [("Allow", "GET, HEAD")]
        if url.path == "/" and "text/html" not in self.headers.get("Accept", ""):
            return 200, text, HELLO, []
        return self.static(url.path)

    def static(self, path):
        text = "text/plain; charset=utf-8"
        parts = [p for p in urllib.parse.unquote(path).split("/") if p]
        if any(p in (".", "..") or "\0" in p or "\\" in p for p in parts):
            return 403, text, b"forbidden\n", []  # traversal refused
        if any(p.startswith(".") for p in parts):
            return 404, text, b"not found\n", []  # dotfiles hidden
        root = self.server.root
        full = os.path.join(root, *parts)
        if os.path.isdir(full):
            if not path.endswith("/"):
                return 301, text, b"moved\n", [("Location", path + "/")]
            full = os.path.join(full, "index.html")
        elif not os.path.exists(full) and not posixpath.splitext(path)[1] and os.path.isfile(full + ".html"):
            full += ".html"
        if not os.path.realpath(full).startswith(os.path.realpath(root) + os.sep) or not os.path.isfile(full):
            return 404, text, b"not found\n", []
        ext = os.path.splitext(full)[1].lower()
        ctype = MIME.get(ext) or mimetypes.guess_type(full)[0] or "application/octet-stream"
        with open(full, "rb") as f:
            return 200, ctype, f.read(), [("Cache-Control", "no-cache")]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..", "site")))
    ap.add_argument("--builtin-prefix", default="")
    ap.add_argument("--no-builtin-routes", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args, ignored = ap.parse_known_args()  # zokio-server's other flags are accepted and ignored

    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    srv.daemon_threads = True
    srv.stats = Stats(max(1, args.workers or os.cpu_count() or 1))
    srv.root = os.path.abspath(args.root)
    srv.builtin = not args.no_builtin_routes
    srv.prefix = args.builtin_prefix.rstrip("/")
    srv.io_backend = "fake"
    srv.verbose = args.verbose

    def stop(signum, frame):
        srv.stats.draining = True
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = srv.server_address[:2]
    if ignored:
        print(f"fake_server: ignoring {' '.join(ignored)}", file=sys.stderr)
    print(f"zokio fake server (python) listening on http://{host}:{port}", file=sys.stderr, flush=True)
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()


if __name__ == "__main__":
    main()
