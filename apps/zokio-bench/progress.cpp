// Progress (see progress.hpp).
#include "progress.hpp"

#include <algorithm>
#include <cstdio>

namespace zokio::bench {

Progress::Progress(std::size_t workers) : cells_(new Cell[workers]), workers_(workers) {}

void Progress::publish(std::size_t worker, const WorkerStats& stats) noexcept {
  Cell& c = cells_[worker];
  c.responses.store(stats.responses, std::memory_order_relaxed);
  c.failed.store(stats.failed(), std::memory_order_relaxed);
  c.open.store(stats.open, std::memory_order_relaxed);
}

void Progress::print(const Plan& plan, std::uint64_t requests_wanted, unsigned second) noexcept {
  std::uint64_t responses = 0, failed = 0, open = 0;
  for (std::size_t i = 0; i < workers_; ++i) {
    responses += cells_[i].responses.load(std::memory_order_relaxed);
    failed += cells_[i].failed.load(std::memory_order_relaxed);
    open += cells_[i].open.load(std::memory_order_relaxed);
  }
  const Clock::time_point at = plan.start + std::chrono::seconds(second);
  // Per second since the previous line (more than one if the monitor was held up).
  const std::uint64_t rate = (responses - last_responses_) / std::max(1u, second - last_second_);
  last_responses_ = responses;
  last_second_ = second;
  char done[64] = "";
  if (requests_wanted) {
    std::snprintf(done, sizeof(done), "  %llu/%llu requests",
                  static_cast<unsigned long long>(responses + failed),
                  static_cast<unsigned long long>(requests_wanted));
  }
  if (at <= plan.measure_start) {
    std::fprintf(stderr, "\r\033[K%4us  warming up  %llu connections open", second,
                 static_cast<unsigned long long>(open));
  } else {
    std::fprintf(stderr, "\r\033[K%4us  %llu req/s  %llu errors  %llu connections open%s", second,
                 static_cast<unsigned long long>(rate), static_cast<unsigned long long>(failed),
                 static_cast<unsigned long long>(open), done);
  }
  std::fflush(stderr);
  printed_ = true;
}

void Progress::clear() noexcept {
  if (!printed_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

Task<void> publish_progress(Progress* progress, std::size_t worker, const WorkerStats* stats,
                            Clock::time_point start) {
  Interval every_second(std::chrono::seconds(1), start + std::chrono::seconds(1));
  for (;;) {
    co_await every_second.tick();
    progress->publish(worker, *stats);
  }
}

}  // namespace zokio::bench
