// Driver pieces shared by both backends: completing an operation, and the worker's driver.
#include "io/driver.hpp"

#include <stdexcept>

#include "runtime/worker.hpp"
#include "zokio/detail/raw_task.hpp"

namespace zokio::detail {

void Driver::complete(IoOp& op, int result) noexcept {
  op.result = result;
  op.pending = false;
  counters_.completed.fetch_add(1, std::memory_order_relaxed);
  op.done.store(true, std::memory_order_release);
  if (op.task) task_wake(op.task);
}

Driver& current_driver() {
  Worker* w = Worker::current();
  if (!w) throw std::logic_error("zokio: I/O used outside a runtime worker");
  return w->driver();
}

}  // namespace zokio::detail
