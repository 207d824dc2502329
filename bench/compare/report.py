"""Writes the benchmark report (Markdown + PNG chart) from the results JSON the runner keeps.
Every figure in the report comes from that JSON, so `run.py --from-json` redraws the same
report without measuring again. Sections: "pinned" and "shared" (throughput modes),
"loadgen_check" (zokio-bench against wrk), "instructions" (callgrind counts); each carries its
own date, command and machine.
"""
import os

import chart
import loadgen_check
import summary

MODE_TEXT = {
    "pinned": "each server has one worker pinned to CPU 0 (`taskset -c 0`); the load generator "
              "runs one thread pinned to CPU 1",
    "shared": "each server has two workers and the load generator two threads, all sharing the "
              "machine's cores",
}
SATURATED = "†"
NOISY = "‡"


def rps(v):
    return "{:,.0f}".format(v) if v is not None else "–"


def latency(us):
    if us is None:
        return "n/a"
    return "%.0f µs" % us if us < 1000 else "%.2f ms" % (us / 1000)


def mib(kib):
    return "%.1f MiB" % (kib / 1024) if kib else "–"


def num(v, fmt="{:,.0f}"):
    return fmt.format(v) if v is not None else "–"


def rps_cell(c):
    if c is None:
        return "not run"
    if not c.get("ok_rounds"):
        return "failed"
    return rps(c["rps"]) + (SATURATED if c["saturated_rounds"] else "") + (
        NOISY if c.get("noisy_rounds") else "")


def ratio(a, b):
    return "%.2f×" % (a / b) if a and b else "–"


def label(section, server):
    return section.get("labels", {}).get(server, server)


def header(cols):
    return ["| " + " | ".join(cols) + " |", "|" + "|".join(["---"] * len(cols)) + "|"]


def section_facts(section):
    m = section["machine"]
    plan = section["plan"]
    return [
        "- Date: %s" % section["date"],
        "- Command: `%s`" % section["command"],
        "- Machine: %d cores, %s, Linux %s, %s GiB RAM" % (m["cores"], m["cpu"], m["kernel"],
                                                         m.get("memory_gib", "?")),
        "- Load generator: %s" % section["loadgen_version"],
        "- Zokio binary: `%s` (I/O driver `%s`)" % (section["zokio_binary"], section["zokio_io"]),
        "- Mode `%s`: %s." % (section["mode"], MODE_TEXT[section["mode"]]),
        "- Each run: %d s warm-up, then %d s measured; %d rounds, servers alternating "
        "(A B C … A B C); the median round is shown%s." % (
            plan["warmup_s"], plan["duration_s"], plan["rounds"],
            " (QUICK run: fewer scenarios, shorter runs)" if section.get("quick") else ""),
    ]


def key_metrics(section, table, instr):
    scen = section["scenarios"]
    first = scen[0]["id"]
    cols = ["Server"] + ["%s req/s" % sc["short"] for sc in scen] + [
        "p99 (%s)" % scen[0]["short"], "CPU µs/req (%s)" % scen[0]["short"],
        "peak RSS (%s)" % scen[0]["short"], "idle conn. bytes"]
    if instr:
        cols.append("instructions/req")
    lines = header(cols)
    for s in section["servers"]:
        c0 = table[first][s] or {}
        idle = section.get("idle_memory", {}).get(s, {})
        row = [label(section, s)] + [rps_cell(table[sc["id"]][s]) for sc in scen] + [
            latency(c0.get("p99_us")), num(c0.get("cpu_us_per_request"), "{:.1f}"),
            mib(c0.get("peak_rss_kib")), num(idle.get("bytes_per_connection"))]
        if instr:
            row.append(num(instr.get(s, {}).get("per_request")))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def comparison(section, table, instr):
    if "zokio" not in section["servers"]:
        return ["Zokio was not among the servers: no comparison."]
    scen = section["scenarios"]
    first = scen[0]["id"]
    z = {sc["id"]: table[sc["id"]]["zokio"] or {} for sc in scen}
    z_idle = section.get("idle_memory", {}).get("zokio", {}).get("bytes_per_connection")
    cols = ["Server"] + ["%s req/s" % sc["short"] for sc in scen] + [
        "CPU/req (%s)" % scen[0]["short"], "idle conn. memory"]
    if instr:
        cols.append("instructions/req")
    lines = [
        "Each cell is the peer's figure divided by Zokio's: above 1.00× the peer served more "
        "requests/s, or spent more CPU, memory or instructions.", ""] + header(cols)
    for s in section["servers"]:
        if s == "zokio":
            continue
        row = [label(section, s)]
        for sc in scen:
            c = table[sc["id"]][s] or {}
            row.append(ratio(c.get("rps"), z[sc["id"]].get("rps")))
        c0 = table[first][s] or {}
        row.append(ratio(c0.get("cpu_us_per_request"), z[first].get("cpu_us_per_request")))
        idle = section.get("idle_memory", {}).get(s, {}).get("bytes_per_connection")
        row.append(ratio(idle, z_idle) if idle and idle > 0 and z_idle and z_idle > 0 else "–")
        if instr:
            row.append(ratio(instr.get(s, {}).get("per_request"),
                             instr.get("zokio", {}).get("per_request")))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def example_command(section, scenario_id, loadgen=None):
    """The load generator command of one measured run of the scenario (by that load generator,
    if given), port as PORT."""
    for r in section["runs"]:
        if r["scenario"] == scenario_id and r.get("loadgen_argv") and (
                loadgen is None or r.get("loadgen") == loadgen):
            argv = [os.path.basename(a) if a.startswith("/") else a for a in r["loadgen_argv"]]
            return " ".join("'%s'" % a if " " in a else a for a in argv).replace(
                ":%d/" % r["port"], ":PORT/")
    return None


def details(section, table):
    lines = []
    for sc in section["scenarios"]:
        lines += ["", "#### %s" % sc["title"], ""]
        cmd = example_command(section, sc["id"])
        if cmd:
            lines += ["Load generator command: `%s`" % cmd, ""]
        lines += header(["Server", "req/s (median)", "min – max", "p50", "p99", "errors",
                         "peak RSS", "server CPU s", "CPU µs/req", "load gen. CPU",
                         "cores busy: server / load gen.", "other CPU"])
        for s in section["servers"]:
            c = table[sc["id"]][s]
            if not c or not c.get("ok_rounds"):
                why = "; ".join(sorted(set(c["failures"])))[:200] if c else "not run"
                lines.append("| %s | %s | | | | | | | | | | |" % (label(section, s), why))
                continue
            lines.append("| " + " | ".join([
                label(section, s), rps_cell(c), "%s – %s" % (rps(c["rps_min"]), rps(c["rps_max"])),
                latency(c["p50_us"]), latency(c["p99_us"]), num(c["errors"]),
                mib(c["peak_rss_kib"]), num(c["server_cpu_s"], "{:.2f}"),
                num(c["cpu_us_per_request"], "{:.2f}"),
                num(c["loadgen_cpu_pct"], "{:.0f} %"),
                "%s / %s" % (num(c["server_core_busy_pct"], "{:.0f} %"),
                             num(c["loadgen_core_busy_pct"], "{:.0f} %")),
                num(c["other_cpu_pct"], "{:.0f} %")]) + " |")
    return lines


def idle_table(section):
    idle = section.get("idle_memory")
    if not idle:
        return ["Not measured in this run."]
    lines = header(["Server", "idle connections held", "RSS before", "RSS with them",
                    "bytes per connection"])
    for s in section["servers"]:
        r = idle.get(s)
        if not r:
            continue
        if "error" in r:
            lines.append("| %s | failed: %s | | | |" % (label(section, s), r["error"][:150]))
            continue
        lines.append("| %s | %s%s | %s | %s | %s |" % (
            label(section, s), num(r["connections"]),
            " (%d failed)" % r["failed"] if r.get("failed") else "",
            mib(r["rss_before_kib"]), mib(r["rss_after_kib"]), num(r["bytes_per_connection"])))
    return lines


def marked_cells(section, table, key):
    """'server / scenario (n of m rounds)' for every cell with rounds counted under key."""
    cells = []
    for sc in section["scenarios"]:
        for s in section["servers"]:
            c = table[sc["id"]][s]
            if c and c.get(key):
                cells.append("%s / %s (%d of %d rounds)" % (
                    label(section, s), sc["short"], c[key], c["ok_rounds"]))
    return cells


def saturation_rule(section):
    if section["plan"]["loadgen_cpus"] is not None:
        return ("the load generator's core was at least 95% busy (its own CPU time plus the "
                "kernel's softirq work for its sockets, from /proc/stat)")
    return ("the load generator's own CPU time was at least 95%% of %d cores"
            % section["plan"]["loadgen_threads"])


def caveats(sections, tables, instr_section):
    out = []
    any_section = next(iter(sections.values()), None)
    if any_section and any_section["zokio_binary"].endswith("hello_http"):
        out.append("Zokio ran as the `hello_http` example, not `zokio-server`, which was not "
                   "built yet; both serve `/` and `/json` from the same library.")
    if any(("h2o" in s["servers"]) for s in sections.values()) or (
            instr_section and "h2o" in instr_section.get("results", {})):
        out.append("h2o 2.2 (Debian) cannot return a fixed body without mruby, so it serves a "
                   "13-byte static file (and `/json` a 27-byte one) as the stand-in; its answers "
                   "also carry Last-Modified and Accept-Ranges headers.")
    for mode, section in sections.items():
        cells = marked_cells(section, tables[mode], "saturated_rounds")
        if cells:
            out.append("%s cells (%s mode): %s during the run, so it, not the server, may "
                       "have been the limit: %s." % (SATURATED, mode, saturation_rule(section),
                                                     "; ".join(cells)))
        else:
            out.append("In %s mode no run saturated the load generator (%s)." % (
                mode, saturation_rule(section)))
        median, worst = summary.other_cpu(section)
        if median is not None and median >= 5:
            out.append("The machine was not quiet in %s mode: processes other than the server "
                       "and the load generator used %.0f%% of a core during the median run (up "
                       "to %.0f%%), which skews every figure; rerun on an idle machine." % (
                           mode, median, worst))
        elif median is not None:
            out.append("In %s mode other processes used %.0f%% of a core during the median run "
                       "(up to %.0f%%)." % (mode, median, worst))
        noisy = marked_cells(section, tables[mode], "noisy_rounds")
        if noisy:
            out.append("%s cells (%s mode): other processes used at least %d%% of a core during "
                       "the run, so the figure is suspect: %s." % (
                           NOISY, mode, summary.NOISY_PCT, "; ".join(noisy)))
        if section["loadgen"] == "wrk" and any(sc.get("pipeline", 1) > 1
                                               for sc in section["scenarios"]):
            out.append("wrk times a pipelined batch as a whole and records that for each "
                       "request, so latency of pipelined runs is shown as n/a.")
    if "shared" in sections:
        out.append("Shared mode: servers and load generator compete for the same two cores, so "
                   "a server that leaves more CPU to the load generator can look faster; read it "
                   "as a second opinion next to the pinned figures, not instead of them.")
    if sections:  # about the throughput tables: a report of only other sections has none
        out.append("Peak RSS is VmHWM and CPU time utime+stime from /proc, summed over all of "
                   "a server's processes (nginx's master and worker, h2o's helper); CPU time "
                   "counts the measured run only, warm-up excluded.")
    if instr_section:
        for mode, section in sections.items():
            if "zokio" in instr_section.get("results", {}) and (
                    section["zokio_binary"] != instr_section["zokio_binary"]):
                out.append("The instruction counts were taken with `%s`, the %s-mode figures "
                           "with `%s`: rerun both to compare like with like." % (
                               instr_section["zokio_binary"], mode, section["zokio_binary"]))
        out.append("Instructions per request are user-space only (callgrind does not see the "
                   "kernel), counted with the epoll driver for Zokio.")
    return out


def check_facts(check):
    m = check["machine"]
    plan = check["plan"]
    versions = check["loadgen_versions"]
    rerun = "" if not check.get("after_benchmark") else (
        " (the end of the benchmark run; `python3 bench/compare/run.py --loadgen-check` "
        "reruns only this section)")
    return [
        "- Date: %s" % check["date"],
        "- Command: `%s`%s" % (check["command"], rerun),
        "- Machine: %d cores, %s, Linux %s, %s GiB RAM" % (m["cores"], m["cpu"], m["kernel"],
                                                         m.get("memory_gib", "?")),
        "- Load generators: %s; %s" % (versions["wrk"], versions["zokio-bench"]),
        "- Server: `%s` (I/O driver `%s`), one worker pinned to CPU %s; the load generator runs "
        "one thread pinned to CPU %s, with the scenario's connections (as in pinned mode)." % (
            check["zokio_binary"], check["zokio_io"], plan["server_cpus"], plan["loadgen_cpus"]),
        "- Each run: a fresh server, %d s warm-up with the same tool, then %d s measured; %d "
        "rounds per scenario alternating wrk, zokio-bench, wrk, zokio-bench, …; the median "
        "round is shown with the range of all rounds%s." % (
            plan["warmup_s"], plan["duration_s"], plan["rounds"],
            " (QUICK run: shorter runs)" if check.get("quick") else ""),
    ]


def rps_range(c):
    if not c:
        return "not run"
    if not c.get("ok_rounds"):
        return "failed: " + "; ".join(sorted(set(c["failures"])))[:120]
    return "%s (%s – %s)" % (rps(c["rps"]), rps(c["rps_min"]), rps(c["rps_max"]))


def saturation(c):
    """Rounds whose load generator core was saturated, and its median busy share."""
    if not c.get("ok_rounds"):
        return "–"
    return "%d of %d (%s)" % (c["saturated_rounds"], c["ok_rounds"],
                              num(c["core_busy_pct"], "{:.0f} %"))


def check_table(rows):
    lines = header(["Scenario", "wrk req/s: median (min – max)",
                    "zokio-bench req/s: median (min – max)",
                    "zokio-bench / wrk", "CPU µs/req: wrk", "CPU µs/req: zokio-bench",
                    "core saturated, rounds (busy): wrk / zokio-bench", "not the bottleneck (≥ 90% of wrk)?"])
    for row in rows:
        wrk, zb = row["wrk"], row["zokio-bench"]
        lines.append("| " + " | ".join([
            row["scenario"]["short"], rps_range(wrk), rps_range(zb),
            "%.2f" % row["ratio"] if row["ratio"] else "–",
            num(wrk.get("cpu_us_per_request"), "{:.2f}"),
            num(zb.get("cpu_us_per_request"), "{:.2f}"),
            "%s / %s" % (saturation(wrk), saturation(zb)), row["verdict"] or "–"]) + " |")
    return lines


def check_verdict(rows):
    """In how many scenarios zokio-bench reached at least 90% of wrk's requests/s, where it was
    faster than that bound, and -- what a bottleneck would show -- where it fell below it."""
    measured = [r for r in rows if r["verdict"]]
    passed = [r for r in measured if r["verdict"].startswith("yes")]
    faster = ["%s (%s)" % (r["scenario"]["short"], loadgen_check.deviation(r["ratio"]))
              for r in passed if r["ratio"] > 1 + loadgen_check.TOLERANCE]
    slower = ["%s (%s)" % (r["scenario"]["short"], loadgen_check.deviation(r["ratio"]))
              for r in measured if not r["verdict"].startswith("yes")]
    text = ("zokio-bench reached at least %d%% of wrk's requests/s in %d of %d scenarios" % (
        100 - loadgen_check.TOLERANCE * 100, len(passed), len(rows)))
    if faster:
        text += " (more than %d%% faster than wrk in %s)" % (
            loadgen_check.TOLERANCE * 100, "; ".join(faster))
    text += "; more than %d%% slower than wrk in %s" % (
        loadgen_check.TOLERANCE * 100, "; ".join(slower) if slower else "none")
    if len(measured) < len(rows):
        text += "; %d scenario(s) could not be compared (a tool failed)" % (
            len(rows) - len(measured))
    return text + "."


def check_notes(check, rows):
    notes = [
        "When both tools keep their core saturated, requests/s reflects the client as much as "
        "the server: then the faster tool is the one that needs less CPU per request, which is "
        "why the CPU µs/req columns are there. They are each tool's own CPU time (utime + stime "
        "of its process, from `wait4`, start-up and connects included) divided by the requests "
        "it completed; kernel work for its sockets that is charged to no process is not in "
        "them.",
        "A round counts as saturated when %s; where neither tool's core was saturated, the "
        "server was the limit for both." % saturation_rule(check),
    ]
    median, worst = summary.other_cpu(check)
    if median is not None:
        notes.append("Other processes used %.0f%% of a core during the median run (up to "
                     "%.0f%%)%s." % (median, worst, "; the machine was not quiet, which skews "
                                     "these figures" if median >= 5 else ""))
    commands = []
    for row in rows:
        sc = row["scenario"]["id"]
        pair = [example_command(check, sc, t) for t in loadgen_check.TOOLS]
        if all(pair):
            commands.append("%s: `%s` and `%s`" % (row["scenario"]["short"], pair[0], pair[1]))
    if commands:
        notes.append("Commands: " + "; ".join(commands) + ".")
    return ["- " + n for n in notes]


def loadgen_check_lines(check):
    rows = loadgen_check.rows(check)
    return check_facts(check) + [
        "", "Is zokio-bench, the default load generator, the bottleneck? Against the same "
        "server, with the same connections and threads, its requests/s should be no more than "
        "%d%% below wrk's (being faster shows no bottleneck either)." % (
            loadgen_check.TOLERANCE * 100), ""] + check_table(rows) + [
        "", check_verdict(rows), ""] + check_notes(check, rows)


def instructions_lines(instr_section):
    res = instr_section["results"]
    m = instr_section["machine"]
    lines = ["- Date: %s" % instr_section["date"],
             "- Command: `%s`" % instr_section["command"],
             "- Machine: %d cores, %s, Linux %s" % (m["cores"], m["cpu"], m["kernel"]),
             "- %s requests over one keep-alive connection (`bench/tools/http_load.py`), one per "
             "round trip, minus an idle start/stop of the same server, divided by the count. "
             "Zokio binary: `%s`, epoll driver." % (
                 "{:,}".format(instr_section["requests"]), instr_section["zokio_binary"]), ""]
    lines += header(["Server", "instructions/request", "vs Zokio"])
    z = res.get("zokio", {}).get("per_request")
    for s, r in res.items():
        if "error" in r:
            lines.append("| %s | failed: %s | |" % (instr_section["labels"].get(s, s),
                                                   r["error"][:150]))
        else:
            lines.append("| %s | %s | %s |" % (instr_section["labels"].get(s, s),
                                               num(r["per_request"]), ratio(r["per_request"], z)))
    return lines


def write(data, out_path):
    """Writes the report for `data` (the results JSON) to out_path, charts beside it."""
    sections = {m: data[m] for m in ("pinned", "shared") if m in data}
    tables = {m: summary.table(s) for m, s in sections.items()}
    instr_section = data.get("instructions")
    instr = instr_section["results"] if instr_section else None
    base = os.path.splitext(out_path)[0]
    lines = ["# Zokio benchmark report", "",
             "Written by `bench/compare/run.py` from `%s`; do not edit by hand. "
             "Regenerate the text and chart from the data with "
             "`python3 bench/compare/run.py --from-json %s --out %s`." % (
                 os.path.basename(data["json_path"]), data["json_path"],
                 data.get("out_path", out_path)), ""]
    notes = []
    for mode, section in sections.items():
        table = tables[mode]
        png = base + (".png" if mode == next(iter(sections)) else "-%s.png" % mode)
        why = chart.draw(section, table, png, "requests/s, %s mode (median, min-max)" % mode)
        lines += ["## %s mode" % mode.capitalize(), ""] + section_facts(section) + [""]
        if why:
            notes.append(why)
        else:
            lines += ["![requests/s per scenario, %s mode](%s)" % (
                mode, os.path.relpath(png, os.path.dirname(out_path) or ".")), ""]
        lines += ["### Key metrics", ""] + key_metrics(section, table, instr) + [""]
        lines += ["### Compared with Zokio", ""] + comparison(section, table, instr) + [""]
        lines += ["### Memory per idle keep-alive connection", "",
                  "Each server holds N connections that sent one `GET /` and stay open; the "
                  "growth of its resident memory divided by N.", ""] + idle_table(section)
        lines += ["", "### Every scenario"] + details(section, table) + [""]
    if data.get("loadgen_check"):
        lines += ["## Load generator check: zokio-bench against wrk", ""] + loadgen_check_lines(
            data["loadgen_check"]) + [""]
    if instr_section:
        lines += ["## Instructions per request (callgrind)", ""] + instructions_lines(
            instr_section) + [""]
    notes = caveats(sections, tables, instr_section) + notes
    if notes:
        lines += ["## Caveats", ""] + ["- " + n for n in notes]
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines).replace("\n\n\n", "\n\n") + "\n")
    os.replace(tmp, out_path)
