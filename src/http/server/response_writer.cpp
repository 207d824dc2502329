// Response rendering (see response_writer.hpp).
#include "http/server/response_writer.hpp"

#include <array>
#include <charconv>

#include "http/server/date_cache.hpp"

namespace zokio::http::detail {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

namespace {

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  out.append(buf, end);
}

// "HTTP/1.1 200 OK\r\nServer: zokio\r\nDate: " for every status and both versions, built once:
// each response then appends its prefix, the cached date and a CRLF.
struct StatusPrefixes {
  std::array<std::string, 900> v10, v11;  // index: status - 100
  StatusPrefixes() {
    for (int status = 100; status <= 999; ++status) {
      for (int minor : {0, 1}) {
        std::string& p = (minor == 0 ? v10 : v11)[static_cast<std::size_t>(status - 100)];
        p.append(minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
        append_number(p, static_cast<std::uint64_t>(status));
        p.push_back(' ');
        p.append(reason_phrase(status));
        p.append("\r\nServer: zokio\r\nDate: ");
      }
    }
  }
};

void append_status_line(std::string& out, int status, int version_minor) {
  static const StatusPrefixes prefixes;
  out.append(
      (version_minor == 0 ? prefixes.v10 : prefixes.v11)[static_cast<std::size_t>(status - 100)]);
  out.append(http_date_now());
  out.append("\r\n");
}

bool safe_field(std::string_view s, bool is_name) noexcept {
  if (is_name && s.empty()) return false;
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
    if (is_name && (c == ':' || c == ' ' || c == '\t')) return false;
  }
  return true;
}

// Framing and hop-by-hop headers are the server's to write.
bool reserved(std::string_view name) noexcept {
  auto eq = [&](std::string_view b) {
    if (name.size() != b.size()) return false;
    for (std::size_t i = 0; i < b.size(); ++i) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != b[i]) return false;
    }
    return true;
  };
  return eq("content-length") || eq("transfer-encoding") || eq("connection") || eq("date") ||
         eq("server");
}

}  // namespace

bool render_response(std::string& out, const Response& r, const RenderOptions& opts) {
  const int status = r.status();
  bool ok = status >= 100 && status <= 999 && safe_field(r.content_type(), false);
  for (const auto& [name, value] : r.headers()) {
    if (!ok) break;
    ok = safe_field(name, true) && safe_field(value, false);
  }
  if (!ok) {
    render_error(out, 500, "invalid response from handler", opts.version_minor);
    return false;
  }
  append_status_line(out, status, opts.version_minor);
  if (!r.content_type().empty()) {
    out.append("Content-Type: ");
    out.append(r.content_type());
    out.append("\r\n");
  }
  for (const auto& [name, value] : r.headers()) {
    if (reserved(name)) continue;
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
  }
  // 1xx, 204 and 304 carry no body and no Content-Length (RFC 9110 §8.6, §15.3.5, §15.4.5).
  const bool bodiless = status < 200 || status == 204 || status == 304;
  if (!bodiless && opts.chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (!bodiless && !r.streaming()) {
    out.append("Content-Length: ");
    append_number(out, r.body_size());
    out.append("\r\n");
  }
  if (opts.close) {
    out.append("Connection: close\r\n");
  } else if (opts.version_minor == 0) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  // A file body is sent after the head by the connection (sendfile), and so is a large one.
  if (!bodiless && !opts.head_request && !r.file() && !opts.body_follows) out.append(r.body());
  return true;
}

void render_error(std::string& out, int status, std::string_view message, int version_minor) {
  append_status_line(out, status, version_minor == 0 ? 0 : 1);
  out.append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  append_number(out, message.size() + 1);
  out.append("\r\nConnection: close\r\n\r\n");
  out.append(message);
  out.push_back('\n');
}

}  // namespace zokio::http::detail
