// Spawning tasks onto the runtime and joining them: spawn(), JoinHandle<T>, yield_now() and
// spawn_blocking().
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

#include "zokio/detail/raw_task.hpp"
#include "zokio/task.hpp"

namespace zokio {

// Thrown when awaiting the JoinHandle of a task that was aborted (or cancelled by shutdown).
class TaskAborted : public std::runtime_error {
 public:
  TaskAborted() : std::runtime_error("zokio: task was aborted") {}
};

// Receives the exception of a spawned task that ended by throwing when nobody takes its result:
// its JoinHandle was detached or dropped without being awaited. (An awaited handle rethrows it
// to the awaiting task instead.) The default handler writes one line to stderr:
//   zokio: a task nobody awaited ended with an exception: <what()>
// Process-wide, for every runtime; called on the thread that drops the task's last reference
// (a worker, or the thread dropping the handle), so it must be quick and must not throw.
// Returns the previous handler; an empty function restores the default.
using UnobservedExceptionHandler = std::function<void(std::exception_ptr)>;
UnobservedExceptionHandler set_unobserved_exception_handler(UnobservedExceptionHandler handler);

namespace detail {

Scheduler* current_scheduler() noexcept;
Scheduler& current_scheduler_or_throw();
// Hands a freshly created task (refs == 2: scheduler + handle) to the scheduler. With a
// worker index the task starts on that worker and is pinned there for life.
inline constexpr std::size_t kAnyWorker = ~std::size_t{0};
void scheduler_spawn(Scheduler& sched, RawTask* task, std::size_t worker = kAnyWorker);
// Index of the worker running the calling thread (throws std::logic_error outside one).
std::size_t current_worker_index();
std::size_t worker_count(Scheduler& sched) noexcept;

// Hands an exception nobody will see to the handler (set_unobserved_exception_handler).
void report_unobserved_exception(std::exception_ptr e) noexcept;

template <typename T>
struct TaskCell final : RawTask {
  explicit TaskCell(Task<T>&& t) noexcept : RawTask(&kVTable), task(std::move(t)) {
    root = task.handle();
    resume_point = root;
  }
  Task<T> task;

  static void drop_future(RawTask* t) noexcept { static_cast<TaskCell*>(t)->task.reset(); }
  static void dealloc(RawTask* t) noexcept {
    auto* cell = static_cast<TaskCell*>(t);
    // A task that ended by throwing, and whose JoinHandle went away without taking the result
    // (a detached task, or a handle dropped unawaited): the exception would vanish here.
    if (cell->task.done()) {
      if (auto e = cell->task.handle().promise().exception()) report_unobserved_exception(e);
    }
    delete cell;
  }
  static constexpr TaskVTable kVTable{&drop_future, &dealloc};
};

// A job for the blocking pool; runs once on a pool thread.
struct BlockingJob {
  virtual ~BlockingJob() = default;
  virtual void run() noexcept = 0;
};
void blocking_submit(Scheduler& sched, std::unique_ptr<BlockingJob> job);

}  // namespace detail

// Owns the right to await a spawned task's result. Dropping it detaches the task (it keeps
// running). Awaiting it yields the task's value, rethrows its exception, or throws
// TaskAborted if it was aborted.
template <typename T>
class [[nodiscard]] JoinHandle {
 public:
  JoinHandle() noexcept = default;
  explicit JoinHandle(detail::TaskCell<T>* cell) noexcept : cell_(cell) {}
  JoinHandle(JoinHandle&& o) noexcept : cell_(std::exchange(o.cell_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& o) noexcept {
    if (this != &o) {
      release();
      cell_ = std::exchange(o.cell_, nullptr);
    }
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  ~JoinHandle() { release(); }

  bool valid() const noexcept { return cell_ != nullptr; }
  bool is_finished() const noexcept {
    return cell_ && cell_->completed.load(std::memory_order_acquire);
  }
  // Requests cancellation: the task's frames are destroyed, cancelling its pending I/O and
  // timers, the next time its worker gets to it.
  void abort() noexcept {
    if (cell_) detail::task_abort(cell_);
  }
  // Lets the task run on without anyone waiting for it.
  void detach() noexcept { release(); }

  auto operator co_await() noexcept {
    struct Awaiter {
      detail::TaskCell<T>* cell;
      bool registered = false;
      bool await_ready() const {
        if (!cell) throw std::logic_error("zokio: awaited an empty JoinHandle");
        return cell->completed.load(std::memory_order_acquire);
      }
      bool await_suspend(std::coroutine_handle<> h) {
        detail::RawTask* me = detail::suspend_current(h, &cell->completed);
        registered = detail::join_register(cell, me);
        return registered;
      }
      T await_resume() {
        if (cell->state.load(std::memory_order_acquire) & detail::RawTask::kCancelled ||
            !cell->task.valid()) {
          throw TaskAborted();
        }
        if (auto e = cell->task.handle().promise().exception()) {
          cell->task.reset();  // observed here: not reported as lost
          std::rethrow_exception(e);
        }
        if constexpr (std::is_void_v<T>) {
          cell->task.result();
          cell->task.reset();
        } else {
          T value = std::move(cell->task.result());
          cell->task.reset();
          return value;
        }
      }
      ~Awaiter() {
        if (registered) detail::join_unregister(cell);
      }
    };
    return Awaiter{cell_};
  }

 private:
  void release() noexcept {
    if (cell_) detail::task_unref(std::exchange(cell_, nullptr));
  }
  detail::TaskCell<T>* cell_ = nullptr;
};

namespace detail {
template <typename T>
JoinHandle<T> spawn_on(Scheduler& sched, Task<T> task, std::size_t worker = kAnyWorker) {
  if (!task.valid()) throw std::invalid_argument("zokio: spawned an empty Task");
  auto* cell = new TaskCell<T>(std::move(task));
  cell->refs.store(2, std::memory_order_relaxed);  // the scheduler's and the handle's
  scheduler_spawn(sched, cell, worker);
  return JoinHandle<T>(cell);
}
}  // namespace detail

namespace detail {
template <typename X>
struct TaskValue {};
template <typename T>
struct TaskValue<Task<T>> {
  using type = T;
};
// What the task made by calling a copy of `F` with copies of `Args...` (moved in) yields. Only
// defined for a callable that returns a Task (a coroutine lambda, say): the spawn overloads
// taking a callable drop out of overload resolution for anything else.
template <typename F, typename... Args>
using FactoryValue = typename TaskValue<
    std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&&...>>>::type;
// Keeps the callable and its arguments in this frame for as long as the task it made runs: a
// coroutine lambda's captures live in the closure object, which must outlive the coroutine.
template <typename T, typename F, typename... Args>
Task<T> run_stored(F fn, Args... args) {
  if constexpr (std::is_void_v<T>) {
    co_await std::invoke(fn, std::move(args)...);
  } else {
    co_return co_await std::invoke(fn, std::move(args)...);
  }
}

template <typename F, typename... Args>
Task<FactoryValue<F, Args...>> stored_task(F&& fn, Args&&... args) {
  return run_stored<FactoryValue<F, Args...>>(std::decay_t<F>(std::forward<F>(fn)),
                                              std::decay_t<Args>(std::forward<Args>(args))...);
}
}  // namespace detail

// Spawns `task` on the runtime the calling thread belongs to (a worker or a blocking-pool
// thread). Throws std::logic_error when called outside a runtime; use Runtime::spawn there.
//
// The trap (as in any C++ coroutine library): `spawn([name]() -> Task<void> { ... }())` is a
// use after free. The lambda's captures live in the closure object, a temporary that dies at
// the end of the statement while the task runs on. Use the callable form below, which keeps
// the closure alive with the task; or pass values as the coroutine's parameters.
template <typename T>
JoinHandle<T> spawn(Task<T> task) {
  return detail::spawn_on(detail::current_scheduler_or_throw(), std::move(task));
}

// Spawns the task `fn(args...)` makes, storing (a copy of) `fn` and `args` with it for as long
// as it runs: `spawn([name](int n) -> Task<void> { ... }, 42)`. Arguments are copied or moved
// in, as std::thread does; wrap a reference in std::ref to share it (it must outlive the task).
template <typename F, typename... Args>
JoinHandle<detail::FactoryValue<F, Args...>> spawn(F&& fn, Args&&... args) {
  return spawn(detail::stored_task(std::forward<F>(fn), std::forward<Args>(args)...));
}

// Spawns `task` pinned to the calling worker: it never migrates, so everything it owns (an
// io_uring multishot accept, pooled receive buffers) stays with one thread. Thread-per-core
// style servers run one such task per worker.
template <typename T>
JoinHandle<T> spawn_local(Task<T> task) {
  auto& sched = detail::current_scheduler_or_throw();
  return detail::spawn_on(sched, std::move(task), detail::current_worker_index());
}
// spawn_local of the task `fn(args...)` makes, `fn` and `args` stored with it (see spawn).
template <typename F, typename... Args>
JoinHandle<detail::FactoryValue<F, Args...>> spawn_local(F&& fn, Args&&... args) {
  return spawn_local(detail::stored_task(std::forward<F>(fn), std::forward<Args>(args)...));
}

// Spawns `task` pinned for life to worker `worker` of the current runtime (0 <= worker <
// worker_count()); throws std::out_of_range for a bad index.
template <typename T>
JoinHandle<T> spawn_pinned(std::size_t worker, Task<T> task) {
  auto& sched = detail::current_scheduler_or_throw();
  if (worker >= detail::worker_count(sched)) throw std::out_of_range("zokio: no such worker");
  return detail::spawn_on(sched, std::move(task), worker);
}
// spawn_pinned of the task `fn(args...)` makes, `fn` and `args` stored with it (see spawn).
template <typename F, typename... Args>
JoinHandle<detail::FactoryValue<F, Args...>> spawn_pinned(std::size_t worker, F&& fn,
                                                          Args&&... args) {
  return spawn_pinned(worker,
                      detail::stored_task(std::forward<F>(fn), std::forward<Args>(args)...));
}

// The number of workers of the current runtime (throws std::logic_error outside one).
inline std::size_t worker_count() {
  return detail::worker_count(detail::current_scheduler_or_throw());
}
// The index of the worker running the calling task (throws std::logic_error outside one).
inline std::size_t worker_index() {
  return detail::current_worker_index();
}

// Gives other tasks on this worker a turn; the task is queued behind them.
struct YieldNow {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h);
  void await_resume() const noexcept {}
};
inline YieldNow yield_now() noexcept {
  return {};
}

namespace detail {

// Shared between a blocking job and the task awaiting it; outlives whichever ends first.
template <typename R>
struct BlockingState {
  std::mutex mu;
  std::atomic<bool> ready{false};
  RawTask* waiter = nullptr;  // referenced while set
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
  std::exception_ptr error;

  void finish() noexcept {
    RawTask* w = nullptr;
    {
      std::lock_guard lock(mu);
      ready.store(true, std::memory_order_release);
      w = std::exchange(waiter, nullptr);
    }
    if (w) {
      task_wake(w);
      task_unref(w);
    }
  }
};

template <typename R, typename F, typename... Args>
struct BlockingJobImpl final : BlockingJob {
  BlockingJobImpl(F fn, std::tuple<Args...> args, std::shared_ptr<BlockingState<R>> st)
      : fn(std::move(fn)), args(std::move(args)), st(std::move(st)) {}
  void run() noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        std::apply(fn, std::move(args));
        st->value.emplace(true);
      } else {
        st->value.emplace(std::apply(fn, std::move(args)));
      }
    } catch (...) {
      st->error = std::current_exception();
    }
    st->finish();
  }
  F fn;
  std::tuple<Args...> args;
  std::shared_ptr<BlockingState<R>> st;
};

template <typename R>
struct BlockingAwaiter {
  std::shared_ptr<BlockingState<R>> st;
  bool await_ready() const noexcept { return st->ready.load(std::memory_order_acquire); }
  bool await_suspend(std::coroutine_handle<> h) {
    RawTask* me = suspend_current(h, &st->ready);
    std::lock_guard lock(st->mu);
    if (st->ready.load(std::memory_order_relaxed)) return false;
    task_ref(me);
    st->waiter = me;
    return true;
  }
  R await_resume() {
    if (st->error) std::rethrow_exception(st->error);
    if constexpr (!std::is_void_v<R>) return std::move(*st->value);
  }
  ~BlockingAwaiter() {
    if (!st) return;
    RawTask* w = nullptr;
    {
      std::lock_guard lock(st->mu);
      w = std::exchange(st->waiter, nullptr);
    }
    if (w) task_unref(w);
  }
};

template <typename R>
Task<R> await_blocking(std::shared_ptr<BlockingState<R>> st) {
  BlockingAwaiter<R> awaiter{std::move(st)};
  if constexpr (std::is_void_v<R>) {
    co_await awaiter;
  } else {
    R value = co_await awaiter;
    co_return value;
  }
}

}  // namespace detail

// Runs `fn(args...)` on the runtime's blocking pool (threads that may block: file I/O, DNS,
// CPU-heavy work) and returns a handle to its result. `fn` and `args` are copied or moved in,
// as std::thread does. Aborting the handle stops waiting; fn itself runs to completion.
//
// With g++ 12, pass values as arguments rather than lambda captures when the call sits inside
// a co_await: `co_await spawn_blocking([](std::string p) { ... }, path)`. g++ 12 destroys the
// captures of a lambda written inside a co_await expression twice (docs/architecture.md).
template <typename F, typename... Args>
auto spawn_blocking(F&& fn, Args&&... args)
    -> JoinHandle<std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&&...>> {
  using R = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&&...>;
  using Job = detail::BlockingJobImpl<R, std::decay_t<F>, std::decay_t<Args>...>;
  auto& sched = detail::current_scheduler_or_throw();
  auto st = std::make_shared<detail::BlockingState<R>>();
  detail::blocking_submit(
      sched,
      std::make_unique<Job>(std::decay_t<F>(std::forward<F>(fn)),
                            std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...), st));
  return detail::spawn_on(sched, detail::await_blocking<R>(std::move(st)));
}

}  // namespace zokio
