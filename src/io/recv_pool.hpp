// Pooled receive buffers: a worker's driver receives into these instead of into a buffer the
// caller keeps, so a connection waiting for data holds no buffer at all. With io_uring they
// form a provided-buffer ring (the kernel picks a buffer when data arrives); with epoll the
// driver takes one from a free list when the socket is readable.
//
// The pool is reference counted: the driver holds one reference and every outstanding lease
// (RecvBuffer) another, so a lease may outlive the driver; returning a buffer is then a no-op.
#pragma once

#include <liburing.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace zokio::detail {

class Worker;

class RecvPool {
 public:
  static constexpr int kGroupId = 1;

  // count is rounded up to a power of two (at most 32768), size to a multiple of 64.
  RecvPool(std::size_t count, std::size_t size, Worker* home);
  RecvPool(const RecvPool&) = delete;
  RecvPool& operator=(const RecvPool&) = delete;

  std::size_t buffer_size() const noexcept { return size_; }
  std::size_t buffer_count() const noexcept { return count_; }
  std::byte* buffer(std::uint16_t id) noexcept { return memory_.get() + std::size_t{id} * size_; }
  Worker* home() const noexcept { return home_; }

  // Registers the buffers as an io_uring provided-buffer ring (group kGroupId). Returns -errno.
  int attach(io_uring& ring) noexcept;
  // The driver is closing: stop handing buffers to the kernel.
  void detach() noexcept;

  // Home worker only.
  std::optional<std::uint16_t> take() noexcept;  // epoll: a free buffer, if any
  void give_back(std::uint16_t id) noexcept;     // after a lease ends

  void ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void unref() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Any thread: ends a lease of buffer `id`, handing it back on the home worker.
  void release(std::uint16_t id) noexcept;

 private:
  ~RecvPool();

  std::size_t count_;
  std::size_t size_;
  Worker* home_;
  std::unique_ptr<std::byte[]> memory_;
  std::atomic<int> refs_{1};
  std::atomic<bool> detached_{false};
  // io_uring
  io_uring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  std::size_t br_bytes_ = 0;
  // epoll
  std::vector<std::uint16_t> free_;
};

}  // namespace zokio::detail
