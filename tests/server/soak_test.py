#!/usr/bin/python3
"""Soak test: zokio-server under full keep-alive load, with a memory-growth bound.

    python3 tests/server/soak_test.py PATH_TO_ZOKIO_SERVER [--seconds 60] [--connections 1000]
                                      [--client auto|wrk|python]

Starts zokio-server (--workers 2) and drives GET /hello over N keep-alive connections at full
speed for the duration, with /usr/bin/wrk when present (else, or with --client python, an asyncio
client in this process). Passes when the load saw zero socket errors and zero non-2xx responses,
the server's own statistics agree (no 4xx/5xx, parse or handler errors), the server still
answers and stops cleanly, and its resident memory did not grow: RSS is sampled from
/proc/PID/status after a warm-up (10 % of the run, at least 5 s) and at the end, and the end value
must stay within warm x 1.10 + 8 MiB. Prints requests, requests/s, errors and RSS (the evidence).
Exit 0 pass, 1 fail, 2 usage.
"""
import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as s  # noqa: E402
from support import check, check_eq, log  # noqa: E402

WRK = "/usr/bin/wrk"
PATH = "/hello"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("binary")
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    a = p.parse_args(argv[1:])
    if a.seconds < 10 or a.connections < 1:
        # The warm-up sample is taken at 10 % of the run but not before 5 s: leave time after it.
        p.error("--seconds must be at least 10 and --connections at least 1")
    return a


def raise_nofile(connections):
    """Raises RLIMIT_NOFILE for this process and its children (the server and wrk)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * connections + 256  # the client's and the server's ends, plus slack
    if hard != resource.RLIM_INFINITY and hard < need:
        raise s.TestFailure(f"RLIMIT_NOFILE hard limit {hard} < {need} needed for "
                            f"{connections} connections (raise it: ulimit -Hn)")
    if soft == resource.RLIM_INFINITY or soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY
                                                    else need, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- load generators ----------------------------------------------------------------------------

def parse_wrk(out):
    def grab(pattern, conv=int, default=None):
        m = re.search(pattern, out, re.M)
        return conv(m.group(1)) if m else default
    res = {
        "requests": grab(r"^\s*(\d+) requests in "),
        "rps": grab(r"^Requests/sec:\s*([\d.]+)", float),
        "non_2xx": grab(r"Non-2xx or 3xx responses:\s*(\d+)", int, 0),
        "socket_errors": 0,
    }
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["socket_errors"] = sum(int(x) for x in m.groups())
        res["socket_error_detail"] = m.group(0)
    check(res["requests"] is not None and res["rps"] is not None,
          "wrk output parsed (requests, Requests/sec)", out[-600:])
    return res


def run_wrk(port, seconds, connections, on_tick):
    cmd = [WRK, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
           f"http://127.0.0.1:{port}{PATH}"]
    log("load: " + " ".join(cmd))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    s.on_cleanup(lambda: s.kill_process(proc))
    started = time.monotonic()
    while True:
        try:
            out, _ = proc.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            on_tick(time.monotonic() - started)
    out = out.decode("utf-8", "replace")
    print(out.rstrip(), flush=True)
    check_eq(proc.returncode, 0, "wrk exit code")
    return parse_wrk(out)


async def _py_client(port, deadline, stats):
    request = f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as e:
        stats["errors"] += 1
        stats["error_detail"].append(f"connect: {e!r}")
        return
    try:
        while time.monotonic() < deadline:
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            status = int(head[9:12])
            m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
            if not m:
                raise ValueError(f"no Content-Length in {head!r}")
            await asyncio.wait_for(reader.readexactly(int(m.group(1))), 5.0)
            stats["requests"] += 1
            if not 200 <= status < 300:
                stats["non_2xx"] += 1
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        stats["errors"] += 1
        if len(stats["error_detail"]) < 5:
            stats["error_detail"].append(repr(e))
    finally:
        writer.close()


def run_python_client(port, seconds, connections, on_tick):
    log(f"load: asyncio client, {connections} keep-alive connections, {seconds} s, GET {PATH}")
    stats = {"requests": 0, "non_2xx": 0, "errors": 0, "error_detail": []}

    async def main():
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        tasks = [asyncio.create_task(_py_client(port, deadline, stats))
                 for _ in range(connections)]

        async def ticker():
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                on_tick(time.monotonic() - started)
        await asyncio.gather(ticker(), *tasks)
        return time.monotonic() - started
    elapsed = asyncio.run(main())
    return {"requests": stats["requests"], "rps": stats["requests"] / elapsed,
            "non_2xx": stats["non_2xx"], "socket_errors": stats["errors"],
            "socket_error_detail": "; ".join(stats["error_detail"])}


# --- the test -------------------------------------------------------------------------------------

def run(binary, argv):
    args = parse_args(argv)
    nofile = raise_nofile(args.connections)
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which(WRK) is not None
                                       and os.access(WRK, os.X_OK))
    if args.client == "wrk":
        check(os.access(WRK, os.X_OK), f"{WRK} present (--client wrk)")
    srv = s.Server(binary, "--workers", "2", workers=None)
    log(f"server pid {srv.pid} on port {srv.port}; RLIMIT_NOFILE {nofile}; "
        f"{args.connections} connections for {args.seconds} s")
    idle_rss = srv.rss_kib()
    warm_at = max(0.10 * args.seconds, 5.0)
    samples = {"warm": None, "peak": idle_rss}

    def on_tick(elapsed):
        if not srv.running():
            return
        rss = srv.rss_kib()
        samples["peak"] = max(samples["peak"], rss)
        if samples["warm"] is None and elapsed >= warm_at:
            samples["warm"] = rss
            log(f"  RSS after {elapsed:.1f} s warm-up: {rss / 1024:.1f} MiB")

    if use_wrk:
        res = run_wrk(srv.port, args.seconds, args.connections, on_tick)
    else:
        res = run_python_client(srv.port, args.seconds, args.connections, on_tick)
    check(srv.running(), "the server survived the load", srv.stderr_text()[-800:])
    end_rss = srv.rss_kib()
    warm = samples["warm"]
    check(warm is not None, "RSS sampled after the warm-up")
    # The bound: after the warm-up every connection, buffer pool and coroutine frame the load
    # needs exists, so memory should stay flat. 10 % + 8 MiB absorbs allocator noise (arena
    # fragmentation, lazily touched pages, per-thread caches); a real leak does not fit in it:
    # even 100 bytes per request at the tens of thousands of requests a second this runs would
    # add several MiB every second.
    limit = warm * 1.10 + 8 * 1024
    summary = (f"SUMMARY: client {'wrk' if use_wrk else 'python'}, {args.connections} "
               f"connections, {args.seconds} s: {res['requests']} requests, "
               f"{res['rps']:.0f} req/s, socket errors {res['socket_errors']}, "
               f"non-2xx {res['non_2xx']}; RSS idle {idle_rss / 1024:.1f} MiB, "
               f"start (after warm-up) {warm / 1024:.1f} MiB, end {end_rss / 1024:.1f} MiB, "
               f"peak {samples['peak'] / 1024:.1f} MiB, limit {limit / 1024:.1f} MiB")
    log(summary)

    check(res["requests"] > 0, "the load completed requests")
    check_eq(res["socket_errors"], 0,
             f"socket errors during the load ({res.get('socket_error_detail', '')})")
    check_eq(res["non_2xx"], 0, "non-2xx responses during the load")
    check(end_rss <= limit, "RSS growth: end <= warm x 1.10 + 8 MiB",
          f"end {end_rss} KiB > limit {limit:.0f} KiB (warm {warm} KiB)")

    # The server's own view: every request it answered was a 2xx, and nothing went wrong.
    st = json.loads(srv.get("/api/stats").body)
    log(f"server stats: total_requests {st['total_requests']}, responses {st['responses']}, "
        f"parse_errors {st['parse_errors']}, handler_errors {st['handler_errors']}, "
        f"timeouts {st['timeouts']}, total_connections {st['total_connections']}")
    check(st["total_requests"] >= res["requests"], "server total_requests >= client's count",
          f"{st['total_requests']} < {res['requests']}")
    for cls in ("1xx", "3xx", "4xx", "5xx"):
        check_eq(st["responses"][cls], 0, f"server responses {cls}")
    check_eq(st["parse_errors"], 0, "server parse_errors")
    check_eq(st["handler_errors"], 0, "server handler_errors")
    check_eq(srv.get("/healthz").status, 200, "the server still answers after the soak")
    srv.stop(timeout=15.0)


if __name__ == "__main__":
    a = parse_args(sys.argv)
    s.main(run, hard_limit_s=a.seconds + 45,
           binary=s.usage_binary([sys.argv[0], a.binary]))
