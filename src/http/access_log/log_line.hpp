// Formats one access-log line (combined or JSON) into a buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "zokio/http/access_log.hpp"

namespace zokio::http::detail {

struct LogRecord {
  std::string_view remote;  // the peer's IP address
  std::string_view method;
  std::string_view target;
  int version_minor = 1;
  int status = 0;
  std::uint64_t bytes = 0;  // body bytes
  std::uint64_t duration_us = 0;
  std::string_view referer;
  std::string_view user_agent;
  // A request the server rejected before parsing it whole: its raw request line (maybe empty)
  // stands for method, target and protocol.
  bool rejected = false;
  std::string_view request_line;
};

void append_log_line(std::string& out, AccessLogFormat format, const LogRecord& r);

}  // namespace zokio::http::detail
