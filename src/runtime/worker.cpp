// The worker loop: pick a task (LIFO slot, local queue, inbox, injection queue, steal), poll
// it, and between polls reap I/O completions and fire timers; park in the I/O driver when
// there is nothing to do.
#include "runtime/worker.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <system_error>
#include <vector>

#include "runtime/scheduler.hpp"

namespace zokio::detail {

void set_current_task(RawTask* t, int budget) noexcept;

namespace {
thread_local Worker* tl_worker = nullptr;

// How often a busy worker looks at its inbox and the injection queue first, and polls the
// driver: a prime, as in Tokio, so it does not beat in step with periodic workloads.
constexpr std::uint32_t kEventInterval = 61;
// A task woken by the running task goes to the LIFO slot for cache locality; a cap on
// consecutive LIFO polls keeps two tasks that wake each other from starving the queue.
constexpr unsigned kMaxLifoStreak = 3;
constexpr int kCoopBudget = 128;
}  // namespace

Worker* Worker::current() noexcept {
  return tl_worker;
}

Worker::Worker(Scheduler& sched, std::size_t index, std::size_t queue_capacity)
    : sched_(sched),
      index_(index),
      queue_(queue_capacity),
      rng_(0x9E3779B97F4A7C15ull * (index + 1)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Worker::~Worker() {
  close();
}

void Worker::start_on_this_thread() {
  const auto& cfg = sched_.config();
  DriverOptions opts;
  opts.uring_entries = cfg.uring_entries;
  opts.single_issuer = !cfg.current_thread;
  opts.recv_buffers = cfg.recv_buffers;
  opts.recv_buffer_size = cfg.recv_buffer_size;
  opts.home = this;
  if (cfg.backend == IoBackend::kUring) {
    try {
      driver_ = make_uring_driver(opts, io_counters_, wake_fd_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "zokio: worker %zu: io_uring setup failed (%s); using epoll\n", index_,
                   e.what());
    }
  }
  if (!driver_) driver_ = make_epoll_driver(opts, io_counters_, wake_fd_);
  backend_.store(driver_->backend(), std::memory_order_relaxed);
}

void Worker::close() noexcept {
  {
    std::lock_guard lock(posted_mu_);
    posted_.clear();
  }
  driver_.reset();
  if (wake_fd_ >= 0) ::close(std::exchange(wake_fd_, -1));
}

IoBackend Worker::backend() const noexcept {
  return backend_.load(std::memory_order_relaxed);
}

std::uint64_t Worker::now_tick() const noexcept {
  return clock_.now_tick(std::chrono::steady_clock::now());
}

void Worker::run() {
  tl_worker = this;
  while (!sched_.stopping()) {
    if (!run_once()) park();
  }
  tl_worker = nullptr;
}

void Worker::run_until(const std::atomic<bool>& done) {
  run_while([&] { return !done.load(std::memory_order_acquire); });
}

void Worker::run_while(const std::function<bool()>& keep_going) {
  Worker* prev = std::exchange(tl_worker, this);
  while (keep_going()) {
    if (!run_once()) park();
  }
  tl_worker = prev;
}

bool Worker::run_once() {
  RawTask* t = next_task();
  if (!t) {
    maintenance();
    t = next_task();
  }
  if (!t && sched_.stealing()) t = steal();
  if (!t) return false;
  run_task(t);
  if (tick_ % kEventInterval == 0) maintenance();
  return true;
}

RawTask* Worker::next_task() noexcept {
  ++tick_;
  RawTask* t;
  if (tick_ % kEventInterval == 0) {
    if ((t = inbox_.pop())) return t;
    if ((t = sched_.inject().pop())) return t;
  }
  if (lifo_) {
    if (lifo_streak_ < kMaxLifoStreak) {
      ++lifo_streak_;
      return std::exchange(lifo_, nullptr);
    }
    push_back(std::exchange(lifo_, nullptr));
  }
  lifo_streak_ = 0;
  if ((t = queue_.pop())) return t;
  if ((t = inbox_.pop())) return t;
  return sched_.inject().pop();
}

RawTask* Worker::steal() noexcept {
  auto& workers = sched_.workers();
  const std::size_t n = workers.size();
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  const std::size_t start = rng_ % n;
  for (std::size_t i = 0; i < n; ++i) {
    Worker* victim = workers[(start + i) % n].get();
    if (victim == this) continue;
    if (RawTask* t = victim->queue_.steal_into(queue_)) {
      metrics_.steals.fetch_add(1, std::memory_order_relaxed);
      return t;
    }
  }
  return sched_.inject().pop();
}

void Worker::run_task(RawTask* t) noexcept {
  std::uint32_t s = t->state.load(std::memory_order_acquire);
  // A task holding registrations on another worker (pinned, or cancelled while idle there)
  // must be polled by that worker: forward it, still SCHEDULED.
  if (t->owner && t->owner != this &&
      ((s & RawTask::kCancelled) || t->pins.load(std::memory_order_relaxed) > 0)) {
    t->owner->push_inbox(t);
    return;
  }
  for (;;) {
    std::uint32_t next = (s & ~(RawTask::kScheduled | RawTask::kNotified)) | RawTask::kRunning;
    if (t->state.compare_exchange_weak(s, next, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      break;
    }
  }
  metrics_.polls.fetch_add(1, std::memory_order_relaxed);
  if (s & RawTask::kCancelled) {
    t->owner = this;
    t->vtable->drop_future(t);
    sched_.task_completed(t, true);
    return;
  }
  // A stale wake (from a registration the task has since given up) resumes nothing.
  if (!t->wait_ready || t->wait_ready->load(std::memory_order_acquire)) {
    t->owner = this;
    t->wait_ready = nullptr;
    set_current_task(t, kCoopBudget);
    t->resume_point.resume();
    set_current_task(nullptr, 0);
    if (t->root.done()) {
      sched_.task_completed(t, false);
      return;
    }
  }
  after_poll(t);
}

void Worker::after_poll(RawTask* t) noexcept {
  std::uint32_t s = t->state.load(std::memory_order_acquire);
  for (;;) {
    if (s & RawTask::kCancelled) {
      // We ran it last, so every registration it holds is ours to cancel.
      t->vtable->drop_future(t);
      sched_.task_completed(t, true);
      return;
    }
    if (s & RawTask::kNotified) {
      std::uint32_t next = (s & ~(RawTask::kRunning | RawTask::kNotified)) | RawTask::kScheduled;
      if (t->state.compare_exchange_weak(s, next, std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
        push_back(t);
        return;
      }
      continue;
    }
    if (t->state.compare_exchange_weak(s, s & ~RawTask::kRunning, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      return;
    }
  }
}

void Worker::schedule_local(RawTask* t, bool yielded) noexcept {
  if (yielded) {
    push_back(t);
    return;
  }
  if (lifo_) push_back(lifo_);
  lifo_ = t;
  if (sched_.stealing() && !queue_.empty()) sched_.notify_one_parked(this);
}

void Worker::push_back(RawTask* t) noexcept {
  if (queue_.push(t)) return;
  // Full: move the older half to the injection queue where every worker can reach it.
  std::vector<RawTask*> batch(queue_.capacity() / 2);
  std::uint32_t n = queue_.take_half_for_overflow(batch.data());
  sched_.inject().push_batch(batch.data(), n);
  if (!queue_.push(t)) sched_.inject().push(t);
  sched_.notify_one_parked(this);
}

void Worker::push_inbox(RawTask* t) noexcept {
  inbox_.push(t);
  unpark();
}

void Worker::post(std::function<void()> fn) {
  {
    std::lock_guard lock(posted_mu_);
    posted_.push_back(std::move(fn));
    has_posted_.store(true, std::memory_order_seq_cst);
  }
  unpark();
}

void Worker::run_posted() noexcept {
  if (!has_posted_.load(std::memory_order_acquire)) return;
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(posted_mu_);
    batch.swap(posted_);
    has_posted_.store(false, std::memory_order_relaxed);
  }
  for (auto& fn : batch) fn();
}

void Worker::unpark() noexcept {
  if (sleeping_.exchange(false, std::memory_order_seq_cst)) {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
}

bool Worker::has_work() const noexcept {
  return lifo_ || !queue_.empty() || !inbox_.empty() || !sched_.inject().empty() ||
         has_posted_.load(std::memory_order_seq_cst);
}

void Worker::maintenance() noexcept {
  run_posted();
  driver_->poll();
  fire_timers();
}

void Worker::fire_timers() noexcept {
  std::size_t fired = timers_.advance_to(now_tick());
  if (fired) metrics_.timers_fired.fetch_add(fired, std::memory_order_relaxed);
}

bool Worker::spin_for_work() noexcept {
  const auto spin = sched_.config().spin_before_park;
  // With one worker nobody else can hand us work meanwhile.
  if (sched_.workers().size() < 2 || spin.count() == 0) return false;
  const auto until = std::chrono::steady_clock::now() + spin;
  do {
    for (int i = 0; i < 64; ++i) {
      if (has_work()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

void Worker::park() {
  // A wake through the eventfd costs a syscall on both sides and a sleep/wake of this thread;
  // work that another worker produces within microseconds is cheaper to notice by spinning.
  if (spin_for_work()) return;
  // Dekker-style handshake with push_inbox()/unpark(): both sides publish (sleeping_ here, the
  // queue length there) with seq_cst before reading the other's flag, so either we see the
  // new task or the pusher sees sleeping_ and wakes the driver.
  sleeping_.store(true, std::memory_order_seq_cst);
  if (has_work() || sched_.stopping()) {
    sleeping_.store(false, std::memory_order_relaxed);
    return;
  }
  std::optional<std::chrono::nanoseconds> timeout;
  if (auto next = timers_.next_expiration()) {
    auto now = std::chrono::steady_clock::now();
    auto at = clock_.time_of(*next);
    timeout = at > now ? std::chrono::duration_cast<std::chrono::nanoseconds>(at - now)
                       : std::chrono::nanoseconds(0);
  }
  metrics_.parks.fetch_add(1, std::memory_order_relaxed);
  driver_->wait(timeout);
  sleeping_.store(false, std::memory_order_relaxed);
  fire_timers();
}

WorkerMetrics Worker::metrics() const noexcept {
  WorkerMetrics m;
  m.polls = metrics_.polls.load(std::memory_order_relaxed);
  m.steals = metrics_.steals.load(std::memory_order_relaxed);
  m.parks = metrics_.parks.load(std::memory_order_relaxed);
  m.timers_fired = metrics_.timers_fired.load(std::memory_order_relaxed);
  m.local_queue_depth = queue_.len();
  m.io_submitted = io_counters_.submitted.load(std::memory_order_relaxed);
  m.io_completed = io_counters_.completed.load(std::memory_order_relaxed);
  return m;
}

}  // namespace zokio::detail
