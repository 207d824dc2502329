#!/usr/bin/env python3
"""Zokio against its peers (nginx, h2o, Node.js, Go, hyper, a C epoll ceiling): the runner of
`make bench`. Measures every server in every scenario in alternating rounds, the memory of
idle connections, optionally instructions per request, then writes the report.

  python3 bench/compare/run.py [--quick] [--mode pinned|shared] [--loadgen wrk|zokio-bench]
                               [--servers zokio,nginx,...] [--out docs/benchmark-report.md]
  python3 bench/compare/run.py --loadgen-check [--quick]   zokio-bench against wrk only
  python3 bench/compare/run.py --instructions [--servers ...]   callgrind counts (bench-instr)
  python3 bench/compare/run.py --from-json docs/benchmark-results.json   report from data only

A pinned-mode run over all servers and scenarios (what `make bench` does) ends with the load
generator check (loadgen_check.py; about 2 minutes, 40 s quick) unless --no-loadgen-check.

QUICK=1 in the environment is --quick. Results go to a JSON file beside the report (default
docs/benchmark-results.json); a run replaces only its own sections of it (pinned, shared,
loadgen_check or instructions), so the other sections survive and the report shows them all.
"""
import argparse
import datetime
import json
import os
import shlex
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import idle_memory  # noqa: E402  (after the path set-up above)
import instructions  # noqa: E402
import loadgen  # noqa: E402
import loadgen_check  # noqa: E402
import procfs  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402

SCENARIOS = [
    {"id": "keepalive-100", "short": "keep-alive 100", "path": "/", "connections": 100,
     "title": "1. Keep-alive, 100 connections, GET /"},
    {"id": "keepalive-1000", "short": "keep-alive 1k", "path": "/", "connections": 1000,
     "title": "2. Keep-alive, 1,000 connections, GET /"},
    {"id": "pipeline-16", "short": "pipelined ×16", "path": "/", "connections": 256,
     "pipeline": 16, "title": "3. Pipelined, 16 requests deep, 256 connections, GET /"},
    {"id": "close", "short": "Connection: close", "path": "/", "connections": 100, "close": True,
     "title": "4. A new connection per request (Connection: close), 100 connections, GET /"},
    {"id": "json", "short": "/json", "path": "/json", "connections": 100,
     "title": "5. Keep-alive, 100 connections, GET /json"},
]
QUICK_SCENARIOS = ["keepalive-100", "pipeline-16", "close"]
# Per mode: server workers and CPUs, load generator threads and CPUs (None: not pinned).
MODES = {"pinned": {"workers": 1, "server_cpus": "0", "threads": 1, "loadgen_cpus": "1"},
         "shared": {"workers": 2, "server_cpus": None, "threads": 2, "loadgen_cpus": None}}
SATURATION = 0.95  # load generator CPU share (of its threads' cores) that marks a cell


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1",
                   help="fewer scenarios, shorter runs: under 4 minutes with the load "
                   "generator check (also QUICK=1)")
    p.add_argument("--mode", choices=sorted(MODES), default="pinned")
    p.add_argument("--loadgen", choices=["wrk", "zokio-bench"],
                   help="default: zokio-bench if built, else wrk")
    p.add_argument("--servers", default=",".join(servers.ALL),
                   help="comma-separated, from: " + ",".join(servers.ALL))
    p.add_argument("--scenarios", help="comma-separated scenario ids, from: "
                   + ",".join(s["id"] for s in SCENARIOS))
    p.add_argument("--rounds", type=int, help="rounds per scenario (default 3, quick 2)")
    p.add_argument("--duration", type=int, help="measured seconds per run (default 5, quick 2)")
    p.add_argument("--warmup", type=int, help="warm-up seconds per run (default 1)")
    p.add_argument("--idle-connections", type=int,
                   help="idle connections of the memory test, 0 to skip (default 10000, quick 2000)")
    p.add_argument("--zokio-io", default="auto", choices=["auto", "uring", "epoll"])
    p.add_argument("--out", default=os.path.join(servers.ROOT, "docs/benchmark-report.md"))
    p.add_argument("--json", help="results file (default: benchmark-results.json beside --out, "
                   "or OUT-results.json for another name)")
    p.add_argument("--from-json", metavar="PATH", help="write the report from this results "
                   "file without measuring")
    p.add_argument("--instructions", action="store_true",
                   help="count instructions per request under callgrind instead")
    p.add_argument("--loadgen-check", action="store_true",
                   help="only run the load generator check: wrk and zokio-bench against the "
                   "same\nZokio server, alternating (~2 min, quick ~40 s); --rounds, "
                   "--duration,\n--warmup and --scenarios apply to it")
    p.add_argument("--no-loadgen-check", action="store_true",
                   help="do not end a full pinned-mode run with the load generator check")
    p.add_argument("--instr-requests", type=int, default=20000)
    p.add_argument("--no-build", action="store_true", help="do not run bench/peers/build.sh")
    return p.parse_args()


def json_path_for(out):
    base = os.path.splitext(out)[0]
    if base.endswith("-report"):
        return base[:-len("-report")] + "-results.json"
    return base + "-results.json"


def load(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def save(data, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def command_line():
    prefix = "QUICK=1 " if os.environ.get("QUICK") == "1" else ""
    argv = [os.path.relpath(os.path.abspath(sys.argv[0]), servers.ROOT)] + sys.argv[1:]
    return prefix + "python3 " + " ".join(shlex.quote(a) for a in argv)


def shown_path(path):
    """A path as the report shows it: relative to the repository when inside it."""
    rel = os.path.relpath(path, servers.ROOT)
    return path if rel.startswith("..") else rel


def build_peers(names):
    if not any(n in ("go", "hyper", "c-epoll") for n in names):
        return
    import subprocess
    if subprocess.run([os.path.join(servers.ROOT, "bench/peers/build.sh")]).returncode != 0:
        sys.exit("run.py: bench/peers/build.sh failed (see above)")


def measure_once(name, scenario, mode, lg, plan, zokio_io):
    """One run: fresh server, warm-up, measured run -> run record (ok or error)."""
    m = MODES[mode]
    record = {"server": name, "scenario": scenario["id"], "ok": False}
    try:
        server = servers.start(name, servers.pick_port(), m["workers"], cpus=m["server_cpus"],
                               io=zokio_io)
    except RuntimeError as e:
        record["error"] = str(e)
        return record
    record["port"] = server.port
    try:
        if plan["warmup_s"]:
            loadgen.run(lg, server.port, scenario, m["threads"], plan["warmup_s"],
                        cpus=m["loadgen_cpus"])
        pids = procfs.tree(server.proc.pid)
        procs0 = procfs.all_processes()
        cpu0, ticks0 = procfs.cpu_seconds(pids), procfs.cpu_ticks()
        r = loadgen.run(lg, server.port, scenario, m["threads"], plan["duration_s"],
                        cpus=m["loadgen_cpus"])
        ticks1 = procfs.cpu_ticks()
        procs1 = procfs.all_processes()
        pids = procfs.tree(server.proc.pid)  # a worker forked late is still counted at the end
        cpu = procfs.cpu_seconds(pids) - cpu0
        if server.proc.poll() is not None:
            raise RuntimeError("server exited during the run: %s" % server.log_tail())
        record.update(r)
        record.update({
            "ok": True,
            "server_cpu_s": cpu,
            "cpu_us_per_request": cpu / r["requests"] * 1e6 if r["requests"] else None,
            "peak_rss_kib": procfs.memory_kib(pids, "VmHWM"),
            "loadgen_cpu_pct": 100 * r["loadgen_cpu_s"] / r["loadgen_wall_s"],
            "server_core_busy_pct": procfs.busy_percent(ticks0, ticks1, m["server_cpus"]),
            "loadgen_core_busy_pct": procfs.busy_percent(ticks0, ticks1, m["loadgen_cpus"]),
            # CPU that neither the server nor the load generator used: a machine that is not
            # quiet (a build, another benchmark) shows here and skews every figure.
            "other_cpu_pct": 100 * procfs.others_seconds(
                procs0, procs1, set(procfs.tree(server.proc.pid)) | {os.getpid()})
                / r["loadgen_wall_s"],
        })
        if m["loadgen_cpus"] is not None:
            # Its own core: busy counts the kernel's softirq work for its sockets too.
            saturated = record["loadgen_core_busy_pct"] >= 100 * SATURATION
        else:
            # Shared cores: only the load generator's own CPU time is its own.
            saturated = r["loadgen_cpu_s"] >= SATURATION * r["loadgen_wall_s"] * m["threads"]
        record["loadgen_saturated"] = saturated
    except RuntimeError as e:
        record["error"] = str(e)
    finally:
        servers.stop(server)
    return record


def describe(record):
    if not record["ok"]:
        return "FAILED: %s" % record["error"][:200]
    lat = "p50 %s p99 %s" % (report.latency(record["p50_us"]), report.latency(record["p99_us"]))
    return ("%10s req/s  %s  err %d  cpu %.2f s (%.2f µs/req)  rss %s  loadgen %.0f%%  "
            "cores busy: server %.0f%% loadgen %.0f%%, others %.0f%%%s") % (
        report.rps(record["rps"]), lat, record["errors_total"], record["server_cpu_s"],
        record["cpu_us_per_request"] or 0, report.mib(record["peak_rss_kib"]),
        record["loadgen_cpu_pct"], record["server_core_busy_pct"],
        record["loadgen_core_busy_pct"], record["other_cpu_pct"],
        " SATURATED" if record["loadgen_saturated"] else "")


def run_benchmark(args, names, data, json_path):
    m = MODES[args.mode]
    if m["loadgen_cpus"] is not None and (os.cpu_count() or 1) < 2:
        sys.exit("run.py: pinned mode needs 2 CPUs (server on 0, load generator on 1)")
    quick = args.quick
    ids = args.scenarios.split(",") if args.scenarios else (
        QUICK_SCENARIOS if quick else [s["id"] for s in SCENARIOS])
    unknown = set(ids) - {s["id"] for s in SCENARIOS}
    if unknown:
        sys.exit("run.py: unknown scenario(s) %s" % ", ".join(sorted(unknown)))
    scenarios = [s for s in SCENARIOS if s["id"] in ids]
    plan = {"rounds": args.rounds or (2 if quick else 3),
            "duration_s": args.duration or (2 if quick else 5),
            "warmup_s": args.warmup if args.warmup is not None else 1,
            "server_workers": m["workers"], "loadgen_threads": m["threads"],
            "server_cpus": m["server_cpus"], "loadgen_cpus": m["loadgen_cpus"]}
    idle_n = args.idle_connections if args.idle_connections is not None else (
        2000 if quick else 10000)

    # The servers inherit this limit: 1,000-connection runs and the idle test need it raised.
    fits = idle_memory.raise_fd_limit(max(idle_n, 1100))
    if fits < max(idle_n, 1100):
        print("run.py: WARNING: RLIMIT_NOFILE could not be raised enough (hard limit %d); the "
              "idle-connection test uses %d connections instead of %d, and runs with 1,000 "
              "connections may fail. Raise it with `ulimit -n` (as root) or in "
              "/etc/security/limits.conf." % (
                  idle_memory.resource.getrlimit(idle_memory.resource.RLIMIT_NOFILE)[1], fits,
                  idle_n), file=sys.stderr)
        idle_n = min(idle_n, fits)

    kind, path = servers.zokio_binary()
    if "zokio" in names and kind is None:
        sys.exit("run.py: no Zokio server built (build/release/apps/zokio-server/zokio-server "
                 "or build/release/examples/hello_http): run `make release`")
    lg = loadgen.choose(args.loadgen)
    per_run = plan["warmup_s"] + plan["duration_s"] + 0.7
    total = len(scenarios) * plan["rounds"] * len(names) * per_run + len(names) * 3
    print("run.py: %s mode, load generator %s, Zokio binary %s; %d runs, about %.0f min" % (
        args.mode, lg, kind, len(scenarios) * plan["rounds"] * len(names), total / 60))
    if kind == "hello_http":
        print("run.py: zokio-server is not built yet: measuring examples/hello_http instead")

    section = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command_line(), "mode": args.mode, "quick": quick,
        "loadgen": lg, "loadgen_version": loadgen.version(lg),
        "zokio_binary": os.path.relpath(path, servers.ROOT) if path else None,
        "zokio_io": args.zokio_io, "machine": procfs.machine(), "plan": plan,
        "servers": names, "labels": {n: servers.label(n) for n in names},
        "scenarios": scenarios, "runs": [], "idle_memory": {},
    }
    t0 = time.monotonic()
    for sc in scenarios:
        print("== %s" % sc["title"])
        for rnd in range(plan["rounds"]):
            for name in names:  # alternate servers within a round: drift hits all alike
                record = measure_once(name, sc, args.mode, lg, plan, args.zokio_io)
                record["round"] = rnd + 1
                section["runs"].append(record)
                print("  round %d  %-8s %s" % (rnd + 1, name, describe(record)), flush=True)
    if idle_n:
        print("== memory per idle connection (%d connections)" % idle_n)
        for name in names:
            try:
                server = servers.start(name, servers.pick_port(), m["workers"],
                                       cpus=m["server_cpus"], io=args.zokio_io)
            except RuntimeError as e:
                section["idle_memory"][name] = {"error": str(e)}
                print("  %-8s FAILED: %s" % (name, e))
                continue
            try:
                r = idle_memory.measure(server, idle_n)
            finally:
                servers.stop(server)
            section["idle_memory"][name] = r
            print("  %-8s %6d held, %s -> %s, %s bytes/connection" % (
                name, r["connections"], report.mib(r["rss_before_kib"]),
                report.mib(r["rss_after_kib"]), report.num(r["bytes_per_connection"])),
                flush=True)
    section["elapsed_s"] = round(time.monotonic() - t0)
    data[args.mode] = section
    print("run.py: measured in %d s" % section["elapsed_s"])


def check_unavailable():
    """Why the load generator check cannot run on this machine, or None."""
    if (os.cpu_count() or 1) < 2:
        return "it needs 2 CPUs (server on 0, load generator on 1)"
    missing = [t for t in loadgen_check.TOOLS if not loadgen.available(t)]
    if missing:
        return "%s not available" % " and ".join(missing)
    if servers.zokio_binary()[0] is None:
        return "no Zokio server built (run `make release`)"
    return None


def check_scenarios(ids):
    unknown = set(ids) - {s["id"] for s in SCENARIOS}
    if unknown:
        sys.exit("run.py: unknown scenario(s) %s" % ", ".join(sorted(unknown)))
    return [s for s in SCENARIOS if s["id"] in ids]


def check_after_benchmark(args, names):
    """Whether a benchmark run ends with the load generator check: the full pinned run that
    `make bench` does, not a run narrowed to some servers or scenarios (a quick look at one
    server should not cost two more minutes)."""
    return (args.mode == loadgen_check.MODE and not args.no_loadgen_check
            and not args.scenarios and names == servers.ALL)


def describe_check(record):
    """describe() plus the figure the check is about: the load generator's CPU per request."""
    if not record["ok"]:
        return describe(record)
    return "%s  loadgen %.2f µs/req" % (
        describe(record), loadgen_check.loadgen_cpu_us_per_request(record) or 0)


def run_loadgen_check(args, data, on_its_own):
    """wrk and zokio-bench against the same Zokio server in alternating rounds
    (loadgen_check.py); replaces the loadgen_check section. After a benchmark run it uses its
    own plan (the benchmark's --rounds, --duration, --warmup and --scenarios are not its) and
    is skipped, not fatal, when it cannot run, so the benchmark's results are still written."""
    why = check_unavailable()
    if why:
        if on_its_own:
            sys.exit("run.py: --loadgen-check: %s" % why)
        print("run.py: WARNING: no load generator check: %s" % why, file=sys.stderr)
        return
    m = MODES[loadgen_check.MODE]
    if on_its_own:
        plan = loadgen_check.plan(args.quick, args.rounds, args.duration, args.warmup)
        ids = args.scenarios.split(",") if args.scenarios else loadgen_check.SCENARIO_IDS
    else:
        plan = loadgen_check.plan(args.quick)
        ids = loadgen_check.SCENARIO_IDS
    plan.update({"server_workers": m["workers"], "loadgen_threads": m["threads"],
                 "server_cpus": m["server_cpus"], "loadgen_cpus": m["loadgen_cpus"]})
    scenarios = check_scenarios(ids)
    idle_memory.raise_fd_limit(1100)  # --scenarios may ask for 1,000 connections
    kind, path = servers.zokio_binary()
    print("run.py: load generator check, %s against the same %s, %s mode: %d runs, about %.0f s"
          % (" and ".join(loadgen_check.TOOLS), kind, loadgen_check.MODE,
             len(scenarios) * len(loadgen_check.TOOLS) * plan["rounds"],
             loadgen_check.estimate_s(plan, len(scenarios))))
    section = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command_line(), "quick": args.quick, "mode": loadgen_check.MODE,
        "after_benchmark": not on_its_own,
        "loadgen_versions": {t: loadgen.version(t) for t in loadgen_check.TOOLS},
        "zokio_binary": os.path.relpath(path, servers.ROOT), "zokio_io": args.zokio_io,
        "machine": procfs.machine(), "plan": plan, "scenarios": scenarios, "runs": [],
    }
    t0 = time.monotonic()
    for sc in scenarios:
        print("== load generator check: %s" % sc["title"])
        for rnd in range(plan["rounds"]):
            for tool in loadgen_check.TOOLS:  # alternate within a round: drift hits both alike
                record = measure_once("zokio", sc, loadgen_check.MODE, tool, plan, args.zokio_io)
                record.update({"round": rnd + 1, "loadgen": tool})
                section["runs"].append(record)
                print("  round %d  %-11s %s" % (rnd + 1, tool, describe_check(record)),
                      flush=True)
    section["elapsed_s"] = round(time.monotonic() - t0)
    data["loadgen_check"] = section
    print("run.py: load generator check measured in %d s" % section["elapsed_s"])


def run_instructions(args, names, data):
    names = [n for n in names if n in servers.NATIVE]
    kind, path = servers.zokio_binary()
    if "zokio" in names and kind is None:
        sys.exit("run.py: no Zokio server built: run `make release`")
    data["instructions"] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command_line(), "requests": args.instr_requests,
        "zokio_binary": os.path.relpath(path, servers.ROOT) if path else None,
        "machine": procfs.machine(), "labels": {n: servers.label(n) for n in names},
        "results": instructions.measure(names, args.instr_requests),
    }


def main():
    args = parse_args()
    out = os.path.abspath(args.out)
    if args.from_json:
        data = load(args.from_json)
        if not data:
            sys.exit("run.py: %s is missing or empty" % args.from_json)
        data["json_path"] = shown_path(os.path.abspath(args.from_json))
        data["out_path"] = shown_path(out)
        report.write(data, out)
        print("run.py: wrote %s" % out)
        return
    json_path = os.path.abspath(args.json or json_path_for(out))
    names = [n.strip() for n in args.servers.split(",") if n.strip()]
    unknown = [n for n in names if n not in servers.ALL]
    if unknown:
        sys.exit("run.py: unknown server(s) %s (known: %s)" % (", ".join(unknown),
                                                               ", ".join(servers.ALL)))
    if args.loadgen_check and (args.instructions or args.mode != loadgen_check.MODE):
        sys.exit("run.py: --loadgen-check runs in %s mode only, and not with --instructions"
                 % loadgen_check.MODE)
    if not args.no_build and not args.loadgen_check:  # the check measures Zokio only
        build_peers(names)
    # Each run leaves its server's configuration and log under build/peers/run/ (kept for a
    # look after a failure); those of earlier invocations are of no use.
    shutil.rmtree(os.path.join(servers.ROOT, "build/peers/run"), ignore_errors=True)
    data = load(json_path)
    if args.instructions:
        run_instructions(args, names, data)
    elif args.loadgen_check:
        run_loadgen_check(args, data, on_its_own=True)
    else:
        run_benchmark(args, names, data, json_path)
        if check_after_benchmark(args, names):
            save(data, json_path)  # the benchmark's results are safe should the check fail
            run_loadgen_check(args, data, on_its_own=False)
    data["json_path"] = shown_path(json_path)
    data["out_path"] = shown_path(out)
    save(data, json_path)
    report.write(data, out)
    print("run.py: wrote %s and %s" % (out, json_path))


if __name__ == "__main__":
    main()
