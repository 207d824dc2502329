// Scheduler: starts the workers, routes scheduled tasks to a queue, keeps the list of live
// tasks and runs shutdown.
#include "runtime/scheduler.hpp"

#include <cstdio>
#include <stdexcept>

namespace zokio::detail {

void BlockOnSignal::finish(bool was_aborted) noexcept {
  std::lock_guard lock(mu);
  aborted = was_aborted;
  done.store(true, std::memory_order_release);
  cv.notify_all();
}

Scheduler::Scheduler(const SchedulerConfig& cfg) : cfg_(cfg), blocking_(*this, cfg.max_blocking) {
  const std::size_t n = cfg_.current_thread ? 1 : (cfg_.workers == 0 ? 1 : cfg_.workers);
  workers_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(*this, i, cfg_.queue_capacity));
  }
  if (cfg_.current_thread) return;
  // Each worker creates its driver on its own thread (io_uring's single-issuer rule); the
  // constructor waits so that the runtime is fully up when build() returns.
  std::mutex mu;
  std::condition_variable cv;
  std::size_t started = 0;
  threads_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    threads_.emplace_back([this, i, &mu, &cv, &started] {
      Worker& w = *workers_[i];
      w.start_on_this_thread();
      {
        std::lock_guard lock(mu);
        ++started;
        cv.notify_all();
      }
      w.run();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return started == n; });
}

Scheduler::~Scheduler() {
  shutdown(std::chrono::seconds(5));
}

void Scheduler::spawn(RawTask* t, std::size_t worker) {
  t->sched = this;
  {
    std::lock_guard lock(owned_mu_);
    if (closed_) {
      // The runtime is shutting down: the task never runs.
      t->state.store(RawTask::kRunning | RawTask::kCancelled, std::memory_order_relaxed);
      t->vtable->drop_future(t);
      t->completed.store(true, std::memory_order_release);
      t->state.store(RawTask::kComplete | RawTask::kCancelled, std::memory_order_release);
      spawned_.fetch_add(1, std::memory_order_relaxed);
      completed_.fetch_add(1, std::memory_order_relaxed);
      aborted_.fetch_add(1, std::memory_order_relaxed);
      task_unref(t);
      return;
    }
    t->owned_prev = nullptr;
    t->owned_next = owned_head_;
    if (owned_head_) owned_head_->owned_prev = t;
    owned_head_ = t;
  }
  spawned_.fetch_add(1, std::memory_order_relaxed);
  Worker* w = Worker::current();
  if (worker != kAnyWorker) {
    // Pinned for life: the pin is never released, so the task only ever runs on its owner.
    Worker* home = workers_.at(worker).get();
    t->owner = home;
    t->pins.store(1, std::memory_order_relaxed);
    t->pinned_for_life = true;
    if (home == w) {
      w->schedule_local(t, /*yielded=*/true);
    } else {
      home->push_inbox(t);
    }
  } else if (w && &w->scheduler() == this) {
    w->schedule_local(t, /*yielded=*/true);  // new tasks queue behind woken ones
    if (stealing()) notify_one_parked(w);
  } else {
    inject_.push(t);
    notify_one_parked(nullptr);
  }
}

void Scheduler::schedule(RawTask* t) noexcept {
  Worker* w = Worker::current();
  bool local = w && &w->scheduler() == this;
  if (t->owner && t->owner != w && t->pins.load(std::memory_order_relaxed) > 0) {
    t->owner->push_inbox(t);
  } else if (local) {
    w->schedule_local(t, false);
  } else if (t->owner) {
    t->owner->push_inbox(t);
  } else {
    inject_.push(t);
    notify_one_parked(nullptr);
  }
}

void Scheduler::schedule_on_owner(RawTask* t) noexcept {
  if (t->owner) {
    t->owner->push_inbox(t);
  } else {
    inject_.push(t);
    notify_one_parked(nullptr);
  }
}

void Scheduler::notify_one_parked(const Worker* except) noexcept {
  for (auto& w : workers_) {
    if (w.get() != except && w->is_sleeping()) {
      w->unpark();
      return;
    }
  }
}

void Scheduler::task_completed(RawTask* t, bool aborted) noexcept {
  t->completed.store(true, std::memory_order_release);
  std::uint32_t s = t->state.load(std::memory_order_acquire);
  std::uint32_t next;
  do {
    next = (s & ~(RawTask::kRunning | RawTask::kNotified | RawTask::kScheduled)) |
           RawTask::kComplete | (aborted ? RawTask::kCancelled : 0u);
  } while (!t->state.compare_exchange_weak(s, next, std::memory_order_acq_rel,
                                           std::memory_order_acquire));
  if (s & RawTask::kJoinWaker) {
    RawTask* waiter = std::exchange(t->join_waiter, nullptr);
    task_wake(waiter);
    task_unref(waiter);
  }
  {
    std::lock_guard lock(owned_mu_);
    if (t->owned_prev) {
      t->owned_prev->owned_next = t->owned_next;
    } else {
      owned_head_ = t->owned_next;
    }
    if (t->owned_next) t->owned_next->owned_prev = t->owned_prev;
    t->owned_prev = t->owned_next = nullptr;
    if (closed_ && !owned_head_) owned_cv_.notify_all();
  }
  completed_.fetch_add(1, std::memory_order_relaxed);
  if (aborted) aborted_.fetch_add(1, std::memory_order_relaxed);
  task_unref(t);
}

void Scheduler::drive_until(const std::atomic<bool>& done) {
  std::lock_guard lock(drive_mu_);
  Worker& w = *workers_[0];
  if (!w.driver_started()) w.start_on_this_thread();
  w.run_until(done);
}

void Scheduler::abort_all() noexcept {
  std::lock_guard lock(owned_mu_);
  closed_ = true;
  for (RawTask* t = owned_head_; t; t = t->owned_next) task_abort(t);
}

void Scheduler::shutdown(std::chrono::milliseconds deadline) {
  if (shut_down_) return;
  if (Worker* w = Worker::current(); w && &w->scheduler() == this) {
    throw std::logic_error("zokio: Runtime::shutdown called from one of its own tasks");
  }
  shut_down_ = true;
  const auto until = std::chrono::steady_clock::now() + deadline;
  abort_all();
  if (cfg_.current_thread) {
    std::lock_guard lock(drive_mu_);
    Worker& w = *workers_[0];
    if (!w.driver_started()) w.start_on_this_thread();
    w.run_while([&] {
      std::lock_guard l(owned_mu_);
      return owned_head_ != nullptr && std::chrono::steady_clock::now() < until;
    });
  } else {
    {
      std::unique_lock lock(owned_mu_);
      owned_cv_.wait_until(lock, until, [&] { return owned_head_ == nullptr; });
    }
    stopping_.store(true, std::memory_order_release);
    for (auto& w : workers_) w->unpark();
    for (auto& th : threads_) th.join();
    threads_.clear();
  }
  {
    std::lock_guard lock(owned_mu_);
    std::size_t left = 0;
    for (RawTask* t = owned_head_; t; t = t->owned_next) ++left;
    if (left)
      std::fprintf(stderr, "zokio: shutdown deadline passed with %zu task(s) alive\n", left);
  }
  auto now = std::chrono::steady_clock::now();
  blocking_.shutdown(now < until
                         ? std::chrono::duration_cast<std::chrono::milliseconds>(until - now)
                         : std::chrono::milliseconds(0));
  // Only now: until the workers and the blocking pool are gone, another thread may still wake
  // a worker through its eventfd.
  for (auto& w : workers_) w->close();
}

RuntimeMetrics Scheduler::metrics() const {
  RuntimeMetrics m;
  m.tasks_spawned = spawned_.load(std::memory_order_relaxed);
  m.tasks_completed = completed_.load(std::memory_order_relaxed);
  m.tasks_aborted = aborted_.load(std::memory_order_relaxed);
  m.tasks_alive = m.tasks_spawned - m.tasks_completed;
  m.injection_queue_depth = inject_.len();
  m.blocking_threads = blocking_.thread_count();
  m.io_backend = workers_.empty() ? cfg_.backend : workers_[0]->backend();
  for (auto& w : workers_) m.workers.push_back(w->metrics());
  return m;
}

}  // namespace zokio::detail
