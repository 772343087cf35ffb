#include "metrics/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "metrics/summary.h"
#include "util/base64.h"
#include "util/rng.h"

namespace barrage::metrics {
namespace {

constexpr double kQuantiles[] = {0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999, 100};

// Values spanning 1 us .. 1 h, log-uniform, with runs of small and repeated values.
std::vector<uint64_t> samples(uint64_t seed, size_t n) {
  Rng rng(seed);
  std::vector<uint64_t> out;
  out.reserve(n);
  const double log_max = std::log(static_cast<double>(Histogram::kMaxValue));
  for (size_t i = 0; i < n; ++i) {
    switch (rng.next() % 4) {
      case 0:
        out.push_back(static_cast<uint64_t>(rng.between(0, 300)));
        break;
      case 1:
        out.push_back(static_cast<uint64_t>(rng.between(20'000, 25'000)));  // a latency mode
        break;
      default:
        out.push_back(std::min<uint64_t>(Histogram::kMaxValue,
                                         static_cast<uint64_t>(std::exp(rng.uniform() * log_max))));
    }
  }
  return out;
}

// Same rank rule as Histogram::percentile.
uint64_t exact_percentile(std::vector<uint64_t> sorted, double q) {
  std::sort(sorted.begin(), sorted.end());
  const auto n = static_cast<double>(sorted.size());
  const double r = std::ceil(q / 100.0 * n - 1e-9);
  const size_t rank = r < 1 ? 1 : std::min(sorted.size(), static_cast<size_t>(r));
  return sorted[rank - 1];
}

Histogram from(const std::vector<uint64_t>& values) {
  Histogram h;
  for (uint64_t v : values) h.record(v);
  return h;
}

TEST(HistogramLayout, BucketsAreContiguousWithBoundedWidth) {
  ASSERT_EQ(Histogram::bucket_index(Histogram::kMaxValue), Histogram::bucket_count() - 1);
  EXPECT_EQ(Histogram::bucket_lowest(0), 0u);
  for (size_t i = 0; i + 1 < Histogram::bucket_count(); ++i) {
    const uint64_t lo = Histogram::bucket_lowest(i);
    const uint64_t width = Histogram::bucket_width(i);
    ASSERT_EQ(Histogram::bucket_lowest(i + 1), lo + width) << i;
    ASSERT_EQ(Histogram::bucket_index(lo), i);
    ASSERT_EQ(Histogram::bucket_index(lo + width - 1), i);
    if (lo >= 128) {
      ASSERT_LE(static_cast<double>(width) / static_cast<double>(lo), 1.0 / 128);
    }
  }
}

TEST(Histogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(summarize(h), Summary{});
}

TEST(Histogram, MinMaxMeanSumAreExact) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const auto values = samples(seed, 5000);
    const Histogram h = from(values);
    uint64_t sum = 0;
    for (uint64_t v : values) sum += v;
    EXPECT_EQ(h.count(), values.size());
    EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
    EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
    EXPECT_EQ(h.sum(), sum);
    EXPECT_DOUBLE_EQ(h.mean(), static_cast<double>(sum) / static_cast<double>(values.size()));
  }
}

TEST(Histogram, PercentilesOfMergeMatchSortedSamplesWithinOnePercent) {
  for (uint64_t seed = 10; seed < 20; ++seed) {
    const auto a = samples(seed, 1000 + seed * 137);
    const auto b = samples(seed * 7919, 300 + seed * 11);
    Histogram merged = from(a);
    merged.merge(from(b));
    std::vector<uint64_t> all = a;
    all.insert(all.end(), b.begin(), b.end());
    for (double q : kQuantiles) {
      const uint64_t expected = exact_percentile(all, q);
      const uint64_t got = merged.percentile(q);
      EXPECT_LE(std::abs(static_cast<double>(got) - static_cast<double>(expected)),
                0.01 * static_cast<double>(expected))
          << "seed " << seed << " q " << q << " expected " << expected << " got " << got;
      EXPECT_EQ(Histogram::bucket_index(got), Histogram::bucket_index(expected));
    }
    EXPECT_EQ(merged.percentile(0), merged.min());
    EXPECT_EQ(merged.percentile(100), merged.max());
  }
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  const auto a = samples(41, 2000);
  const auto b = samples(42, 700);
  Histogram ab = from(a);
  ab.merge(from(b));
  Histogram ba = from(b);
  ba.merge(from(a));
  std::vector<uint64_t> all = a;
  all.insert(all.end(), b.begin(), b.end());
  EXPECT_EQ(ab, ba);
  EXPECT_EQ(ab, from(all));

  Histogram empty;
  empty.merge(ab);
  EXPECT_EQ(empty, ab);
  ab.merge(Histogram{});
  EXPECT_EQ(empty, ab);
}

TEST(Histogram, RecordWithCountEqualsRepeatedRecord) {
  Histogram a;
  Histogram b;
  a.record(12'345, 5);
  a.record(7, 0);  // no-op
  for (int i = 0; i < 5; ++i) b.record(12'345);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.count(), 5u);
  EXPECT_EQ(a.min(), 12'345u);
}

TEST(Histogram, PercentileIsMonotonicAndWithinMinMax) {
  const Histogram h = from(samples(5, 3000));
  uint64_t prev = 0;
  for (double q = 0; q <= 100; q += 0.25) {
    const uint64_t p = h.percentile(q);
    EXPECT_GE(p, prev);
    EXPECT_GE(p, h.min());
    EXPECT_LE(p, h.max());
    prev = p;
  }
  EXPECT_EQ(h.percentile(-5), h.min());
  EXPECT_EQ(h.percentile(250), h.max());
  EXPECT_EQ(h.percentile(std::nan("")), h.min());
}

TEST(Histogram, ZeroGoesToLowestBucketAndSmallValuesAreExact) {
  Histogram h;
  h.record(0);
  h.record(1);
  h.record(2);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.percentile(50), 1u);
  EXPECT_EQ(h.percentile(100), 2u);
  EXPECT_EQ(Histogram::bucket_index(0), 0u);
}

TEST(Histogram, ValuesAboveOneHourClampToTheTop) {
  Histogram h;
  h.record(1000);
  h.record(Histogram::kMaxValue);
  h.record(Histogram::kMaxValue + 1);
  h.record(UINT64_MAX, 2);
  EXPECT_EQ(h.clamped(), 3u);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.max(), Histogram::kMaxValue);
  EXPECT_EQ(h.sum(), 1000 + 4 * Histogram::kMaxValue);
  EXPECT_EQ(h.percentile(100), Histogram::kMaxValue);
  EXPECT_EQ(h.percentile(90), Histogram::kMaxValue);  // midpoint clamped to max
  auto back = Histogram::deserialize(h.serialize());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, h);
  EXPECT_EQ(back->clamped(), 3u);
}

TEST(Histogram, ResetForgetsEverything) {
  Histogram h = from(samples(8, 100));
  h.reset();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h, Histogram{});
  EXPECT_EQ(h.serialize(), Histogram{}.serialize());
  h.record(77);
  EXPECT_EQ(h, from({77}));
}

TEST(Histogram, SummaryUsesPercentiles) {
  const Histogram h = from(samples(9, 1000));
  const Summary s = summarize(h);
  EXPECT_EQ(s.count, h.count());
  EXPECT_EQ(s.min, h.min());
  EXPECT_EQ(s.max, h.max());
  EXPECT_EQ(s.mean, h.mean());
  EXPECT_EQ(s.p50, h.percentile(50));
  EXPECT_EQ(s.p95, h.percentile(95));
  EXPECT_EQ(s.p999, h.percentile(99.9));
}

// The bucket window: only buckets around the recorded values are allocated.

std::vector<uint64_t> uniform(uint64_t seed, size_t n, uint64_t lo, uint64_t hi) {
  Rng rng(seed);
  std::vector<uint64_t> out(n);
  for (auto& v : out) {
    v = static_cast<uint64_t>(rng.between(static_cast<int64_t>(lo), static_cast<int64_t>(hi)));
  }
  return out;
}

void expect_percentiles_match(const Histogram& h, const std::vector<uint64_t>& values) {
  for (double q : kQuantiles) {
    EXPECT_EQ(Histogram::bucket_index(h.percentile(q)),
              Histogram::bucket_index(exact_percentile(values, q)))
        << "q " << q;
  }
}

TEST(HistogramWindow, LatenciesBetweenTenAndTwentyMsUseAFewKiB) {
  const Histogram h = from(uniform(1, 10'000, 10'000, 20'000));
  // 10..20 ms is one power of two: 129 buckets of the 3287 (26 KiB) the layout covers.
  EXPECT_GE(h.allocated_buckets(),
            Histogram::bucket_index(20'000) - Histogram::bucket_index(10'000) + 1);
  EXPECT_LE(h.allocated_buckets() * sizeof(uint64_t), 4096u);
  EXPECT_EQ(Histogram{}.allocated_buckets(), 0u);
}

TEST(HistogramWindow, GrowsAtBothEnds) {
  std::vector<uint64_t> values = uniform(2, 500, 15'000, 16'000);
  Histogram h = from(values);
  const size_t before = h.allocated_buckets();
  for (uint64_t v : {uint64_t{900}, uint64_t{3}, uint64_t{0}}) {  // below the window
    h.record(v);
    values.push_back(v);
  }
  EXPECT_GT(h.allocated_buckets(), before);
  const size_t after_low = h.allocated_buckets();
  for (uint64_t v : {uint64_t{2'000'000}, Histogram::kMaxValue + 5}) {  // above it
    h.record(v);
    values.push_back(v);  // bucket_index() clamps too
  }
  EXPECT_GT(h.allocated_buckets(), after_low);
  EXPECT_LE(h.allocated_buckets(), Histogram::bucket_count());
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), Histogram::kMaxValue);
  EXPECT_EQ(h.clamped(), 1u);
  EXPECT_EQ(h.count(), values.size());
  expect_percentiles_match(h, values);
  // Same samples recorded smallest first: another window history, same histogram.
  std::vector<uint64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(from(sorted), h);
  EXPECT_EQ(from(sorted).serialize(), h.serialize());
}

TEST(HistogramWindow, SlowlyWideningValuesReallocateRarely) {
  Histogram h;
  size_t windows = 0;
  size_t last = 0;
  for (double v = 1; v < static_cast<double>(Histogram::kMaxValue); v *= 1.001) {
    h.record(static_cast<uint64_t>(v));
    if (h.allocated_buckets() != last) ++windows;
    last = h.allocated_buckets();
  }
  EXPECT_EQ(h.allocated_buckets(), Histogram::bucket_count());
  EXPECT_LE(windows, 12u);  // every bucket from 1 us to 1 h, ~22,000 values
}

TEST(HistogramWindow, MergeOfDisjointRanges) {
  const auto low = uniform(3, 800, 100, 200);
  const auto high = uniform(4, 300, 1'000'000, 2'000'000);
  std::vector<uint64_t> all = low;
  all.insert(all.end(), high.begin(), high.end());
  Histogram low_high = from(low);
  low_high.merge(from(high));
  Histogram high_low = from(high);
  high_low.merge(from(low));
  EXPECT_EQ(low_high, from(all));
  EXPECT_EQ(high_low, from(all));
  EXPECT_EQ(low_high.serialize(), from(all).serialize());
  expect_percentiles_match(low_high, all);
  expect_percentiles_match(high_low, all);
  // Into an empty histogram: exactly the source's non-zero buckets.
  Histogram copy;
  copy.merge(from(high));
  EXPECT_EQ(copy, from(high));
  EXPECT_EQ(copy.allocated_buckets(),
            Histogram::bucket_index(copy.max()) - Histogram::bucket_index(copy.min()) + 1);
}

TEST(HistogramWindow, ResetKeepsTheWindowAndRecordsInsideItWithoutGrowing) {
  Histogram h = from(uniform(5, 2000, 10'000, 20'000));
  const size_t window = h.allocated_buckets();
  h.reset();
  EXPECT_EQ(h.allocated_buckets(), window);
  EXPECT_EQ(h, Histogram{});
  const auto again = uniform(6, 2000, 10'000, 20'000);
  for (uint64_t v : again) h.record(v);
  EXPECT_EQ(h.allocated_buckets(), window);
  EXPECT_EQ(h, from(again));
  EXPECT_EQ(h.serialize(), from(again).serialize());
  expect_percentiles_match(h, again);
}

TEST(HistogramWindow, SameSamplesInAnyOrderAreEqual) {
  std::vector<uint64_t> values = samples(7, 3000);
  const Histogram forward = from(values);
  std::reverse(values.begin(), values.end());
  const Histogram backward = from(values);
  std::sort(values.begin(), values.end(), std::greater<>());
  const Histogram descending = from(values);
  std::sort(values.begin(), values.end());
  const Histogram ascending = from(values);
  // Built from pieces: windows of other sizes again.
  Histogram pieces;
  for (size_t i = 0; i < values.size(); i += 250) {
    pieces.merge(from(std::vector<uint64_t>(
        values.begin() + static_cast<ptrdiff_t>(i),
        values.begin() + static_cast<ptrdiff_t>(std::min(values.size(), i + 250)))));
  }
  const Histogram* const others[] = {&backward, &descending, &ascending, &pieces};
  for (const Histogram* h : others) {
    EXPECT_EQ(*h, forward);
    EXPECT_EQ(h->serialize(), forward.serialize());
  }
  // Narrow values: windows really differ, equality does not care.
  Histogram up = from({20'000});
  up.record(25'000);
  Histogram down = from({25'000});
  down.record(20'000);
  Histogram wide = from({1, 3'000'000});
  wide.reset();
  wide.record(20'000);
  wide.record(25'000);
  EXPECT_NE(up.allocated_buckets(), wide.allocated_buckets());
  EXPECT_EQ(up, down);
  EXPECT_EQ(up, wide);
  wide.record(25'000);
  EXPECT_NE(up, wide);
}

TEST(HistogramWindow, DeserializeAllocatesExactlyTheNonZeroBuckets) {
  const Histogram h = from(uniform(8, 5000, 12'000, 90'000));
  auto back = Histogram::deserialize(h.serialize());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->allocated_buckets(),
            Histogram::bucket_index(90'000) - Histogram::bucket_index(12'000) + 1);
  EXPECT_LE(back->allocated_buckets(), h.allocated_buckets());
  // Recording past a deserialized window grows it.
  back->record(5);
  back->record(1'000'000);
  Histogram expected = h;
  expected.record(5);
  expected.record(1'000'000);
  EXPECT_EQ(*back, expected);
  EXPECT_EQ(Histogram::deserialize(Histogram{}.serialize())->allocated_buckets(), 0u);
}

TEST(HistogramPartition, SplitsAtTheThresholdByBucketMidpoint) {
  const auto values = samples(9, 4000);
  const Histogram h = from(values);
  for (uint64_t threshold :
       {uint64_t{0}, uint64_t{150}, uint64_t{22'000}, uint64_t{5'000'000}, Histogram::kMaxValue}) {
    Histogram low = from({1, 2, 3});  // partition resets both parts
    Histogram high = from({Histogram::kMaxValue});
    h.partition(threshold, &low, &high);
    uint64_t expected_low = 0;
    for (uint64_t v : values) {
      const size_t i = Histogram::bucket_index(v);
      const uint64_t mid = Histogram::bucket_lowest(i) + (Histogram::bucket_width(i) - 1) / 2;
      if (mid <= threshold) ++expected_low;
    }
    EXPECT_EQ(low.count(), expected_low) << threshold;
    EXPECT_EQ(low.count() + high.count(), h.count());
    if (!low.empty()) {
      EXPECT_EQ(low.min(), h.min());
    }
    if (!high.empty()) {
      EXPECT_EQ(high.max(), h.max());
    }
    if (high.empty()) {
      EXPECT_EQ(low.max(), h.max());
    }
    if (low.empty()) {
      EXPECT_EQ(high.min(), h.min());
    }
    // Parts of a deserialized copy (an exact window) are the same.
    Histogram low2;
    Histogram high2;
    Histogram::deserialize(h.serialize())->partition(threshold, &low2, &high2);
    EXPECT_EQ(low2, low);
    EXPECT_EQ(high2, high);
  }
}

TEST(HistogramWire, SerializeAndBase64RoundTripExactly) {
  std::vector<Histogram> cases = {Histogram{}, from({0}), from({Histogram::kMaxValue}),
                                  from({5, 5, 5}), from(samples(77, 10'000))};
  Histogram reset_one = from({1, 2, 3});
  reset_one.reset();
  cases.push_back(reset_one);
  for (uint64_t seed = 100; seed < 120; ++seed) cases.push_back(from(samples(seed, seed)));
  for (const Histogram& h : cases) {
    const std::string bytes = h.serialize();
    auto back = Histogram::deserialize(bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, h);
    EXPECT_EQ(back->serialize(), bytes);
    auto from_text = Histogram::from_base64(h.to_base64());
    ASSERT_TRUE(from_text);
    EXPECT_EQ(*from_text, h);
  }
}

TEST(HistogramWire, SerializationIsCompact) {
  Histogram h;
  for (int i = 0; i < 100'000; ++i) h.record(20'000 + static_cast<uint64_t>(i % 500));
  EXPECT_LT(h.serialize().size(), 100u);
}

TEST(HistogramWire, DeserializeRejectsEveryTruncation) {
  for (const Histogram& h : {Histogram{}, from({42}), from(samples(3, 500))}) {
    const std::string bytes = h.serialize();
    for (size_t len = 0; len < bytes.size(); ++len) {
      EXPECT_FALSE(Histogram::deserialize(std::string_view(bytes).substr(0, len))) << len;
    }
  }
}

std::string wire(std::initializer_list<unsigned> bytes) {
  std::string s;
  for (unsigned b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(HistogramWire, DeserializeRejectsMalformedInput) {
  // A valid one-sample histogram (value 10): version, count, min, max, sum, clamped,
  // (index 10, count 1).
  ASSERT_TRUE(Histogram::deserialize(wire({1, 1, 10, 10, 10, 0, 10, 1})));
  const std::string bad[] = {
      wire({2, 1, 10, 10, 10, 0, 10, 1}),        // unknown version
      wire({1, 1, 10, 10, 10, 0, 10, 1, 0}),     // trailing byte
      wire({1, 1, 10, 10, 10, 0, 0x8A, 0, 1}),   // overlong varint
      wire({1, 2, 10, 10, 20, 0, 10, 1}),        // bucket counts do not add up
      wire({1, 1, 10, 10, 10, 0, 11, 1}),        // min/max not in the bucket
      wire({1, 1, 10, 10, 11, 0, 10, 1}),        // sum above max * count
      wire({1, 1, 10, 12, 10, 0, 10, 1}),        // one sample, min != max
      wire({1, 2, 10, 10, 20, 0, 10, 1, 0, 1}),  // repeated bucket (delta 0)
      wire({1, 1, 10, 10, 10, 0, 10, 0}),        // zero-count bucket
      wire({1, 1, 10, 10, 10, 1, 10, 1}),        // clamped without max == 1 h
      wire({1, 0, 1, 0, 0, 0}),                  // empty with min set
      wire({1, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}),  // 11 bytes
      wire({1, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}),        // > 64 bits
      wire({1, 1, 10, 10, 10, 0, 0xD8, 0x19, 1}),  // index 3288: past the top bucket
      std::string(),
  };
  for (const std::string& b : bad) EXPECT_FALSE(Histogram::deserialize(b)) << b.size();
}

TEST(HistogramWire, GarbageNeverCrashesAndAcceptedInputRoundTrips) {
  Rng rng(1234);
  const std::string valid = from(samples(4, 50)).serialize();
  for (int i = 0; i < 20'000; ++i) {
    std::string s = valid;
    const int edits = static_cast<int>(rng.between(1, 4));
    for (int e = 0; e < edits; ++e) {
      const auto pos = static_cast<size_t>(rng.between(0, static_cast<int64_t>(s.size()) - 1));
      s[pos] = static_cast<char>(rng.next());
    }
    if (auto h = Histogram::deserialize(s)) {
      EXPECT_EQ(h->serialize(), s);
    }
  }
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, text] : vectors) {
    EXPECT_EQ(base64_encode(plain), text);
    EXPECT_EQ(base64_decode(text), plain);
  }
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Base64, DecodeIsStrict) {
  for (const char* bad :
       {"Zg=", "Zh==", "Zm9=", "Z===", "====", "Zm9v=Zm9", "Zm 9", "Zm9v\n", "Zg==Zg==", "Zm-_"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
  EXPECT_FALSE(Histogram::from_base64("not base64"));
  EXPECT_FALSE(Histogram::from_base64(base64_encode("\x01\x01")));
}

}  // namespace
}  // namespace barrage::metrics
