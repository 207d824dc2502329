"""The load generators of the comparison runner, behind one call: wrk (Debian's) or
zokio-bench (build/release/apps/zokio-bench). Each run returns the same dict, and the load
generator's own CPU time (from wait4's rusage) so the runner can tell when the load
generator, not the server, was the limit.
"""
import json
import os
import shutil
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# ZOKIO_BENCH in the environment points at another build of it.
ZOKIO_BENCH = os.environ.get("ZOKIO_BENCH") or os.path.join(
    ROOT, "build/release/apps/zokio-bench/zokio-bench")
WRK_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk_stats.lua")


def available(name):
    if name == "wrk":
        return shutil.which("wrk") is not None
    if name == "zokio-bench":
        return os.access(ZOKIO_BENCH, os.X_OK)
    raise ValueError("unknown load generator %r (wrk, zokio-bench)" % name)


def choose(requested=None):
    """The load generator to use: the one asked for, else zokio-bench if built, else wrk."""
    if requested:
        if not available(requested):
            raise RuntimeError("load generator %s is not available (%s)" % (
                requested, ZOKIO_BENCH if requested == "zokio-bench" else "apt-get install wrk"))
        return requested
    for name in ("zokio-bench", "wrk"):
        if available(name):
            return name
    raise RuntimeError("no load generator: build zokio-bench or apt-get install wrk")


def version(name):
    if name == "wrk":
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
        return (out.stdout + out.stderr).splitlines()[0].split(" Copyright")[0].strip()
    rel = os.path.relpath(ZOKIO_BENCH, ROOT)
    return "zokio-bench (%s)" % (ZOKIO_BENCH if rel.startswith("..") else rel)


def argv(name, port, scenario, threads, duration_s):
    url = "http://127.0.0.1:%d%s" % (port, scenario["path"])
    conns, depth = scenario["connections"], scenario.get("pipeline", 1)
    if name == "wrk":
        cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % duration_s, "-s", WRK_SCRIPT]
        if scenario.get("close"):
            cmd += ["-H", "Connection: close"]  # wrk reconnects after each answer
        return cmd + [url, "--", str(depth)]
    # The runner does its own warm-up run (so CPU is measured over the measured run only).
    cmd = [ZOKIO_BENCH, url, "-c", str(conns), "-t", str(threads), "-d", str(duration_s),
           "--warmup", "0", "--json"]
    if depth > 1:
        cmd += ["--pipeline", str(depth)]
    if scenario.get("close"):
        cmd.append("--close")
    return cmd


def _parse_wrk(out, scenario):
    line = next((l for l in out.splitlines() if l.startswith("ZOKIO_WRK ")), None)
    if line is None:
        raise RuntimeError("wrk printed no result line: %s" % out[-300:])
    r = json.loads(line[len("ZOKIO_WRK "):])
    duration = r["duration_us"] / 1e6
    errors = {k: r[k] for k in ("connect", "read", "write", "status", "timeout")}
    # wrk times a pipelined batch from its first request's write to the last answer and
    # records that for every request: the percentiles mean nothing, so none are reported.
    pipelined = scenario.get("pipeline", 1) > 1
    return {"requests": r["requests"], "duration_s": duration,
            "rps": r["requests"] / duration if duration else 0.0,
            "p50_us": None if pipelined else r["p50"], "p99_us": None if pipelined else r["p99"],
            "errors": errors}


def _parse_zokio_bench(out):
    start = out.find("{")
    if start < 0:
        raise RuntimeError("zokio-bench printed no JSON: %s" % out[-300:])
    r = json.loads(out[start:out.rindex("}") + 1])
    lat = r.get("latency_us", {})
    return {"requests": r["requests"], "duration_s": r["duration_s"], "rps": r["requests_per_sec"],
            "p50_us": lat.get("p50"), "p99_us": lat.get("p99"), "errors": dict(r.get("errors", {}))}


def run(name, port, scenario, threads, duration_s, cpus=None):
    """One load generator run against 127.0.0.1:port -> results dict (see _parse_*), plus
    cpu_s and wall_s of the load generator process and the command line used."""
    cmd = argv(name, port, scenario, threads, duration_s)
    if cpus is not None:
        cmd = ["taskset", "-c", cpus] + cmd
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # The output is a few lines, far less than a pipe holds, so reading it after the exit
    # cannot block the child; wait4 gives us the child's own CPU time.
    deadline = t0 + duration_s + 60
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("%s did not finish within %d s" % (name, duration_s + 60))
        time.sleep(0.02)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read()
    proc.stdout.close()
    if proc.returncode != 0:
        raise RuntimeError("%s exited with %d: %s" % (name, proc.returncode, out[-300:]))
    result = _parse_wrk(out, scenario) if name == "wrk" else _parse_zokio_bench(out)
    result["errors_total"] = sum(result["errors"].values())
    result["loadgen_cpu_s"] = usage.ru_utime + usage.ru_stime
    result["loadgen_wall_s"] = wall
    result["loadgen_argv"] = cmd
    return result
