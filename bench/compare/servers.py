"""The servers the comparison runner measures, and how one is started, awaited and stopped.

zokio is build/release/apps/zokio-server/zokio-server, or, until that program exists, the
hello_http example (same routes / and /json); the peers are started by bench/peers/start.sh.
Each server runs in a session of its own, so stopping it stops every process it forked.
"""
import os
import signal
import socket
import subprocess
import time

import httpclient

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# ZOKIO_SERVER_BINARY measures another build (a compiler comparison, say); the report names it.
ZOKIO_SERVER = os.environ.get("ZOKIO_SERVER_BINARY") or os.path.join(
    ROOT, "build/release/apps/zokio-server/zokio-server")
HELLO_HTTP = os.path.join(ROOT, "build/release/examples/hello_http")
START_PEER = os.path.join(ROOT, "bench/peers/start.sh")

PEERS = ["nginx", "h2o", "node", "go", "hyper", "c-epoll"]
ALL = ["zokio"] + PEERS
# Native servers whose user-space instructions callgrind can count (Go's and Node's runtimes
# are not worth reading under valgrind).
NATIVE = ["zokio", "nginx", "h2o", "hyper", "c-epoll"]
# One worker of these is more than one process: valgrind must follow their children.
MULTI_PROCESS = {"nginx", "h2o"}

LABELS = {"nginx": "nginx", "h2o": "h2o (static file)", "node": "Node.js http",
          "go": "Go net/http", "hyper": "Rust hyper", "c-epoll": "C epoll (ceiling)"}


def zokio_binary():
    """-> (kind, path): kind 'zokio-server' or 'hello_http' (the fallback), or (None, None)."""
    if os.access(ZOKIO_SERVER, os.X_OK):
        return "zokio-server", ZOKIO_SERVER
    if os.access(HELLO_HTTP, os.X_OK):
        return "hello_http", HELLO_HTTP
    return None, None


def label(name):
    if name == "zokio":
        kind, _ = zokio_binary()
        return "Zokio (%s)" % (kind or "missing")
    return LABELS.get(name, name)


def command(name, port, workers, io="auto"):
    """-> (argv, extra environment) that starts server `name` on 127.0.0.1:port."""
    if name == "zokio":
        kind, path = zokio_binary()
        if kind == "zokio-server":
            return [path, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                    "--io", io], {}
        if kind == "hello_http":
            return [path, "127.0.0.1:%d" % port, str(workers)], {"ZOKIO_IO": io}
        raise RuntimeError("no Zokio server: build/release has neither apps/zokio-server "
                           "nor examples/hello_http (run `make release`)")
    if name in PEERS:
        return [START_PEER, name, str(port), str(workers)], {}
    raise ValueError("unknown server %r (known: %s)" % (name, ", ".join(ALL)))


_next_port = 20000 + os.getpid() % 5000


def pick_port():
    """A free port below the ephemeral range, so no load generator socket can hold it, and a
    different one each run, so no TIME_WAIT of the previous server is in the way."""
    global _next_port
    for _ in range(1000):
        _next_port = 20000 if _next_port >= 29999 else _next_port + 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", _next_port))
                return _next_port
            except OSError:
                continue
    raise RuntimeError("no free port in 20000-29999")


class Running:
    """A started server: its port and process (the root of its process tree)."""

    def __init__(self, name, port, proc, log_path):
        self.name, self.port, self.proc, self.log_path = name, port, proc, log_path

    def log_tail(self, lines=5):
        try:
            with open(self.log_path, errors="replace") as f:
                return " | ".join(f.read().strip().splitlines()[-lines:])
        except OSError:
            return ""


def start(name, port, workers, cpus=None, io="auto", wrap=None, env=None, log_dir=None,
          timeout=20.0):
    """Starts a server (pinned to `cpus`, e.g. "0", if given) and returns once it answers
    GET / -- readiness is polled, never slept for. `wrap` is an argv put in front of it,
    `env` extra environment variables."""
    argv, env_extra = command(name, port, workers, io)
    env = dict(os.environ, **env_extra, **(env or {}))
    if wrap:
        if name == "zokio":
            argv = list(wrap) + argv
        else:
            env["PEER_WRAP"] = " ".join(wrap)  # start.sh wraps the server, not itself
    if cpus is not None:
        argv = ["taskset", "-c", cpus] + argv  # taskset execs: the pid stays the server's
    log_dir = log_dir or os.path.join(ROOT, "build/peers/run")
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, "%s-%d.log" % (name, port))
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)
    server = Running(name, port, proc, log_path)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with status %d: %s"
                               % (name, proc.returncode, server.log_tail()))
        if httpclient.probe(port):
            return server
        time.sleep(0.02)
    stop(server)
    raise RuntimeError("%s did not answer on port %d within %.0f s: %s"
                       % (name, port, timeout, server.log_tail()))


def stop(server, sig=signal.SIGTERM, timeout=10.0):
    """Stops the server and everything it forked; returns its exit status."""
    proc = server.proc
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)  # the root first: nginx's master stops its workers itself
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the session
    except ProcessLookupError:
        pass
    return proc.wait()
