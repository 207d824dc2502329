// An HDR-style latency histogram: log-linear buckets, so every recorded value is kept to within
// a fixed relative precision (1/1024, better than 0.1%) however large it is, in a fixed array
// that never allocates while recording. One per worker; merged once at the end of a run.
//
//   Histogram h;
//   h.record(latency_ns);
//   std::uint64_t p99 = h.value_at_quantile(0.99);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace zokio::bench {

class Histogram {
 public:
  // Values below 2^kSubBucketBits are exact; above, each power of two is split into
  // 2^kSubBucketBits equal buckets.
  static constexpr unsigned kSubBucketBits = 10;
  // Larger values are recorded as kMaxValue (2^40 ns is over 18 minutes).
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << 40) - 1;
  static constexpr std::size_t kBucketCount = (40 - kSubBucketBits + 1)
                                              << kSubBucketBits;  // index_of(kMaxValue) + 1

  Histogram();
  Histogram(const Histogram& other);
  Histogram& operator=(const Histogram& other);
  Histogram(Histogram&&) noexcept = default;
  Histogram& operator=(Histogram&&) noexcept = default;

  void record(std::uint64_t value) noexcept {
    if (value > kMaxValue) value = kMaxValue;
    ++counts_[index_of(value)];
    ++count_;
    sum_ += value;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  void merge(const Histogram& other) noexcept;
  void clear() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept;
  // The smallest bucket upper bound below or at which a fraction q (0..1) of the values lie,
  // capped at max(): never below the true quantile, at most 1/1024 above it. 0 when empty.
  std::uint64_t value_at_quantile(double q) const noexcept;

  // The bucket holding `value` (<= kMaxValue) and the range of values a bucket holds.
  static std::size_t index_of(std::uint64_t value) noexcept {
    constexpr std::uint64_t kSub = std::uint64_t{1} << kSubBucketBits;
    if (value < kSub) return static_cast<std::size_t>(value);
    const unsigned exponent = 63u - static_cast<unsigned>(__builtin_clzll(value));
    const unsigned shift = exponent - kSubBucketBits;
    // The top kSubBucketBits + 1 bits of value, leading one included, pick the sub-bucket.
    return (static_cast<std::size_t>(shift + 1) << kSubBucketBits) +
           static_cast<std::size_t>((value >> shift) - kSub);
  }
  static std::uint64_t lowest_of(std::size_t index) noexcept;
  static std::uint64_t highest_of(std::size_t index) noexcept;

 private:
  std::unique_ptr<std::uint64_t[]> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
};

}  // namespace zokio::bench
