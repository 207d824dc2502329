// Time: sleep(), sleep_until(), timeout() and interval(). Timers live in a hierarchical wheel
// per worker with 1 ms resolution; a timer never fires early.
#pragma once

#include <atomic>
#include <chrono>
#include <coroutine>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>

#include "zokio/detail/raw_task.hpp"
#include "zokio/detail/timer_entry.hpp"
#include "zokio/io_result.hpp"
#include "zokio/task.hpp"

namespace zokio {

using Clock = std::chrono::steady_clock;

// Awaitable returned by sleep() and sleep_until().
class [[nodiscard]] Sleep {
 public:
  explicit Sleep(Clock::time_point when) noexcept : when_(when) {}
  Sleep(const Sleep&) = delete;
  Sleep& operator=(const Sleep&) = delete;
  ~Sleep() { detail::timer_disarm(entry_); }

  bool await_ready() const noexcept { return when_ <= Clock::now(); }
  void await_suspend(std::coroutine_handle<> h) {
    task_ = detail::suspend_current(h, &fired_);
    entry_.ctx = this;
    entry_.on_fire = &Sleep::on_fire;
    detail::timer_arm(entry_, when_);
  }
  void await_resume() const noexcept {}

 private:
  static void on_fire(detail::TimerEntry* e) noexcept {
    auto* self = static_cast<Sleep*>(e->ctx);
    self->fired_.store(true, std::memory_order_release);
    detail::task_wake(self->task_);
  }
  Clock::time_point when_;
  detail::TimerEntry entry_;
  std::atomic<bool> fired_{false};
  detail::RawTask* task_ = nullptr;
};

inline Sleep sleep_until(Clock::time_point when) noexcept {
  return Sleep(when);
}
template <typename Rep, typename Period>
Sleep sleep(std::chrono::duration<Rep, Period> d) noexcept {
  return Sleep(Clock::now() + std::chrono::duration_cast<Clock::duration>(d));
}

namespace detail {

// Runs `inner` inline while a timer is armed; if the timer fires first, the task resumes in
// await_resume, which destroys `inner` (cancelling whatever it was waiting on). While armed, the
// task is pinned to its worker, since both the timer and inner's registrations live there.
template <typename T>
class TimeoutAwaiter {
 public:
  TimeoutAwaiter(Task<T> inner, Clock::time_point when) noexcept
      : inner_(std::move(inner)), when_(when) {}
  TimeoutAwaiter(const TimeoutAwaiter&) = delete;
  TimeoutAwaiter& operator=(const TimeoutAwaiter&) = delete;
  ~TimeoutAwaiter() { disarm(); }

  bool await_ready() const noexcept { return !inner_.valid(); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> outer) {
    task_ = current_task_or_throw();
    outer_ = outer;
    entry_.ctx = this;
    entry_.on_fire = &TimeoutAwaiter::on_fire;
    timer_arm(entry_, when_);
    task_->pins.fetch_add(1, std::memory_order_relaxed);
    pinned_ = true;
    inner_.handle().promise().continuation_ = outer;
    return inner_.handle();
  }
  IoResult<T> await_resume() {
    disarm();
    if (!inner_.valid()) return IoResult<T>(std::make_error_code(std::errc::invalid_argument));
    if (!inner_.done()) {
      inner_.reset();
      return IoResult<T>(std::make_error_code(std::errc::timed_out));
    }
    if constexpr (std::is_void_v<T>) {
      inner_.result();
      return IoResult<void>();
    } else {
      return IoResult<T>(std::move(inner_.result()));
    }
  }

 private:
  static void on_fire(TimerEntry* e) noexcept {
    auto* self = static_cast<TimeoutAwaiter*>(e->ctx);
    RawTask* t = self->task_;
    // If what inner waits on is already ready (or the task is queued after a yield), let inner
    // run first (like Tokio, a finished operation wins over an expired deadline) and look
    // again at the next tick.
    if (!t->wait_ready || t->wait_ready->load(std::memory_order_acquire)) {
      timer_arm_now(*e);
      return;
    }
    self->fired_.store(true, std::memory_order_release);
    t->resume_point = self->outer_;
    t->wait_ready = &self->fired_;
    task_wake(t);
  }
  void disarm() noexcept {
    timer_disarm(entry_);
    if (pinned_) {
      task_->pins.fetch_sub(1, std::memory_order_relaxed);
      pinned_ = false;
    }
  }

  Task<T> inner_;
  Clock::time_point when_;
  TimerEntry entry_;
  std::atomic<bool> fired_{false};
  RawTask* task_ = nullptr;
  std::coroutine_handle<> outer_{};
  bool pinned_ = false;
};

template <typename T>
Task<IoResult<T>> timeout_at(Clock::time_point when, Task<T> inner) {
  TimeoutAwaiter<T> awaiter(std::move(inner), when);
  auto result = co_await awaiter;
  co_return result;
}

}  // namespace detail

// Runs `task` with a deadline. Yields its value, or the error std::errc::timed_out if the
// deadline passed first, in which case the task is destroyed (its pending I/O and timers are
// cancelled). Exceptions from `task` propagate.
template <typename T, typename Rep, typename Period>
Task<IoResult<T>> timeout(std::chrono::duration<Rep, Period> d, Task<T> task) {
  return detail::timeout_at(Clock::now() + std::chrono::duration_cast<Clock::duration>(d),
                            std::move(task));
}
template <typename T>
Task<IoResult<T>> timeout_at(Clock::time_point when, Task<T> task) {
  return detail::timeout_at(when, std::move(task));
}

// A periodic timer: each tick() completes at the next multiple of the period after start.
// Ticks missed while the task was busy complete at once, one per tick() ("burst"), as in Tokio.
class Interval {
 public:
  explicit Interval(Clock::duration period, Clock::time_point start = Clock::now())
      : period_(period), next_(start) {
    if (period_ <= Clock::duration::zero())
      throw std::invalid_argument("zokio: period must be > 0");
  }
  Sleep tick() noexcept {
    Clock::time_point at = next_;
    next_ += period_;
    return Sleep(at);
  }
  Clock::duration period() const noexcept { return period_; }

 private:
  Clock::duration period_;
  Clock::time_point next_;
};

template <typename Rep, typename Period>
Interval interval(std::chrono::duration<Rep, Period> period) {
  return Interval(std::chrono::duration_cast<Clock::duration>(period));
}

}  // namespace zokio
