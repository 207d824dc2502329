-- wrk script of the benchmark comparison runner (bench/compare/loadgen.py).
--   wrk ... -s wrk_stats.lua URL -- DEPTH
-- DEPTH > 1 pipelines: wrk sends DEPTH requests per write only when a global request()
-- returns them as one string. done() prints the results as one JSON line the runner parses.
local depth = 1

function init(args)
  depth = tonumber(args[1]) or 1
  if depth > 1 then
    local batch = string.rep(wrk.format(), depth)
    request = function() return batch end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'ZOKIO_WRK {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
