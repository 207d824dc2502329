// WorkerStats (see stats.hpp).
#include "stats.hpp"

#include <algorithm>

namespace zokio::bench {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kConnect:
      return "connect";
    case ErrorKind::kReset:
      return "reset";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kStatus:
      return "status";
    case ErrorKind::kFraming:
      return "framing";
  }
  return "?";
}

std::uint64_t WorkerStats::failed() const noexcept {
  return error(ErrorKind::kConnect) + error(ErrorKind::kReset) + error(ErrorKind::kTimeout) +
         error(ErrorKind::kFraming);
}

void WorkerStats::merge(const WorkerStats& other) {
  latency.merge(other.latency);
  responses += other.responses;
  successes += other.successes;
  for (std::size_t i = 0; i < status_classes.size(); ++i)
    status_classes[i] += other.status_classes[i];
  bytes += other.bytes;
  for (std::size_t i = 0; i < kErrorKinds; ++i) errors[i] += other.errors[i];
  connects += other.connects;
  gave_up += other.gave_up;
  last_answer = std::max(last_answer, other.last_answer);
  if (!first_connect_error) first_connect_error = other.first_connect_error;
  if (first_framing_error == http::ParseError::kNone)
    first_framing_error = other.first_framing_error;
}

}  // namespace zokio::bench
