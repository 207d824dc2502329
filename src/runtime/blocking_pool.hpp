// The blocking pool: threads for work that may block (file I/O, DNS, heavy computation), so
// that it never stalls a worker. Threads start on demand up to a bound and retire after
// staying idle for a while.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

#include "zokio/spawn.hpp"

namespace zokio::detail {

class Scheduler;

class BlockingPool {
 public:
  BlockingPool(Scheduler& sched, std::size_t max_threads);
  ~BlockingPool();

  // Throws std::runtime_error after shutdown.
  void submit(std::unique_ptr<BlockingJob> job);
  // Stops taking jobs and lets queued and running ones finish. A job still running at the
  // deadline is reported on stderr and waited for: its thread uses the pool.
  void shutdown(std::chrono::milliseconds deadline) noexcept;
  std::size_t thread_count() const;

  // The scheduler whose pool runs the calling thread, or null.
  static Scheduler* current_scheduler() noexcept;

 private:
  void thread_main();

  Scheduler& sched_;
  const std::size_t max_threads_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable exit_cv_;
  std::deque<std::unique_ptr<BlockingJob>> jobs_;
  std::size_t threads_ = 0;
  std::size_t idle_ = 0;
  bool shutdown_ = false;
};

}  // namespace zokio::detail
