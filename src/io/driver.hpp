// The I/O driver interface: one driver per worker, shaped like io_uring (submit an operation,
// later receive its result). The io_uring driver implements it directly; the epoll driver
// tries the non-blocking syscall at once and retries it when epoll reports readiness.
//
// Operations complete on the worker that owns the driver. A pending operation is cancelled
// synchronously (cancel() returns only when the kernel no longer touches its buffers), which
// is what lets an aborted task free its frames at once.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "zokio/detail/io_op.hpp"
#include "zokio/runtime.hpp"

namespace zokio::detail {

struct RawTask;
class RecvPool;
class Worker;

// A multishot accept (io_uring): one submission keeps accepting, and each completion queues a
// connection here for the listener's next accept(). Lives on the worker whose driver armed it
// and is only touched there (the accepting task is pinned to that worker).
struct MultishotAccept {
  // Beyond this many unclaimed connections the multishot is cancelled, so that further ones
  // wait in the kernel's backlog (backpressure); accept() re-arms it once the queue drains.
  static constexpr std::size_t kMaxQueued = 64;

  int fd = -1;
  Driver* driver = nullptr;
  std::uint32_t slot = 0;  // the current submission; an older, cancelled one may still deliver
  bool armed = false;
  int error = 0;  // a failed accept, reported by the next accept()
  std::deque<int> ready;
  RawTask* waiter = nullptr;  // the task parked in accept(), if any
  std::atomic<bool>* waiter_ready = nullptr;

  bool has_result() const noexcept { return !ready.empty() || error != 0; }
};

// Operation counts, owned by the worker so they stay readable after the driver is gone.
struct IoCounters {
  std::atomic<std::uint64_t> submitted{0};
  std::atomic<std::uint64_t> completed{0};
};

class Driver {
 public:
  explicit Driver(IoCounters& counters) noexcept : counters_(counters) {}
  virtual ~Driver() = default;
  virtual IoBackend backend() const noexcept = 0;

  // Starts `op`. Returns true if it completed at once (op.result is set and nothing will be
  // woken); false if it is pending and op.task will be woken when op.done turns true.
  virtual bool start(IoOp& op) = 0;
  // Cancels a pending operation; when it returns op's buffers are no longer used and op will
  // not be completed.
  virtual void cancel(IoOp& op) noexcept = 0;
  // Completes whatever is ready without blocking. Returns the number of completions.
  virtual std::size_t poll() = 0;
  // Like poll(), but first blocks until something completes, the wake fd becomes readable or
  // the timeout passes (nullopt: no timeout).
  virtual std::size_t wait(std::optional<std::chrono::nanoseconds> timeout) = 0;
  // Called before a socket is closed so per-fd state is dropped and waiters are failed.
  virtual void forget_fd(int fd, std::uint64_t source_id) noexcept = 0;

  // The worker's receive-buffer pool, created on first use. Borrowed: the driver keeps its
  // reference; callers that keep the pointer past the driver's life must ref() it.
  virtual RecvPool& recv_pool() = 0;

  // Multishot accept, where the backend has it. arm returns false when it does not (the caller
  // then uses single accept operations); completions go to m and wake m.waiter.
  virtual bool arm_multishot_accept(MultishotAccept& m) {
    (void)m;
    return false;
  }
  // Synchronously stops an armed multishot accept: no completion reaches m afterwards.
  virtual void cancel_multishot_accept(MultishotAccept& m) noexcept { (void)m; }

 protected:
  void count_submitted() noexcept { counters_.submitted.fetch_add(1, std::memory_order_relaxed); }
  // Records the result, raises the readiness flag and wakes the waiting task.
  void complete(IoOp& op, int result) noexcept;

  IoCounters& counters_;
};

struct DriverOptions {
  unsigned uring_entries = 4096;
  bool single_issuer = true;       // only the creating thread submits (IORING_SETUP_SINGLE_ISSUER)
  std::size_t recv_buffers = 256;  // pooled receive buffers per worker
  std::size_t recv_buffer_size = 16384;
  Worker* home = nullptr;  // the worker owning the driver
};

// `wake_fd` is the worker's eventfd (blocking mode): a write to it interrupts wait(). It belongs
// to the worker and outlives the driver, so waking never touches the driver itself.
std::unique_ptr<Driver> make_epoll_driver(const DriverOptions& opts, IoCounters& counters,
                                          int wake_fd);
// Throws std::system_error when io_uring cannot be set up here.
std::unique_ptr<Driver> make_uring_driver(const DriverOptions& opts, IoCounters& counters,
                                          int wake_fd);
// Whether io_uring can be set up on this machine (tries a small ring once).
bool uring_available() noexcept;

// The driver of the worker running on this thread (throws std::logic_error outside one).
Driver& current_driver();

}  // namespace zokio::detail
