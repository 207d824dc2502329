// The request-id middleware: a per-process random prefix and a per-thread counter make ids
// unique without any shared state on the request path.
#include <atomic>
#include <cstdio>
#include <random>
#include <string>

#include "zokio/http/middleware.hpp"

namespace zokio::http {

namespace {

bool sane_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

std::string new_id() {
  static const std::uint64_t process_prefix = std::random_device{}() ^ 0x5a0c10u;
  static std::atomic<std::uint32_t> next_thread{0};
  thread_local const std::uint32_t thread = next_thread.fetch_add(1, std::memory_order_relaxed);
  thread_local std::uint64_t counter = 0;
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%08llx-%x-%llx",
                        static_cast<unsigned long long>(process_prefix & 0xffffffffu), thread,
                        static_cast<unsigned long long>(++counter));
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

Middleware request_id() {
  return [](Request& req, const Handler& next) -> Task<Response> {
    std::string_view given = req.header("x-request-id");
    std::string id = sane_id(given) ? std::string(given) : new_id();
    Response resp = co_await next(req);
    resp.header("X-Request-Id", std::move(id));
    co_return resp;
  };
}

}  // namespace zokio::http
