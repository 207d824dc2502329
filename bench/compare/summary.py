"""Reduces the raw runs of a results section to one row per server and scenario: the median
of the rounds (min and max kept), so that the report and the chart read the same numbers.
"""
import statistics

NOISY_PCT = 20  # other processes' CPU, in % of one core, that makes a run suspect


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def cell(section, server, scenario_id):
    """Summary of all rounds of one server in one scenario, or None if it never ran."""
    runs = [r for r in section["runs"]
            if r["server"] == server and r["scenario"] == scenario_id]
    if not runs:
        return None
    ok = [r for r in runs if r.get("ok")]
    failed = [r.get("error", "failed") for r in runs if not r.get("ok")]
    if not ok:
        return {"rounds": len(runs), "ok_rounds": 0, "failures": failed}
    rps = [r["rps"] for r in ok]
    return {
        "rounds": len(runs),
        "ok_rounds": len(ok),
        "failures": failed,
        "rps": _median(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "p50_us": _median([r.get("p50_us") for r in ok]),
        "p99_us": _median([r.get("p99_us") for r in ok]),
        "errors": sum(r.get("errors_total", 0) for r in ok),
        "peak_rss_kib": max(r.get("peak_rss_kib", 0) for r in ok),
        "server_cpu_s": _median([r.get("server_cpu_s") for r in ok]),
        "cpu_us_per_request": _median([r.get("cpu_us_per_request") for r in ok]),
        "loadgen_cpu_pct": _median([r.get("loadgen_cpu_pct") for r in ok]),
        "server_core_busy_pct": _median([r.get("server_core_busy_pct") for r in ok]),
        "loadgen_core_busy_pct": _median([r.get("loadgen_core_busy_pct") for r in ok]),
        "other_cpu_pct": _median([r.get("other_cpu_pct") for r in ok]),
        "saturated_rounds": sum(1 for r in ok if r.get("loadgen_saturated")),
        "noisy_rounds": sum(1 for r in ok if (r.get("other_cpu_pct") or 0) >= NOISY_PCT),
    }


def other_cpu(section):
    """Median and max CPU share (% of one core) used by processes other than the server and
    the load generator during the measured runs: how quiet the machine was."""
    values = [r["other_cpu_pct"] for r in section["runs"] if r.get("ok") and "other_cpu_pct" in r]
    return (_median(values), max(values)) if values else (None, None)


def table(section):
    """{scenario_id: {server: cell}} for every server and scenario of the section."""
    return {sc["id"]: {s: cell(section, s, sc["id"]) for s in section["servers"]}
            for sc in section["scenarios"]}
