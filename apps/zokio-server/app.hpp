// What zokio-server's routes share: its options, the server (for its statistics), the
// draining flag that /readyz reports, the request-rate tracker and the static site.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "options.hpp"
#include "stats_report.hpp"
#include "zokio/http/router.hpp"
#include "zokio/http/server.hpp"
#include "zokio/http/static_files.hpp"

namespace zokio::server {

struct App {
  ServerOptions options;
  std::string io_backend;
  std::size_t workers = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<bool> draining{false};
  std::atomic<const http::Server*> server{nullptr};
  // Held by the signal thread while it asks the server to drain, and by main before the server
  // is destroyed, so the two never overlap.
  std::mutex stop_mu;
  bool stopped = false;  // the server is gone: signals have nothing left to stop
  RateTracker rates;
  std::optional<http::StaticFiles> site;

  ReportContext context(const http::ServerStats& total) const;
};

// /, /hello, /plaintext, /json, POST /api/echo, /api/status, /api/stats, /metrics, /healthz and
// /readyz, under options.builtin_prefix.
void add_builtin_routes(http::Router& router, App& app);

}  // namespace zokio::server
