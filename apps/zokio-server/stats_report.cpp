// /api/stats and /metrics rendering (see stats_report.hpp).
#include "stats_report.hpp"

#include "options.hpp"

#include <cstdio>

#include "zokio/http/json.hpp"
#include "zokio/http/parser.hpp"

namespace zokio::server {

void RateTracker::sample(Clock::time_point now, std::uint64_t total) {
  std::lock_guard lock(mu_);
  samples_.emplace_back(now, total);
  while (samples_.size() > 2 && now - samples_[1].first >= std::chrono::seconds(61)) {
    samples_.pop_front();
  }
}

double RateTracker::rate(std::chrono::seconds window, Clock::time_point now,
                         std::uint64_t total) const {
  std::lock_guard lock(mu_);
  if (samples_.empty()) return 0;
  // The newest sample at least `window` old, else the oldest one.
  const auto* base = &samples_.front();
  for (const auto& s : samples_) {
    if (now - s.first >= window) base = &s;
  }
  const double secs = std::chrono::duration<double>(now - base->first).count();
  if (secs < 0.2 || total < base->second) return 0;  // too short a span to say anything
  return static_cast<double>(total - base->second) / secs;
}

namespace {

void num(std::string& out, std::uint64_t v) {
  out += std::to_string(v);
}
void num(std::string& out, double v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof(buf), "%.3f", v);
  out.append(buf, static_cast<std::size_t>(n));
}

const char* const kClasses[] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};

}  // namespace

std::string stats_json(const http::ServerStats& t, const std::vector<http::ServerStats>& workers,
                       const ReportContext& ctx) {
  std::string o;
  o.reserve(1024 + workers.size() * 160);
  o += "{\"uptime_seconds\":";
  num(o, ctx.uptime_seconds);
  o += ",\"io_backend\":";
  http::append_json_string(o, ctx.io_backend);
  o += ",\"workers\":";
  num(o, static_cast<std::uint64_t>(ctx.workers));
  o += ",\"draining\":";
  o += ctx.draining ? "true" : "false";
  o += ",\"total_connections\":";
  num(o, t.connections_total);
  o += ",\"active_connections\":";
  num(o, t.connections_active);
  o += ",\"total_requests\":";
  num(o, t.requests_total);
  o += ",\"requests_per_second\":{\"1s\":";
  num(o, ctx.rps_1s);
  o += ",\"10s\":";
  num(o, ctx.rps_10s);
  o += ",\"60s\":";
  num(o, ctx.rps_60s);
  o += "},\"bytes_in\":";
  num(o, t.bytes_in);
  o += ",\"bytes_out\":";
  num(o, t.bytes_out);
  o += ",\"responses\":{";
  for (int c = 1; c <= 5; ++c) {
    if (c > 1) o += ',';
    o += '"';
    o += kClasses[c];
    o += "\":";
    num(o, t.responses_by_class[static_cast<std::size_t>(c)]);
  }
  o += "},\"latency_us\":{\"p50\":";
  num(o, t.latency.percentile(0.5));
  o += ",\"p90\":";
  num(o, t.latency.percentile(0.9));
  o += ",\"p99\":";
  num(o, t.latency.percentile(0.99));
  o += ",\"p999\":";
  num(o, t.latency.percentile(0.999));
  o += ",\"mean\":";
  num(o, t.latency.total()
             ? static_cast<double>(t.latency_sum_ns) / 1e3 / static_cast<double>(t.latency.total())
             : 0.0);
  o += "},\"parse_errors\":";
  num(o, t.parse_errors);
  o += ",\"timeouts\":";
  num(o, t.timeouts);
  o += ",\"handler_errors\":";
  num(o, t.handler_errors);
  o += ",\"max_connections\":";
  num(o, static_cast<std::uint64_t>(ctx.max_connections));
  o += ",\"connections_rejected\":";
  num(o, t.connections_rejected);
  o += ",\"buffered_bytes\":";
  num(o, t.buffered_bytes);
  o += ",\"gzip_compressions\":";
  num(o, ctx.gzip_compressions);
  o += ",\"per_worker\":[";
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const auto& w = workers[i];
    if (i) o += ',';
    o += "{\"worker\":";
    num(o, static_cast<std::uint64_t>(i));
    o += ",\"active_connections\":";
    num(o, w.connections_active);
    o += ",\"total_connections\":";
    num(o, w.connections_total);
    o += ",\"total_requests\":";
    num(o, w.requests_total);
    o += ",\"bytes_in\":";
    num(o, w.bytes_in);
    o += ",\"bytes_out\":";
    num(o, w.bytes_out);
    o += '}';
  }
  o += "]}";
  return o;
}

namespace {

struct Prom {
  std::string& o;
  void head(const char* name, const char* type, const char* help) {
    o += "# HELP ";
    o += name;
    o += ' ';
    o += help;
    o += "\n# TYPE ";
    o += name;
    o += ' ';
    o += type;
    o += '\n';
  }
  void line(const char* name, const std::string& labels, std::uint64_t v) {
    o += name;
    if (!labels.empty()) o += '{' + labels + '}';
    o += ' ';
    num(o, v);
    o += '\n';
  }
  void line(const char* name, const std::string& labels, double v) {
    o += name;
    if (!labels.empty()) o += '{' + labels + '}';
    o += ' ';
    num(o, v);
    o += '\n';
  }
  void metric(const char* name, const char* type, const char* help, std::uint64_t v) {
    head(name, type, help);
    line(name, "", v);
  }
};

}  // namespace

std::string prometheus_text(const http::ServerStats& t,
                            const std::vector<http::ServerStats>& workers,
                            const ReportContext& ctx) {
  std::string o;
  o.reserve(8192);
  Prom p{o};
  p.head("zokio_info", "gauge", "Build and runtime information.");
  o += "zokio_info{version=\"" + std::string(kVersion) + "\",io_backend=\"" + ctx.io_backend +
       "\"} 1\n";
  p.metric("zokio_workers", "gauge", "Worker threads.", static_cast<std::uint64_t>(ctx.workers));
  p.head("zokio_uptime_seconds", "gauge", "Seconds since the server started.");
  p.line("zokio_uptime_seconds", "", ctx.uptime_seconds);
  p.metric("zokio_draining", "gauge", "1 while the server drains before exiting.",
           ctx.draining ? 1 : 0);
  p.metric("zokio_connections_total", "counter", "Connections accepted.", t.connections_total);
  p.metric("zokio_connections_active", "gauge", "Connections open now.", t.connections_active);
  p.metric("zokio_requests_total", "counter", "Requests answered.", t.requests_total);
  p.head("zokio_responses_total", "counter", "Responses by status class.");
  for (int c = 1; c <= 5; ++c) {
    p.line("zokio_responses_total", std::string("class=\"") + kClasses[c] + "\"",
           t.responses_by_class[static_cast<std::size_t>(c)]);
  }
  p.metric("zokio_bytes_received_total", "counter", "Bytes read from clients.", t.bytes_in);
  p.metric("zokio_bytes_sent_total", "counter", "Bytes written to clients.", t.bytes_out);
  p.head("zokio_parse_errors_total", "counter", "Malformed requests, by kind.");
  for (std::size_t e = 1; e < http::kParseErrorCount; ++e) {  // 0 is "no error"
    p.line(
        "zokio_parse_errors_total",
        std::string("kind=\"") + std::string(http::name(static_cast<http::ParseError>(e))) + "\"",
        t.parse_errors_by_kind[e]);
  }
  p.metric("zokio_timeouts_total", "counter", "Connections closed by a timeout.", t.timeouts);
  p.metric("zokio_handler_errors_total", "counter", "Handlers that failed (answered 500).",
           t.handler_errors);
  p.metric("zokio_max_connections", "gauge", "The connection cap in force.",
           static_cast<std::uint64_t>(ctx.max_connections));
  p.metric("zokio_connections_rejected_total", "counter",
           "Connections closed at accept: over a connection limit.", t.connections_rejected);
  p.metric("zokio_buffered_bytes", "gauge",
           "Bytes held for connections beyond their fixed input buffers.", t.buffered_bytes);
  p.metric("zokio_static_gzip_compressions_total", "counter",
           "Static files run through the gzip compressor.", ctx.gzip_compressions);
  p.head("zokio_requests_per_second", "gauge", "Request rate over a trailing window.");
  p.line("zokio_requests_per_second", "window=\"1s\"", ctx.rps_1s);
  p.line("zokio_requests_per_second", "window=\"10s\"", ctx.rps_10s);
  p.line("zokio_requests_per_second", "window=\"60s\"", ctx.rps_60s);

  // The histogram's fine buckets folded into bounds from 1 µs: a fine bucket counts under the
  // first bound at or above its upper edge, so each cumulative count is exact or low by at most
  // the fine bucket's width (19%).
  p.head("zokio_request_duration_seconds", "histogram",
         "From the first byte of a request read to the last byte of its response written.");
  static constexpr double kBounds[] = {0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005,
                                       0.0001,   0.00025,   0.0005,   0.001,   0.0025,   0.005,
                                       0.01,     0.025,     0.05,     0.1,     0.25,     0.5,
                                       1,        2.5,       5,        10};
  std::uint64_t cumulative = 0;
  std::size_t b = 0;
  for (double bound : kBounds) {
    while (b < http::LatencyHistogram::kBuckets &&
           static_cast<double>(http::LatencyHistogram::upper_bound_of(b)) <= bound * 1e6) {
      cumulative += t.latency.counts[b++];
    }
    char le[32];
    std::snprintf(le, sizeof(le), "le=\"%g\"", bound);
    p.line("zokio_request_duration_seconds_bucket", le, cumulative);
  }
  p.line("zokio_request_duration_seconds_bucket", "le=\"+Inf\"", t.latency.total());
  // Exact: whole seconds and nanoseconds, not a double rounded for display.
  char sum[96];
  std::snprintf(sum, sizeof(sum), "zokio_request_duration_seconds_sum %llu.%09llu\n",
                static_cast<unsigned long long>(t.latency_sum_ns / 1'000'000'000),
                static_cast<unsigned long long>(t.latency_sum_ns % 1'000'000'000));
  p.o += sum;
  p.line("zokio_request_duration_seconds_count", "", t.latency.total());

  p.head("zokio_worker_requests_total", "counter", "Requests answered, per worker.");
  for (std::size_t i = 0; i < workers.size(); ++i) {
    p.line("zokio_worker_requests_total", "worker=\"" + std::to_string(i) + "\"",
           workers[i].requests_total);
  }
  p.head("zokio_worker_connections_active", "gauge", "Connections open now, per worker.");
  for (std::size_t i = 0; i < workers.size(); ++i) {
    p.line("zokio_worker_connections_active", "worker=\"" + std::to_string(i) + "\"",
           workers[i].connections_active);
  }
  return o;
}

}  // namespace zokio::server
