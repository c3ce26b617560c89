// stats_test.cpp — the latency histogram's percentiles.
#include "stats.hpp"

#include <gtest/gtest.h>

using famsync::LatencyHistogram;

namespace {

TEST(LatencyHistogram, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(LatencyHistogram, PercentilesWithinBucketPrecision) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.add(v * 10);  // uniform 10 ns .. 1 ms
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 1000000u);
  auto near = [](uint64_t got, double want) { return got >= want * 0.99 && got <= want * 1.07; };
  EXPECT_TRUE(near(h.percentile(0.50), 500000)) << h.percentile(0.50);
  EXPECT_TRUE(near(h.percentile(0.90), 900000)) << h.percentile(0.90);
  EXPECT_TRUE(near(h.percentile(0.99), 990000)) << h.percentile(0.99);
  EXPECT_EQ(h.percentile(1.0), 1000000u);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v : {3, 3, 3, 9}) h.add(v);
  EXPECT_EQ(h.percentile(0.5), 3u);
  EXPECT_EQ(h.percentile(1.0), 9u);
}

TEST(LatencyHistogram, MergeAddsCounts) {
  LatencyHistogram a, b;
  a.add(100);
  b.add(1000);
  b.add(2000);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.max(), 2000u);
}

}  // namespace
