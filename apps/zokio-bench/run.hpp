// A whole run: the runtime with one worker per -t thread, the connections spread over them,
// the progress line, and the merged result.
#pragma once

#include <atomic>
#include <cstddef>
#include <system_error>

#include <zokio/runtime.hpp>

#include "options.hpp"
#include "stats.hpp"

namespace zokio::bench {

enum class RunEnd : std::uint8_t {
  kCompleted,    // the duration elapsed, or every request of -n was sent and settled
  kUnreachable,  // the first connection failed: nothing was sent
  kServerGone,   // connections gave up reconnecting before the run was over
  kInterrupted,  // SIGINT/SIGTERM: the run stopped early
};

struct RunResult {
  RunEnd end = RunEnd::kCompleted;
  WorkerStats totals;       // every worker's, merged
  double seconds = 0;       // the measured time the rates are per
  std::size_t threads = 0;  // workers used
  IoBackend backend = IoBackend::kEpoll;
  std::error_code connect_error;  // why the server was unreachable or gone
};

// zokio-bench's own default I/O driver (ZOKIO_IO overrides it); see README.md for the
// measurements behind the choice.
inline constexpr IoBackend kDefaultBackend = IoBackend::kAuto;

// Runs the load described by `o`. `interrupted` turning true stops it early (partial results).
RunResult run_load(const Options& o, const std::atomic<bool>& interrupted);

}  // namespace zokio::bench
