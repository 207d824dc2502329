// Transitions of a task's state word (see detail/raw_task.hpp) and the thread-locals that say
// which task is running. Every transition is a CAS on one atomic word, so wakes, aborts and
// joins may come from any thread.
#include <stdexcept>

#include "runtime/scheduler.hpp"
#include "runtime/worker.hpp"
#include "zokio/detail/raw_task.hpp"
#include "zokio/spawn.hpp"

namespace zokio::detail {

namespace {
thread_local RawTask* tl_task = nullptr;
thread_local int tl_budget = 0;
}  // namespace

RawTask* current_task() noexcept {
  return tl_task;
}

RawTask* current_task_or_throw() {
  if (!tl_task) throw std::logic_error("zokio: awaited a runtime operation outside a runtime task");
  return tl_task;
}

void set_current_task(RawTask* t, int budget) noexcept {
  tl_task = t;
  tl_budget = budget;
}

bool coop_consume() noexcept {
  if (!tl_task) return true;
  return --tl_budget > 0;
}

void task_ref(RawTask* t) noexcept {
  t->refs.fetch_add(1, std::memory_order_relaxed);
}

void task_unref(RawTask* t) noexcept {
  if (t->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) t->vtable->dealloc(t);
}

void task_wake(RawTask* t) noexcept {
  std::uint32_t s = t->state.load(std::memory_order_acquire);
  for (;;) {
    if (s & RawTask::kComplete) return;
    if (s & RawTask::kRunning) {
      if (s & RawTask::kNotified) return;
      if (t->state.compare_exchange_weak(s, s | RawTask::kNotified, std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
        return;
      }
      continue;
    }
    if (s & RawTask::kScheduled) return;
    if (t->state.compare_exchange_weak(s, s | RawTask::kScheduled, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      t->sched->schedule(t);
      return;
    }
  }
}

void task_abort(RawTask* t) noexcept {
  std::uint32_t s = t->state.load(std::memory_order_acquire);
  for (;;) {
    if (s & (RawTask::kComplete | RawTask::kCancelled)) return;
    std::uint32_t next = s | RawTask::kCancelled;
    bool idle = !(s & (RawTask::kRunning | RawTask::kScheduled));
    if (s & RawTask::kRunning) next |= RawTask::kNotified;
    if (idle) next |= RawTask::kScheduled;
    if (t->state.compare_exchange_weak(s, next, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
      // An idle task's registrations live on its owner, which alone may destroy its frames.
      if (idle) t->sched->schedule_on_owner(t);
      return;
    }
  }
}

bool join_register(RawTask* target, RawTask* waiter) noexcept {
  task_ref(waiter);
  target->join_waiter = waiter;
  std::uint32_t s = target->state.load(std::memory_order_acquire);
  for (;;) {
    if (s & RawTask::kComplete) {
      target->join_waiter = nullptr;
      task_unref(waiter);
      return false;
    }
    if (target->state.compare_exchange_weak(s, s | RawTask::kJoinWaker, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
      return true;
    }
  }
}

void join_unregister(RawTask* target) noexcept {
  std::uint32_t s = target->state.load(std::memory_order_acquire);
  for (;;) {
    // Once complete, the completing worker owns join_waiter and wakes it.
    if (!(s & RawTask::kJoinWaker) || (s & RawTask::kComplete)) return;
    if (target->state.compare_exchange_weak(s, s & ~RawTask::kJoinWaker, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
      task_unref(std::exchange(target->join_waiter, nullptr));
      return;
    }
  }
}

Scheduler* current_scheduler() noexcept {
  if (Worker* w = Worker::current()) return &w->scheduler();
  return BlockingPool::current_scheduler();
}

Scheduler& current_scheduler_or_throw() {
  Scheduler* s = current_scheduler();
  if (!s) throw std::logic_error("zokio: spawn() called outside a runtime; use Runtime::spawn");
  return *s;
}

void scheduler_spawn(Scheduler& sched, RawTask* task, std::size_t worker) {
  sched.spawn(task, worker);
}

std::size_t worker_count(Scheduler& sched) noexcept {
  return sched.workers().size();
}

std::size_t current_worker_index() {
  Worker* w = Worker::current();
  if (!w) throw std::logic_error("zokio: spawn_local() called outside a runtime worker");
  return w->index();
}

void blocking_submit(Scheduler& sched, std::unique_ptr<BlockingJob> job) {
  sched.blocking().submit(std::move(job));
}

}  // namespace zokio::detail

namespace zokio {
void YieldNow::await_suspend(std::coroutine_handle<> h) {
  detail::RawTask* t = detail::suspend_current(h, nullptr);
  // The task is running, so NOTIFIED makes its worker queue it again behind the others.
  t->state.fetch_or(detail::RawTask::kNotified, std::memory_order_acq_rel);
}
}  // namespace zokio
