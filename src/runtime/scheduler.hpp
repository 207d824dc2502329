// The scheduler: the workers, the injection queue, the list of live tasks (for shutdown) and
// the blocking pool of one runtime.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "io/driver.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/task_list.hpp"
#include "runtime/worker.hpp"
#include "zokio/runtime.hpp"

namespace zokio::detail {

struct SchedulerConfig {
  std::size_t workers = 1;
  bool stealing = true;
  bool current_thread = false;
  IoBackend backend = IoBackend::kEpoll;  // resolved: never kAuto
  std::size_t queue_capacity = 256;
  std::size_t max_blocking = 64;
  unsigned uring_entries = 4096;
  std::size_t recv_buffers = 256;
  std::size_t recv_buffer_size = 16384;
  std::chrono::microseconds spin_before_park{20};
};

class Scheduler {
 public:
  explicit Scheduler(const SchedulerConfig& cfg);
  ~Scheduler();

  const SchedulerConfig& config() const noexcept { return cfg_; }

  // Any thread: registers a new task and queues it (on `worker`, pinned, unless kAnyWorker).
  void spawn(RawTask* t, std::size_t worker = kAnyWorker);
  // Any thread: queues a task that just became SCHEDULED.
  void schedule(RawTask* t) noexcept;
  // Any thread: queues a task that must run on its owner (it holds registrations there).
  void schedule_on_owner(RawTask* t) noexcept;
  // Called by the worker that completed a task.
  void task_completed(RawTask* t, bool aborted) noexcept;

  TaskList& inject() noexcept { return inject_; }
  std::vector<std::unique_ptr<Worker>>& workers() noexcept { return workers_; }
  bool stealing() const noexcept { return cfg_.stealing && workers_.size() > 1; }
  // Wakes one parked worker, if any, so that it can steal or take injected work.
  void notify_one_parked(const Worker* except) noexcept;
  bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }

  BlockingPool& blocking() noexcept { return blocking_; }

  // Runs the current-thread worker until `done` (current-thread flavour only).
  void drive_until(const std::atomic<bool>& done);
  void shutdown(std::chrono::milliseconds deadline);

  RuntimeMetrics metrics() const;

 private:
  void abort_all() noexcept;

  SchedulerConfig cfg_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  TaskList inject_;
  BlockingPool blocking_;
  std::atomic<bool> stopping_{false};
  bool shut_down_ = false;
  std::mutex drive_mu_;  // one block_on at a time drives a current-thread worker

  // Live tasks, for shutdown. Guarded by owned_mu_.
  mutable std::mutex owned_mu_;
  std::condition_variable owned_cv_;
  RawTask* owned_head_ = nullptr;
  bool closed_ = false;  // no new tasks accepted

  std::atomic<std::uint64_t> spawned_{0}, completed_{0}, aborted_{0};
};

}  // namespace zokio::detail
