// The Zokio runtime: worker threads, their run queues and I/O drivers, and the blocking pool.
//
//   auto rt = zokio::Runtime::builder().worker_threads(2).build();
//   int answer = rt.block_on(compute());
//
// A multi-thread runtime starts its workers when built. A current-thread runtime has a single
// worker that runs inside block_on() on the calling thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "zokio/spawn.hpp"
#include "zokio/task.hpp"

namespace zokio {

enum class IoBackend { kAuto, kUring, kEpoll };

// Parses "auto", "uring" or "epoll"; nullopt otherwise.
std::optional<IoBackend> parse_io_backend(std::string_view name) noexcept;
const char* to_string(IoBackend backend) noexcept;

struct WorkerMetrics {
  std::uint64_t polls = 0;         // task polls
  std::uint64_t steals = 0;        // tasks taken from other workers
  std::uint64_t parks = 0;         // times the worker went to sleep
  std::uint64_t io_submitted = 0;  // operations handed to the I/O driver
  std::uint64_t io_completed = 0;  // operations the driver completed
  std::uint64_t timers_fired = 0;
  std::uint64_t local_queue_depth = 0;
};

struct RuntimeMetrics {
  std::uint64_t tasks_spawned = 0;
  std::uint64_t tasks_completed = 0;  // includes aborted ones
  std::uint64_t tasks_aborted = 0;
  std::uint64_t tasks_alive = 0;
  std::uint64_t injection_queue_depth = 0;
  std::uint64_t blocking_threads = 0;
  IoBackend io_backend = IoBackend::kEpoll;  // the backend in use (never kAuto)
  std::vector<WorkerMetrics> workers;
};

namespace detail {
class Scheduler;
struct BlockOnSignal {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> done{false};
  bool aborted = false;
  void finish(bool was_aborted) noexcept;
};
template <typename T>
struct BlockOnResult {
  std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
  std::exception_ptr error;
};
// Signals block_on() however the root task ends. It is a coroutine parameter, not a local,
// because a frame destroyed before it ever ran (spawned during shutdown) destroys its
// parameters but never constructed its locals.
class BlockOnGuard {
 public:
  explicit BlockOnGuard(BlockOnSignal* s) noexcept : signal_(s) {}
  BlockOnGuard(BlockOnGuard&& o) noexcept : signal_(std::exchange(o.signal_, nullptr)) {}
  BlockOnGuard(const BlockOnGuard&) = delete;
  BlockOnGuard& operator=(const BlockOnGuard&) = delete;
  ~BlockOnGuard() {
    if (signal_) signal_->finish(true);
  }
  void finish_normally() noexcept { std::exchange(signal_, nullptr)->finish(false); }

 private:
  BlockOnSignal* signal_;
};

template <typename T>
Task<void> block_on_root(Task<T> task, BlockOnResult<T>* out, BlockOnGuard guard) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      out->value.emplace(true);
    } else {
      out->value.emplace(co_await std::move(task));
    }
  } catch (...) {
    out->error = std::current_exception();
  }
  task.reset();  // the caller's frames are gone before block_on returns
  guard.finish_normally();
}
}  // namespace detail

class Runtime {
 public:
  class Builder {
   public:
    // Number of worker threads (default: the number of CPUs). Ignored by current_thread().
    Builder& worker_threads(std::size_t n);
    // Whether idle workers take tasks from busy ones (default on). Off gives thread-per-core.
    Builder& work_stealing(bool enabled);
    // Which I/O driver to use; the ZOKIO_IO environment variable (auto|uring|epoll) overrides.
    Builder& io_backend(IoBackend backend);
    // Capacity of each worker's local run queue (rounded up to a power of two, default 256).
    Builder& local_queue_capacity(std::size_t n);
    // Upper bound of the blocking pool's threads (default 64).
    Builder& max_blocking_threads(std::size_t n);
    // Entries in each io_uring submission queue (default 4096).
    Builder& uring_entries(unsigned n);
    // Pooled receive buffers per worker (TcpStream::recv_pooled), default 256 of 16 KiB; with
    // io_uring they form the worker's provided-buffer ring. The count is rounded up to a power
    // of two (at most 32768).
    Builder& recv_buffers(std::size_t count, std::size_t size);
    // How long an idle worker spins looking for work before it sleeps in its driver (default
    // 20 us; 0 disables). Spinning makes wakes between busy workers much cheaper, at the cost
    // of that much CPU each time a worker runs out of work.
    Builder& spin_before_park(std::chrono::microseconds d);
    // A single worker that runs on the thread calling block_on().
    Builder& current_thread();
    Runtime build();

   private:
    friend class Runtime;
    std::size_t workers_ = 0;
    bool stealing_ = true;
    IoBackend backend_ = IoBackend::kAuto;
    std::size_t queue_capacity_ = 256;
    std::size_t max_blocking_ = 64;
    unsigned uring_entries_ = 4096;
    std::size_t recv_buffers_ = 256;
    std::size_t recv_buffer_size_ = 16384;
    std::chrono::microseconds spin_{20};
    bool current_thread_ = false;
  };

  static Builder builder() { return Builder{}; }

  // A multi-thread runtime with default settings.
  Runtime();
  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) noexcept;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  // Cancels every task still alive and waits for the workers to stop.
  ~Runtime();

  // Runs `task` to completion on the runtime and returns its value (or rethrows its exception).
  // Throws TaskAborted if the runtime was shut down before the task finished.
  template <typename T>
  T block_on(Task<T> task) {
    detail::BlockOnResult<T> out;
    detail::BlockOnSignal signal;
    spawn(detail::block_on_root(std::move(task), &out, detail::BlockOnGuard(&signal))).detach();
    wait(signal);
    if (out.error) std::rethrow_exception(out.error);
    if (signal.aborted || !out.value) throw TaskAborted();
    if constexpr (!std::is_void_v<T>) return std::move(*out.value);
  }
  // block_on of the task `fn(args...)` makes: `rt.block_on([&]() -> Task<int> { ... })`.
  template <typename F, typename... Args>
  detail::FactoryValue<F, Args...> block_on(F&& fn, Args&&... args) {
    return block_on(detail::stored_task(std::forward<F>(fn), std::forward<Args>(args)...));
  }

  template <typename T>
  JoinHandle<T> spawn(Task<T> task) {
    return detail::spawn_on(*sched_, std::move(task));
  }
  // Spawns the task `fn(args...)` makes, `fn` and `args` stored with it for as long as it runs
  // (see zokio::spawn: the safe form for a capturing coroutine lambda).
  template <typename F, typename... Args>
  JoinHandle<detail::FactoryValue<F, Args...>> spawn(F&& fn, Args&&... args) {
    return spawn(detail::stored_task(std::forward<F>(fn), std::forward<Args>(args)...));
  }

  // Spawns `task` on worker `worker` (0 <= worker < worker_count()), pinned there for life.
  // Throws std::out_of_range for a bad index.
  template <typename T>
  JoinHandle<T> spawn_pinned(std::size_t worker, Task<T> task) {
    if (worker >= worker_count()) throw std::out_of_range("zokio: no such worker");
    return detail::spawn_on(*sched_, std::move(task), worker);
  }
  template <typename F, typename... Args>
  JoinHandle<detail::FactoryValue<F, Args...>> spawn_pinned(std::size_t worker, F&& fn,
                                                            Args&&... args) {
    return spawn_pinned(worker,
                        detail::stored_task(std::forward<F>(fn), std::forward<Args>(args)...));
  }

  // Stops the runtime: aborts every task, waits for them up to `deadline`, stops the workers
  // and gives the blocking pool what is left of the deadline. Idempotent.
  void shutdown(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  RuntimeMetrics metrics() const;
  IoBackend io_backend() const noexcept;
  std::size_t worker_count() const noexcept;

 private:
  explicit Runtime(const Builder& b);
  void wait(detail::BlockOnSignal& signal);
  std::unique_ptr<detail::Scheduler> sched_;
};

}  // namespace zokio
