"""The load generator check: shows that zokio-bench is not the bottleneck of the comparison.
Against the same Zokio server, in pinned mode (one server worker on CPU 0, the load generator
with one thread on CPU 1), with the same connections per scenario, wrk and zokio-bench run in
alternating rounds; zokio-bench passes where it reaches at least 90% of wrk's requests/s
(being faster than wrk shows no bottleneck either, and is reported as such).

This module holds the plan of the check and reduces its runs to one row per scenario; run.py
measures (run_loadgen_check, with the same measure_once as every other run) and report.py
renders the rows (loadgen_check_lines). Its results are the "loadgen_check" section of the
results JSON.
"""
import statistics

import summary

TOOLS = ["wrk", "zokio-bench"]  # the order within every round
SCENARIO_IDS = ["keepalive-100", "pipeline-16", "close"]
MODE = "pinned"  # one core each: the only mode where a tool's limit is its own core
TOLERANCE = 0.10  # the bound: zokio-bench no more than 10% below wrk's requests/s
MIN_ROUNDS = 3
SETUP_S = 0.2  # starting and stopping a fresh zokio-server per run (measured: ~0.1 s)


def plan(quick, rounds=None, duration_s=None, warmup_s=None):
    """Rounds and seconds per run. 3 scenarios x 2 tools x 3 rounds = 18 runs: ~2 minutes
    with 1 s warm-up + 5 s measured, ~40 s in quick mode (1 s + 1 s). A 1 s window is short,
    but both tools get the same one, and their ratio is what the check is about."""
    return {"rounds": rounds or MIN_ROUNDS,
            "duration_s": duration_s or (1 if quick else 5),
            "warmup_s": warmup_s if warmup_s is not None else 1}


def estimate_s(plan_, n_scenarios):
    runs = n_scenarios * len(TOOLS) * plan_["rounds"]
    return runs * (plan_["warmup_s"] + plan_["duration_s"] + SETUP_S)


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def loadgen_cpu_us_per_request(run):
    """The tool's own CPU time (utime+stime of its process, from wait4) per request it
    completed. It covers the whole process, start-up and connects included, for both tools."""
    return run["loadgen_cpu_s"] / run["requests"] * 1e6 if run.get("requests") else None


def tool_cell(section, tool, scenario_id):
    """All rounds of one tool in one scenario, reduced: median and range of requests/s, median
    CPU per request, rounds whose core was saturated. None if it never ran."""
    runs = [r for r in section["runs"] if r["loadgen"] == tool and r["scenario"] == scenario_id]
    if not runs:
        return None
    ok = [r for r in runs if r.get("ok")]
    cell = {"rounds": len(runs), "ok_rounds": len(ok),
            "failures": [r.get("error", "failed") for r in runs if not r.get("ok")]}
    if not ok:
        return cell
    rps = [r["rps"] for r in ok]
    cell.update({
        "rps": _median(rps), "rps_min": min(rps), "rps_max": max(rps),
        "cpu_us_per_request": _median([loadgen_cpu_us_per_request(r) for r in ok]),
        "core_busy_pct": _median([r.get("loadgen_core_busy_pct") for r in ok]),
        "saturated_rounds": sum(1 for r in ok if r.get("loadgen_saturated")),
        "errors": sum(r.get("errors_total", 0) for r in ok),
        "noisy_rounds": sum(1 for r in ok if (r.get("other_cpu_pct") or 0) >= summary.NOISY_PCT),
    })
    return cell


def deviation(ratio):
    """zokio-bench against wrk in words: '18% faster', '12% slower'."""
    return "%.0f%% %s" % (abs(ratio - 1) * 100, "faster" if ratio > 1 else "slower")


def verdict(ratio):
    """'yes' when zokio-bench is not the bottleneck: at most 10% below wrk. More than 10%
    faster is a 'yes' that says by how much; more than 10% slower is a 'no'."""
    if ratio is None:
        return None
    if ratio < 1 - TOLERANCE:
        return "no (%s)" % deviation(ratio)
    return "yes" if ratio <= 1 + TOLERANCE else "yes (%s)" % deviation(ratio)


def rows(section):
    """One row per scenario: both tools' cells, zokio-bench / wrk of the medians, the verdict."""
    out = []
    for sc in section["scenarios"]:
        wrk = tool_cell(section, "wrk", sc["id"]) or {}
        zb = tool_cell(section, "zokio-bench", sc["id"]) or {}
        ratio = zb["rps"] / wrk["rps"] if zb.get("rps") and wrk.get("rps") else None
        out.append({"scenario": sc, "wrk": wrk, "zokio-bench": zb, "ratio": ratio,
                    "verdict": verdict(ratio)})
    return out

