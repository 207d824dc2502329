"""Shared helpers for zokio-server's black-box tests (tests/server/*_test.py).

Each test script runs as `python3 tests/server/NAME_test.py PATH_TO_ZOKIO_SERVER` and talks to the
real program over loopback sockets. This module gives them:

- `main(run)`: argument handling, a hard time limit (SIGALRM, then a watchdog thread that kills
  everything and exits if even that is ignored), exit code 0 on pass and 1 on failure, and cleanup
  of every process and temporary directory on every path (pass, failure, signal, time limit);
- `check*`: assertions that name the check that failed;
- `Server`: starts `zokio-server --host 127.0.0.1 --port 0 ...`, reads the port from its
  `listening on http://127.0.0.1:PORT (...)` line on stderr, stops it with a signal and checks the
  exit code;
- `Conn`: a raw keep-alive HTTP/1.1 client over one socket. Requests are sent byte for byte as
  given (no normalisation of the target), responses are parsed strictly (Content-Length,
  chunked, or close-delimited; no body for HEAD, 1xx, 204 and 304), so tests can assert exact
  bytes and detect truncation.

Python standard library only. Nothing here sleeps for a fixed time to make a test pass: every wait
polls a condition with a deadline.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HOST = "127.0.0.1"
LISTENING_RE = re.compile(r"listening on http://127\.0\.0\.1:(\d+) \(")


# --- assertions -----------------------------------------------------------------------------

class TestFailure(Exception):
    """A check failed; the message names it."""


def check(cond, what, detail=""):
    if not cond:
        raise TestFailure(what + (": " + detail if detail else ""))


def check_eq(got, want, what):
    if got != want:
        raise TestFailure(f"{what}: expected {shorten(want)}, got {shorten(got)}")


def shorten(value, limit=300):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def log(msg):
    print(msg, flush=True)


# --- cleanup --------------------------------------------------------------------------------

_cleanups = []
_cleanup_lock = threading.Lock()


def on_cleanup(fn):
    """Registers fn to run (last registered first) when the test ends, however it ends."""
    with _cleanup_lock:
        _cleanups.append(fn)
    return fn


def run_cleanups(keep=0):
    """Runs the cleanups registered after the first `keep` ones, newest first."""
    while True:
        with _cleanup_lock:
            if len(_cleanups) <= keep:
                return
            fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # cleanup must go on
            print(f"cleanup error: {e!r}", file=sys.stderr)


def tempdir(prefix="zokio-test-"):
    path = tempfile.mkdtemp(prefix=prefix)
    on_cleanup(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


def kill_process(proc):
    """SIGKILL a Popen (and its process group when it leads one) if it still runs, then reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # started with start_new_session=True
        except (ProcessLookupError, PermissionError):
            try:
                proc.kill()
            except ProcessLookupError:
                pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def wait_until(pred, timeout, interval=0.01):
    """Polls pred() until it returns a true value or timeout seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
        interval = min(interval * 1.5, 0.1)


# --- running the test -----------------------------------------------------------------------

_failures = []


def section(name, fn, *args, **kwargs):
    """Runs one independent group of checks. A failure is recorded (the script will exit 1) and
    whatever the section started is cleaned up, then the next section runs: one run reports
    every failing group, not just the first."""
    with _cleanup_lock:
        mark = len(_cleanups)
    started = time.monotonic()
    try:
        fn(*args, **kwargs)
    except TestFailure as e:
        _failures.append(f"{name}: {e}")
        log(f"FAIL [{name}] {e}")
        run_cleanups(keep=mark)
        return False
    except Exception as e:
        _failures.append(f"{name}: unexpected error {e!r}")
        log(f"FAIL [{name}] unexpected error in the test:")
        traceback.print_exc(file=sys.stdout)
        run_cleanups(keep=mark)
        return False
    log(f"ok   [{name}] ({time.monotonic() - started:.2f} s)")
    return True


class _HardLimit(BaseException):
    pass


def usage_binary(argv, extra_usage=""):
    if len(argv) < 2 or argv[1].startswith("-"):
        print(f"usage: {argv[0]} PATH_TO_ZOKIO_SERVER{extra_usage}", file=sys.stderr)
        sys.exit(2)
    binary = os.path.abspath(argv[1])
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"{argv[0]}: {binary} is not an executable file", file=sys.stderr)
        sys.exit(2)
    return binary


def main(run, hard_limit_s=50, name=None, binary=None):
    """Runs run(binary, argv) under a hard time limit; exits 0 on pass, 1 on failure."""
    name = name or os.path.basename(sys.argv[0])
    if binary is None:
        binary = usage_binary(sys.argv)
    started = time.monotonic()

    def on_alarm(signum, frame):
        raise _HardLimit(f"hard time limit of {hard_limit_s} s reached")

    def on_term(signum, frame):
        raise _HardLimit(f"killed by signal {signum}")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.alarm(hard_limit_s)

    # If the main thread cannot even take the alarm (stuck in C code), clean up and leave anyway.
    def watchdog():
        run_cleanups()
        print(f"FAIL {name}: watchdog: still running {hard_limit_s + 5} s after start", flush=True)
        os._exit(1)

    dog = threading.Timer(hard_limit_s + 5, watchdog)
    dog.daemon = True
    dog.start()

    rc = 1
    try:
        run(binary, sys.argv)
        if _failures:
            print(f"FAIL {name}: {len(_failures)} failed:", flush=True)
            for f in _failures:
                print(f"  - {f}", flush=True)
        else:
            rc = 0
    except TestFailure as e:
        print(f"FAIL {name}: {e}", flush=True)
    except _HardLimit as e:
        print(f"FAIL {name}: {e}", flush=True)
        for f in _failures:
            print(f"  - also failed earlier: {f}", flush=True)
    except Exception:
        print(f"FAIL {name}: unexpected error in the test:", flush=True)
        traceback.print_exc(file=sys.stdout)
    finally:
        signal.alarm(0)
        try:
            run_cleanups()
        except _HardLimit:
            run_cleanups()
        dog.cancel()
    if rc == 0:
        print(f"PASS {name} ({time.monotonic() - started:.2f} s)", flush=True)
    sys.stdout.flush()
    sys.exit(rc)


# --- the server process ---------------------------------------------------------------------

class Server:
    """One zokio-server process on 127.0.0.1 and a port the kernel picks (or `port`)."""

    def __init__(self, binary, *args, workers=2, listen=True, stdout=None, env=None,
                 preexec_fn=None, timeout=10.0, port=0, drain_delay="0s"):
        cmd = [binary, "--host", HOST, "--port", str(port)]
        if workers is not None:
            cmd += ["--workers", str(workers)]
        if drain_delay is not None:  # SIGTERM stops at once unless a test wants phase (a)
            cmd += ["--drain-delay", drain_delay]
        cmd += [str(a) for a in args]
        self.cmd = cmd
        self.lines = []
        self._cond = threading.Condition()
        self._stdout_file = None
        if stdout is None:
            stdout = subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout,
                                     stderr=subprocess.PIPE, env=env, start_new_session=True,
                                     preexec_fn=preexec_fn)
        on_cleanup(lambda: kill_process(self.proc))
        self.pid = self.proc.pid
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        self.port = None
        if listen:
            self.wait_listening(timeout)

    def _read_stderr(self):
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()
        self.proc.stderr.close()

    def stderr_text(self):
        with self._cond:
            return "\n".join(self.lines)

    def wait_line(self, regex, timeout, start=0):
        """The first stderr line (from index start) that matches regex, waiting up to timeout."""
        pattern = re.compile(regex)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[start:]:
                    m = pattern.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    return None
                self._cond.wait(min(left, 0.1))

    def wait_listening(self, timeout=10.0):
        m = self.wait_line(LISTENING_RE, timeout)
        if not m:
            rc = self.proc.poll()
            raise TestFailure(
                f"server did not print 'listening on http://127.0.0.1:PORT (' within {timeout} s "
                f"(exit code {rc}); command {' '.join(self.cmd)}; stderr:\n{self.stderr_text()}")
        self.port = int(m.group(1))
        return self.port

    def send_signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        """The exit code, or None if still running after timeout seconds."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._reader.join(timeout=2)
        return rc

    def running(self):
        return self.proc.poll() is None

    def stop(self, expect_rc=0, timeout=10.0, sig=signal.SIGTERM, what="graceful stop"):
        """Sends sig, waits for the exit and checks its code. Returns the exit code."""
        self.send_signal(sig)
        rc = self.wait_exit(timeout)
        if rc is None:
            kill_process(self.proc)
            raise TestFailure(f"{what}: server still running {timeout} s after "
                              f"{signal.Signals(sig).name}; stderr:\n{self.stderr_text()}")
        if expect_rc is not None:
            check_eq(rc, expect_rc, f"{what}: exit code after {signal.Signals(sig).name} "
                                    f"(stderr: {self.stderr_text()[-800:]!r})")
        return rc

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise TestFailure("no VmRSS in /proc/PID/status")

    def conn(self, timeout=10.0):
        return Conn(self.port, timeout=timeout)

    def get(self, target, headers=None, timeout=10.0):
        return fetch(self.port, "GET", target, headers=headers, timeout=timeout)


def run_cli(binary, args, timeout=5.0):
    """Runs the binary to completion (no server expected). Returns (rc, stdout, stderr); rc is
    None when it had to be killed after timeout seconds."""
    proc = subprocess.Popen([binary] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    on_cleanup(lambda: kill_process(proc))
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        kill_process(proc)
        out, err = proc.communicate()
        return None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


# --- HTTP over raw sockets -------------------------------------------------------------------

class ConnectionClosed(Exception):
    """The peer closed the connection. received says how many bytes of the response had arrived
    (0: none, the keep-alive race a client may retry; more: a truncated response)."""

    def __init__(self, msg, received=0):
        super().__init__(msg)
        self.received = received


class Response:
    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)] in order, names as sent
        self.body = body
        self.raw_head = raw_head
        self.chunked = False

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_list(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def has_header(self, name):
        return any(k.lower() == name.lower() for k, _ in self.headers)

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return f"<{self.status} {self.reason} {dict(self.headers)!r} body={shorten(self.body, 120)}>"


def build_request(method, target, headers=None, body=None, host=None):
    """The bytes of an HTTP/1.1 request. target is sent verbatim (str, latin-1, or bytes). A Host
    header is added unless headers hold one (host=False leaves it out); Content-Length is added
    for a body unless headers set Content-Length or Transfer-Encoding."""
    if isinstance(target, str):
        target = target.encode("latin-1")
    headers = list(headers.items() if isinstance(headers, dict) else (headers or []))
    names = {k.lower() for k, _ in headers}
    out = method.encode() + b" " + target + b" HTTP/1.1\r\n"
    if host is not False and "host" not in names:
        out += b"Host: " + (host or HOST).encode() + b"\r\n"
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        out += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
    for k, v in headers:
        v = v if isinstance(v, bytes) else str(v).encode("latin-1")
        out += k.encode("latin-1") + b": " + v + b"\r\n"
    out += b"\r\n"
    if body is not None:
        out += body
    return out


class Conn:
    """One client connection, kept alive across requests."""

    def __init__(self, port, host=HOST, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.sent = 0  # bytes written and read, for byte counts
        self.received = 0
        self.eof = False
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def send(self, data):
        self.sock.sendall(data)
        self.sent += len(data)

    def _fill(self):
        if self.eof:
            return False
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        except socket.timeout:
            raise TestFailure(f"no response data within {self.timeout} s "
                              f"(port {self.port}; had {len(self.buf)} buffered bytes)")
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        self.received += len(chunk)
        return True

    def _read_until(self, marker, received_before):
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                out, self.buf = self.buf[:i + len(marker)], self.buf[i + len(marker):]
                return out
            if not self._fill():
                got = received_before + len(self.buf)
                raise ConnectionClosed(f"connection closed after {got} bytes of a response", got)

    def _read_exact(self, n, received_before):
        while len(self.buf) < n:
            if not self._fill():
                got = received_before + len(self.buf)
                raise ConnectionClosed(f"connection closed after {got} bytes of a response "
                                       f"(body short of {n - len(self.buf)} bytes)", got)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, method="GET"):
        """Reads one response. Raises ConnectionClosed if the peer closes first (received=0 when
        not one byte of it arrived)."""
        head = self._read_until(b"\r\n\r\n", 0)
        received = len(head)
        lines = head[:-4].split(b"\r\n")
        m = re.match(rb"^HTTP/(1\.[01]) (\d{3}) ?(.*)$", lines[0])
        if not m:
            raise TestFailure(f"malformed status line {lines[0]!r}")
        version, status, reason = m.group(1).decode(), int(m.group(2)), m.group(3).decode("latin-1")
        headers = []
        for line in lines[1:]:
            k, sep, v = line.partition(b":")
            if not sep or k != k.strip() or not k:
                raise TestFailure(f"malformed header line {line!r} in response {lines[0]!r}")
            headers.append((k.decode("latin-1"), v.strip(b" \t").decode("latin-1")))
        resp = Response(version, status, reason, headers, b"", head)
        if 100 <= status < 200 and status != 101:
            return self.read_response(method)  # skip interim responses
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return resp
        te = resp.header("Transfer-Encoding")
        cl = resp.header("Content-Length")
        if te is not None:
            check(te.lower() == "chunked", "response framing", f"Transfer-Encoding {te!r}")
            resp.chunked = True
            body = b""
            while True:
                size_line = self._read_until(b"\r\n", received)
                received += len(size_line)
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    while True:  # trailers up to the empty line
                        t = self._read_until(b"\r\n", received)
                        received += len(t)
                        if t == b"\r\n":
                            break
                    break
                body += self._read_exact(size, received)
                received += size
                crlf = self._read_exact(2, received)
                received += 2
                check(crlf == b"\r\n", "response framing", "chunk not followed by CRLF")
            resp.body = body
        elif cl is not None:
            check(len(resp.header_list("Content-Length")) == 1, "response framing",
                  f"several Content-Length headers in {resp!r}")
            resp.body = self._read_exact(int(cl), received)
        else:
            while self._fill():
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def request(self, method, target, headers=None, body=None, host=None):
        self.send(build_request(method, target, headers, body, host))
        return self.read_response(method)

    def get(self, target, headers=None):
        return self.request("GET", target, headers)

    def wait_closed(self, timeout=5.0):
        """True if the peer closes the connection within timeout (any data read is discarded)."""
        deadline = time.monotonic() + timeout
        old = self.sock.gettimeout()
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    return False
                except ConnectionResetError:
                    return True
                if not chunk:
                    self.eof = True
                    return True
            return False
        finally:
            self.sock.settimeout(old)


def fetch(port, method, target, headers=None, body=None, timeout=10.0):
    """One request on a new connection (closed afterwards)."""
    with Conn(port, timeout=timeout) as c:
        return c.request(method, target, headers, body)


def raw_exchange(port, data, timeout=10.0, method="GET"):
    """Sends data verbatim on a new connection and reads one response (None if the server closed
    the connection without answering)."""
    with Conn(port, timeout=timeout) as c:
        c.send(data)
        try:
            return c.read_response(method)
        except ConnectionClosed as e:
            if e.received == 0:
                return None
            raise


# --- Prometheus text format -------------------------------------------------------------------

_SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$")
_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)')
_METRIC_TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def _parse_labels(text, line):
    labels = {}
    pos = 0
    while pos < len(text):
        m = _LABEL_RE.match(text, pos)
        if not m:
            raise TestFailure(f"/metrics: malformed labels in line {line!r}")
        check(m.group(1) not in labels, "/metrics: labels", f"label repeated in {line!r}")
        labels[m.group(1)] = m.group(2).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        pos = m.end()
    return labels


def _parse_value(text, line):
    try:
        return float(text)  # accepts +Inf, -Inf, NaN
    except ValueError:
        raise TestFailure(f"/metrics: value {text!r} is not a number in line {line!r}")


def parse_prometheus(text):
    """Parses the Prometheus text exposition format (0.0.4) strictly. Returns
    (types {family: type}, samples [(name, labels, value)]). Fails if a sample does not belong
    to a family declared by an earlier `# TYPE`, if a family is declared twice, if a sample
    (name + labels) repeats, or if a histogram's buckets are not cumulative or do not end in
    le="+Inf" equal to its _count."""
    types = {}
    samples = []
    seen = set()
    check(text.endswith("\n"), "/metrics: text ends with a newline")
    for line in text.split("\n")[:-1]:
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] == "TYPE":
                check(len(parts) == 4 and parts[3] in _METRIC_TYPES, "/metrics: TYPE line",
                      repr(line))
                check(parts[2] not in types, "/metrics: family declared once",
                      f"second TYPE for {parts[2]}")
                types[parts[2]] = parts[3]
            continue
        m = _SAMPLE_RE.match(line)
        if not m:
            raise TestFailure(f"/metrics: malformed sample line {line!r}")
        name = m.group(1)
        labels = _parse_labels(m.group(3) or "", line)
        value = _parse_value(m.group(4), line)
        family = _family_of(name, types)
        check(family is not None, "/metrics: every sample belongs to a # TYPE'd family",
              f"sample {name!r} has no preceding # TYPE")
        key = (name, tuple(sorted(labels.items())))
        check(key not in seen, "/metrics: samples unique", f"{name}{labels} repeated")
        seen.add(key)
        samples.append((name, labels, value))
    _check_histograms(types, samples)
    return types, samples


def _family_of(name, types):
    if name in types and types[name] not in ("histogram", "summary"):
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            if types.get(base) == "histogram" or (types.get(base) == "summary" and suffix != "_bucket"):
                return base
    if name in types and types[name] == "summary":
        return name  # quantile samples
    return None


def _check_histograms(types, samples):
    for family, kind in types.items():
        if kind != "histogram":
            continue
        groups = {}
        for name, labels, value in samples:
            if name not in (family + "_bucket", family + "_sum", family + "_count"):
                continue
            rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
            if name.endswith("_bucket"):
                check("le" in labels, f"/metrics: {family}_bucket has an le label", repr(labels))
                g["buckets"].append((_parse_value(labels["le"], name), labels["le"], value))
            elif name.endswith("_sum"):
                g["sum"] = value
            else:
                g["count"] = value
        check(groups, f"/metrics: histogram {family} has samples")
        for rest, g in groups.items():
            b = g["buckets"]
            check(b, f"/metrics: histogram {family}{dict(rest)} has buckets")
            check(g["count"] is not None and g["sum"] is not None,
                  f"/metrics: histogram {family}{dict(rest)} has _sum and _count")
            les = [x[0] for x in b]
            check(les == sorted(les) and len(set(les)) == len(les),
                  f"/metrics: histogram {family} buckets in increasing le order", repr(les))
            counts = [x[2] for x in b]
            check(all(a <= c for a, c in zip(counts, counts[1:])),
                  f"/metrics: histogram {family} buckets cumulative", repr(counts))
            check(b[-1][1] == "+Inf", f"/metrics: histogram {family} ends with le=\"+Inf\"",
                  f"last le is {b[-1][1]!r}")
            check_eq(b[-1][2], g["count"], f"/metrics: histogram {family} +Inf bucket == _count")


def metric_value(samples, name, **labels):
    """The value of the one sample name{labels} (labels must match exactly)."""
    found = [v for n, l, v in samples if n == name and l == labels]
    check(len(found) == 1, f"/metrics: one sample {name}{labels or ''}", f"found {len(found)}")
    return found[0]
