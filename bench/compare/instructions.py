"""Instructions per request of each native server, counted by valgrind's callgrind: one run
serving exactly N keep-alive requests (bench/tools/http_load.py, one request per round trip),
minus an idle run (same server started, only the readiness probe, stopped), divided by N.

Callgrind counts user-space instructions only: the kernel's share (syscalls, TCP) is not in
the figure. Zokio runs with the epoll driver: valgrind 3.19 does not deliver a signal to a
thread blocked in io_uring_enter, so the server could not be stopped. nginx and h2o run
under --trace-children=yes with one output file per process, summed (nginx forks a worker).
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

import servers

HTTP_LOAD = os.path.join(servers.ROOT, "bench/tools/http_load.py")


def _collected(out_dir):
    """Instructions in all callgrind outputs of a directory (one file per process)."""
    total = 0
    for path in glob.glob(os.path.join(out_dir, "callgrind.out.*")):
        value = None
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith(("totals:", "summary:")):
                    value = int(line.split()[1])  # both hold the same total; keep the last
        if value is None:
            raise RuntimeError("no total in %s (did the process end cleanly?)" % path)
        total += value
    if total == 0:
        raise RuntimeError("no callgrind output in %s" % out_dir)
    return total


def _run(name, requests, work_dir):
    """Starts `name` under callgrind, sends `requests` requests, stops it -> instructions."""
    out_dir = os.path.join(work_dir, "%s-%d" % (name, requests))
    os.makedirs(out_dir)
    wrap = ["valgrind", "--tool=callgrind",
            "--callgrind-out-file=%s/callgrind.out.%%p" % out_dir]
    if name in servers.MULTI_PROCESS:
        # h2o's crash-handler helper (cat, see h2o.conf.in) is not part of serving.
        wrap += ["--trace-children=yes", "--trace-children-skip=*/cat"]
    # nginx and h2o run as root here: a worker that switched to another user could not write
    # the output file valgrind opened for it.
    server = servers.start(name, servers.pick_port(), 1, io="epoll", wrap=wrap,
                           env={"PEER_USER": "root"}, log_dir=out_dir, timeout=120)
    try:
        if requests:
            subprocess.run([sys.executable, HTTP_LOAD, str(server.port), str(requests), "1"],
                           check=True, stdout=subprocess.DEVNULL, timeout=600)
    finally:
        servers.stop(server, timeout=120)
    time.sleep(0.2)  # children (nginx's worker) write their output as they exit
    return _collected(out_dir)


def measure(names, requests=20000, log=print):
    """-> {name: {...}} with idle and busy totals and instructions per request."""
    if shutil.which("valgrind") is None:
        raise RuntimeError("valgrind not found: apt-get install valgrind")
    results = {}
    work_dir = tempfile.mkdtemp(prefix="zokio-instr-")
    try:
        for name in names:
            if name not in servers.NATIVE:
                log("instructions: skipping %s (not a native server)" % name)
                continue
            t0 = time.monotonic()
            try:
                idle = _run(name, 0, work_dir)
                busy = _run(name, requests, work_dir)
            except (RuntimeError, subprocess.SubprocessError) as e:
                log("instructions: %s failed: %s" % (name, e))
                results[name] = {"error": str(e)}
                continue
            per_request = (busy - idle) / requests
            results[name] = {"requests": requests, "idle": idle, "busy": busy,
                             "per_request": per_request}
            log("instructions: %-8s %8.0f per request (%.0f s)"
                % (name, per_request, time.monotonic() - t0))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return results
