// OpAwaiter: submits one operation to the current worker's driver from a task.
#include <atomic>

#include "io/driver.hpp"
#include "zokio/detail/io_op.hpp"
#include "zokio/detail/raw_task.hpp"

namespace zokio::detail {

OpAwaiter::~OpAwaiter() {
  if (op_.pending && driver_) driver_->cancel(op_);
}

bool OpAwaiter::await_suspend(std::coroutine_handle<> h) {
  RawTask* t = suspend_current(h, &op_.done);
  op_.task = t;
  driver_ = &current_driver();
  if (!driver_->start(op_)) return true;
  if (coop_consume()) return false;  // completed at once: carry on without suspending
  // Budget spent: yield, and resume here (already complete) after the other tasks.
  op_.done.store(true, std::memory_order_release);
  t->state.fetch_or(RawTask::kNotified, std::memory_order_acq_rel);
  return true;
}

std::uint64_t next_source_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace zokio::detail
