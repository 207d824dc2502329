#!/usr/bin/env python3
"""zokio-server's latency figures against a client's (black-box).

Run as `python3 tests/server/latency_test.py PATH_TO_ZOKIO_SERVER PATH_TO_ZOKIO_BENCH`.

The server measures each request from the read that brought its first byte to the moment the
last byte of its response was handed to the kernel; a client measures more (its own send and
receive, the network, the wait in the socket queues). So, for the same requests:
- the server's p50 and p99 (/api/stats) are each at most the client's (zokio-bench --json);
- /metrics is the same data: the 0.5 and 0.99 quantiles Prometheus would compute from its
  buckets (histogram_quantile, linear within a bucket) fall in the bucket that holds /api/stats'
  figure, or the next one (a fine bucket is folded under the first bound at or above its upper
  edge);
- the _sum is written to the nanosecond and _count equals the number of requests answered.
No timing factor is asserted: only orderings and the agreement of two views of one histogram.
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support as s  # noqa: E402
from support import check, check_eq, log  # noqa: E402

REQUESTS = 20000


def histogram_quantile(q, buckets):
    """Prometheus' histogram_quantile over [(le, cumulative count)], le ascending, +Inf last."""
    total = buckets[-1][1]
    rank = q * total
    prev_le, prev_count = 0.0, 0
    for le, count in buckets:
        if count >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * (rank - prev_count) / max(count - prev_count, 1)
        prev_le, prev_count = le, count
    return prev_le


def bucket_index(value, bounds):
    for i, le in enumerate(bounds):
        if value <= le:
            return i
    return len(bounds)


def test_against_client(binary, bench):
    srv = s.Server(binary)
    url = f"http://127.0.0.1:{srv.port}/hello"
    out = subprocess.run([bench, url, "-c", "16", "-t", "1", "-n", str(REQUESTS), "--json"],
                         capture_output=True, text=True, timeout=120)
    check_eq(out.returncode, 0, "zokio-bench exit code")
    client = json.loads(out.stdout)["latency_us"]
    c = srv.conn()  # one connection: each of our requests is recorded before the next is read
    stats = json.loads(c.get("/api/stats").body)
    server = stats["latency_us"]
    log(f"  client p50 {client['p50']:.1f} us p99 {client['p99']:.1f} us; "
        f"server p50 {server['p50']} us p99 {server['p99']} us (mean {server['mean']} us)")
    check_eq(stats["total_requests"], REQUESTS, "the server counted the client's requests")
    for q in ("p50", "p99"):
        check(server[q] <= client[q], f"server {q} <= client {q}",
              f"server {server[q]} us, client {client[q]} us")

    # A request is timed once its response was handed to the kernel, a moment after the client
    # may have seen it: wait until the count holds zokio-bench's requests and our earlier ones.
    ours = 1
    for _ in range(200):
        text = c.get("/metrics").body.decode()
        _, samples = s.parse_prometheus(text)
        if s.metric_value(samples, "zokio_request_duration_seconds_count") >= REQUESTS + ours:
            break
        ours += 1
        time.sleep(0.01)
    buckets = []
    for name, labels, value in samples:
        if name == "zokio_request_duration_seconds_bucket":
            le = labels["le"]
            buckets.append((float("inf") if le == "+Inf" else float(le), value))
    buckets.sort()
    bounds = [le for le, _ in buckets]
    check_eq(s.metric_value(samples, "zokio_request_duration_seconds_count"), REQUESTS + ours,
             "_count is the number of requests answered")
    check(re.search(r"^zokio_request_duration_seconds_sum \d+\.\d{9}$", text, re.M),
          "_sum is exact to the nanosecond, in seconds", text[-400:])
    check(buckets[0][0] <= 1e-6, "buckets start at 1 us", repr(bounds[:3]))
    for q, key in ((0.5, "p50"), (0.99, "p99")):
        prom = histogram_quantile(q, buckets)
        mine = bucket_index(server[key] / 1e6, bounds)
        theirs = bucket_index(prom, bounds)
        log(f"  {key}: /metrics quantile {prom * 1e6:.1f} us, /api/stats {server[key]} us")
        check(theirs in (mine - 1, mine, mine + 1),
              f"/metrics {key} and /api/stats {key} fall in the same or a neighbouring bucket",
              f"{prom * 1e6:.1f} us vs {server[key]} us")
    srv.stop()


def run(binary, argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} PATH_TO_ZOKIO_SERVER PATH_TO_ZOKIO_BENCH", file=sys.stderr)
        sys.exit(2)
    s.section("server latency against zokio-bench's", test_against_client, binary, argv[2])


if __name__ == "__main__":
    s.main(run, hard_limit_s=150)
