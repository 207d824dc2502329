// The live progress line on stderr (only when stderr is a terminal). Each worker publishes a
// copy of its counters once a second, on its own thread, into a cell of its own; the line is
// printed half a second later from those copies. The load loops themselves stay free of
// atomics.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <zokio/task.hpp>
#include <zokio/time.hpp>

#include "plan.hpp"
#include "stats.hpp"

namespace zokio::bench {

class Progress {
 public:
  explicit Progress(std::size_t workers);

  // On worker `worker`'s thread: copies the counters the line shows.
  void publish(std::size_t worker, const WorkerStats& stats) noexcept;
  // Rewrites the line for the state at `second` seconds into the run.
  void print(const Plan& plan, std::uint64_t requests_wanted, unsigned second) noexcept;
  // Erases the line (before the report).
  void clear() noexcept;

 private:
  struct alignas(64) Cell {
    std::atomic<std::uint64_t> responses{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> open{0};
  };
  std::unique_ptr<Cell[]> cells_;
  std::size_t workers_;
  std::uint64_t last_responses_ = 0;
  unsigned last_second_ = 0;
  bool printed_ = false;
};

// Publishes `stats` every second from start + 1 s on; runs until aborted. Spawn it pinned to
// the worker that owns `stats`.
Task<void> publish_progress(Progress* progress, std::size_t worker, const WorkerStats* stats,
                            Clock::time_point start);

}  // namespace zokio::bench
