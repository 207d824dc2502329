// HTTP-date formatting and parsing (see http_date.hpp).
#include "http/http_date.hpp"

#include <cstdio>

namespace zokio::http::detail {

namespace {
constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A small cursor over the text being parsed.
struct Cursor {
  std::string_view s;
  bool ok = true;
  bool lit(std::string_view l) {
    if (ok && s.substr(0, l.size()) == l) {
      s.remove_prefix(l.size());
    } else {
      ok = false;
    }
    return ok;
  }
  int num(std::size_t min_digits, std::size_t max_digits) {
    int v = 0;
    std::size_t n = 0;
    while (ok && n < max_digits && n < s.size() && s[n] >= '0' && s[n] <= '9') {
      v = v * 10 + (s[n] - '0');
      ++n;
    }
    if (n < min_digits) ok = false;
    s.remove_prefix(n);
    return v;
  }
  int month() {
    for (int m = 0; m < 12 && ok; ++m) {
      if (s.substr(0, 3) == kMonths[m]) {
        s.remove_prefix(3);
        return m;
      }
    }
    ok = false;
    return 0;
  }
  void skip_day_name() {  // a day name we do not check: the date itself says which day it is
    auto end = s.find_first_of(", ");
    if (end == std::string_view::npos || end == 0)
      ok = false;
    else
      s.remove_prefix(end);
  }
};

// RFC 850's two-digit year: RFC 9110 §5.6.7 reads one that appears more than 50 years in the
// future as the most recent past year with those digits.
int two_digit_year(int yy) noexcept {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  const int this_year = tm.tm_year + 1900;
  int year = this_year - this_year % 100 + yy;
  if (year > this_year + 50) year -= 100;
  return year;
}

std::optional<std::time_t> make_time(int year, int mon, int day, int h, int m, int sec) {
  if (day < 1 || day > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  return ::timegm(&tm);
}
}  // namespace

std::size_t format_http_date(std::time_t t, char* out) noexcept {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  int n =
      std::snprintf(out, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                    kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::string http_date(std::time_t t) {
  char buf[32];
  return std::string(buf, format_http_date(t, buf));
}

std::optional<std::time_t> parse_http_date(std::string_view s) noexcept {
  Cursor c{s};
  c.skip_day_name();
  if (!c.ok) return std::nullopt;
  int day = 0, mon = 0, year = 0;
  const bool asctime = c.s.substr(0, 2) != ", ";
  if (!asctime) {
    c.lit(", ");
    day = c.num(2, 2);
    const bool fixdate = c.ok && !c.s.empty() && c.s.front() == ' ';
    const char* sep = fixdate ? " " : "-";  // IMF-fixdate or RFC 850
    c.lit(sep);
    mon = c.month();
    c.lit(sep);
    year = fixdate ? c.num(4, 4) : two_digit_year(c.num(2, 2));
  } else {  // asctime: "Sun Nov  6 08:49:37 1994"
    c.lit(" ");
    mon = c.month();
    c.lit(" ");
    if (!c.s.empty() && c.s.front() == ' ') c.lit(" ");
    day = c.num(1, 2);
  }
  c.lit(" ");
  const int h = c.num(2, 2);
  c.lit(":");
  const int m = c.num(2, 2);
  c.lit(":");
  const int sec = c.num(2, 2);
  if (asctime) {
    c.lit(" ");
    year = c.num(4, 4);
  } else {
    c.lit(" GMT");
  }
  if (!c.ok || !c.s.empty()) return std::nullopt;
  return make_time(year, mon, day, h, m, sec);
}

}  // namespace zokio::http::detail
