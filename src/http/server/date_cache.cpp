// Per-thread cache of the formatted Date header.
#include "http/server/date_cache.hpp"

#include <ctime>

#include "http/http_date.hpp"

namespace zokio::http::detail {

namespace {
struct DateCache {
  std::time_t second = -1;
  char text[32] = {};
  std::size_t len = 0;
};
thread_local DateCache tl_date;
}  // namespace

std::string_view http_date_now() noexcept {
  std::time_t now = std::time(nullptr);
  if (now != tl_date.second) {
    tl_date.len = format_http_date(now, tl_date.text);
    tl_date.second = now;
  }
  return {tl_date.text, tl_date.len};
}

}  // namespace zokio::http::detail
