// Histogram (see histogram.hpp): merging, bucket bounds and quantiles.
#include "histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace zokio::bench {

Histogram::Histogram() : counts_(new std::uint64_t[kBucketCount]()) {}

Histogram::Histogram(const Histogram& other) : Histogram() {
  *this = other;
}

Histogram& Histogram::operator=(const Histogram& other) {
  if (this == &other) return *this;
  if (!counts_) counts_.reset(new std::uint64_t[kBucketCount]());
  std::memcpy(counts_.get(), other.counts_.get(), kBucketCount * sizeof(std::uint64_t));
  count_ = other.count_;
  sum_ = other.sum_;
  min_ = other.min_;
  max_ = other.max_;
  return *this;
}

void Histogram::merge(const Histogram& other) noexcept {
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::clear() noexcept {
  std::fill_n(counts_.get(), kBucketCount, 0);
  count_ = 0;
  sum_ = 0;
  min_ = ~std::uint64_t{0};
  max_ = 0;
}

double Histogram::mean() const noexcept {
  return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0;
}

std::uint64_t Histogram::lowest_of(std::size_t index) noexcept {
  constexpr std::size_t kSub = std::size_t{1} << kSubBucketBits;
  if (index < kSub) return index;
  const std::size_t group = index >> kSubBucketBits;  // >= 1: values in [2^(group+9), 2^(group+10))
  const std::uint64_t mantissa = kSub + (index & (kSub - 1));
  return mantissa << (group - 1);
}

std::uint64_t Histogram::highest_of(std::size_t index) noexcept {
  constexpr std::size_t kSub = std::size_t{1} << kSubBucketBits;
  if (index < kSub) return index;
  const std::size_t group = index >> kSubBucketBits;
  return lowest_of(index) + (std::uint64_t{1} << (group - 1)) - 1;
}

std::uint64_t Histogram::value_at_quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the wanted value, 1-based: at least one, so q = 0 gives the minimum.
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_of(i), max_);
  }
  return max_;
}

}  // namespace zokio::bench
