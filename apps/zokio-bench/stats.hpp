// What one worker measured. Each worker's connections write only their worker's WorkerStats
// (plain counters, no atomics: the tasks are pinned to that worker's thread); the run merges
// them once the workers are done.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>

#include <zokio/http/parser.hpp>
#include <zokio/time.hpp>

#include "histogram.hpp"

namespace zokio::bench {

// How a request can fail. Every kind counts requests, so that a reset with 16 pipelined
// requests outstanding counts 16.
enum class ErrorKind : std::uint8_t {
  kConnect,  // the connection it was for could not be opened (refused, timed out, ...)
  kReset,    // the server reset or closed the connection before answering it
  kTimeout,  // no complete answer within --timeout
  kStatus,   // answered, but not with 2xx or 3xx
  kFraming,  // the response could not be framed (malformed head, bad chunk, ...)
};
inline constexpr std::size_t kErrorKinds = 5;
std::string_view to_string(ErrorKind kind) noexcept;  // "connect", "reset", ...

struct WorkerStats {
  // Everything below but `connects`, `gave_up` and the first errors covers measured requests
  // only: sent after the warm-up, answered before the end.
  Histogram latency;                              // nanoseconds
  std::uint64_t responses = 0;                    // complete responses, whatever their status
  std::uint64_t successes = 0;                    // 2xx and 3xx
  std::array<std::uint64_t, 6> status_classes{};  // [2] 2xx ... [5] 5xx ([0]: other)
  std::uint64_t bytes = 0;                        // received
  std::array<std::uint64_t, kErrorKinds> errors{};
  std::uint64_t connects = 0;       // connections opened, warm-up included
  std::uint64_t gave_up = 0;        // connections that stopped after repeated connect failures
  std::uint64_t open = 0;           // connections open now (for the progress line)
  Clock::time_point last_answer{};  // when the last measured response arrived
  std::error_code first_connect_error;
  http::ParseError first_framing_error = http::ParseError::kNone;

  std::uint64_t& error(ErrorKind kind) noexcept { return errors[static_cast<std::size_t>(kind)]; }
  std::uint64_t error(ErrorKind kind) const noexcept {
    return errors[static_cast<std::size_t>(kind)];
  }
  std::uint64_t failed() const noexcept;  // requests that ended in an error without a response
  void merge(const WorkerStats& other);
};

}  // namespace zokio::bench
