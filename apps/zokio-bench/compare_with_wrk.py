#!/usr/bin/env python3
"""Runs wrk and zokio-bench alternately against the same server with the same connections and
threads, and prints each round's requests/s and the client's CPU time per request, then the
medians. The numbers in README.md come from this script.

usage: compare_with_wrk.py ZOKIO_BENCH URL [--rounds N] [-c C] [-t T] [-d SECONDS]
                           [--pipeline N | --close] [--cpu LIST] [--io uring|epoll]

The client runs under `taskset -c LIST` (default 1); start the server on the other CPU yourself,
e.g. `taskset -c 0 build/release/examples/hello_http 127.0.0.1:9999 1`.
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, env=None):
    """Runs cmd; returns (stdout, CPU seconds it used)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bench")
    ap.add_argument("url")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("-c", type=int, default=100)
    ap.add_argument("-t", type=int, default=1)
    ap.add_argument("-d", type=int, default=5)
    ap.add_argument("--pipeline", type=int, default=1)
    ap.add_argument("--close", action="store_true")
    ap.add_argument("--cpu", default="1")
    ap.add_argument("--io", default=None)
    a = ap.parse_args()

    wrk = ["taskset", "-c", a.cpu, "wrk", f"-t{a.t}", f"-c{a.c}", f"-d{a.d}s", a.url]
    zb = ["taskset", "-c", a.cpu, a.bench, a.url, "-c", str(a.c), "-t", str(a.t), "-d",
          str(a.d), "--warmup", "0", "--json"]  # wrk has no warm-up either
    script = None
    if a.pipeline > 1:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write("init = function(args)\n  local r = {}\n"
                     f"  for i = 1, {a.pipeline} do r[i] = wrk.format() end\n"
                     "  req = table.concat(r)\nend\n"
                     "request = function() return req end\n")
        script.close()
        wrk[5:5] = ["-s", script.name]
        zb += ["--pipeline", str(a.pipeline)]
    if a.close:
        wrk[5:5] = ["-H", "Connection: close"]
        zb += ["--close"]
    env = dict(os.environ)
    if a.io:
        env["ZOKIO_IO"] = a.io

    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
          f"{os.getloadavg()[0]:.2f}")
    print("# wrk:         " + " ".join(wrk))
    print("# zokio-bench: " + " ".join(zb) + (f"  (ZOKIO_IO={a.io})" if a.io else ""))
    rows = {"wrk": [], "zokio-bench": []}
    for i in range(a.rounds):
        out, cpu = run(wrk)
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        rps = float(m.group(1))
        rows["wrk"].append((rps, cpu / (rps * a.d) * 1e9))
        out, cpu = run(zb, env)
        rep = json.loads(out)
        zrps = rep["requests_per_sec"]
        rows["zokio-bench"].append((zrps, cpu / (rep["requests"] or 1) * 1e9))
        print(f"round {i + 1}: wrk {rps:,.0f} req/s ({rows['wrk'][-1][1]:,.0f} ns CPU/req), "
              f"zokio-bench {zrps:,.0f} req/s ({rows['zokio-bench'][-1][1]:,.0f} ns CPU/req), "
              f"load {os.getloadavg()[0]:.2f}", flush=True)
    w = statistics.median(r[0] for r in rows["wrk"])
    z = statistics.median(r[0] for r in rows["zokio-bench"])
    wc = statistics.median(r[1] for r in rows["wrk"])
    zc = statistics.median(r[1] for r in rows["zokio-bench"])
    print(f"median: wrk {w:,.0f} req/s ({wc:,.0f} ns CPU/req), zokio-bench {z:,.0f} req/s "
          f"({zc:,.0f} ns CPU/req), ratio {z / w:.3f}")
    if script:
        os.unlink(script.name)


if __name__ == "__main__":
    sys.exit(main())
