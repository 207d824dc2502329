#!/usr/bin/python3
"""Black-box test of running zokio-server: options, configuration, logs and signals.

    python3 tests/server/operations_test.py PATH_TO_ZOKIO_SERVER

Checks that bad flags and bad configuration files exit 2 at once with one line naming the
problem; that --help lists every option with its default; that a TOML file with every key is
accepted and that flags win over it; that a port already taken is reported with its address; the
access log (json and combined formats, and reopening on SIGHUP after a rename); graceful drain
under keep-alive load on SIGTERM (no response lost, duplicated or truncated; exit 0 in time); and
that a second SIGTERM exits at once. Exit 0 pass, 1 fail, 2 usage.
"""
import json
import os
import re
import signal
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as s  # noqa: E402
from support import check, check_eq, log  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# --- bad flags and configuration files --------------------------------------------------------

def expect_usage_error(binary, args, what, must_mention):
    rc, out, err = s.run_cli(binary, args, timeout=5.0)
    check(rc is not None, f"{what}: exits within 5 s", "still running, killed")
    lines = [l for l in err.splitlines() if l.strip()]
    log(f"  {what}: exit {rc}, stderr: {err.strip()!r}")
    check_eq(rc, 2, f"{what}: exit code")
    check_eq(len(lines), 1, f"{what}: exactly one line on stderr ({err!r})")
    if "--config" in args:
        path = args[args.index("--config") + 1]
        check_eq(lines[0].count(os.path.basename(path)), 1,
                 f"{what}: the message names the file once ({lines[0]!r})")
    for word in must_mention:
        check(word.lower() in lines[0].lower(), f"{what}: the message names {word!r}",
              repr(lines[0]))
    check_eq(out, "", f"{what}: nothing on stdout")


def test_bad_flags(binary):
    cases = [
        (["--port", "99999"], "--port 99999", ["port", "99999"]),
        (["--workers", "x"], "--workers x", ["workers", "x"]),
        (["--io", "bogus"], "--io bogus", ["io", "bogus"]),
        (["--header-timeout", "5parsecs"], "--header-timeout 5parsecs",
         ["header-timeout", "5parsecs"]),
        (["--root", "/nonexistent"], "--root /nonexistent", ["root", "/nonexistent"]),
        (["--frobnicate"], "unknown flag --frobnicate", ["--frobnicate"]),
        (["--idle-timeout", "soon"], "--idle-timeout soon", ["idle-timeout", "soon"]),
        (["--port", "70000"], "--port 70000", ["port", "70000"]),
        (["--max-body-bytes", "lots"], "--max-body-bytes lots", ["max-body-bytes", "lots"]),
        (["--host", "not-an-ip"], "--host not-an-ip", ["host", "not-an-ip"]),
        (["--trusted-proxies", "10.0.0.0/8,bogus"], "--trusted-proxies with a bad entry",
         ["trusted-proxies", "bogus"]),
        (["--access-log", "/nonexistent/access.log"], "--access-log in a missing directory",
         ["access-log", "/nonexistent/access.log"]),
        # Durations that would mean "never": once, a server that answered nothing.
        (["--idle-timeout", "3000000h"], "--idle-timeout 3000000h", ["idle-timeout", "too long"]),
        (["--idle-timeout", "99999999999h"], "--idle-timeout 99999999999h", ["idle-timeout"]),
        (["--write-timeout", "99999999999h"], "--write-timeout 99999999999h", ["write-timeout"]),
        (["--header-timeout", "9999999999s"], "--header-timeout 9999999999s", ["header-timeout"]),
        (["--body-timeout", "99999999999h"], "--body-timeout 99999999999h", ["body-timeout"]),
    ]
    for args, what, words in cases:
        if "--port" not in args:
            args = args + ["--port", "0"]  # should it start anyway, not on 8080
        expect_usage_error(binary, args, what, words)


def test_bad_configs(binary, tmp):
    def config(name, text):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path
    syntax = config("syntax.toml", 'host = "127.0.0.1"\nport = \nworkers = 1\n')
    unknown = config("unknown.toml", 'port = 0\nfrobnicate_level = 11\n')
    wrong_array = config("wrong-array.toml", "port = [8080]\n")
    wrong_float = config("wrong-float.toml", "workers = 1.5\n")
    wrong_bool = config("wrong-bool.toml", 'gzip = "yes"\n')
    wrong_string = config("wrong-string.toml", 'port = "8080"\n')  # a string, not an integer
    wrong_int = config("wrong-int.toml", "gzip = 1\n")             # an integer, not a boolean
    missing = os.path.join(tmp, "does-not-exist.toml")
    forever = config("forever.toml", 'idle_timeout = "3000000h"\n')
    cases = [
        (forever, "config with a duration that means never", ["forever.toml", "too long"]),
        (tmp, "config that is a directory", [tmp, "directory"]),
        (syntax, "config with a TOML syntax error", ["syntax.toml:2"]),  # file:line
        (unknown, "config with an unknown key", ["unknown.toml", "frobnicate_level"]),
        (wrong_array, "config with a wrong type (port = [8080])", ["wrong-array.toml", "port"]),
        (wrong_float, "config with a wrong type (workers = 1.5)", ["wrong-float.toml", "workers"]),
        (wrong_bool, 'config with a wrong type (gzip = "yes")', ["wrong-bool.toml", "gzip"]),
        (wrong_string, 'config with a wrong type (port = "8080", a string)',
         ["wrong-string.toml", "port"]),
        (wrong_int, "config with a wrong type (gzip = 1, an integer)", ["wrong-int.toml", "gzip"]),
        (missing, "config file missing", ["does-not-exist.toml"]),
    ]
    failures = []
    for path, what, words in cases:
        # --port 0 so that a config the server wrongly accepts does not collide on 8080; it would
        # then run: run_cli kills it after 5 s and the check reports it.
        try:
            expect_usage_error(binary, ["--config", path, "--host", "127.0.0.1", "--port", "0"],
                               what, words)
        except s.TestFailure as e:
            failures.append(str(e))
    check(not failures, "bad configuration files", "; ".join(failures))


# --- --help ----------------------------------------------------------------------------------

# Every option of docs/user-guide.md with its documented default.
DOCUMENTED_DEFAULTS = {
    "host": "127.0.0.1", "port": "8080", "workers": "0", "io": "auto", "root": None,
    "access-log": "off", "access-log-format": "combined", "log-level": "info",
    "builtin-routes": "true", "builtin-prefix": None, "gzip": "true", "hide-dotfiles": "true",
    "cache-control": None, "max-request-line": "8192",
    "max-header-bytes": "16384", "max-headers": "100", "max-body-bytes": "8388608",
    "max-requests-per-connection": "0", "backlog": "1024", "max-connections": "0",
    "max-connections-per-client": "0", "reuse-port": "false", "proxy-protocol": "false", "trusted-proxies": None,
    "header-timeout": "10s",
    "body-timeout": "30s", "idle-timeout": "60s", "write-timeout": "30s", "drain-timeout": "10s",
    "drain-delay": "5s",
}


def parse_help(text):
    """{option: default or ''} for every --option in CLI11's help (entries may wrap)."""
    entries = []
    for line in text.splitlines():
        if re.match(r"^\s{1,4}-", line):
            entries.append(line.strip())
        elif entries and re.match(r"^\s{6,}\S", line):
            entries[-1] += " " + line.strip()
    options = {}
    for e in entries:
        names = e.split()[0]
        m = re.search(r"\(default: ([^)]*)\)", e)
        for name in names.split(","):
            name = re.sub(r"\{.*\}$", "", name)
            if not name.startswith("--") or name.startswith("--no-"):
                continue
            key, eq, default = name[2:].partition("=")
            options[key] = default if eq else (m.group(1) if m else "")
    return options


def test_help(binary):
    rc, out, err = s.run_cli(binary, ["--help"], timeout=5.0)
    check_eq(rc, 0, "--help: exit code")
    options = parse_help(out)
    check(len(options) > 10, "--help: lists options", out[:300])
    # "--cache-control=(none)" once made users send "Cache-Control: (none)".
    check(not re.search(r"=\(", out), "--help: no '=(placeholder)' a user could copy literally",
          out)
    for key, default in DOCUMENTED_DEFAULTS.items():
        check(key in options, f"--help: lists --{key}", f"options: {sorted(options)}")
        check(options[key] != "", f"--help: shows a default for --{key}")
        if default is not None:
            check_eq(options[key], default, f"--help: default of --{key} as documented")
    undocumented = sorted(set(options) - set(DOCUMENTED_DEFAULTS) - {"help", "version", "config"})
    for key in undocumented:
        check(options[key] != "", f"--help: shows a default for --{key}")
    log(f"  --help: {len(options)} options; not in docs/user-guide.md: {undocumented}")
    return options


# --- a configuration file with every key -------------------------------------------------------

def test_full_config(binary, tmp):
    rc, out, _ = s.run_cli(binary, ["--help"], timeout=5.0)
    keys = {k.replace("-", "_") for k in parse_help(out)} - {"help", "version", "config"}
    root = os.path.join(tmp, "cfg-root")
    os.makedirs(root, exist_ok=True)
    text4k = b"".join(b"config test line %03d, compressible text\n" % i for i in range(100))
    with open(os.path.join(root, "text.txt"), "wb") as f:
        f.write(text4k)
    log_path = os.path.join(tmp, "cfg-access.log")
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # the file's port: unusable
    s.on_cleanup(taken.close)
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    file_port = taken.getsockname()[1]
    values = {
        "host": '"127.0.0.1"', "port": str(file_port), "workers": "1", "io": '"epoll"',
        "backlog": "128", "root": json.dumps(root), "builtin_routes": "true",
        "builtin_prefix": '"/_ops"', "gzip": "true", "hide_dotfiles": "true",
        "cache_control": '"max-age=60"', "access_log": json.dumps(log_path),
        "access_log_format": '"json"', "log_level": '"info"', "max_request_line": "4096",
        "max_header_bytes": '"16k"', "max_headers": "20", "max_body_bytes": "2048",
        "max_requests_per_connection": "5", "max_connections": "100",
        "max_connections_per_client": "50", "reuse_port": "false", "proxy_protocol": "false",
        "trusted_proxies": '"10.0.0.0/8"', "header_timeout": '"5s"',
        "body_timeout": '"5s"',
        "idle_timeout": '"30s"', "write_timeout": '"10s"', "drain_timeout": '"3s"',
        "drain_delay": '"0s"',
    }
    check(keys <= set(values), "the full config covers every option --help lists",
          f"missing {sorted(keys - set(values))}")
    path = os.path.join(tmp, "full.toml")
    with open(path, "w") as f:
        f.write("# every key zokio-server --help lists\n")
        for k in sorted(values):
            f.write(f"{k} = {values[k]}\n")

    # Flags win over the file: --port 0 (the file's port is taken), --max-body-bytes 4096
    # (the file says 2048), --no-gzip (the file says true).
    srv = s.Server(binary, "--config", path, "--max-body-bytes", "4096", "--no-gzip",
                   workers=None)
    check(srv.port != file_port, "--port 0 wins over the file's port", f"port {srv.port}")
    c = srv.conn()
    st = json.loads(c.get("/_ops/api/status").body)
    check_eq(st.get("workers"), 1, "config workers = 1")
    check_eq(st.get("io_backend"), "epoll", 'config io = "epoll"')
    check_eq(c.get("/hello").status, 404, 'config builtin_prefix = "/_ops": /hello is 404')
    r = c.get("/text.txt", {"Accept-Encoding": "gzip"})
    check_eq(r.body, text4k, 'config root: serves the file')
    check(r.header("Content-Encoding") is None, "--no-gzip wins over gzip = true in the file",
          repr(r.header("Content-Encoding")))
    check_eq(r.header("Cache-Control"), "max-age=60", 'config cache_control = "max-age=60"')
    r = c.request("POST", "/_ops/api/echo", None, b"x" * 3000)
    check_eq(r.status, 200, "--max-body-bytes 4096 wins over max_body_bytes = 2048 in the file")
    r = c.get("/text.txt", [(f"X-H{i}", "v") for i in range(25)])
    check_eq(r.status, 431, "config max_headers = 20: 25 header fields → 431")
    c.close()
    r = s.raw_exchange(srv.port, s.build_request("GET", "/_ops/hello?" + "q" * 4200))
    check_eq(r.status if r else None, 414,
             "config max_request_line = 4096: a 4.2 KB request line → 414")
    # max_requests_per_connection = 5: the fifth response closes the connection.
    c = srv.conn()
    for i in range(5):
        r = c.get("/_ops/healthz")
        check_eq(r.status, 200, f"max_requests_per_connection: request {i + 1}")
    check((r.header("Connection") or "").lower() == "close" and c.wait_closed(5.0),
          "config max_requests_per_connection = 5: closed after the 5th response", repr(r))
    c.close()
    check(s.wait_until(lambda: os.path.exists(log_path) and os.path.getsize(log_path) > 0, 10.0),
          "config access_log: lines appear in the file")
    with open(log_path) as f:
        json.loads(f.readline())  # access_log_format = "json"
    srv.stop(what="stop (config run)")


def test_deploy_config(binary, tmp):
    """The shipped example configuration is accepted as it stands and with every key
    uncommented, and lists every key."""
    rc, out, _ = s.run_cli(binary, ["--help"], timeout=5.0)
    keys = {k.replace("-", "_") for k in parse_help(out)} - {"help", "version", "config"}
    log_path = os.path.join(tmp, "deploy-access.log")
    root = os.path.join(tmp, "deploy-root")
    os.makedirs(root, exist_ok=True)
    deploy = os.path.join(REPO, "deploy", "zokio-server.toml")
    if not os.path.exists(deploy):
        log(f"  {deploy} not found: skipped")
        return
    with open(deploy) as f:
        text = f.read().replace("/var/log/zokio/access.log", log_path)
    shipped = os.path.join(tmp, "deploy.toml")
    with open(shipped, "w") as f:
        f.write(text)
    srv = s.Server(binary, "--config", shipped, workers=None)
    srv.stop(what="stop (deploy/zokio-server.toml)")
    # Uncommented, every example value is accepted too.
    with open(shipped, "w") as f:
        f.write(re.sub(r"(?m)^# ([a-z_]+ = .*)$", r"\1",
                       text.replace('root = "/srv/zokio"', f"root = {json.dumps(root)}")))
    srv = s.Server(binary, "--config", shipped, workers=2)
    srv.stop(what="stop (deploy/zokio-server.toml, every key uncommented)")
    documented = set(re.findall(r"(?m)^#? ?([a-z_]+) = ", text))
    check(keys <= documented,
          "deploy/zokio-server.toml lists every key (its header says so)",
          f"missing {sorted(keys - documented)}")


def test_sigint(binary):
    srv = s.Server(binary, workers=1)
    m = srv.wait_line(r"listening on", 5.0)
    line = m.string if m else None
    for fact in ["zokio-server ", "(", " 1 worker,", "embedded site", "access log off",
                 "max connections "]:
        check(line and fact in line, f"the startup line names {fact.strip()!r}", repr(line))
    with s.Conn(srv.port) as c:
        check_eq(c.get("/hello").status, 200, "SIGINT: server answers before")
    srv.stop(expect_rc=0, timeout=5.0, sig=signal.SIGINT, what="SIGINT (Ctrl-C) stops gracefully")


def test_io_precedence(binary, tmp):
    """--io beats ZOKIO_IO, which beats the config file; the log says where the choice came from."""
    def backend(*args, env_io=None):
        env = dict(os.environ)
        env.pop("ZOKIO_IO", None)
        if env_io:
            env["ZOKIO_IO"] = env_io
        srv = s.Server(binary, *args, env=env)
        io = json.loads(srv.get("/api/status").body)["io_backend"]
        m = srv.wait_line(r"I/O backend \S+ \(from (.*)\)", 5.0)
        srv.stop()
        return io, m.group(1) if m else None
    if backend("--io", "uring")[0] != "io_uring":
        log("  skipped: io_uring is not available here")
        return
    config = os.path.join(tmp, "io-uring.toml")
    with open(config, "w") as f:
        f.write('io = "uring"\n')
    check_eq(backend("--io", "uring", env_io="epoll"), ("io_uring", "--io uring"),
             "--io uring with ZOKIO_IO=epoll: the flag wins")
    check_eq(backend("--config", config, env_io="epoll"), ("epoll", "ZOKIO_IO=epoll"),
             "io = uring in the config with ZOKIO_IO=epoll: the environment wins")
    check_eq(backend("--config", config), ("io_uring", f'io = "uring" in {config}'),
             "io = uring in the config: the file wins over the default")


def test_port_taken(binary):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # no SO_REUSEPORT
    s.on_cleanup(sock.close)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    port = sock.getsockname()[1]
    rc, out, err = s.run_cli(binary, ["--host", "127.0.0.1", "--port", str(port),
                                      "--workers", "2"], timeout=5.0)
    log(f"  port taken: exit {rc}, stderr: {err.strip()!r}")
    check(rc is not None, "port taken: exits within 5 s")
    check(rc != 0, "port taken: non-zero exit code", f"got {rc}")
    check(f"127.0.0.1:{port}" in err, "port taken: the message says the address",
          f"no '127.0.0.1:{port}' in {err!r}")


def test_port_owned(binary):
    """A second zokio-server on a port the first listens on exits 1; --reuse-port shares it."""
    first = s.Server(binary)
    rc, out, err = s.run_cli(binary, ["--host", "127.0.0.1", "--port", str(first.port)],
                             timeout=5.0)
    log(f"  second server on the same port: exit {rc}, stderr: {err.strip()!r}")
    check_eq(rc, 1, "a second server on a taken port exits 1")
    errors = [line for line in err.splitlines() if " error " in line]
    check(len(errors) == 1 and f"127.0.0.1:{first.port}" in errors[0]
          and "--reuse-port" in errors[0],
          "it says so in one error line naming the address and --reuse-port", repr(err))
    first.stop()
    a = s.Server(binary, "--reuse-port")
    b = s.Server(binary, "--reuse-port", port=a.port)
    check_eq(b.port, a.port, "with --reuse-port on both, the second server shares the port")
    with s.Conn(a.port) as c:
        check_eq(c.get("/hello").status, 200, "a shared port answers")
    b.stop()
    a.stop()


# --- access log --------------------------------------------------------------------------------

def read_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return data.decode("utf-8", "replace").splitlines() if data else []


def wait_lines(path, n, what):
    lines = s.wait_until(lambda: len(read_lines(path)) >= n and read_lines(path), 10.0)
    check(lines and len(lines) >= n, f"{what}: {n} lines in {os.path.basename(path)} within 10 s",
          f"found {len(read_lines(path))}")
    return read_lines(path)


UA = 'tester "quoted" \\ back é'  # quotes, a backslash and a non-ASCII (obs-text) byte


def send_phase(port, phase):
    """Five requests whose targets carry the phase; returns [(method, target, status, bytes)]."""
    sent = []
    with s.Conn(port) as c:
        for i, (method, path, status, nbytes) in enumerate([
                ("GET", "/hello", 200, 13), ("GET", "/json", 200, 27),
                ("GET", "/missing", 404, None), ("POST", "/api/echo", 200, 5),
                ("HEAD", "/hello", 200, 0)]):
            target = f"{path}?phase={phase}&i={i}"
            body = b"hello" if method == "POST" else None
            r = c.request(method, target, {"User-Agent": UA.encode("latin-1"),
                                           "Referer": "http://ref.example/x"}, body)
            check_eq(r.status, status, f"access log {phase}: {method} {target}")
            sent.append((method, target, status, nbytes))
    return sent


def check_json_lines(lines, sent, what):
    check_eq(len(lines), len(sent), f"{what}: number of lines")
    records = []
    for line in lines:
        try:
            records.append((json.loads(line), line))
        except ValueError as e:
            raise s.TestFailure(f"{what}: line is not valid JSON ({e}): {line!r}")
    records.sort(key=lambda x: str(x[0].get("target")))
    for (rec, line), (method, target, status, nbytes) in zip(records, sorted(sent, key=lambda x: x[1])):
        check_eq(rec.get("method"), method, f"{what}: method of {line!r}")
        check_eq(rec.get("target"), target, f"{what}: target (path) of {line!r}")
        check_eq(rec.get("status"), status, f"{what}: status of {line!r}")
        if nbytes is not None:
            check_eq(rec.get("bytes"), nbytes, f"{what}: bytes of {line!r}")
        check_eq(rec.get("remote"), "127.0.0.1", f"{what}: remote of {line!r}")
        check_eq(rec.get("referer"), "http://ref.example/x", f"{what}: referer of {line!r}")
        check_eq(rec.get("protocol"), "HTTP/1.1", f"{what}: protocol of {line!r}")
        check(re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", str(rec.get("time"))),
              f"{what}: time (ISO 8601, UTC) of {line!r}")
        check(isinstance(rec.get("duration_us"), int) and rec["duration_us"] >= 0,
              f"{what}: duration_us of {line!r}")
        # The User-Agent ends in the byte 0xE9, not UTF-8: replaced by U+FFFD (documented).
        check_eq(rec.get("user_agent"), 'tester "quoted" \\ back \ufffd',
                 f"{what}: user_agent (quotes, backslash, invalid UTF-8) of {line!r}")


# Requests the server refuses before any handler runs, and the status each gets (as nginx,
# zokio-server logs them too).
REJECTED = [
    (b"GARBAGE\r\n\r\n", 400, "GARBAGE"),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "GET /aaaa"),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"b" * 20000 + b"\r\n\r\n", 431,
     "GET / HTTP/1.1"),
    (b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", 413,
     "POST /api/echo HTTP/1.1"),
    (b"POST /api/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
     "POST /api/echo HTTP/1.1"),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "GET / HTTP/2.0"),
]


def test_access_log_rejected(binary, tmp):
    """400, 408, 413, 414, 431, 501 and 505 reach the access log in both formats."""
    for fmt in ("combined", "json"):
        path = os.path.join(tmp, f"rejected-{fmt}.log")
        srv = s.Server(binary, "--access-log", path, "--access-log-format", fmt,
                       "--header-timeout", "1s")
        for data, status, _ in REJECTED:
            r = s.raw_exchange(srv.port, data)
            check(r is not None and r.status == status, f"{fmt}: {data[:30]!r} gets {status}",
                  repr(r))
        with s.Conn(srv.port) as c:  # a head that never completes: 408 after 1 s
            c.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n")
            check_eq(c.read_response().status, 408, f"{fmt}: an unfinished head gets 408")
        lines = wait_lines(path, len(REJECTED) + 1, f"{fmt} access log of rejected requests")
        expected = REJECTED + [(None, 408, "GET /slow HTTP/1.1")]
        def logs(line, status, line_start):
            if fmt == "json":
                rec = json.loads(line)
                return rec.get("status") == status and rec["request"].startswith(line_start)
            return f'"{line_start}' in line and f'" {status} ' in line
        for _, status, line_start in expected:  # workers flush apart: in any order
            check(any(logs(line, status, line_start) for line in lines),
                  f"{fmt}: a line for the {status} ({line_start!r})", "\n".join(lines))
        srv.stop()


def test_access_log_failures(binary, tmp):
    """A log that cannot be written, or reopened, is said on stderr; the server keeps serving."""
    full = s.Server(binary, "--access-log", "/dev/full")
    for _ in range(3):
        check_eq(full.get("/hello").status, 200, "--access-log /dev/full: still serving")
    m = full.wait_line(r"error access log '/dev/full': No space left on device; \d+ bytes", 10.0)
    check(m, "--access-log /dev/full: a line on stderr says lines are dropped", repr(full.lines))
    full.stop()
    logdir = os.path.join(tmp, "logs")
    os.mkdir(logdir)
    path = os.path.join(logdir, "access.log")
    srv = s.Server(binary, "--access-log", path)
    check_eq(srv.get("/hello?before").status, 200, "access log: a request before the reopen")
    wait_lines(path, 1, "access log before a failed reopen")
    moved = logdir + ".moved"
    os.rename(logdir, moved)  # the path cannot be reopened: its directory is gone
    mark = len(srv.lines)
    srv.send_signal(signal.SIGHUP)
    check_eq(srv.get("/hello?after").status, 200, "access log: a request after the failed reopen")
    m = srv.wait_line(r"error cannot open access log .*still writing to the old file", 10.0, mark)
    check(m, "a failed reopen is said on stderr", repr(srv.lines[mark:]))
    lines = wait_lines(os.path.join(moved, "access.log"), 2, "the old file after a failed reopen")
    check("after" in lines[-1], "lines go on to the old file after a failed reopen", repr(lines))
    srv.stop()


def test_access_log_sighup(binary, tmp):
    path = os.path.join(tmp, "access.log")
    srv = s.Server(binary, "--access-log", path, "--access-log-format", "json")
    phase1 = send_phase(srv.port, "one")
    lines = wait_lines(path, len(phase1), "json access log, before rotation")
    check_json_lines(lines, phase1, "json access log, before rotation")
    os.rename(path, path + ".1")
    mark = len(srv.lines)
    srv.send_signal(signal.SIGHUP)
    # Wait until the server shows it took the signal: the new file exists, or it said so.
    check(s.wait_until(lambda: os.path.exists(path) or
                       srv.wait_line(r"(?i)sighup|reopen", 0, start=mark), 10.0),
          "SIGHUP: the server reopens the log (new file or a log line) within 10 s")
    check(srv.running(), "SIGHUP: the server keeps running")
    phase2 = send_phase(srv.port, "two")
    lines2 = wait_lines(path, len(phase2), "json access log, after SIGHUP")
    check_json_lines(lines2, phase2, "json access log, after SIGHUP (new file)")
    srv.stop()
    # After the stop (which flushes), the renamed file still holds exactly the old lines.
    check_json_lines(read_lines(path + ".1"), phase1, "json access log, renamed file keeps phase one")
    check_json_lines(read_lines(path), phase2, "json access log, new file has phase two only")


COMBINED_RE = re.compile(
    r'^(?P<remote>\S+) (?P<ident>\S+) (?P<user>\S+) '
    r'\[(?P<time>\d{2}/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}'
    r':\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
    r'"(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<bytes>\d+|-) '
    r'"(?P<referer>(?:[^"\\]|\\.)*)" "(?P<ua>(?:[^"\\]|\\.)*)"$')


def test_access_log_combined(binary, tmp):
    path = os.path.join(tmp, "combined.log")
    srv = s.Server(binary, "--access-log", path, "--access-log-format", "combined")
    sent = send_phase(srv.port, "combined")
    lines = wait_lines(path, len(sent), "combined access log")
    srv.stop()
    lines = read_lines(path)
    check_eq(len(lines), len(sent), "combined access log: number of lines")
    by_target = {}
    for line in lines:
        m = COMBINED_RE.match(line)
        check(m, "combined access log: line matches the combined format", repr(line))
        method, target, proto = m.group("request").split(" ")
        by_target[target] = (m, method, proto)
    for method, target, status, nbytes in sent:
        check(target in by_target, f"combined access log: a line for {target}", repr(lines))
        m, got_method, proto = by_target[target]
        check_eq(got_method, method, f"combined access log: method for {target}")
        check_eq(proto, "HTTP/1.1", f"combined access log: protocol for {target}")
        check_eq(int(m.group("status")), status, f"combined access log: status for {target}")
        if nbytes is not None:
            check_eq(m.group("bytes"), str(nbytes), f"combined access log: bytes for {target}")
        check_eq(m.group("remote"), "127.0.0.1", f"combined access log: remote for {target}")
        check_eq(m.group("referer"), "http://ref.example/x",
                 f"combined access log: referer for {target}")
        check_eq(m.group("ua"), 'tester \\"quoted\\" \\\\ back \\xe9',
                 f"combined access log: user agent escaped (\\\" \\\\ \\xHH) for {target}")


# --- graceful drain ----------------------------------------------------------------------------

class LoadClient(threading.Thread):
    """Keep-alive POST /api/echo?id=... requests (bodies of 0-112 KiB), one at a time. A
    request is retried (on a new connection) only if its connection closed before any byte of
    the response arrived: the keep-alive race every HTTP client handles. Anything else
    unexpected is recorded."""

    def __init__(self, port, index, stop):
        super().__init__(daemon=True)
        self.port, self.index, self.stop_event = port, index, stop
        self.answered = []   # ids that got their one complete 200
        self.unanswered = []  # ids given up (connection refused/closed before a byte, 3 tries)
        self.errors = []
        self.retries = 0
        self.retried_answered = 0
        self.retry_times = []  # (when the close was seen, request id)
        self.conn = None

    def connect(self):
        try:
            self.conn = s.Conn(self.port, timeout=10.0)
            return True
        except OSError:
            self.conn = None
            return False

    def run(self):
        seq = 0
        try:
            while not self.stop_event.is_set():
                rid = f"c{self.index}-{seq}"
                seq += 1
                if not self.one(rid):
                    return  # the server no longer accepts connections
        except Exception as e:  # noqa: BLE001 - recorded, checked by the test
            self.errors.append(f"client {self.index}: {e!r}")
        finally:
            if self.conn:
                self.conn.close()

    def one(self, rid):
        for attempt in range(3):
            if self.conn is None and not self.connect():
                self.unanswered.append(rid)
                return False
            # Bodies up to 112 KiB take the server several reads: more requests are in flight
            # (not idle between requests) when SIGTERM comes.
            seq = int(rid.rsplit("-", 1)[1])
            body = rid.encode() + b"." * ((seq % 8) * 16384)
            try:
                self.conn.send(s.build_request("POST", f"/api/echo?id={rid}", None, body))
                r = self.conn.read_response("POST")
            except (BrokenPipeError, ConnectionResetError):
                r = None  # closed before (or while) we sent: nothing of a response arrived
            except s.ConnectionClosed as e:
                if e.received:
                    self.errors.append(f"{rid}: truncated response ({e})")
                    return False
                r = None
            if r is None:
                self.retries += 1
                self.retry_times.append((time.monotonic(), rid))
                self.conn.close()
                self.conn = None
                continue
            if r.status != 200 or r.body != body:
                self.errors.append(f"{rid}: expected 200 with its {len(body)}-byte body echoed, "
                                   f"got {r!r}")
                return False
            self.answered.append(rid)
            if attempt:
                self.retried_answered += 1
            if (r.header("Connection") or "").lower() == "close":
                check_closed = self.conn.wait_closed(5.0)
                if not check_closed:
                    self.errors.append(f"{rid}: Connection: close but the server kept it open")
                self.conn.close()
                self.conn = None
            return True
        self.unanswered.append(rid)
        return False


class ReadyzClient(threading.Thread):
    """GET /readyz in a loop on one keep-alive connection, recording (time, status, body)."""

    def __init__(self, port, stop):
        super().__init__(daemon=True)
        self.stop_event = stop
        self.conn = s.Conn(port, timeout=10.0)
        self.results = []
        self.errors = []

    def run(self):
        try:
            while not self.stop_event.is_set():
                try:
                    r = self.conn.get("/readyz")
                except (s.ConnectionClosed, BrokenPipeError, ConnectionResetError) as e:
                    if getattr(e, "received", 0):
                        self.errors.append(f"/readyz: truncated response {e}")
                    return
                self.results.append((time.monotonic(), r.status, r.body))
                if (r.header("Connection") or "").lower() == "close":
                    return
        except Exception as e:  # noqa: BLE001
            self.errors.append(repr(e))
        finally:
            self.conn.close()


def test_drain(binary, tmp):
    log_path = os.path.join(tmp, "drain-access.log")
    srv = s.Server(binary, "--drain-timeout", "5s", "--access-log", log_path,
                   "--access-log-format", "json")
    stop = threading.Event()
    s.on_cleanup(stop.set)
    clients = [LoadClient(srv.port, i, stop) for i in range(6)]
    readyz = ReadyzClient(srv.port, stop)
    for t in clients + [readyz]:
        t.start()
    # Let the load run until every client has had answers, then signal mid-load.
    check(s.wait_until(lambda: all(len(c.answered) >= 50 for c in clients) and
                       len(readyz.results) >= 10, 15.0),
          "drain: load running (50 answers per client) before SIGTERM",
          f"{[len(c.answered) for c in clients]}, readyz {len(readyz.results)}")
    answered_before = sum(len(c.answered) for c in clients)
    sigterm_at = time.monotonic()
    srv.send_signal(signal.SIGTERM)
    rc = srv.wait_exit(5 + 2)
    exit_s = time.monotonic() - sigterm_at
    if rc is None:
        stop.set()
        raise s.TestFailure(f"drain: still running 7 s after SIGTERM (--drain-timeout 5s); "
                            f"stderr: {srv.stderr_text()[-600:]}")
    for t in clients + [readyz]:
        t.join(timeout=12.0)
    stop.set()
    check(not any(t.is_alive() for t in clients + [readyz]), "drain: every client finished")
    answered = [rid for c in clients for rid in c.answered]
    unanswered = [rid for c in clients for rid in c.unanswered]
    errors = [e for c in clients for e in c.errors] + readyz.errors
    retries = sum(c.retries for c in clients)
    statuses = [st for _, st, _ in readyz.results]
    saw_503 = [(t, st, b) for t, st, b in readyz.results if st == 503]
    log(f"  drain: exit {rc} after {exit_s:.2f} s; {answered_before} answers before SIGTERM, "
        f"{len(answered)} in all, {len(unanswered)} given up (refused), {retries} retried "
        f"({sum(c.retried_answered for c in clients)} answered on a retry), "
        f"/readyz {statuses.count(200)}x200 {statuses.count(503)}x503 "
        f"({'saw' if saw_503 else 'did not see'} 503 on the open connection: best effort)")
    check_eq(rc, 0, "drain: exit code after SIGTERM")
    early = [(rid, round(sigterm_at - t, 3)) for c in clients for t, rid in c.retry_times
             if t < sigterm_at]
    check(not early, "drain: no keep-alive connection closed unanswered before SIGTERM",
          f"(request id, seconds before SIGTERM): {early[:5]}")
    check(not errors, "drain: no truncated, wrong or lost response", "; ".join(errors[:5]))
    check_eq(len(set(answered)), len(answered), "drain: no request answered twice")
    check(set(statuses) <= {200, 503}, "drain: /readyz answers 200 or 503", repr(set(statuses)))
    for t, st, body in saw_503:
        check(t >= sigterm_at, "drain: /readyz 503 only after SIGTERM")
        check_eq(body.strip(), b"draining", "drain: /readyz 503 body")
    # The access log (flushed at exit) names every request the server handled: each answered
    # request exactly once, and nothing that was not answered (a request the server processed
    # but whose response was lost, or processed twice because a retry duplicated it).
    handled = []
    for line in read_lines(log_path):
        rec = json.loads(line)
        m = re.match(r"^/api/echo\?id=(c\d+-\d+)$", rec.get("target", ""))
        if m:
            handled.append(m.group(1))
    dup = sorted({x for x in handled if handled.count(x) > 1})
    check(not dup, "drain: no request handled twice by the server", repr(dup[:10]))
    lost = sorted(set(handled) - set(answered))
    check(not lost, "drain: every request the server handled was answered (none lost)",
          repr(lost[:10]))
    missing = sorted(set(answered) - set(handled))
    check(not missing, "drain: every answered request is in the access log", repr(missing[:10]))


def test_drain_phases(binary):
    """SIGTERM under load with --drain-delay 2s: /readyz turns 503 while requests are still
    served (each response closing its connection); only then are new connections refused. Every
    request gets exactly one complete response, or fails before any byte of one arrived."""
    srv = s.Server(binary, "--drain-timeout", "5s", drain_delay="2s")
    lock = threading.Lock()
    first_503 = []  # monotonic time the poller first saw /readyz answer 503
    failures, truncated, served_after_503, closes = [], [], [0], [0]
    stop = threading.Event()

    def poller():
        while not stop.is_set():
            try:
                r = s.fetch(srv.port, "GET", "/readyz", timeout=2.0)
                if r.status == 503 and not first_503:
                    first_503.append(time.monotonic())
            except OSError:
                return  # refused: phase (a) is over
            time.sleep(0.02)  # the probe's own pace, as a balancer's

    def client(k):
        c = None
        for i in range(100000):
            if stop.is_set():
                return
            try:
                if c is None:
                    c = s.Conn(srv.port, timeout=5.0)
                r = c.request("GET", f"/hello?c={k}&i={i}")
            except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError) as e:
                with lock:
                    failures.append((time.monotonic(), repr(e)))
                return
            except s.ConnectionClosed as e:
                with lock:
                    (truncated if e.received else failures).append((time.monotonic(), repr(e)))
                c = None
                continue
            with lock:
                if first_503:
                    served_after_503[0] += 1
            if r.header("connection", "").lower() == "close":
                closes[0] += 1
                c.close()
                c = None
    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(4)]
    threads.append(threading.Thread(target=poller, daemon=True))
    for t in threads:
        t.start()
    check(s.wait_until(lambda: srv.get("/api/stats") and True, 5.0), "drain phases: serving")
    srv.send_signal(signal.SIGTERM)
    rc = srv.wait_exit(2 + 5 + 5)
    stop.set()
    for t in threads:
        t.join(10)
    log(f"  drain phases: exit {rc}; /readyz 503 seen: {bool(first_503)}; "
        f"{served_after_503[0]} answers after it, {closes[0]} with Connection: close; "
        f"{len(failures)} failed before a byte, {len(truncated)} cut mid-response")
    check_eq(rc, 0, "drain phases: exit code")
    check(first_503, "drain phases: a poller saw /readyz answer 503 during phase (a)")
    check(served_after_503[0] > 0 and closes[0] > 0,
          "drain phases: requests were still served, with Connection: close, after the 503")
    check(not truncated, "drain phases: no response cut after its first byte", repr(truncated))
    early = [f for f in failures if first_503 and f[0] < first_503[0]]
    check(not early, "drain phases: no request failed before phase (a) (before the 503)",
          repr(early))


def test_drain_delay_skipped(binary):
    """SIGINT skips the drain delay; a second SIGTERM during it goes on to the drain (exit 0)."""
    for first, second in ((signal.SIGINT, None), (signal.SIGTERM, signal.SIGTERM)):
        srv = s.Server(binary, drain_delay="30s")
        mark = len(srv.lines)
        srv.send_signal(first)
        if second is not None:
            check(srv.wait_line(r"still accepting for 30000 ms", 5.0, mark),
                  "SIGTERM with --drain-delay 30s: phase (a) begins")
            check_eq(srv.get("/readyz").status, 503, "phase (a): /readyz answers 503")
            check_eq(srv.get("/hello").status, 200, "phase (a): requests are still served")
            srv.send_signal(second)
        rc = srv.wait_exit(10.0)
        what = "SIGINT" if second is None else "a second SIGTERM during the delay"
        check_eq(rc, 0, f"{what}: drains at once and exits 0, without waiting out the 30 s delay")


def test_drain_timeout(binary):
    """A request still in flight when --drain-timeout runs out is aborted, and the process exits
    1 within the timeout + 2 s, with a last line that counts what it aborted."""
    srv = s.Server(binary, "--drain-timeout", "1s")
    stuck = srv.conn()
    stuck.send(s.build_request("POST", "/api/echo", {"Content-Length": "1000"}) + b"x")
    with s.Conn(srv.port) as probe:  # the server is up and has the stuck request by now
        check_eq(probe.get("/healthz").status, 200, "drain timeout: server answers before")
    sent_at = time.monotonic()
    srv.send_signal(signal.SIGTERM)
    rc = srv.wait_exit(1 + 2)
    check(rc is not None, "drain timeout: exits within --drain-timeout 1s + 2 s of SIGTERM")
    log(f"  drain timeout: exit {rc} {time.monotonic() - sent_at:.2f} s after SIGTERM")
    check_eq(rc, 1, "drain timeout: exit code 1 when the deadline aborted a request")
    check(srv.wait_line(r"drain deadline reached: 1 connection\(s\) with a request in flight "
                        r"aborted", 1.0), "drain timeout: the last line counts what was aborted",
          repr(srv.lines[-3:]))
    try:
        r = stuck.read_response("POST")
        raise s.TestFailure(f"drain timeout: the stuck request got a response {r!r}")
    except s.ConnectionClosed as e:
        check_eq(e.received, 0, "drain timeout: the aborted request saw no partial response")
    stuck.close()


def test_slow_request_and_second_signal(binary):
    srv = s.Server(binary, "--drain-timeout", "30s")
    slow = srv.conn()
    # A request in flight that never completes: the body is announced, not sent.
    slow.send(s.build_request("POST", "/api/echo", {"Content-Length": "100000"}) + b"partial")
    # A request in flight that completes during the drain: half its body now, half after.
    finishing = srv.conn()
    finishing.send(s.build_request("POST", "/api/echo", {"Content-Length": "10"}) + b"01234")
    idle = srv.conn()
    check_eq(idle.get("/healthz").status, 200, "drain probe: server answers before SIGTERM")
    head = srv.conn()  # a request head begun before SIGTERM, finished after it
    head.send(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    # Before the signal, make sure the server has read every byte sent so far (else the
    # half-sent head may still sit unread in the socket and its connection looks idle):
    # poll /api/stats (on the idle connection) until bytes_in is all the bytes sent.
    conns = (slow, finishing, idle, head)

    def all_read():
        idle.send(s.build_request("GET", "/api/stats"))
        st = json.loads(idle.read_response().body)
        return st["bytes_in"] == sum(c.sent for c in conns)
    check(s.wait_until(all_read, 5.0), "drain probe: the server reads what was sent (bytes_in)")
    srv.send_signal(signal.SIGTERM)
    # The server closes idle keep-alive connections when it starts draining (after it has
    # turned /readyz to 503): once this one closes, the first signal has surely been taken.
    check(idle.wait_closed(5.0), "drain: an idle keep-alive connection is closed at drain start")
    finishing.send(b"56789")
    r = finishing.read_response("POST")
    check_eq((r.status, r.body), (200, b"0123456789"),
             "drain: a request in flight when SIGTERM came is answered in full")
    check_eq((r.header("Connection") or "").lower(), "close",
             "drain: the in-flight request's response closes the connection")
    check(finishing.wait_closed(5.0), "drain: the server closes that connection after it")
    try:
        head.send(b"\r\n")
        r = head.read_response()
    except (s.ConnectionClosed, BrokenPipeError, ConnectionResetError) as e:
        check(not getattr(e, "received", 0), "drain: /readyz response not truncated", str(e))
        r = None
    if r is None:
        log("  drain probe: the connection with a half-sent request head was closed unanswered")
    else:
        check_eq((r.status, r.body.strip()), (503, b"draining"),
                 "drain: /readyz on an open connection answers 503 draining")
        check_eq((r.header("Connection") or "").lower(), "close",
                 "drain: responses during drain close their connection")
        log("  drain probe: /readyz on an already-open connection answered 503 draining")
    try:
        with s.Conn(srv.port, timeout=5.0) as late:
            late.send(s.build_request("GET", "/healthz"))
            resp = late.read_response()
            raise s.TestFailure(f"drain: a new connection was served during drain: {resp!r}")
    except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
        pass
    except s.ConnectionClosed as e:
        check(e.received == 0, "drain: a new connection is not served", str(e))
    check(srv.wait_exit(0.5) is None,
          "drain: still waiting for the slow request after the first SIGTERM (30 s drain)")
    second_at = time.monotonic()
    srv.send_signal(signal.SIGTERM)
    rc = srv.wait_exit(2.0)
    took = time.monotonic() - second_at
    check(rc is not None, "second signal: exits within 2 s of the second SIGTERM",
          f"stderr: {srv.stderr_text()[-400:]}")
    log(f"  second signal: exit {rc} {took:.2f} s after the second SIGTERM")
    check(rc != 0, "second signal: non-zero exit code", f"got {rc}")
    for c in (slow, idle, head, finishing):
        c.close()


def run(binary, argv):
    tmp = s.tempdir()
    s.section("bad flags exit 2 with one line", test_bad_flags, binary)
    s.section("bad configuration files exit 2 with one line", test_bad_configs, binary, tmp)
    s.section("--help lists every option with its default", test_help, binary)
    s.section("I/O backend: flag > ZOKIO_IO > config > default", test_io_precedence, binary, tmp)
    s.section("port already taken", test_port_taken, binary)
    s.section("port owned by another zokio-server", test_port_owned, binary)
    s.section("SIGINT stops gracefully", test_sigint, binary)
    s.section("access log: json, SIGHUP reopen after rename", test_access_log_sighup, binary, tmp)
    s.section("access log: combined format", test_access_log_combined, binary, tmp)
    s.section("access log: unwritable, and a failed reopen", test_access_log_failures, binary, tmp)
    s.section("access log: requests rejected before a handler", test_access_log_rejected, binary,
              tmp)
    s.section("graceful drain under keep-alive load", test_drain, binary, tmp)
    s.section("--drain-timeout aborts what is still in flight", test_drain_timeout, binary)
    s.section("drain phases under load: 503 first, then refusal", test_drain_phases, binary)
    s.section("drain delay: skipped by SIGINT, cut short by a second SIGTERM",
              test_drain_delay_skipped, binary)
    s.section("slow request in flight: drain, /readyz 503, second SIGTERM exits at once",
              test_slow_request_and_second_signal, binary)
    s.section("configuration file with every key; flags win", test_full_config, binary, tmp)
    s.section("deploy/zokio-server.toml", test_deploy_config, binary, tmp)


if __name__ == "__main__":
    s.main(run, hard_limit_s=55)
