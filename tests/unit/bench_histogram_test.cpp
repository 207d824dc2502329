// zokio-bench's latency histogram: bucket layout, precision, quantiles, merging.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "zokio-bench/histogram.hpp"

namespace {

using zokio::bench::Histogram;

constexpr double kPrecision = 1.0 / (1u << Histogram::kSubBucketBits);

TEST(BenchHistogram, BucketsTileTheValueRange) {
  // Consecutive buckets: each starts one past the end of the previous one.
  for (std::size_t i = 1; i < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(Histogram::lowest_of(i), Histogram::highest_of(i - 1) + 1) << i;
  }
  EXPECT_EQ(Histogram::highest_of(Histogram::kBucketCount - 1), Histogram::kMaxValue);
  EXPECT_EQ(Histogram::index_of(Histogram::kMaxValue), Histogram::kBucketCount - 1);
}

TEST(BenchHistogram, EveryValueLandsInTheBucketThatHoldsIt) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100'000; ++i) {
    const std::uint64_t v = rng() >> (24 + rng() % 40);  // spread over all magnitudes
    const std::size_t b = Histogram::index_of(v);
    ASSERT_LE(Histogram::lowest_of(b), v);
    ASSERT_GE(Histogram::highest_of(b), v);
    // The bucket is narrow: its width relative to its values is at most the precision.
    const double width = static_cast<double>(Histogram::highest_of(b) - Histogram::lowest_of(b));
    ASSERT_LE(width, kPrecision * static_cast<double>(std::max<std::uint64_t>(v, 1))) << v;
  }
}

TEST(BenchHistogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 0; v < 1024; ++v) h.record(v);
  EXPECT_EQ(h.count(), 1024u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 1023u);
  EXPECT_EQ(h.value_at_quantile(0.5), 511u);
  EXPECT_EQ(h.value_at_quantile(1.0), 1023u);
  EXPECT_EQ(h.value_at_quantile(0.0), 0u);
  EXPECT_DOUBLE_EQ(h.mean(), 511.5);
}

TEST(BenchHistogram, QuantilesMatchSortedValuesWithinPrecision) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(12.0, 1.0);  // around 160 us in ns, long tail
  std::vector<std::uint64_t> values;
  Histogram h;
  for (int i = 0; i < 200'000; ++i) {
    const auto v = static_cast<std::uint64_t>(latency(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    const std::uint64_t exact = values[rank - 1];
    const std::uint64_t reported = h.value_at_quantile(q);
    EXPECT_GE(reported, exact) << q;  // never under-reports
    EXPECT_LE(static_cast<double>(reported), static_cast<double>(exact) * (1 + kPrecision)) << q;
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.value_at_quantile(1.0), values.back());  // capped at the true maximum
}

TEST(BenchHistogram, EmptyHistogramReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.value_at_quantile(0.99), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(BenchHistogram, HugeValuesAreClamped) {
  Histogram h;
  h.record(~std::uint64_t{0});
  EXPECT_EQ(h.max(), Histogram::kMaxValue);
  EXPECT_EQ(h.value_at_quantile(0.5), Histogram::kMaxValue);
}

TEST(BenchHistogram, MergeAddsCountsAndKeepsExtremes) {
  Histogram a, b;
  for (int i = 0; i < 100; ++i) a.record(1'000);
  for (int i = 0; i < 100; ++i) b.record(1'000'000);
  b.record(5);
  a.merge(b);
  EXPECT_EQ(a.count(), 201u);
  EXPECT_EQ(a.min(), 5u);
  EXPECT_EQ(a.max(), 1'000'000u);
  EXPECT_EQ(a.value_at_quantile(0.25), 1'000u);
  EXPECT_GE(a.value_at_quantile(0.9), 1'000'000u);
  EXPECT_LE(a.value_at_quantile(0.9), 1'000'000u);  // capped at max

  Histogram copy = a;
  a.clear();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(copy.count(), 201u);
  EXPECT_EQ(copy.value_at_quantile(0.25), 1'000u);
}

}  // namespace
