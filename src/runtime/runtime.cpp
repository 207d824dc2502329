// Runtime and Runtime::Builder: resolve the settings (including ZOKIO_IO and the io_uring
// probe) and own the scheduler.
#include "zokio/runtime.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "io/driver.hpp"
#include "runtime/scheduler.hpp"

namespace zokio {

std::optional<IoBackend> parse_io_backend(std::string_view name) noexcept {
  if (name == "auto") return IoBackend::kAuto;
  if (name == "uring" || name == "io_uring") return IoBackend::kUring;
  if (name == "epoll") return IoBackend::kEpoll;
  return std::nullopt;
}

const char* to_string(IoBackend backend) noexcept {
  switch (backend) {
    case IoBackend::kAuto:
      return "auto";
    case IoBackend::kUring:
      return "io_uring";
    case IoBackend::kEpoll:
      return "epoll";
  }
  return "unknown";
}

Runtime::Builder& Runtime::Builder::worker_threads(std::size_t n) {
  if (n == 0) throw std::invalid_argument("zokio: worker_threads must be at least 1");
  workers_ = n;
  return *this;
}
Runtime::Builder& Runtime::Builder::work_stealing(bool enabled) {
  stealing_ = enabled;
  return *this;
}
Runtime::Builder& Runtime::Builder::io_backend(IoBackend backend) {
  backend_ = backend;
  return *this;
}
Runtime::Builder& Runtime::Builder::local_queue_capacity(std::size_t n) {
  if (n == 0 || n > (1u << 20)) {
    throw std::invalid_argument("zokio: local_queue_capacity must be between 1 and 1048576");
  }
  queue_capacity_ = n;
  return *this;
}
Runtime::Builder& Runtime::Builder::max_blocking_threads(std::size_t n) {
  if (n == 0) throw std::invalid_argument("zokio: max_blocking_threads must be at least 1");
  max_blocking_ = n;
  return *this;
}
Runtime::Builder& Runtime::Builder::uring_entries(unsigned n) {
  if (n == 0 || n > 32768) throw std::invalid_argument("zokio: uring_entries must be 1..32768");
  uring_entries_ = n;
  return *this;
}
Runtime::Builder& Runtime::Builder::recv_buffers(std::size_t count, std::size_t size) {
  if (count == 0 || count > 32768)
    throw std::invalid_argument("zokio: recv_buffers count must be 1..32768");
  if (size < 64 || size > (1u << 20)) {
    throw std::invalid_argument("zokio: recv_buffers size must be 64 bytes..1 MiB");
  }
  recv_buffers_ = count;
  recv_buffer_size_ = size;
  return *this;
}
Runtime::Builder& Runtime::Builder::spin_before_park(std::chrono::microseconds d) {
  if (d.count() < 0 || d > std::chrono::milliseconds(10)) {
    throw std::invalid_argument("zokio: spin_before_park must be between 0 and 10 ms");
  }
  spin_ = d;
  return *this;
}
Runtime::Builder& Runtime::Builder::current_thread() {
  current_thread_ = true;
  return *this;
}
Runtime Runtime::Builder::build() {
  return Runtime(*this);
}

namespace {
IoBackend resolve_backend(IoBackend requested) {
  if (const char* env = std::getenv("ZOKIO_IO"); env && *env) {
    auto parsed = parse_io_backend(env);
    if (!parsed) {
      throw std::invalid_argument(
          std::string("zokio: ZOKIO_IO must be auto, uring or epoll, not '") + env + "'");
    }
    requested = *parsed;
  }
  if (requested == IoBackend::kEpoll) return IoBackend::kEpoll;
  // Valgrind (3.19) holds its global lock while a thread blocks in io_uring_enter, which stalls
  // every other thread (and signal delivery) for good; its preload library gives it away.
  const char* preload = std::getenv("LD_PRELOAD");
  if (requested == IoBackend::kAuto && preload && std::strstr(preload, "vgpreload")) {
    std::fprintf(stderr,
                 "zokio: running under valgrind, which cannot follow io_uring; using epoll\n");
    return IoBackend::kEpoll;
  }
  if (detail::uring_available()) return IoBackend::kUring;
  if (requested == IoBackend::kUring) {
    throw std::runtime_error("zokio: io_uring was requested but cannot be set up on this system");
  }
  std::fprintf(stderr, "zokio: io_uring is unavailable here; using epoll\n");
  return IoBackend::kEpoll;
}
}  // namespace

Runtime::Runtime() : Runtime(Builder{}) {}

Runtime::Runtime(const Builder& b) {
  detail::SchedulerConfig cfg;
  cfg.workers = b.workers_ ? b.workers_ : std::max(1u, std::thread::hardware_concurrency());
  cfg.stealing = b.stealing_;
  cfg.current_thread = b.current_thread_;
  cfg.backend = resolve_backend(b.backend_);
  cfg.queue_capacity = b.queue_capacity_;
  cfg.max_blocking = b.max_blocking_;
  cfg.uring_entries = b.uring_entries_;
  cfg.recv_buffers = b.recv_buffers_;
  cfg.spin_before_park = b.spin_;
  cfg.recv_buffer_size = b.recv_buffer_size_;
  sched_ = std::make_unique<detail::Scheduler>(cfg);
}

Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;
Runtime::~Runtime() = default;

void Runtime::wait(detail::BlockOnSignal& signal) {
  if (sched_->config().current_thread) {
    sched_->drive_until(signal.done);
    return;
  }
  if (detail::Worker::current()) {
    throw std::logic_error("zokio: block_on called from inside a runtime task");
  }
  std::unique_lock lock(signal.mu);
  signal.cv.wait(lock, [&] { return signal.done.load(std::memory_order_acquire); });
}

void Runtime::shutdown(std::chrono::milliseconds deadline) {
  if (sched_) sched_->shutdown(deadline);
}

RuntimeMetrics Runtime::metrics() const {
  return sched_->metrics();
}
IoBackend Runtime::io_backend() const noexcept {
  return sched_->metrics().io_backend;
}
std::size_t Runtime::worker_count() const noexcept {
  return sched_->workers().size();
}

}  // namespace zokio
