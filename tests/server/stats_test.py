#!/usr/bin/python3
"""Black-box test that zokio-server's statistics count exactly.

    python3 tests/server/stats_test.py PATH_TO_ZOKIO_SERVER

Starts a fresh server (--workers 2), sends exactly N = 137 requests (200s, 404s and a few 405s;
over three keep-alive connections, one of them pipelined, and over new connections), then reads
GET /api/stats and GET /metrics on one more connection and checks every figure against what was
sent: requests, responses by class, connections, bytes, and that the per-worker figures add up to
the totals. Exit 0 pass, 1 fail, 2 usage.
"""
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as s  # noqa: E402
from support import check, check_eq, log  # noqa: E402

N = 137
KEEPALIVE_CONNS = 3
PER_KEEPALIVE = 25  # 75 requests on keep-alive connections (one pipelined batch among them)
PIPELINED = 12      # 12 more in one write on the first keep-alive connection
NEW_CONNS = N - KEEPALIVE_CONNS * PER_KEEPALIVE - PIPELINED  # 50: one request each


class Tally:
    def __init__(self):
        self.requests = 0
        self.by_class = {c: 0 for c in ("1xx", "2xx", "3xx", "4xx", "5xx")}
        self.connections = 0
        self.sent = 0
        self.received = 0

    def count(self, resp, want):
        check_eq(resp.status, want, f"request {self.requests + 1}: status")
        self.requests += 1
        self.by_class[f"{resp.status // 100}xx"] += 1


def request_for(i):
    """The i-th request of the mix and the status it must get."""
    kind = i % 7
    if kind in (0, 3):
        return ("GET", "/hello", None, None, 200)
    if kind == 1:
        return ("GET", f"/missing/{i}", None, None, 404)
    if kind == 2:
        return ("POST", "/api/echo", None, f"echo {i}".encode() * 3, 200)
    if kind == 4:
        return ("GET", "/json", None, None, 200)
    if kind == 5:
        return ("HEAD", f"/nothing-here-{i}", None, None, 404)
    return ("POST", "/hello", None, b"not allowed", 405)


def send_load(port, tally):
    i = 0
    conns = [s.Conn(port) for _ in range(KEEPALIVE_CONNS)]
    tally.connections += len(conns)
    # Round-robin over the keep-alive connections.
    for _ in range(PER_KEEPALIVE):
        for c in conns:
            method, target, headers, body, want = request_for(i)
            tally.count(c.request(method, target, headers, body), want)
            i += 1
    # A pipelined batch in one write.
    batch = [request_for(i + k) for k in range(PIPELINED)]
    conns[0].send(b"".join(s.build_request(m, t, h, b) for m, t, h, b, _ in batch))
    for m, _, _, _, want in batch:
        tally.count(conns[0].read_response(m), want)
    i += PIPELINED
    for c in conns:
        tally.sent += c.sent
        tally.received += c.received
        c.close()
    # New connections, one request each; half ask the server to close, half close themselves.
    for k in range(NEW_CONNS):
        method, target, headers, body, want = request_for(i)
        headers = {"Connection": "close"} if k % 2 == 0 else None
        with s.Conn(port) as c:
            tally.connections += 1
            tally.count(c.request(method, target, headers, body), want)
            tally.sent += c.sent
            tally.received += c.received
        i += 1
    check_eq(tally.requests, N, "requests sent by the test (self-check)")


def run(binary, argv):
    srv = s.Server(binary, workers=2)
    tally = Tally()
    send_load(srv.port, tally)
    log(f"sent {tally.requests} requests on {tally.connections} connections: "
        f"{tally.by_class}, {tally.sent} bytes out, {tally.received} bytes back")

    c = srv.conn()
    r = c.get("/api/stats")
    check_eq(r.status, 200, "GET /api/stats: status")
    st = json.loads(r.body)
    log(f"/api/stats: total_requests={st['total_requests']} responses={st['responses']} "
        f"total_connections={st['total_connections']} bytes_in={st['bytes_in']} "
        f"bytes_out={st['bytes_out']}")
    # Every response is counted before its bytes are written, and every one of the N responses
    # was read by the test, so all N are in; /api/stats renders its figures before its own
    # request is counted, so it is not among them.
    check_eq(st["total_requests"], N, "/api/stats: total_requests == N")
    check_eq(st["responses"], tally.by_class, "/api/stats: responses by class == those sent")
    # A connection is counted when it is accepted; this one, carrying the stats request, was.
    check_eq(st["total_connections"], tally.connections + 1,
             "/api/stats: total_connections == connections opened (+1 for this one)")
    # The server answered every request, so it read every byte sent (and cannot have read
    # more); this connection's stats request was read too before it was answered.
    check(st["bytes_in"] >= tally.sent, "/api/stats: bytes_in >= bytes sent",
          f"bytes_in {st['bytes_in']} < {tally.sent} sent")
    check_eq(st["bytes_in"], tally.sent + c.sent,
             "/api/stats: bytes_in == bytes sent (every byte was read, none invented)")
    for key in ("parse_errors", "handler_errors", "timeouts"):
        check_eq(st[key], 0, f"/api/stats: {key}")
    check(1 <= st["active_connections"] <= tally.connections + 1,
          "/api/stats: active_connections in [1, connections opened]", repr(st))
    check_eq(len(st["per_worker"]), 2, "/api/stats: per_worker entries (--workers 2)")
    # These counters change only before a response is written, so they are settled now.
    # (active_connections and bytes_out are not: the server notices a closed connection, and
    # counts a write as done, a little after the client saw it happen; they are checked at the
    # end, once settled.)
    for key in ("total_requests", "total_connections", "bytes_in"):
        total = sum(w[key] for w in st["per_worker"])
        check_eq(total, st[key], f"/api/stats: sum of per_worker {key} == {key}")

    r = c.get("/metrics")  # same connection: no new connection to count
    check_eq(r.status, 200, "GET /metrics: status")
    types, samples = s.parse_prometheus(r.body.decode("utf-8"))
    v = lambda name, **labels: s.metric_value(samples, name, **labels)
    # N + 1: by now the /api/stats request above has been answered and counted; the /metrics
    # request itself is counted only after its response is rendered, so it is not included.
    check_eq(v("zokio_requests_total"), N + 1, "/metrics: zokio_requests_total == N + 1")
    want = dict(tally.by_class)
    want["2xx"] += 1  # the /api/stats answer
    for cls, n in want.items():
        check_eq(v("zokio_responses_total", **{"class": cls}), n,
                 f"/metrics: zokio_responses_total{{class=\"{cls}\"}}")
    check_eq(v("zokio_connections_total"), tally.connections + 1, "/metrics: zokio_connections_total")
    check_eq(v("zokio_bytes_received_total"), tally.sent + c.sent,
             "/metrics: zokio_bytes_received_total == every byte sent, this request included")
    check(v("zokio_bytes_sent_total") >= st["bytes_out"],
          "/metrics: zokio_bytes_sent_total did not go down since /api/stats")
    check_eq(v("zokio_request_duration_seconds_count"), N + 1,
             "/metrics: zokio_request_duration_seconds_count == requests answered")
    workers = sum(val for name, _, val in samples if name == "zokio_worker_requests_total")
    check_eq(workers, N + 1, "/metrics: sum of zokio_worker_requests_total == requests answered")
    check_eq(v("zokio_timeouts_total"), 0, "/metrics: zokio_timeouts_total")
    check_eq(v("zokio_handler_errors_total"), 0, "/metrics: zokio_handler_errors_total")
    perr = sum(val for name, _, val in samples if name == "zokio_parse_errors_total")
    check_eq(perr, 0, "/metrics: zokio_parse_errors_total (all kinds)")

    # Once settled (polled: the server sees closes and completes writes asynchronously), only
    # this connection is active, bytes_out is exactly the bytes this test has received (every
    # earlier response was read in full; the one being rendered is not written yet), and the
    # per-worker figures add up to the totals.
    last = {}

    def settled():
        before = tally.received + c.received
        st = json.loads(c.get("/api/stats").body)
        last.update(st=st, received=before)
        pw = st["per_worker"]
        return (st["active_connections"] == 1 and st["bytes_out"] == before
                and sum(w["active_connections"] for w in pw) == 1
                and sum(w["bytes_out"] for w in pw) == st["bytes_out"])
    if not s.wait_until(settled, 10.0):
        st, before = last["st"], last["received"]
        check_eq(st["active_connections"], 1,
                 "/api/stats: active_connections drops to 1 (this one) once the others closed")
        check_eq(st["bytes_out"], before,
                 "/api/stats: bytes_out == bytes the test received (settled)")
        check_eq(sum(w["active_connections"] for w in st["per_worker"]), 1,
                 "/api/stats: sum of per_worker active_connections (settled)")
        check_eq(sum(w["bytes_out"] for w in st["per_worker"]), st["bytes_out"],
                 "/api/stats: sum of per_worker bytes_out == bytes_out (settled)")
    check_docs(last["st"], types)
    c.close()
    srv.stop()
    log(f"exact counts: ok (N={N})")


GUIDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                     "user-guide.md")


def keys_of(value, prefix=""):
    """Every key path of a JSON value ("latency_us.p50", "per_worker[].bytes_in")."""
    out = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(prefix + k)
            out |= keys_of(v, prefix + k + ".")
    elif isinstance(value, list) and value:
        out |= keys_of(value[0], prefix[:-1] + "[].")
    return out


def check_docs(stats, types):
    """docs/user-guide.md shows every /api/stats field and /metrics family there is, no other."""
    text = open(GUIDE, encoding="utf-8").read()
    example = re.search(r"`GET /api/stats`:\s*```json\n(.*?)```", text, re.S)
    check(example, "the user guide shows a /api/stats example")
    documented = keys_of(json.loads(example.group(1)))
    check_eq(sorted(documented), sorted(keys_of(stats)), "user guide: the /api/stats example's fields")
    families = set(re.findall(r"^\| `(zokio_[a-z_]+)[`{]", text, re.M))
    check_eq(sorted(families), sorted(types), "user guide: the /metrics families it lists")


if __name__ == "__main__":
    s.main(run, hard_limit_s=40)
