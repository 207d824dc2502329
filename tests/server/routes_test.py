#!/usr/bin/python3
"""Black-box test of zokio-server's built-in routes and router rules.

    python3 tests/server/routes_test.py PATH_TO_ZOKIO_SERVER

Covers /, /hello, /plaintext, /json, POST /api/echo (Content-Length and chunked bodies, binary
bytes, ?format=json escaping, the --max-body-bytes limit), /api/status, /api/stats (the fields of
docs/user-guide.md and their types), /metrics (a strict Prometheus text parse), /healthz and
/readyz; the router's 404, 405 + Allow, HEAD and OPTIONS answers; --builtin-prefix and
--no-builtin-routes; and in-order answers to pipelined requests. Exit 0 pass, 1 fail, 2 usage.
"""
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as s  # noqa: E402
from support import check, check_eq, log  # noqa: E402

HELLO = b"Hello, World!"
JSON_HELLO = b'{"message":"Hello, World!"}'
SITE_INDEX = b"<!doctype html><title>site index</title><p>zokio routes_test site marker 5c1e</p>\n"


def allow_set(resp):
    value = resp.header("Allow")
    check(value is not None, "Allow header present", repr(resp))
    return {m.strip() for m in value.split(",") if m.strip()}


def is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_text(resp, body, what, ctype="text/plain"):
    check_eq(resp.status, 200, f"{what}: status")
    check_eq(resp.body, body, f"{what}: body")
    check((resp.header("Content-Type") or "").startswith(ctype), f"{what}: Content-Type {ctype}",
          repr(resp.header("Content-Type")))


def test_simple_routes(srv):
    c = srv.conn()
    # "/" for a curl-like client is the plaintext hello; for a browser, the site's index page.
    r = c.get("/", {"User-Agent": "curl/8.5.0", "Accept": "*/*"})
    check_text(r, HELLO, "GET / (curl-like client)")
    r = c.get("/", {"User-Agent": "Mozilla/5.0",
                    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    check_eq(r.status, 200, "GET / (Accept: text/html): status")
    check((r.header("Content-Type") or "").startswith("text/html"),
          "GET / (Accept: text/html): Content-Type text/html", repr(r.header("Content-Type")))
    check(b"<html" in r.body.lower() or b"<!doctype html" in r.body.lower(),
          "GET / (Accept: text/html): an HTML page", s.shorten(r.body))
    check_text(c.get("/hello"), HELLO, "GET /hello")
    check_text(c.get("/plaintext"), HELLO, "GET /plaintext")
    r = c.get("/json")
    check_text(r, JSON_HELLO, "GET /json", ctype="application/json")
    check_eq(json.loads(r.body), {"message": "Hello, World!"}, "GET /json: parsed")
    r = c.get("/healthz")
    check_eq(r.status, 200, "GET /healthz: status")
    check_eq(r.body.strip(), b"ok", "GET /healthz: body")
    r = c.get("/readyz")
    check_eq(r.status, 200, "GET /readyz: status")
    check_eq(r.body.strip(), b"ready", "GET /readyz: body")
    # A query string does not change the route.
    check_text(c.get("/hello?x=1&y=2"), HELLO, "GET /hello?x=1&y=2")
    c.close()


def test_echo(srv):
    c = srv.conn()
    binary = bytes(range(256)) * 4 + b"\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n"
    r = c.request("POST", "/api/echo", {"Content-Type": "application/octet-stream"}, binary)
    check_eq(r.status, 200, "POST /api/echo (Content-Length, binary): status")
    check_eq(r.body, binary, "POST /api/echo (Content-Length, binary): body echoed unchanged")
    r = c.request("POST", "/api/echo", {"Content-Type": "text/plain"}, b"")
    check_eq((r.status, r.body), (200, b""), "POST /api/echo (empty body)")

    # Chunked request body: chunks of several sizes, a chunk extension, a trailer field.
    pieces = [b"\x00\x01binary\xff", b"x" * 4000, b"\r\n", b"last piece \xc3\xa9"]
    chunked = b"".join(b"%x\r\n" % len(p) + p + b"\r\n" for p in pieces[:2])
    chunked += b"%x;ext=1\r\n" % len(pieces[2]) + pieces[2] + b"\r\n"
    chunked += b"%X\r\n" % len(pieces[3]) + pieces[3] + b"\r\n"
    chunked += b"0\r\nX-Trailer: yes\r\n\r\n"
    r = c.request("POST", "/api/echo", {"Transfer-Encoding": "chunked",
                                        "Content-Type": "application/octet-stream"}, chunked)
    check_eq(r.status, 200, "POST /api/echo (chunked): status")
    check_eq(r.body, b"".join(pieces), "POST /api/echo (chunked): body echoed unchanged")

    # ?format=json: quotes, backslashes, every control character, DEL and UTF-8 must come back as
    # a JSON string that decodes to exactly what was sent.
    text = ('quote " backslash \\ slash / ' + "".join(chr(i) for i in range(32)) + "\x7f"
            + " é ü 漢字 😀 \u2028\u2029 end")
    raw = text.encode("utf-8")
    for framing in ("content-length", "chunked"):
        if framing == "chunked":
            r = c.request("POST", "/api/echo?format=json", {"Transfer-Encoding": "chunked"},
                          b"%x\r\n" % len(raw) + raw + b"\r\n0\r\n\r\n")
        else:
            r = c.request("POST", "/api/echo?format=json", None, raw)
        what = f"POST /api/echo?format=json ({framing})"
        check_eq(r.status, 200, f"{what}: status")
        check((r.header("Content-Type") or "").startswith("application/json"),
              f"{what}: Content-Type application/json", repr(r.header("Content-Type")))
        check(not any(b < 0x20 for b in r.body), f"{what}: no raw control bytes in the JSON",
              s.shorten(r.body))
        try:
            doc = json.loads(r.body.decode("utf-8"))  # strict: raw control characters are errors
        except ValueError as e:
            raise s.TestFailure(f"{what}: response is not valid UTF-8 JSON ({e}): {r.body!r}")
        check(isinstance(doc, dict) and "body" in doc, f"{what}: an object with 'body'", repr(doc))
        check_eq(doc["body"], text, f"{what}: body decodes to what was sent")
    # Other query parameters alongside format=json still select JSON.
    r = c.request("POST", "/api/echo?a=1&format=json", None, b"hi")
    check_eq(json.loads(r.body).get("body"), "hi", "POST /api/echo?a=1&format=json: body")
    # Invalid UTF-8 cannot go into a JSON string as is: the answer must still be valid JSON.
    r = c.request("POST", "/api/echo?format=json", None, b"ok \xff\xfe\x80 \xc3")
    try:
        doc = json.loads(r.body.decode("utf-8"))
    except ValueError as e:
        raise s.TestFailure(f"POST /api/echo?format=json (invalid UTF-8): not valid JSON ({e}): "
                            f"{r.body!r}")
    check(doc["body"].startswith("ok "), "POST /api/echo?format=json (invalid UTF-8): body",
          repr(doc))
    c.close()


def test_body_limit(binary):
    srv = s.Server(binary, "--max-body-bytes", "1k")
    c = srv.conn()
    r = c.request("POST", "/api/echo", None, b"a" * 1024)
    check_eq((r.status, len(r.body)), (200, 1024), "--max-body-bytes 1k: 1024-byte body accepted")
    r = c.request("POST", "/api/echo", None, b"b" * 1025)
    check_eq(r.status, 413, "--max-body-bytes 1k: 1025-byte body (Content-Length) → 413")
    c.close()
    c = srv.conn()
    body = b"400\r\n" + b"c" * 1024 + b"\r\n1\r\nd\r\n0\r\n\r\n"
    r = c.request("POST", "/api/echo", {"Transfer-Encoding": "chunked"}, body)
    check_eq(r.status, 413, "--max-body-bytes 1k: 1025-byte chunked body → 413")
    c.close()
    # A body far larger than the limit, announced but not sent: the answer must not wait for it.
    c = srv.conn()
    c.send(s.build_request("POST", "/api/echo", {"Content-Length": "100000000"}) + b"e" * 2000)
    r = c.read_response("POST")
    check_eq(r.status, 413, "--max-body-bytes 1k: Content-Length 100000000 → 413")
    c.close()
    srv.stop()


def test_status_and_stats(srv):
    c = srv.conn()
    r = c.get("/api/status")
    check_eq(r.status, 200, "GET /api/status: status")
    st = json.loads(r.body)
    check_eq(st.get("status"), "ok", "GET /api/status: status field")
    check(isinstance(st.get("version"), str) and st["version"], "GET /api/status: version string",
          repr(st))
    check(is_number(st.get("uptime_seconds")) and st["uptime_seconds"] >= 0,
          "GET /api/status: uptime_seconds number", repr(st))
    check(st.get("io_backend") in ("io_uring", "epoll"), "GET /api/status: io_backend", repr(st))
    check_eq(st.get("workers"), 2, "GET /api/status: workers (--workers 2)")

    r = c.get("/api/stats")
    check_eq(r.status, 200, "GET /api/stats: status")
    check((r.header("Content-Type") or "").startswith("application/json"),
          "GET /api/stats: Content-Type application/json", repr(r.header("Content-Type")))
    st = json.loads(r.body)
    what = "GET /api/stats"
    check(is_number(st.get("uptime_seconds")), f"{what}: uptime_seconds number", repr(st))
    check(st.get("io_backend") in ("io_uring", "epoll"), f"{what}: io_backend", repr(st))
    check_eq(st.get("workers"), 2, f"{what}: workers")
    for key in ("total_connections", "active_connections", "total_requests", "bytes_in",
                "bytes_out", "parse_errors", "timeouts", "handler_errors"):
        check(is_uint(st.get(key)), f"{what}: {key} is a non-negative integer", repr(st.get(key)))
    rps = st.get("requests_per_second")
    check(isinstance(rps, dict) and all(is_number(rps.get(k)) for k in ("1s", "10s", "60s")),
          f"{what}: requests_per_second has numbers 1s, 10s, 60s", repr(rps))
    resp = st.get("responses")
    check(isinstance(resp, dict) and all(is_uint(resp.get(k)) for k in
                                         ("1xx", "2xx", "3xx", "4xx", "5xx")),
          f"{what}: responses has integers 1xx..5xx", repr(resp))
    lat = st.get("latency_us")
    keys = ("p50", "p90", "p99", "p999")
    check(isinstance(lat, dict) and all(is_number(lat.get(k)) and lat[k] >= 0 for k in keys),
          f"{what}: latency_us has numbers p50, p90, p99, p999", repr(lat))
    check([lat[k] for k in keys] == sorted(lat[k] for k in keys),
          f"{what}: latency percentiles in order", repr(lat))
    pw = st.get("per_worker")
    check(isinstance(pw, list) and len(pw) == 2, f"{what}: per_worker has one entry per worker",
          repr(pw))
    for i, w in enumerate(pw):
        check_eq(w.get("worker"), i, f"{what}: per_worker[{i}].worker")
        for key in ("active_connections", "total_connections", "total_requests", "bytes_in",
                    "bytes_out"):
            check(is_uint(w.get(key)), f"{what}: per_worker[{i}].{key} non-negative integer",
                  repr(w))
    # Earlier requests on this connection were answered, so they are counted.
    check(st["total_requests"] >= 1 and st["responses"]["2xx"] >= 1,
          f"{what}: counts the requests already answered", repr(st))
    check(st["active_connections"] >= 1, f"{what}: active_connections counts this one", repr(st))

    r = c.get("/metrics")
    check_eq(r.status, 200, "GET /metrics: status")
    check((r.header("Content-Type") or "").startswith("text/plain"),
          "GET /metrics: Content-Type text/plain", repr(r.header("Content-Type")))
    types, samples = s.parse_prometheus(r.body.decode("utf-8"))
    documented = {
        "zokio_connections_total": "counter", "zokio_connections_active": "gauge",
        "zokio_requests_total": "counter", "zokio_responses_total": "counter",
        "zokio_bytes_received_total": "counter", "zokio_bytes_sent_total": "counter",
        "zokio_parse_errors_total": "counter", "zokio_timeouts_total": "counter",
        "zokio_handler_errors_total": "counter", "zokio_request_duration_seconds": "histogram",
        "zokio_uptime_seconds": "gauge", "zokio_worker_requests_total": "counter",
    }
    for name, kind in documented.items():
        check_eq(types.get(name), kind, f"GET /metrics: # TYPE {name}")
    for cls in ("1xx", "2xx", "3xx", "4xx", "5xx"):
        s.metric_value(samples, "zokio_responses_total", **{"class": cls})
    for w in ("0", "1"):
        s.metric_value(samples, "zokio_worker_requests_total", worker=w)
    check(s.metric_value(samples, "zokio_requests_total") >= 3,
          "GET /metrics: zokio_requests_total counts the requests answered")
    c.close()


def test_router_rules(srv):
    c = srv.conn()
    for path in ("/no/such/route", "/hello/extra", "/api/echo/x", "/HELLO"):
        r = c.get(path)
        check_eq(r.status, 404, f"GET {path}: unknown path → 404")
    r = c.request("POST", "/hello", None, b"x")
    check_eq(r.status, 405, "POST /hello: wrong method → 405")
    check("GET" in allow_set(r), "POST /hello: 405 Allow lists GET", repr(r.header("Allow")))
    r = c.request("DELETE", "/json")
    check_eq(r.status, 405, "DELETE /json: wrong method → 405")
    check("GET" in allow_set(r), "DELETE /json: Allow lists GET", repr(r.header("Allow")))
    r = c.get("/api/echo")
    check_eq(r.status, 405, "GET /api/echo: wrong method → 405")
    check("POST" in allow_set(r) and "GET" not in allow_set(r),
          "GET /api/echo: Allow lists POST, not GET", repr(r.header("Allow")))

    # HEAD on a GET route: the same status and headers (Date aside), Content-Length of the GET
    # body, and no body: the next response on the connection must start right after the head.
    for path in ("/hello", "/json", "/healthz", "/api/status"):
        g = c.get(path)
        h = c.request("HEAD", path)
        check_eq(h.status, g.status, f"HEAD {path}: status as GET")
        if path != "/api/status":  # its uptime changes the length
            strip = lambda resp: [(k.lower(), v) for k, v in resp.headers if k.lower() != "date"]
            check_eq(strip(h), strip(g), f"HEAD {path}: headers as GET")
        else:
            check(h.header("Content-Length") is not None, f"HEAD {path}: Content-Length")
        after = c.get("/hello")
        check_eq((after.status, after.body), (200, HELLO),
                 f"HEAD {path}: no body bytes (next response on the connection parses)")

    for path, must in (("/hello", {"GET", "HEAD"}), ("/api/echo", {"POST"}),
                       ("/metrics", {"GET", "HEAD"})):
        r = c.request("OPTIONS", path)
        check_eq(r.status, 204, f"OPTIONS {path}: 204")
        allowed = allow_set(r)
        check(must <= allowed, f"OPTIONS {path}: Allow lists {sorted(must)}", repr(allowed))
        check(r.header("Content-Length") in (None, "0") and not r.body,
              f"OPTIONS {path}: no body", repr(r))
    check_text(c.get("/hello"), HELLO, "GET /hello after the router checks (connection alive)")
    c.close()


def test_pipelining(srv):
    reqs = []
    expect = []
    for i in range(40):
        kind = i % 5
        if kind == 0:
            body = f"pipelined body {i} ".encode() * (i + 1)
            reqs.append(s.build_request("POST", "/api/echo", None, body))
            expect.append(("POST", 200, body))
        elif kind == 1:
            reqs.append(s.build_request("GET", "/json"))
            expect.append(("GET", 200, JSON_HELLO))
        elif kind == 2:
            reqs.append(s.build_request("GET", f"/missing/{i}"))
            expect.append(("GET", 404, None))
        elif kind == 3:
            reqs.append(s.build_request("HEAD", "/hello"))
            expect.append(("HEAD", 200, b""))
        else:
            reqs.append(s.build_request("GET", f"/hello?n={i}"))
            expect.append(("GET", 200, HELLO))
    c = srv.conn()
    c.send(b"".join(reqs))  # one write: the server sees many requests in one read
    for i, (method, status, body) in enumerate(expect):
        r = c.read_response(method)
        check_eq(r.status, status, f"pipelined request {i} ({method}): status, in order")
        if body is not None:
            check_eq(r.body, body, f"pipelined request {i} ({method}): body, in order")
    # Byte by byte: the parser must cope with requests split anywhere.
    data = s.build_request("GET", "/json") + s.build_request("POST", "/api/echo", None, b"split")
    for b in data:
        c.send(bytes([b]))
    check_text(c.read_response(), JSON_HELLO, "byte-by-byte request 1", "application/json")
    check_eq(c.read_response("POST").body, b"split", "byte-by-byte request 2: body")
    c.close()


def test_limits(srv):
    """The documented default limits: request line 8192 → 414, header section 16384 → 431,
    100 header fields → 431 (the Host header counts)."""
    port = srv.port
    r = s.raw_exchange(port, s.build_request("GET", "/hello?x=" + "a" * 8000))
    check_eq(r.status if r else None, 200, "request line of ~8 KB (under 8192) → 200")
    r = s.raw_exchange(port, s.build_request("GET", "/hello?x=" + "a" * 9000))
    check_eq(r.status if r else None, 414, "request line over 8192 bytes → 414")
    r = s.raw_exchange(port, s.build_request("GET", "/hello", {"X-Big": "b" * 17000}))
    check_eq(r.status if r else None, 431, "header section over 16384 bytes → 431")
    r = s.raw_exchange(port, s.build_request("GET", "/hello", [(f"X-H{i}", "v") for i in range(99)]))
    check_eq(r.status if r else None, 200, "100 header fields (Host + 99) → 200")
    r = s.raw_exchange(port, s.build_request("GET", "/hello", [(f"X-H{i}", "v") for i in range(100)]))
    check_eq(r.status if r else None, 431, "101 header fields → 431")


def test_prefix(binary):
    srv = s.Server(binary, "--builtin-prefix", "/_z")
    c = srv.conn()
    check_text(c.get("/_z/hello"), HELLO, "--builtin-prefix /_z: GET /_z/hello")
    check_text(c.get("/_z/json"), JSON_HELLO, "--builtin-prefix /_z: GET /_z/json",
               "application/json")
    check_eq(c.get("/_z/healthz").status, 200, "--builtin-prefix /_z: GET /_z/healthz")
    check_eq(c.get("/_z/metrics").status, 200, "--builtin-prefix /_z: GET /_z/metrics")
    r = c.request("POST", "/_z/api/echo", None, b"prefixed")
    check_eq((r.status, r.body), (200, b"prefixed"), "--builtin-prefix /_z: POST /_z/api/echo")
    for path in ("/hello", "/json", "/healthz", "/metrics", "/api/stats"):
        check_eq(c.get(path).status, 404, f"--builtin-prefix /_z: GET {path} → 404")
    # The welcome page and the dashboard link to the routes where they are now.
    page = c.get("/", {"Accept": "text/html"})
    check_eq(page.status, 200, "--builtin-prefix /_z: the welcome page")
    links = re.findall(rb'href="(/[^"]*)"', page.body)
    check(b"/_z/metrics" in links and b"/_z/healthz" in links and b"/_z/hello" in links,
          "--builtin-prefix /_z: the welcome page links to /_z/...", repr(links))
    for link in links:
        if link != b"/":
            check_eq(c.get(link.decode()).status, 200, f"--builtin-prefix /_z: link {link!r}")
    js = c.get("/dashboard.js")
    check(b'"/_z/api/stats"' in js.body, "--builtin-prefix /_z: the dashboard polls /_z/api/stats")
    c.close()
    srv.stop()


def test_root_and_no_builtins(binary):
    root = s.tempdir()
    with open(os.path.join(root, "index.html"), "wb") as f:
        f.write(SITE_INDEX)
    with open(os.path.join(root, "hello"), "wb") as f:
        f.write(b"a static file called hello\n")

    # With the built-in routes, a browser asking for / gets the root's index.html.
    srv = s.Server(binary, "--root", root)
    r = srv.get("/", {"Accept": "text/html"})
    check_eq((r.status, r.body), (200, SITE_INDEX), "--root: GET / (Accept: text/html) → index.html")
    check_text(srv.get("/", {"Accept": "*/*"}), HELLO, "--root: GET / (Accept: */*) → hello")
    check_text(srv.get("/hello"), HELLO, "--root: built-in /hello wins over the file")
    srv.stop()

    srv = s.Server(binary, "--root", root, "--no-builtin-routes")
    c = srv.conn()
    for accept in ("*/*", "text/html"):
        r = c.get("/", {"Accept": accept})
        check_eq((r.status, r.body), (200, SITE_INDEX),
                 f"--no-builtin-routes: GET / (Accept: {accept}) → the site's index.html")
    r = c.get("/hello")
    check_eq((r.status, r.body), (200, b"a static file called hello\n"),
             "--no-builtin-routes: /hello is the static file")
    for path in ("/json", "/healthz", "/readyz", "/metrics", "/api/stats", "/api/status"):
        check_eq(c.get(path).status, 404, f"--no-builtin-routes: GET {path} → 404")
    r = c.request("POST", "/api/echo", None, b"x")
    check(r.status in (404, 405), "--no-builtin-routes: POST /api/echo → 404 or 405",
          f"got {r.status}")
    c.close()
    srv.stop()


def run(binary, argv):
    srv = s.Server(binary)
    log(f"server on port {srv.port} (--workers 2)")
    s.section("GET /, /hello, /plaintext, /json, /healthz, /readyz", test_simple_routes, srv)
    s.section("POST /api/echo", test_echo, srv)
    s.section("/api/status, /api/stats, /metrics", test_status_and_stats, srv)
    s.section("router: 404, 405 + Allow, HEAD, OPTIONS", test_router_rules, srv)
    s.section("pipelining", test_pipelining, srv)
    s.section("default limits: 414, 431", test_limits, srv)
    s.section("graceful stop", srv.stop)
    s.section("--max-body-bytes 1k", test_body_limit, binary)
    s.section("--builtin-prefix /_z", test_prefix, binary)
    s.section("--root and --no-builtin-routes", test_root_and_no_builtins, binary)


if __name__ == "__main__":
    s.main(run, hard_limit_s=50)
