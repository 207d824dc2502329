// The server's figures as /api/stats (JSON) and /metrics (Prometheus text format 0.0.4), and
// the request-rate tracker behind their requests-per-second windows.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "zokio/http/server.hpp"

namespace zokio::server {

// Samples the request total once a second and answers rates over the last 1, 10 and 60 s.
// Read by stats requests on any worker, written by one sampler task: a mutex, off the hot path.
class RateTracker {
 public:
  using Clock = std::chrono::steady_clock;
  void sample(Clock::time_point now, std::uint64_t total);
  // Requests per second over the last `window` (or since the first sample, if younger).
  double rate(std::chrono::seconds window, Clock::time_point now, std::uint64_t total) const;

 private:
  mutable std::mutex mu_;
  std::deque<std::pair<Clock::time_point, std::uint64_t>> samples_;
};

struct ReportContext {
  std::string io_backend;  // "io_uring" or "epoll"
  std::size_t workers = 0;
  double uptime_seconds = 0;
  double rps_1s = 0, rps_10s = 0, rps_60s = 0;
  bool draining = false;
  std::size_t max_connections = 0;
  std::uint64_t gzip_compressions = 0;  // static files run through the compressor
};

std::string stats_json(const http::ServerStats& total,
                       const std::vector<http::ServerStats>& workers, const ReportContext& ctx);
std::string prometheus_text(const http::ServerStats& total,
                            const std::vector<http::ServerStats>& workers,
                            const ReportContext& ctx);

}  // namespace zokio::server
