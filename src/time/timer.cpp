// Arming and disarming timers on the current worker's wheel.
#include <stdexcept>

#include "runtime/worker.hpp"
#include "zokio/detail/timer_entry.hpp"

namespace zokio::detail {

namespace {
Worker& worker_or_throw() {
  Worker* w = Worker::current();
  if (!w) throw std::logic_error("zokio: timers need a runtime worker (use them inside a task)");
  return *w;
}
}  // namespace

void timer_arm(TimerEntry& e, std::chrono::steady_clock::time_point when) {
  Worker& w = worker_or_throw();
  e.deadline = w.clock().deadline_tick(when);
  w.timers().insert(&e);
}

void timer_arm_now(TimerEntry& e) {
  Worker& w = worker_or_throw();
  e.deadline = w.timers().now() + 1;
  w.timers().insert(&e);
}

void timer_disarm(TimerEntry& e) noexcept {
  if (!e.is_linked()) return;
  if (Worker* w = Worker::current()) w->timers().remove(&e);
}

}  // namespace zokio::detail
