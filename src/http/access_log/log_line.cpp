// Access-log line formats. Both escape what the client controls: the combined format as nginx
// does (\" \\ and \xHH for control and non-ASCII bytes), JSON by its own rules, so a request
// can never forge a line.
#include "http/access_log/log_line.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

#include "zokio/http/json.hpp"

namespace zokio::http::detail {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

void append_clf_escaped(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      out.append("\\x");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

// The second's timestamps, formatted once per second per thread.
struct TimeCache {
  std::time_t second = -1;
  char clf[80] = {};  // 10/Oct/2000:13:55:36 +0000 (room for any int, to please -Wformat)
  char iso[80] = {};  // 2000-10-10T13:55:36Z
};
thread_local TimeCache tl_time;

const TimeCache& times_now() {
  std::time_t now = std::time(nullptr);
  if (now != tl_time.second) {
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::snprintf(tl_time.clf, sizeof(tl_time.clf), "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday,
                  kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    std::snprintf(tl_time.iso, sizeof(tl_time.iso), "%04d-%02d-%02dT%02d:%02d:%02dZ",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    tl_time.second = now;
  }
  return tl_time;
}

}  // namespace

void append_log_line(std::string& out, AccessLogFormat format, const LogRecord& r) {
  const TimeCache& t = times_now();
  if (format == AccessLogFormat::kCombined) {
    out.append(r.remote);
    out.append(" - - [");
    out.append(t.clf);
    out.append("] \"");
    if (r.rejected) {  // as nginx logs a bad request: the line as it came, or "-"
      if (r.request_line.empty()) out.push_back('-');
      append_clf_escaped(out, r.request_line);
      out.append("\" ");
    } else {
      append_clf_escaped(out, r.method);
      out.push_back(' ');
      append_clf_escaped(out, r.target);
      out.append(r.version_minor == 0 ? " HTTP/1.0\" " : " HTTP/1.1\" ");
    }
    append_number(out, static_cast<std::uint64_t>(r.status));
    out.push_back(' ');
    append_number(out, r.bytes);
    out.append(" \"");
    if (r.referer.empty()) out.push_back('-');
    append_clf_escaped(out, r.referer);
    out.append("\" \"");
    if (r.user_agent.empty()) out.push_back('-');
    append_clf_escaped(out, r.user_agent);
    out.append("\"\n");
    return;
  }
  out.append("{\"time\":\"");
  out.append(t.iso);
  out.append("\",\"remote\":");
  append_json_string(out, r.remote);
  out.append(",\"method\":");
  append_json_string(out, r.method);
  out.append(",\"target\":");
  append_json_string(out, r.target);
  if (r.rejected) {  // method and target are empty; the line as it came is "request"
    out.append(",\"request\":");
    append_json_string(out, r.request_line);
    out.append(",\"protocol\":\"\",\"status\":");
  } else {
    out.append(r.version_minor == 0 ? ",\"protocol\":\"HTTP/1.0\",\"status\":"
                                    : ",\"protocol\":\"HTTP/1.1\",\"status\":");
  }
  append_number(out, static_cast<std::uint64_t>(r.status));
  out.append(",\"bytes\":");
  append_number(out, r.bytes);
  out.append(",\"duration_us\":");
  append_number(out, r.duration_us);
  out.append(",\"referer\":");
  append_json_string(out, r.referer);
  out.append(",\"user_agent\":");
  append_json_string(out, r.user_agent);
  out.append("}\n");
}

}  // namespace zokio::http::detail
