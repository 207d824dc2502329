// A worker's bounded local run queue: one owner pushes and pops, any other worker may steal
// half of it. Lock-free, after Tokio's queue: `head` packs two 32-bit indices, `real` (the
// next task to pop) and `steal` (the oldest slot a stealer may still be copying from); while
// they differ a steal is in progress and the owner must not overwrite those slots.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "zokio/detail/raw_task.hpp"

namespace zokio::detail {

class LocalQueue {
 public:
  explicit LocalQueue(std::size_t capacity)
      : cap_(static_cast<std::uint32_t>(std::bit_ceil(capacity < 4 ? 4 : capacity))),
        mask_(cap_ - 1),
        buf_(new std::atomic<RawTask*>[cap_]) {
    for (std::uint32_t i = 0; i < cap_; ++i) buf_[i].store(nullptr, std::memory_order_relaxed);
  }

  std::uint32_t capacity() const noexcept { return cap_; }

  std::uint32_t len() const noexcept {
    auto [steal, real] = unpack(head_.load(std::memory_order_acquire));
    (void)steal;
    return tail_.load(std::memory_order_acquire) - real;
  }
  bool empty() const noexcept { return len() == 0; }

  // Owner only. Returns false when full; the caller then moves half the queue elsewhere
  // (take_half_for_overflow) and pushes again.
  bool push(RawTask* t) noexcept {
    auto [steal, real] = unpack(head_.load(std::memory_order_acquire));
    (void)real;
    std::uint32_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - steal >= cap_) return false;
    buf_[tail & mask_].store(t, std::memory_order_relaxed);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Owner only: claims the oldest half of the queue so it can be moved to the injection
  // queue. Returns the number of tasks written to out (0 if a steal is in progress).
  std::uint32_t take_half_for_overflow(RawTask** out) noexcept {
    std::uint64_t head = head_.load(std::memory_order_acquire);
    auto [steal, real] = unpack(head);
    if (steal != real) return 0;
    std::uint32_t tail = tail_.load(std::memory_order_relaxed);
    std::uint32_t n = (tail - real) / 2;
    if (n == 0) return 0;
    if (!head_.compare_exchange_strong(head, pack(real + n, real + n), std::memory_order_release,
                                       std::memory_order_relaxed)) {
      return 0;
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      out[i] = buf_[(real + i) & mask_].load(std::memory_order_relaxed);
    }
    return n;
  }

  // Owner only.
  RawTask* pop() noexcept {
    std::uint64_t head = head_.load(std::memory_order_acquire);
    for (;;) {
      auto [steal, real] = unpack(head);
      std::uint32_t tail = tail_.load(std::memory_order_relaxed);
      if (real == tail) return nullptr;
      std::uint32_t next_real = real + 1;
      std::uint64_t next = steal == real ? pack(next_real, next_real) : pack(steal, next_real);
      if (head_.compare_exchange_weak(head, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return buf_[real & mask_].load(std::memory_order_relaxed);
      }
    }
  }

  // Called by dst's owner: moves half of this queue into dst and returns one of the moved
  // tasks to run right away (null if nothing could be stolen).
  RawTask* steal_into(LocalQueue& dst) noexcept {
    std::uint32_t dst_tail = dst.tail_.load(std::memory_order_relaxed);
    auto [dst_steal, dst_real] = unpack(dst.head_.load(std::memory_order_acquire));
    (void)dst_real;
    if (dst_tail - dst_steal > dst.cap_ / 2) return nullptr;  // dst has plenty to do

    std::uint32_t n = steal_half(dst, dst_tail);
    if (n == 0) return nullptr;
    --n;
    RawTask* ret = dst.buf_[(dst_tail + n) & dst.mask_].load(std::memory_order_relaxed);
    if (n > 0) dst.tail_.store(dst_tail + n, std::memory_order_release);
    return ret;
  }

 private:
  static std::uint64_t pack(std::uint32_t steal, std::uint32_t real) noexcept {
    return (static_cast<std::uint64_t>(steal) << 32) | real;
  }
  struct Parts {
    std::uint32_t steal, real;
  };
  static Parts unpack(std::uint64_t v) noexcept {
    return {static_cast<std::uint32_t>(v >> 32), static_cast<std::uint32_t>(v)};
  }

  std::uint32_t steal_half(LocalQueue& dst, std::uint32_t dst_tail) noexcept {
    std::uint64_t prev = head_.load(std::memory_order_acquire);
    std::uint32_t first, n;
    std::uint64_t next;
    for (;;) {
      auto [steal, real] = unpack(prev);
      if (steal != real) return 0;  // another worker is stealing already
      std::uint32_t tail = tail_.load(std::memory_order_acquire);
      n = tail - real;
      n -= n / 2;
      if (n == 0) return 0;
      first = real;
      next = pack(steal, real + n);
      if (head_.compare_exchange_weak(prev, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        break;
      }
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      RawTask* t = buf_[(first + i) & mask_].load(std::memory_order_relaxed);
      dst.buf_[(dst_tail + i) & dst.mask_].store(t, std::memory_order_relaxed);
    }
    // Release the claimed slots: steal catches up with real (which the owner may have moved).
    prev = next;
    for (;;) {
      auto [steal, real] = unpack(prev);
      (void)steal;
      if (head_.compare_exchange_weak(prev, pack(real, real), std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return n;
      }
    }
  }

  const std::uint32_t cap_;
  const std::uint32_t mask_;
  std::unique_ptr<std::atomic<RawTask*>[]> buf_;
  alignas(64) std::atomic<std::uint64_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
};

}  // namespace zokio::detail
