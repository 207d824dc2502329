// Pooled receive buffers (see recv_pool.hpp).
#include "io/recv_pool.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cerrno>

#include "runtime/worker.hpp"

namespace zokio::detail {

RecvPool::RecvPool(std::size_t count, std::size_t size, Worker* home)
    : count_(std::bit_ceil(std::clamp<std::size_t>(count, 1, 32768))),
      size_((std::max<std::size_t>(size, 64) + 63) / 64 * 64),
      home_(home),
      memory_(new std::byte[count_ * size_]) {
  free_.reserve(count_);
  for (std::size_t i = count_; i-- > 0;) free_.push_back(static_cast<std::uint16_t>(i));
}

RecvPool::~RecvPool() {
  if (br_) ::munmap(br_, br_bytes_);
}

int RecvPool::attach(io_uring& ring) noexcept {
  br_bytes_ = count_ * sizeof(io_uring_buf);
  void* mem =
      ::mmap(nullptr, br_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return -errno;
  br_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(br_);
  reg.ring_entries = static_cast<std::uint32_t>(count_);
  reg.bgid = kGroupId;
  int r = io_uring_register_buf_ring(&ring, &reg, 0);
  if (r < 0) {
    ::munmap(br_, br_bytes_);
    br_ = nullptr;
    return r;
  }
  ring_ = &ring;
  const int mask = io_uring_buf_ring_mask(static_cast<std::uint32_t>(count_));
  for (std::size_t i = 0; i < count_; ++i) {
    io_uring_buf_ring_add(br_, buffer(static_cast<std::uint16_t>(i)), static_cast<unsigned>(size_),
                          static_cast<unsigned short>(i), mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(br_, static_cast<int>(count_));
  free_.clear();  // the kernel owns them now
  return 0;
}

void RecvPool::detach() noexcept {
  detached_.store(true, std::memory_order_release);
  if (ring_) io_uring_unregister_buf_ring(ring_, kGroupId);
  ring_ = nullptr;
}

std::optional<std::uint16_t> RecvPool::take() noexcept {
  if (free_.empty()) return std::nullopt;
  std::uint16_t id = free_.back();
  free_.pop_back();
  return id;
}

void RecvPool::give_back(std::uint16_t id) noexcept {
  if (detached_.load(std::memory_order_acquire)) return;
  if (br_) {
    io_uring_buf_ring_add(br_, buffer(id), static_cast<unsigned>(size_), id,
                          io_uring_buf_ring_mask(static_cast<std::uint32_t>(count_)), 0);
    io_uring_buf_ring_advance(br_, 1);
  } else {
    free_.push_back(id);
  }
}

void RecvPool::release(std::uint16_t id) noexcept {
  if (Worker::current() == home_ || detached_.load(std::memory_order_acquire)) {
    give_back(id);
    unref();
    return;
  }
  // A lease that moved to another thread: the ring and free list belong to the home worker.
  // The reference travels with the posted function: if the worker closes before running
  // it, dropping the function still releases the pool.
  std::shared_ptr<RecvPool> keep(this, [](RecvPool* p) { p->unref(); });
  try {
    home_->post([keep, id] { keep->give_back(id); });
  } catch (...) {
    // Out of memory: the buffer stays out of circulation; the pool works on with fewer.
  }
}

}  // namespace zokio::detail
