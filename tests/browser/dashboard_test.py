#!/usr/bin/python3
"""End-to-end test of the dashboard in headless Chromium, over the W3C WebDriver protocol.

    python3 tests/browser/dashboard_test.py PATH_TO_ZOKIO_SERVER [--screenshot FILE.png]

Starts the server (`--port 0 --workers 2`; a path ending in .py, such as
tests/browser/fake_server.py, is run with this Python), then /usr/bin/chromedriver, and drives
/usr/bin/chromium with plain urllib (no Selenium). It checks that the home page and its logo load,
that /dashboard shows its figures, that 200 requests sent to /hello by this test show up on the
dashboard (total requests, requests/s, 2xx) within 10 s, that the chart is drawn, that the browser
logged no error, and that the dashboard says "disconnected" once the server has stopped (SIGTERM).

Python standard library only. Exit codes: 0 pass, 1 fail, 2 usage, 77 skipped (no Chromium or no
chromedriver: ctest's SKIP_RETURN_CODE). Bounded: everything ends within HARD_LIMIT_S seconds.
Environment: ZOKIO_CHROMIUM and ZOKIO_CHROMEDRIVER override the two browser paths.
"""
import base64
import http.client
import json
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
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SKIP = 77
HARD_LIMIT_S = 60
CHROMIUM = os.environ.get("ZOKIO_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ZOKIO_CHROMEDRIVER", "/usr/bin/chromedriver")
REQUESTS = 200
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"  # the W3C web element identifier

# Every figure the dashboard shows, by element id.
FIGURE_IDS = [
    "active-connections", "total-connections", "total-requests", "bytes-in", "bytes-out",
    "rps-1s", "rps-10s", "rps-60s", "p50", "p90", "p99", "p999",
    "status-1xx", "status-2xx", "status-3xx", "status-4xx", "status-5xx",
    "parse-errors", "timeouts", "handler-errors", "uptime", "io-backend", "workers",
]

# One round trip reads the whole page state.
READ_STATE_JS = """
const out = {figures: {}};
for (const id of arguments[0]) {
  const el = document.getElementById(id);
  out.figures[id] = el ? el.textContent.trim() : null;
}
const state = document.getElementById("conn-state");
out.state = state ? state.dataset.state : null;
out.stateText = state ? state.textContent : null;
const chart = document.getElementById("rps-chart");
const box = chart ? chart.getBoundingClientRect() : null;
out.chart = chart ? {tag: chart.tagName.toLowerCase(), width: box.width, height: box.height} : null;
const line = document.getElementById("rps-line");
out.chartLine = line ? (line.getAttribute("d") || "") : null;
out.workerRows = document.querySelectorAll("#workers-body tr").length;
return out;
"""


class Failure(Exception):
    pass


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def number(text):
    """'1,234' -> 1234.0; '—' or anything else that is not a figure -> None."""
    if text is None:
        return None
    t = text.replace(",", "").replace("\u202f", "").replace("\u00a0", "").strip()
    try:
        return float(t)
    except ValueError:
        return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, predicate, timeout, interval=0.2):
    """Polls predicate() until it returns a true value; Failure after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise Failure(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


class Server:
    """The server under test, its stderr collected by a thread."""

    def __init__(self, path, *extra):
        cmd = [path] if not path.endswith(".py") else [sys.executable, path]
        cmd += ["--host", "127.0.0.1", "--port", "0", "--workers", "2", *extra]
        if not path.endswith(".py"):
            cmd += ["--drain-delay", "0s"]  # disconnected as soon as it is stopped
        log("starting " + " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.lines = []
        self.url = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            m = re.search(r"listening on (http://(?:\[[0-9a-fA-F:.]+\]|[^\s:/]+):\d+)", line)
            if m and not self.url:
                self.url = m.group(1)
                self.ready.set()
        self.ready.set()  # EOF: the process is gone

    def wait_listening(self, timeout=10):
        if not self.ready.wait(timeout) or not self.url:
            state = "it exited" if self._exited(0) else "it is still running"
            raise Failure(f"server did not print 'listening on http://HOST:PORT' within {timeout} s "
                          f"({state})")
        return self.url

    def _exited(self, timeout):
        """Waits for the server to exit without reaping it, so its process group id stays ours."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                    return True
            except ChildProcessError:  # already reaped
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def stop(self, timeout=5):
        """One SIGTERM, then SIGKILL after `timeout` s; then SIGKILL to whatever is left in the
        server's process group (children of a wrapper script). Returns the exit code."""
        if self.proc.returncode is None:
            if not self._exited(0):
                os.kill(self.proc.pid, signal.SIGTERM)  # not reaped yet: the pid is still the server's
            if not self._exited(timeout):
                log(f"server still running {timeout} s after SIGTERM: SIGKILL")
                os.kill(self.proc.pid, signal.SIGKILL)
                self._exited(5)
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)
        return self.proc.returncode


class WebDriver:
    """The handful of W3C WebDriver commands this test needs."""

    def __init__(self, port, log_path):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None
        log(f"starting {CHROMEDRIVER} --port={port}")
        self.proc = subprocess.Popen([CHROMEDRIVER, f"--port={port}", f"--log-path={log_path}"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until("chromedriver to be ready", self._ready, 10)

    def _ready(self):
        if self.proc.poll() is not None:
            raise Failure(f"chromedriver exited with code {self.proc.returncode}")
        try:
            return self.call("GET", "/status", timeout=2).get("ready")
        except (OSError, Failure):
            return False

    def call(self, method, path, body=None, timeout=15):
        data = None
        if method == "POST":
            data = json.dumps(body if body is not None else {}).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.load(r).get("value")
        except urllib.error.HTTPError as e:
            try:
                v = json.load(e).get("value", {})
                msg = f"{v.get('error')}: {v.get('message', '').splitlines()[0] if v.get('message') else ''}"
            except ValueError:
                msg = str(e)
            raise Failure(f"WebDriver {method} {path} failed: {msg}") from None

    def start_session(self):
        caps = {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": 15000, "script": 5000, "implicit": 0},
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                         "--window-size=1280,1000"],
            },
        }
        v = self.call("POST", "/session", {"capabilities": {"alwaysMatch": caps}}, timeout=30)
        self.session = v["sessionId"]
        c = v.get("capabilities", {})
        log(f"session {self.session}: {c.get('browserName')} {c.get('browserVersion')}")

    def s(self, path):
        return f"/session/{self.session}{path}"

    def navigate(self, url):
        self.call("POST", self.s("/url"), {"url": url}, timeout=20)

    def title(self):
        return self.call("GET", self.s("/title"))

    def execute(self, script, *args):
        return self.call("POST", self.s("/execute/sync"), {"script": script, "args": list(args)})

    def element_text(self, css):
        e = self.call("POST", self.s("/element"), {"using": "css selector", "value": css})
        return self.call("GET", self.s(f"/element/{e[ELEMENT_KEY]}/text"))

    def browser_log(self):
        """Console entries since the last call, or None where the driver does not offer the log."""
        try:
            return self.call("POST", self.s("/se/log"), {"type": "browser"})
        except Failure:
            return None

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.call("GET", self.s("/screenshot"))))

    def quit(self):
        if self.session:
            try:
                self.call("DELETE", self.s(""), timeout=10)
            except (OSError, Failure) as e:
                log(f"deleting the session failed: {e}")
            self.session = None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # chromedriver and any browser it left
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def send_requests(base_url, n):
    """n GET /hello on keep-alive connections (reconnecting if the server closes one)."""
    host_port = base_url[len("http://"):]
    conn = None
    ok = 0
    for _ in range(n):
        for attempt in range(2):
            if conn is None:
                conn = http.client.HTTPConnection(host_port, timeout=5)
            try:
                conn.request("GET", "/hello")
                r = conn.getresponse()
                body = r.read()
                if r.status != 200 or body != b"Hello, World!":
                    raise Failure(f"GET /hello answered {r.status} {body[:60]!r}")
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
                ok += 1
                break
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = None
                if attempt == 1:
                    raise Failure(f"GET /hello failed: {e!r}")
    if conn:
        conn.close()
    return ok


def serious(entries):
    return [e for e in entries or [] if e.get("level") == "SEVERE"]


def run(server_path, screenshot, cleanup, diag):
    tmp = tempfile.mkdtemp(prefix="zokio-browser-")
    cleanup.append(lambda: shutil.rmtree(tmp, ignore_errors=True))
    driver_log = os.path.join(tmp, "chromedriver.log")
    diag["driver_log"] = driver_log

    server = Server(server_path)
    diag["server"] = server
    cleanup.append(server.stop)
    base = server.wait_listening(10)
    log(f"server listening on {base}")

    wd = WebDriver(free_port(), driver_log)
    cleanup.append(wd.quit)
    wd.start_session()

    # The home page and its picture.
    wd.navigate(base + "/")
    title = wd.title()
    if "Zokio" not in title:
        raise Failure(f"the home page's title is {title!r}")
    logo = wd.execute("const i = document.querySelector('img[src*=\"zokio.png\"]');"
                      "return i ? i.complete && i.naturalWidth : -1;")
    if not logo or logo <= 0:
        raise Failure(f"the logo did not load (naturalWidth {logo})")
    log(f"home page: title {title!r}, logo {logo}px wide")

    # The dashboard, once its first fetch of /api/stats has succeeded.
    wd.navigate(base + "/dashboard")
    def read():
        return wd.execute(READ_STATE_JS, FIGURE_IDS)

    def first_figures():
        s = read()
        return s if number(s["figures"]["total-requests"]) is not None and s["state"] == "live" else None

    st = wait_until("the dashboard's first figures (total-requests a number, state 'live')",
                    first_figures, 10)
    missing = [k for k, v in st["figures"].items() if v is None]
    if missing:
        raise Failure(f"elements missing from the dashboard: {', '.join(missing)}")
    before = number(st["figures"]["total-requests"])
    if number(wd.element_text("#total-requests")) != before:  # rendered and visible, not only in the DOM
        raise Failure("#total-requests is not visible as a number")
    log(f"dashboard live: total-requests {before:g}, active-connections {st['figures']['active-connections']}, "
        f"io {st['figures']['io-backend']}, workers {st['figures']['workers']}")

    # Traffic from the test, then the dashboard must show it.
    t0 = time.monotonic()
    sent = send_requests(base, REQUESTS)
    log(f"sent {sent} GET /hello in {time.monotonic() - t0:.2f} s")

    def grown():
        s = read()
        f = s["figures"]
        total, ok2xx = number(f["total-requests"]), number(f["status-2xx"])
        rps = [number(f[k]) or 0 for k in ("rps-1s", "rps-10s", "rps-60s")]
        if total is not None and total >= before + REQUESTS and max(rps) > 0 and (ok2xx or 0) >= REQUESTS \
                and s["chartLine"] and s["chartLine"].count("L") >= 1:
            return s
        return None

    try:
        st = wait_until(f"total-requests to grow by {REQUESTS}, a non-zero requests/s, "
                        f"2xx >= {REQUESTS} and a chart line", grown, 10)
    except Failure:
        log(f"last dashboard state: {json.dumps(read())}")
        raise
    f = st["figures"]
    log(f"dashboard after: total-requests {f['total-requests']}, rps 1s/10s/60s "
        f"{f['rps-1s']}/{f['rps-10s']}/{f['rps-60s']}, 2xx {f['status-2xx']}, "
        f"p50/p90/p99/p99.9 {f['p50']}/{f['p90']}/{f['p99']}/{f['p999']}, "
        f"uptime {f['uptime']}, worker rows {st['workerRows']}")
    for k in ("p50", "p90", "p99", "p999", "uptime", "io-backend", "workers"):
        if f[k] in ("", "\u2014"):
            raise Failure(f"#{k} still shows no value")
    if st["workerRows"] != 2 or number(f["workers"]) != 2:
        raise Failure(f"expected 2 workers, the dashboard shows {f['workers']} and {st['workerRows']} rows")
    chart = st["chart"]
    if not chart or chart["width"] <= 0 or chart["height"] <= 0:
        raise Failure(f"the chart is missing or has no size: {chart}")
    log(f"chart: <{chart['tag']}> {chart['width']:.0f}x{chart['height']:.0f}, "
        f"{st['chartLine'].count('L') + 1} points")

    if screenshot:
        wd.screenshot(screenshot)
        log(f"screenshot saved to {screenshot}")

    # No console error while the server was up.
    entries = wd.browser_log()
    if entries is None:
        log("note: this chromedriver does not offer the browser log; console not checked")
    else:
        bad = serious(entries)
        if bad:
            raise Failure("the browser logged errors:\n  " + "\n  ".join(e.get("message", "") for e in bad))
        log(f"browser console: {len(entries)} entries, no error")

    # Server gone: the dashboard must say so.
    rc = server.stop(timeout=15)
    log(f"server stopped by SIGTERM, exit code {rc}")
    def disconnected():
        s = read()
        return s if s["state"] == "disconnected" else None

    st = wait_until("the dashboard to show 'disconnected'", disconnected, 8)
    log(f"dashboard state: {st['stateText']!r}")

    check_big_numbers(wd, server_path, tmp, cleanup, read)


# Every figure of /api/stats at 10^12 - 1 (13 digits with separators): no value may spill out of
# its cell onto its neighbour (once, 2xx was drawn over 3xx at 1280 px from 7 digits on).
BIG = 999_999_999_999
OVERFLOW_JS = """
const bad = [];
for (const el of document.querySelectorAll('.figures .value, .card .num, .card .sub span')) {
  const text = document.createRange();  // the text's own extent, not its block's
  text.selectNodeContents(el);
  const r = text.getBoundingClientRect(), cell = el.closest('.figures > div, .card').getBoundingClientRect();
  if (r.width === 0) continue;
  if (r.left < cell.left - 0.5 || r.right > cell.right + 0.5) bad.push(`#${el.id}: ${el.textContent}`);
}
return bad;
"""


def check_big_numbers(wd, server_path, tmp, cleanup, read):
    site = os.path.join(tmp, "site")
    shutil.copytree(os.path.join(REPO, "site"), site)
    big = {"uptime_seconds": BIG, "io_backend": "io_uring", "workers": 2, "draining": False,
           "total_connections": BIG, "active_connections": BIG, "total_requests": BIG,
           "requests_per_second": {"1s": BIG, "10s": BIG, "60s": BIG},
           "bytes_in": BIG, "bytes_out": BIG,
           "responses": {c: BIG for c in ("1xx", "2xx", "3xx", "4xx", "5xx")},
           "latency_us": {"p50": BIG, "p90": BIG, "p99": BIG, "p999": BIG, "mean": BIG},
           "parse_errors": BIG, "timeouts": BIG, "handler_errors": BIG,
           "per_worker": [{"worker": i, "active_connections": BIG, "total_connections": BIG,
                           "total_requests": BIG, "bytes_in": BIG, "bytes_out": BIG}
                          for i in range(2)]}
    with open(os.path.join(site, "big-stats.json"), "w") as f:
        json.dump(big, f)
    server = Server(server_path, "--root", site)
    cleanup.append(server.stop)
    base = server.wait_listening(10)
    wd.navigate(base + "/dashboard?stats=/big-stats.json")

    def live():
        s = read()
        return s if s["state"] == "live" and number(s["figures"]["status-2xx"]) else None
    wait_until("the dashboard to show the big figures", live, 10)
    bad = wd.execute(OVERFLOW_JS)
    if bad:
        raise Failure("figures spill out of their cells at 1280 px: " + "; ".join(bad))
    log("figures of 13 digits stay in their cells at 1280 px")
    server.stop()


def print_diagnostics(diag, n=25):
    server = diag.get("server")
    if server and server.lines:
        print("--- server stderr (last lines):\n" + "\n".join(server.lines[-n:]))
    try:
        with open(diag.get("driver_log", ""), errors="replace") as f:
            lines = [l for l in f.readlines() if "SEVERE" in l or "WARNING" in l][-n:]
        if lines:
            print("--- chromedriver warnings and errors (last lines):\n" + "".join(lines), end="")
    except OSError:
        pass


def main(argv):
    args = argv[1:]
    screenshot = None
    if "--screenshot" in args:
        i = args.index("--screenshot")
        screenshot = args[i + 1] if i + 1 < len(args) else None
        del args[i:i + 2]
    if len(args) != 1 or not screenshot and "--screenshot" in argv:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    server_path = args[0]
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not os.access(tool, os.X_OK):
            print(f"SKIP: {tool} not found (apt-get install chromium chromium-driver)", flush=True)
            return SKIP
    if not os.path.isfile(server_path):
        print(f"FAIL: no server at {server_path}", flush=True)
        return 1

    def on_alarm(signum, frame):
        raise Failure(f"hard time limit of {HARD_LIMIT_S} s reached")

    def on_term(signum, frame):
        raise Failure(f"interrupted by signal {signum}")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.alarm(HARD_LIMIT_S)
    started = time.monotonic()
    cleanup = []
    diag = {}
    try:
        run(server_path, screenshot, cleanup, diag)
        result = 0
    except Failure as e:
        print(f"FAIL: {e}", flush=True)
        result = 1
    except Exception as e:  # a bug in the test or an unexpected protocol answer: still clean up
        print(f"FAIL: unexpected {type(e).__name__}: {e}", flush=True)
        result = 1
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if result != 0:
            print_diagnostics(diag)
        for step in reversed(cleanup):
            try:
                step()
            except Exception as e:  # cleanup must run to the end
                log(f"cleanup step failed: {e!r}")
    if result == 0:
        print(f"PASS: dashboard test in {time.monotonic() - started:.1f} s", flush=True)
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv))
