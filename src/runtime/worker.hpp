// A worker: one thread's scheduler loop. It owns a local run queue with a LIFO slot, an inbox
// for tasks that must run here, an I/O driver and a timer wheel. Everything but the inbox and
// the steal end of the queue is touched only by the worker's own thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "io/driver.hpp"
#include "runtime/local_queue.hpp"
#include "runtime/task_list.hpp"
#include "time/timer_wheel.hpp"

namespace zokio::detail {

class Scheduler;

struct AtomicWorkerMetrics {
  std::atomic<std::uint64_t> polls{0}, steals{0}, parks{0}, timers_fired{0};
};

class Worker {
 public:
  Worker(Scheduler& sched, std::size_t index, std::size_t queue_capacity);
  ~Worker();

  // Creates the I/O driver; must be called on the thread that will run the worker.
  void start_on_this_thread();
  // The worker thread's loop; returns when the scheduler stops.
  void run();
  // Runs the loop on the calling thread until `done` turns true (current-thread runtimes).
  void run_until(const std::atomic<bool>& done);
  // Runs the loop on the calling thread while `keep_going()` holds.
  void run_while(const std::function<bool()>& keep_going);
  bool driver_started() const noexcept { return driver_ != nullptr; }
  // Closes the driver and the wake eventfd, once no thread can use them any more (after the
  // loop and every thread that might unpark this worker have ended).
  void close() noexcept;

  // Any thread: queue a task that must run on this worker, waking it if parked.
  void push_inbox(RawTask* t) noexcept;
  // Any thread: run `fn` on this worker's thread soon (for state only that thread may touch,
  // such as its io_uring). Dropped, not run, if the worker has closed.
  void post(std::function<void()> fn);
  void unpark() noexcept;
  bool is_sleeping() const noexcept { return sleeping_.load(std::memory_order_acquire); }

  // This worker's thread only.
  void schedule_local(RawTask* t, bool yielded) noexcept;
  Driver& driver() noexcept { return *driver_; }
  TimerWheel& timers() noexcept { return timers_; }
  const TickClock& clock() const noexcept { return clock_; }
  std::uint64_t now_tick() const noexcept;

  Scheduler& scheduler() noexcept { return sched_; }
  std::size_t index() const noexcept { return index_; }
  WorkerMetrics metrics() const noexcept;
  IoBackend backend() const noexcept;

  static Worker* current() noexcept;

 private:
  bool run_once();  // one scheduling step; false if there was nothing to do
  RawTask* next_task() noexcept;
  RawTask* steal() noexcept;
  void run_task(RawTask* t) noexcept;
  void after_poll(RawTask* t) noexcept;
  void push_back(RawTask* t) noexcept;
  void maintenance() noexcept;  // poll the driver without blocking, fire due timers, run posts
  void run_posted() noexcept;
  void fire_timers() noexcept;
  bool spin_for_work() noexcept;
  void park();
  bool has_work() const noexcept;

  Scheduler& sched_;
  std::size_t index_;
  LocalQueue queue_;
  TaskList inbox_;
  RawTask* lifo_ = nullptr;
  unsigned lifo_streak_ = 0;
  std::uint32_t tick_ = 0;
  std::uint64_t rng_;
  int wake_fd_ = -1;  // eventfd that interrupts the driver's wait; lives as long as the worker
  IoCounters io_counters_;
  std::unique_ptr<Driver> driver_;
  std::atomic<IoBackend> backend_{IoBackend::kEpoll};
  TimerWheel timers_;
  TickClock clock_;
  alignas(64) std::atomic<bool> sleeping_{false};
  AtomicWorkerMetrics metrics_;
  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;
  std::atomic<bool> has_posted_{false};
};

}  // namespace zokio::detail
