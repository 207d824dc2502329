// Per-thread cache of the formatted Date header.
#include "http/server/date_cache.hpp"

#include <cstdio>
#include <ctime>

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
    // Formatted by hand: strftime's %a and %b follow the locale, and HTTP dates are English.
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    int n = std::snprintf(tl_date.text, sizeof(tl_date.text), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                          kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900,
                          tm.tm_hour, tm.tm_min, tm.tm_sec);
    tl_date.len = n > 0 ? static_cast<std::size_t>(n) : 0;
    tl_date.second = now;
  }
  return {tl_date.text, tl_date.len};
}

}  // namespace zokio::http::detail
