#!/usr/bin/python3
"""Black-box test of zokio-server against hostile and careless clients.

    python3 tests/server/hostile_test.py PATH_TO_ZOKIO_SERVER [--sanitized]

A memory follows bytes received (announced, unsent bodies); B static gzip only where it helps,
once per file; C --write-timeout measures progress; D --header-timeout for silent connections;
E no open redirect; F absolute-form targets; G /api/echo limits and nosniff; H connection caps
and running out of descriptors; I ranges, dot segments, preconditions, unknown methods.
--sanitized (sanitizer builds, whose RSS says nothing): memory is judged by the server's own
`buffered_bytes` in /api/stats instead of RSS. Exit 0 pass, 1 fail, 2 usage.
"""
import gzip
import json
import os
import re
import resource
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as s  # noqa: E402
from support import check, check_eq, log  # noqa: E402

KIB, MIB = 1024, 1024 * 1024
SANITIZED = False
A_TXT = b"0123456789abcdefghij"
GZ = {"Accept-Encoding": "gzip"}


# --- helpers ----------------------------------------------------------------------------------

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def stats(conn):
    """/api/stats on an open connection (so it adds no connection of its own)."""
    r = conn.get("/api/stats")
    check_eq(r.status, 200, "GET /api/stats: status")
    return json.loads(r.body)


def stat_int(st, key):
    v = st.get(key)
    check(isinstance(v, int) and not isinstance(v, bool), f"/api/stats has an integer '{key}'",
          f"got {v!r}")
    return v


def on_new_conn(port, fn):
    """fn(conn) on a new connection, or None if it is not served (for polling)."""
    try:
        with s.Conn(port, timeout=3.0) as c:
            return fn(c)
    except (OSError, ValueError, s.ConnectionClosed, s.TestFailure):
        return None


def served(port):
    return on_new_conn(port, lambda c: c.get("/hello").status == 200)


class TunedConn(s.Conn):
    """A Conn whose socket is set up before connect(): a 127.x source address (the server sees
    another client) and/or a small receive buffer (the kernel cannot absorb a large response)."""

    def __init__(self, port, source=None, rcvbuf=None, timeout=10.0):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            if source:
                sock.bind((source, 0))
            sock.settimeout(timeout)
            sock.connect((s.HOST, port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as Conn does
        except OSError:
            sock.close()
            raise
        self.__dict__.update(port=port, timeout=timeout, sock=sock, buf=b"", sent=0, received=0,
                             eof=False, closed=False)


def recv_some(c, limit=64 * KIB):
    """The next bytes on c; b"" on EOF or reset."""
    try:
        return c.sock.recv(limit)
    except ConnectionResetError:
        return b""
    except socket.timeout:
        raise s.TestFailure(f"no data within {c.timeout} s")


def read_upto(c, n):
    """Reads (and drops) up to n bytes on c, less if it ends first. Returns how many."""
    got = 0
    while got < n:
        chunk = recv_some(c, min(64 * KIB, n - got))
        if not chunk:
            break
        got += len(chunk)
    return got


def read_head(c, what):
    """Reads a response head on c (any body bytes stay in c.buf): (status, {name: value})."""
    while b"\r\n\r\n" not in c.buf:
        chunk = recv_some(c)
        check(chunk and len(c.buf) < 64 * KIB, f"{what}: a response head arrives")
        c.buf += chunk
    head, _, c.buf = c.buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = (line.partition(":") for line in lines[1:])
    return int(lines[0].split()[1]), {k.strip().lower(): v.strip() for k, _, v in fields}


def refused(c, what):
    """A request on c, a connection over a limit: the server must close it unanswered, or
    answer 503 and close."""
    try:
        c.send(s.build_request("GET", "/hello"))
        r = c.read_response()
    except (BrokenPipeError, ConnectionResetError):
        return
    except s.ConnectionClosed as e:
        check_eq(e.received, 0, f"{what}: closed with no partial response")
        return
    except s.TestFailure as e:
        raise s.TestFailure(f"{what}: the server neither closed it nor answered ({e})")
    check_eq(r.status, 503, f"{what}: if answered at all, 503")
    check(c.wait_closed(5.0), f"{what}: closed after the 503")


# --- A: memory follows bytes received ---------------------------------------------------------

def hold_bodies(binary, count, step, head, body_sent, rss_limit, buffered_limit, what):
    """count connections each send head + body_sent of a larger announced body, then wait.
    The server's memory must follow what arrived, not what was announced."""
    srv = s.Server(binary)  # a fresh server: its baseline is not blurred by earlier tests
    probe = srv.conn()
    base_st = stats(probe)
    check(served(srv.port), "GET /hello before the load")
    base = srv.rss_kib()
    guard = (512 if SANITIZED else 200) * KIB  # stop early rather than take the machine down
    conns = []
    try:
        while len(conns) < count:  # in steps, checking RSS between them
            for _ in range(step):
                conns.append(srv.conn())
                conns[-1].send(head + body_sent)
            want = sum(c.sent for c in conns)

            def all_read():  # every head taken in (bytes_in) before measuring
                st = stats(probe)
                return st if (st["active_connections"] > len(conns)
                              and st["bytes_in"] >= want + probe.sent) else None
            st = s.wait_until(all_read, 20.0)
            check(st, f"{what}: the server reads all {len(conns)} connections' bytes within 20 s")
            grown = srv.rss_kib() - base
            log(f"  {len(conns)} connections: RSS +{grown / KIB:.1f} MiB, "
                f"buffered_bytes {st.get('buffered_bytes')}")
            check(grown < guard, f"{what}: {len(conns)} connections: RSS +{grown // KIB} MiB "
                  f"already (stopped early): memory must follow the bytes received")
        if SANITIZED:
            extra = stat_int(st, "buffered_bytes") - stat_int(base_st, "buffered_bytes")
            check(extra <= buffered_limit, f"{what}: buffered_bytes grows <= {buffered_limit}",
                  f"grew {extra}")
        else:
            check(grown < rss_limit, f"{what}: RSS grows < {rss_limit / KIB:.0f} MiB",
                  f"grew {grown / KIB:.1f} MiB")
        check(served(srv.port), f"{what}: GET /hello on a new connection meanwhile")
    finally:
        for c in conns:
            c.close()
    check(s.wait_until(lambda: stats(probe)["active_connections"] == 1, 10.0),
          f"{what}: the connections are gone from /api/stats within 10 s of closing")
    check(served(srv.port), f"{what}: GET /hello after they closed")
    probe.close()
    srv.stop()


def test_memory_unsent(binary):
    head = b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n"
    hold_bodies(binary, 200, 50, head, b"", 40 * KIB, 200 * 64 * KIB,
                "200 announced 8 MiB bodies")


def test_memory_trickled(binary):
    # 20 * 64 KiB of buffers plus allocator slack; reserving the announced 1 MB per connection
    # (~19 MiB) must show.
    head = b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
    hold_bodies(binary, 20, 20, head, b"b" * 1000, 8 * KIB, 20 * 64 * KIB,
                "20 bodies of 1000000 with 1000 bytes sent")


# --- B: compression of static files ------------------------------------------------------------

def compress_root(tmp):
    root = os.path.join(tmp, "gzroot")
    js = b"".join(b"function f%05d(a, b) { return a + b * %d; }\n" % (i, i % 7) for i in range(5000))
    css = b"".join(b".c%05d { color: #333; margin: 0 auto; }\n" % i for i in range(1000))
    files = {"tiny.txt": b"hello world", "big.js": js[:200 * KIB], "exact.css": css[:16 * KIB]}
    for name, data in files.items():
        write(os.path.join(root, name), data)
    return root, files


def identity(r):
    return r.header("Content-Encoding") in (None, "identity")


def test_gzip_variants(binary, tmp):
    root, files = compress_root(tmp)
    c = s.Server(binary, "--root", root).conn()
    r = c.get("/tiny.txt", GZ)
    check_eq((r.status, r.body), (200, files["tiny.txt"]), "tiny.txt with gzip")
    check(identity(r), "tiny.txt (11 bytes) with gzip: not compressed", repr(r))
    for name in ("big.js", "exact.css"):
        r = c.get("/" + name, GZ)
        check_eq((r.status, r.header("Content-Encoding")), (200, "gzip"),
                 f"{name} ({len(files[name])} bytes) with gzip: status, Content-Encoding")
        check("accept-encoding" in ",".join(r.header_list("Vary")).lower(),
              f"{name} with gzip: Vary: Accept-Encoding", repr(r.header_list("Vary")))
        check_eq(gzip.decompress(r.body), files[name], f"{name} with gzip: gunzips to the file")
        gz_etag = r.header("ETag")
        r = c.get("/" + name)
        check(identity(r), f"{name} without Accept-Encoding: identity", repr(r))
        check_eq(r.header("Content-Length"), str(len(files[name])), f"{name}: Content-Length")
        check(r.body == files[name], f"{name} without Accept-Encoding: exact bytes")
        check(r.header("ETag") != gz_etag, f"{name}: gzip and identity ETags differ", gz_etag)
    r = c.get("/big.js", {"Range": "bytes=0-9", **GZ})
    check_eq((r.status, r.body), (206, files["big.js"][:10]), "big.js, Range with gzip")
    check(identity(r), "big.js, Range with gzip: a range of the identity bytes", repr(r))
    c.close()


def test_gzip_count(binary, tmp):
    root, files = compress_root(tmp)
    c = s.Server(binary, "--root", root, workers=1).conn()  # one worker: one cache to fill
    n0 = stat_int(stats(c), "gzip_compressions")
    for _ in range(10):
        for name in files:
            check_eq(c.get("/" + name).status, 200, f"GET /{name}")
    check_eq(stat_int(stats(c), "gzip_compressions"), n0,
             "30 requests without Accept-Encoding: gzip_compressions unchanged")
    for _ in range(50):
        check(c.get("/tiny.txt", GZ).body == files["tiny.txt"], "tiny.txt with gzip: body")
        check(c.get("/tiny.txt").body == files["tiny.txt"], "tiny.txt: body")
    n1 = stat_int(stats(c), "gzip_compressions")
    check(n1 - n0 <= 1, "100 requests for tiny.txt: the compressor runs at most once", f"{n1 - n0}")
    for _ in range(20):
        check_eq(c.get("/big.js", GZ).header("Content-Encoding"), "gzip", "big.js with gzip")
    n2 = stat_int(stats(c), "gzip_compressions")
    check(n2 - n1 <= 1, "20 gzip requests for big.js: the compressor runs at most once",
          f"{n2 - n1}")
    c.close()


# --- C: the write timeout measures progress ----------------------------------------------------

CHUNK, TICK = 256 * KIB, 0.125  # the slow reader's pace: 2 MiB/s


def paced_body(c, length, what):
    """Reads length body bytes on c at 2 MiB/s; fails saying how far it got if cut off."""
    body = bytearray(c.buf)
    c.buf = b""
    start = time.monotonic()
    tick = 0
    while len(body) < length:
        target = min(length, (tick + 1) * CHUNK)
        while len(body) < target:
            chunk = recv_some(c, target - len(body))
            check(chunk, f"{what}: all {length} bytes arrive at 2 MiB/s", f"cut after {len(body)} "
                  f"bytes, {time.monotonic() - start:.1f} s into a {length / (8 * CHUNK):.0f} s read")
            body += chunk
        tick += 1
        time.sleep(max(0.0, start + tick * TICK - time.monotonic()))  # the client's rate
    return bytes(body)


def send_quietly(c, data):
    """c.send for a thread: an error shows on the reading side as a cut-off response."""
    try:
        c.send(data)
    except OSError:
        pass


def slow_read(port, request, want, what):
    c = TunedConn(port, rcvbuf=64 * KIB)
    # Sent from a thread: a server that streams an echo back while the body still arrives would
    # otherwise deadlock against a client that only reads after sending.
    sender = threading.Thread(target=send_quietly, args=(c, request), daemon=True)
    sender.start()
    try:
        status, headers = read_head(c, what)
        check_eq((status, headers.get("content-length")), (200, str(len(want))),
                 f"{what}: status and Content-Length")
        check(paced_body(c, len(want), what) == want, f"{what}: exact bytes")
    finally:
        c.close()
        sender.join(10.0)


def test_write_timeout(binary, tmp):
    large = os.urandom(MIB) * 24
    write(os.path.join(tmp, "bigroot", "large.bin"), large)
    srv = s.Server(binary, "--root", os.path.join(tmp, "bigroot"), "--write-timeout", "2s")
    probe = srv.conn()

    # Stalled: reads 1 MiB, then nothing. The server must give up on it.
    c = TunedConn(srv.port, rcvbuf=64 * KIB)
    c.send(s.build_request("GET", "/large.bin"))
    check_eq(read_head(c, "stalled reader")[0], 200, "stalled reader: status")
    got = len(c.buf) + read_upto(c, MIB - len(c.buf))
    check(got >= MIB, "stalled reader: the first MiB arrives", f"{got} bytes")
    stopped = time.monotonic()
    check(s.wait_until(lambda: stats(probe)["active_connections"] == 1, 15.0),
          "stalled reader: the server closes it within 15 s (write timeout 2 s)")
    log(f"  stalled reader closed {time.monotonic() - stopped:.1f} s after it stopped reading")
    got += read_upto(c, len(large) - got)  # what the kernels still held, then EOF or reset
    check(got < len(large), "stalled reader: the connection ends before the whole file")
    c.close()

    # Slow but always progressing: these get everything (~12 s and ~4 s).
    slow_read(srv.port, s.build_request("GET", "/large.bin"), large, "24 MiB file at 2 MiB/s")
    body = os.urandom(64 * KIB) * 128  # 8 MiB, the default body limit
    slow_read(srv.port, s.build_request("POST", "/api/echo", {
        "Content-Type": "application/octet-stream"}, body), body, "8 MiB echo at 2 MiB/s")
    probe.close()


# --- D: a connection that never sends a request -----------------------------------------------

def test_header_timeout(binary):
    srv = s.Server(binary, "--header-timeout", "1s", "--idle-timeout", "30s")
    silent, used = srv.conn(), srv.conn()
    opened = time.monotonic()
    check_eq(used.get("/hello").status, 200, "first request on a keep-alive connection")
    answered = time.monotonic()
    check(silent.wait_closed(6.0), "a connection that sends nothing is closed within 6 s "
          "(--header-timeout 1s, not the 30 s idle timeout)")
    log(f"  silent connection closed after {time.monotonic() - opened:.1f} s")
    # Waiting here is the point: an idle keep-alive connection is under the idle timeout.
    time.sleep(max(0.0, answered + 2.5 - time.monotonic()))
    check_eq(used.get("/hello").status, 200, "keep-alive connection idle 2.5 s: still served")
    silent.close()
    used.close()


# --- E, F, G, I: one server over a small site --------------------------------------------------

def site_root(tmp):
    root = os.path.join(tmp, "site")
    write(os.path.join(root, "a.txt"), A_TXT)
    write(os.path.join(root, "index.html"), b"<!doctype html><title>site index</title>\n")
    write(os.path.join(root, "sub", "index.html"), b"<!doctype html><title>sub</title>\n")
    return root


def once(port, target, headers=None, host="x", method="GET"):
    return s.raw_exchange(port, s.build_request(method, target, headers, host=host))


def test_open_redirect(port):
    for target in ("//sub", "///sub", "/%2Fsub", "//%73ub", "/\\sub"):
        r = once(port, target)
        loc = r.header("Location") if r else None
        log(f"  GET {target} -> {r.status if r else 'closed'} {loc or ''}")
        if r and 300 <= r.status < 400:  # a protocol-relative //host or /\host leaves the site
            check(re.match(r"^/[^/\\]", loc or "") and "://" not in loc,
                  f"GET {target}: Location stays on this site", f"Location {loc!r}")
    for target, want in (("/sub", "/sub/"), ("/sub?x=1", "/sub/?x=1")):
        r = once(port, target)
        check_eq((r.status, r.header("Location")), (301, want), f"GET {target}: redirect")


def test_absolute_form(port):
    for target, host in (("http://x/a.txt", "x"), ("http://localhost:8080/a.txt?q=1",
                          "localhost:8080"), ("http://[::1]/a.txt", "[::1]"),
                         ("http://127.0.0.1:80/a.txt", "127.0.0.1:80"), ("HTTP://X/a.txt", "X")):
        r = once(port, target, host=host)
        check_eq((r.status, r.body), (200, A_TXT), f"GET {target}")
    home, r = once(port, "/"), once(port, "http://x")
    check_eq((r.status, r.body), (home.status, home.body), "GET http://x is GET /")
    # RFC 9110 4.2.1 (empty host), 4.2.4 (userinfo), RFC 3986 (IP-literal, pct-encoding, port).
    for target in ("http://[::1/a.txt", "http://[zz::1]/a.txt", "http:///a.txt",
                   "http://x:99999/a.txt", "http://user@x/a.txt", "http://x%zz/a.txt"):
        with s.Conn(port) as c:
            try:
                r = c.request("GET", target, host="x")
            except s.ConnectionClosed as e:
                raise s.TestFailure(f"GET {target}: closed without a 400 ({e})")
            check_eq(r.status, 400, f"GET {target}: status")
            check(c.wait_closed(5.0), f"GET {target}: connection closed after the 400")


def test_echo(port):
    with s.Conn(port) as c:
        r = c.request("POST", "/api/echo?format=json", None, b"\x01" * (64 * KIB))
        check_eq(r.status, 200, "JSON echo of 64 KiB of 0x01: status")
        check((r.header("Content-Type") or "").startswith("application/json"),
              "JSON echo: Content-Type application/json", repr(r.header("Content-Type")))
        check_eq(r.header("X-Content-Type-Options"), "nosniff", "JSON echo: nosniff")
        r = c.request("POST", "/api/echo", {"Content-Type": "text/html"}, b"<script>x()</script>")
        check_eq((r.status, r.body), (200, b"<script>x()</script>"), "echo of text/html")
        check_eq((r.header("Content-Type") or "").split(";")[0], "application/octet-stream",
                 "echo of text/html: answered as application/octet-stream")
        check_eq(r.header("X-Content-Type-Options"), "nosniff", "echo: nosniff")
        body = os.urandom(MIB)
        check(c.request("POST", "/api/echo", None, body).body == body, "1 MiB echo: same bytes")
    with s.Conn(port) as c:
        send_quietly(c, s.build_request("POST", "/api/echo?format=json", None,
                                        b"\x01" * (64 * KIB + 1)))
        check_eq(c.read_response("POST").status, 413, "JSON echo of 65537 bytes: 413")


def test_small_points(port):
    c = s.Conn(port)
    r = c.get("/a.txt", {"Range": "BYTES=0-9"})
    check_eq((r.status, r.body), (206, A_TXT[:10]), "Range: BYTES=0-9 (unit is case-insensitive)")
    r = c.get("/a.txt", {"Range": "bytes=0-99999999999999999999"})
    check_eq((r.status, r.header("Content-Range"), r.body), (206, "bytes 0-19/20", A_TXT),
             "Range: bytes=0-<20 digits>")
    r = c.get("/sub/./../a.txt")
    check_eq((r.status, r.body), (200, A_TXT), "GET /sub/./../a.txt (dot segments resolved)")
    for target in ("/../a.txt", "/sub/../../a.txt"):
        check_eq(once(port, target).status, 403, f"GET {target} (above the root)")
    etag = c.get("/a.txt").header("ETag")
    for headers, want in (({"If-Match": '"nope"'}, 412), ({"If-Match": "*"}, 200),
                          ({"If-Match": etag}, 200),
                          ({"If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 412),
                          ({"If-Unmodified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}, 200)):
        check_eq(c.get("/a.txt", headers).status, want, f"GET /a.txt with {headers}")
    c.close()
    for method, target, want in (("CONNECT", "x:443", 501), ("BREW", "/a.txt", 501),
                                 ("DELETE", "/a.txt", 405), ("PATCH", "/a.txt", 405)):
        r = once(port, target, method=method)
        check_eq(r.status if r else None, want, f"{method} {target}")
        if want == 405:
            check("GET" in (r.header("Allow") or ""), f"{method} {target}: Allow lists GET",
                  repr(r.header("Allow")))


# --- H: connection limits -----------------------------------------------------------------------

def test_connection_cap(binary, flag, cap):
    """cap connections are served, one more is refused at once; with the global cap, a freed
    slot serves again; with the per-client cap, another client address is still served."""
    srv = s.Server(binary, flag, cap, workers=2)
    if flag == "--max-connections":
        check(srv.wait_line(r"(?i)max.connections.*20", 5.0),
              "startup stderr mentions max connections 20", srv.stderr_text()[-300:])
    conns = [srv.conn() for _ in range(cap)]
    try:
        for i, c in enumerate(conns):
            check_eq(c.get("/hello").status, 200, f"connection {i + 1} of {cap}: served")
        with s.Conn(srv.port, timeout=5.0) as extra:
            refused(extra, f"connection {cap + 1} from 127.0.0.1")
        if flag == "--max-connections-per-client":
            with TunedConn(srv.port, source="127.0.0.2") as other:  # loopback takes any 127.x
                check_eq(other.get("/hello").status, 200, "a connection from 127.0.0.2: served")
        else:
            conns.pop().close()  # a free slot for the stats request
            st = s.wait_until(lambda: on_new_conn(srv.port, stats), 10.0)
            check(st, "a slot frees within 10 s after a connection closes")
            check(stat_int(st, "connections_rejected") >= 1, "connections_rejected >= 1")
    finally:
        for c in conns:
            c.close()
    check(s.wait_until(lambda: served(srv.port), 10.0), "served again after they closed")
    srv.stop()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_out_of_descriptors(binary):
    def low_nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    # --max-connections above the descriptors there are, so that cap does not act first.
    srv = s.Server(binary, "--max-connections", "1000", preexec_fn=low_nofile)
    socks = []
    try:
        for _ in range(100):  # past 64 descriptors; the rest wait in the listen backlog
            socks.append(socket.create_connection((s.HOST, srv.port), timeout=5.0))
            socks[-1].sendall(s.build_request("GET", "/hello"))
        pattern = r"(?i)descriptor|EMFILE"
        check(srv.wait_line(pattern, 10.0), "stderr reports running out of file descriptors",
              srv.stderr_text()[-300:])
        before = cpu_seconds(srv.pid)
        time.sleep(2.0)  # the interval measured, not synchronisation
        used = cpu_seconds(srv.pid) - before
        log(f"  out of descriptors: {used:.2f} s of CPU in 2 s")
        check(used < 0.5, "out of descriptors: no busy loop (< 0.5 s CPU in 2 s)", f"{used:.2f} s")
        lines = [ln for ln in srv.stderr_text().split("\n") if re.search(pattern, ln)]
        check(len(lines) <= 10, "out of descriptors: reported a few times, not per attempt",
              f"{len(lines)} lines")
    finally:
        for sock in socks:
            sock.close()
    check(s.wait_until(lambda: served(srv.port), 15.0), "served again once descriptors are free")
    srv.stop()


# --- running ------------------------------------------------------------------------------------

def run(binary, argv):
    global SANITIZED
    if any(a != "--sanitized" for a in argv[2:]):
        print(f"usage: {argv[0]} PATH_TO_ZOKIO_SERVER [--sanitized]", file=sys.stderr)
        sys.exit(2)
    SANITIZED = "--sanitized" in argv[2:]
    tmp = s.tempdir()
    s.section("A1 memory: 200 announced 8 MiB bodies", test_memory_unsent, binary)
    s.section("A2 memory: 20 trickled 1 MB bodies", test_memory_trickled, binary)
    s.section("B1 gzip: where it helps, Vary, ETag, ranges", test_gzip_variants, binary, tmp)
    s.section("B2 gzip: compressor runs once per file", test_gzip_count, binary, tmp)
    s.section("C write timeout measures progress", test_write_timeout, binary, tmp)
    s.section("D header timeout for silent connections", test_header_timeout, binary)
    srv = s.Server(binary, "--root", site_root(tmp))
    s.section("E no open redirect", test_open_redirect, srv.port)
    s.section("F absolute-form targets", test_absolute_form, srv.port)
    s.section("G echo: JSON limit, Content-Type, nosniff", test_echo, srv.port)
    s.section("I ranges, dot segments, preconditions, methods", test_small_points, srv.port)
    s.section("H1 --max-connections 20", test_connection_cap, binary, "--max-connections", 20)
    s.section("H2 --max-connections-per-client 5", test_connection_cap, binary,
              "--max-connections-per-client", 5)
    if SANITIZED:
        # The sanitizer runtimes open descriptors of their own (UBSan checks a pointer through a
        # pipe): out of descriptors, they report errors that are theirs, not the server's.
        s.log("skipped [H3 out of file descriptors]: not run under a sanitizer")
    else:
        s.section("H3 out of file descriptors", test_out_of_descriptors, binary)


if __name__ == "__main__":
    s.main(run, hard_limit_s=170)
