// The type-erased header every spawned task carries, and the operations the scheduler and
// the awaiters perform on it. Internal: included by public templates (spawn, JoinHandle),
// not meant to be used directly.
//
// A task's life is a small state machine (see task_state.cpp): it is SCHEDULED in exactly one
// queue, RUNNING on exactly one worker, or idle waiting for a wake. A wake that arrives while it
// runs sets NOTIFIED so it is polled again; ABORT sets CANCELLED and makes the worker that owns
// the task's pending registrations destroy its frames. Each suspension names a readiness flag, so
// a stale wake (from a registration the task already gave up) polls nothing.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>

namespace zokio::detail {

class Worker;
class Scheduler;
struct RawTask;

struct TaskVTable {
  void (*drop_future)(RawTask*) noexcept;  // destroys the coroutine frames (cancellation)
  void (*dealloc)(RawTask*) noexcept;      // frees the cell once the last reference is gone
};

struct RawTask {
  static constexpr std::uint32_t kScheduled = 1u << 0;
  static constexpr std::uint32_t kRunning = 1u << 1;
  static constexpr std::uint32_t kNotified = 1u << 2;
  static constexpr std::uint32_t kComplete = 1u << 3;
  static constexpr std::uint32_t kCancelled = 1u << 4;
  static constexpr std::uint32_t kJoinWaker = 1u << 5;

  explicit RawTask(const TaskVTable* vt) noexcept : vtable(vt) {}
  RawTask(const RawTask&) = delete;
  RawTask& operator=(const RawTask&) = delete;

  std::atomic<std::uint32_t> state{kScheduled};
  std::atomic<std::uint32_t> refs{1};
  // Set once the task has finished (normally or cancelled); JoinHandle awaiters wait on it.
  std::atomic<bool> completed{false};
  // Pinned tasks hold registrations besides the one they wait on (a timeout's timer), so
  // they must keep running on `owner`. Changed only by the task itself while it runs.
  std::atomic<int> pins{0};
  // Spawned onto a worker for life (spawn_local / Runtime::spawn_pinned): never migrates.
  bool pinned_for_life = false;

  std::coroutine_handle<> root{};          // the spawned coroutine
  std::coroutine_handle<> resume_point{};  // innermost suspended frame, resumed on the next poll
  const std::atomic<bool>* wait_ready = nullptr;  // readiness of the current suspension
  Worker* owner = nullptr;  // the worker that last ran it and holds its I/O and timers
  Scheduler* sched = nullptr;
  RawTask* join_waiter = nullptr;  // published through kJoinWaker
  RawTask* next = nullptr;         // intrusive link: run and injection queues
  RawTask* owned_prev = nullptr;   // intrusive links: the scheduler's list of live tasks
  RawTask* owned_next = nullptr;
  const TaskVTable* vtable;
};

// Thread-local: the task being polled on this thread, or null outside a runtime task.
RawTask* current_task() noexcept;
// Like current_task(), but throws std::logic_error when awaited outside a runtime task.
RawTask* current_task_or_throw();

void task_ref(RawTask* t) noexcept;
void task_unref(RawTask* t) noexcept;
// Schedules t to be polled; thread-safe and a no-op on a completed task.
void task_wake(RawTask* t) noexcept;
// Requests cancellation; thread-safe, idempotent.
void task_abort(RawTask* t) noexcept;

// Records where the current task is suspended and which flag tells that it may resume.
inline RawTask* suspend_current(std::coroutine_handle<> h, const std::atomic<bool>* ready) {
  RawTask* t = current_task_or_throw();
  t->resume_point = h;
  t->wait_ready = ready;
  return t;
}

// JoinHandle support: register `waiter` to be woken when `target` completes. Returns false
// (and registers nothing) if target already completed.
bool join_register(RawTask* target, RawTask* waiter) noexcept;
void join_unregister(RawTask* target) noexcept;

// Coop budget: each operation that completes without suspending consumes one unit. When the
// budget is spent the awaiter yields instead, so one busy task cannot starve its worker.
bool coop_consume() noexcept;

}  // namespace zokio::detail
