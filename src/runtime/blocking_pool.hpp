// The blocking pool: threads for work that may block (file I/O, DNS, heavy computation), so
// that it never stalls a worker. Threads start on demand up to a bound and retire after
// staying idle for a while.
#pragma once

#include <atomic>
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
  // Stops taking jobs and lets queued and running ones finish, up to `deadline`. Jobs still
  // running then are left behind, reported on stderr: their threads keep what they use alive
  // and end when the job returns, and the runtime goes on shutting down. Queued jobs that
  // never started are dropped then.
  void shutdown(std::chrono::milliseconds deadline) noexcept;
  std::size_t thread_count() const;

  // The scheduler whose pool runs the calling thread, or null (also once the pool left the
  // thread's job behind at shutdown).
  static Scheduler* current_scheduler() noexcept;

 private:
  // What the pool's threads use: shared, so that a thread left behind at shutdown never
  // touches a destroyed pool.
  struct Shared {
    explicit Shared(Scheduler* s) : sched(s) {}
    std::atomic<Scheduler*> sched;  // null once the pool is gone
    std::mutex mu;
    std::condition_variable work_cv;
    std::condition_variable exit_cv;
    std::deque<std::unique_ptr<BlockingJob>> jobs;
    std::size_t threads = 0;
    std::size_t idle = 0;
    bool shutdown = false;
  };
  static void thread_main(std::shared_ptr<Shared> s);

  const std::size_t max_threads_;
  std::shared_ptr<Shared> s_;
};

}  // namespace zokio::detail
