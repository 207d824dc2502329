// render_request, make_plan and schedule (see plan.hpp).
#include "plan.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "zokio/http/parser.hpp"

namespace zokio::bench {

namespace {

bool has_header(const Options& o, std::string_view name) {
  for (const auto& h : o.headers) {
    if (http::iequals(std::string_view(h).substr(0, h.find(':')), name)) return true;
  }
  return false;
}

}  // namespace

std::string render_request(const Options& o) {
  std::string out;
  out.reserve(128 + o.body.size());
  out.append(o.method).append(" ").append(o.url.target).append(" HTTP/1.1\r\n");
  if (!has_header(o, "host")) out.append("Host: ").append(o.url.host).append("\r\n");
  for (const auto& h : o.headers) out.append(h).append("\r\n");
  const bool send_length =
      !o.body.empty() || o.method == "POST" || o.method == "PUT" || o.method == "PATCH";
  if (send_length && !has_header(o, "content-length") && !has_header(o, "transfer-encoding")) {
    out.append("Content-Length: ").append(std::to_string(o.body.size())).append("\r\n");
  }
  if (o.close && !has_header(o, "connection")) out.append("Connection: close\r\n");
  out.append("\r\n").append(o.body);
  return out;
}

Plan make_plan(const Options& o) {
  Plan plan;
  plan.address = o.url.address;
  const std::string one = render_request(o);
  plan.request_bytes = one.size();
  plan.pipeline = o.pipeline;
  plan.wire.reserve(one.size() * o.pipeline);
  for (std::size_t i = 0; i < o.pipeline; ++i) plan.wire += one;
  plan.reconnect_each = o.close;
  plan.head_requests = o.method == "HEAD";
  plan.timeout = o.timeout;
  if (o.rate > 0) {
    // Each connection carries an equal share of the total rate.
    const double seconds = static_cast<double>(o.connections) / o.rate;
    plan.interval = std::max<Clock::duration>(
        Clock::duration(1),
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
  }
  return plan;
}

void schedule(Plan& plan, const Options& o, Clock::time_point start) {
  plan.start = start;
  plan.measure_start = start + o.warmup;
  plan.end = o.requests ? Clock::time_point::max() : plan.measure_start + o.duration;
}

}  // namespace zokio::bench
