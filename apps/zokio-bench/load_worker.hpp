// The load itself: one coroutine per connection, pinned to a worker. It writes the prebuilt
// request batch in one write, frames the answers in a buffer it reuses, and records them in its
// worker's WorkerStats. Nothing on its path allocates per request or touches another worker.
#pragma once

#include <cstdint>

#include <zokio/task.hpp>
#include <zokio/time.hpp>

#include "plan.hpp"
#include "stats.hpp"

namespace zokio::bench {

inline constexpr std::uint64_t kNoQuota = ~std::uint64_t{0};  // a -d run: until plan.end

// Runs one connection until plan->end, or until it has sent `quota` measured requests, or until
// it gives up because the server no longer accepts connections. `first_send` is when its first
// request is due in an open-loop run (ignored in a closed loop). `plan` and `stats` must outlive
// the task; `stats` is only touched on the worker the task is pinned to.
Task<void> run_connection(const Plan* plan, WorkerStats* stats, std::uint64_t quota,
                          Clock::time_point first_send);

// Consecutive failed connects after which a connection gives up, and the pause after each
// failure (times the number of failures so far): a dead server ends the run in half a second
// instead of being hammered with connects.
inline constexpr unsigned kMaxConnectFailures = 5;
inline constexpr std::chrono::milliseconds kConnectBackoff{50};

}  // namespace zokio::bench
