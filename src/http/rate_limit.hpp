// A warning an operator should see, told at most once per interval however often the
// condition recurs (a full disk, descriptors exhausted, a connection limit reached).
#pragma once

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>

namespace zokio::http::detail {

// True at most once per `interval` (any thread): the first caller after it elapsed wins.
class RateLimit {
 public:
  explicit RateLimit(std::chrono::seconds interval) noexcept : interval_(interval) {}
  bool due() noexcept {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    std::int64_t last = last_ns_.load(std::memory_order_relaxed);
    if (last != INT64_MIN && now - last < interval_.count()) return false;
    return last_ns_.compare_exchange_strong(last, now, std::memory_order_relaxed);
  }

 private:
  std::chrono::nanoseconds interval_;
  std::atomic<std::int64_t> last_ns_{INT64_MIN};
};

}  // namespace zokio::http::detail
