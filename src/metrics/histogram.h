// Latency histogram with bounded relative error, mergeable and serializable.
//
// Hand-written because HdrHistogram (the usual choice) has no Debian package. The
// layout is HDR-style log-linear: values below 256 us get exact 1 us buckets; above
// that, each power of two is split into 128 equal sub-buckets, so a bucket's width is
// at most 1/128 of its lower bound (< 0.8 %) and its midpoint is within 0.4 % of any
// value it holds. 3287 buckets cover 0 .. kMaxValue (1 h in microseconds).
//
// Storage: only a contiguous window of buckets is allocated, grown on demand (with
// slack, so a slowly widening stream reallocates O(log) times). A histogram pays for
// its spread only (10..20 ms: 256 buckets, 2 KiB; 1,000 lognormal samples around
// 20 ms: ~1,000 buckets, 8 KiB) instead of all 3287 (26 KiB), in every kept period
// and timeline entry.
//
// Units: every value is in microseconds. Values above kMaxValue are recorded as
// kMaxValue and counted in clamped(); min/max/sum use the clamped value.
//
// Thread affinity: none; a Histogram is a plain value. Recording is not synchronized:
// each shard owns its own and histograms are combined with merge().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barrage::metrics {

class Histogram {
 public:
  static constexpr uint64_t kMaxValue = 3'600'000'000ULL;  // 1 h in us
  static constexpr int kSubBucketBits = 7;                 // 128 sub-buckets per power of 2

  // Bucket holding `value_us` (clamped to kMaxValue). Exposed for tests and tools.
  static size_t bucket_index(uint64_t value_us) noexcept;
  // Smallest value and width (in us) of bucket `index`; index < bucket_count().
  static uint64_t bucket_lowest(size_t index) noexcept;
  static uint64_t bucket_width(size_t index) noexcept;
  static size_t bucket_count() noexcept;

  Histogram() = default;

  // Records `count` occurrences of `value_us`. O(1); allocation-free when the value's
  // bucket is inside the allocated window (the common case), else the window grows.
  // Empty histograms allocate nothing (cheap to copy); reset() keeps the window.
  // count == 0 is a no-op. sum() wraps after 2^64 us (~584,000 years of latency).
  void record(uint64_t value_us, uint64_t count = 1) noexcept;

  // Bucket-wise addition; min/max/sum/count/clamped combine as if every sample of
  // `other` had been recorded here. Touches only other's min..max buckets and grows
  // this window at most once.
  void merge(const Histogram& other) noexcept;

  uint64_t count() const noexcept { return count_; }
  uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }  // 0 when empty
  uint64_t max() const noexcept { return max_; }                    // 0 when empty
  uint64_t sum() const noexcept { return sum_; }
  uint64_t clamped() const noexcept { return clamped_; }  // samples above kMaxValue
  double mean() const noexcept;                           // sum / count; 0 when empty
  bool empty() const noexcept { return count_ == 0; }

  // Value at percentile q (q in [0, 100], clamped; NaN counts as 0): the sample of rank
  // ceil(q/100 * count) (at least 1), reported as its bucket's midpoint clamped to
  // [min, max]. The first and last ranks report min and max exactly. 0 when empty.
  uint64_t percentile(double q) const noexcept;

  // Splits the samples at `threshold_us`: buckets whose midpoint is above it go to
  // *above, the rest to *at_or_below (both reset first). Samples are re-recorded at
  // their bucket midpoint, so the parts keep the 1% error; the overall min and max
  // stay exact in the part that holds them.
  void partition(uint64_t threshold_us, Histogram* at_or_below, Histogram* above) const;

  // Forgets all samples; keeps the allocated window (zeroed) so recording values inside
  // it stays allocation-free.
  void reset() noexcept;

  // Buckets currently allocated (memory is 8 bytes each); for tests and benchmarks.
  size_t allocated_buckets() const noexcept { return counts_.capacity(); }

  // Compact binary form: version byte (1), then varints count, min, max, sum, clamped,
  // then for each non-zero bucket in increasing order a varint pair (index delta from
  // the previous non-zero bucket, or the index itself for the first; count).
  std::string serialize() const;
  // Accepts exactly what serialize() can produce; any malformed, truncated,
  // inconsistent or out-of-range input yields nullopt. Never throws or crashes.
  static std::optional<Histogram> deserialize(std::string_view bytes);

  // The packed form of the binary snapshot wire format (metrics/snapshot_wire.h),
  // appended to `out`: varints count, min, max, sum, clamped as in serialize() (no
  // version byte: the snapshot's own version covers it), then per non-zero bucket in
  // increasing order one byte, high nibble the index delta (1..15; 0: a varint
  // delta follows; the first bucket's delta is its index), low nibble the count
  // (1..15; 0: a varint count - 16 follows). Latency histograms have mostly small
  // deltas and counts, so about one byte per bucket instead of two.
  void serialize_packed(std::string& out) const;
  // Exactly what serialize_packed() can produce (the checks of deserialize());
  // nullopt otherwise. Never throws or crashes.
  static std::optional<Histogram> deserialize_packed(std::string_view bytes);

  // serialize() wrapped in standard padded base64 (RFC 4648 section 4), and its strict
  // inverse (rejects bad characters, bad padding and non-zero padding bits).
  std::string to_base64() const;
  static std::optional<Histogram> from_base64(std::string_view text);

  // Equal samples: same count/min/max/sum/clamped and bucket counts, whatever windows
  // the two have allocated.
  friend bool operator==(const Histogram& a, const Histogram& b) noexcept;

 private:
  // Grows the window to hold buckets [first, last] (rare path); returns nothing, the
  // caller recomputes its slots.
  void cover(size_t first, size_t last);
  // Reads and checks serialize()'s five header varints into *h (not its buckets).
  static bool read_header(std::string_view& bytes, Histogram* h);
  // record() when the value's bucket is outside the window.
  [[gnu::noinline]] void grow_and_record(uint64_t value_us, uint64_t count) noexcept;

  // counts_[i] is bucket offset_ + i; buckets outside the window are zero. Every
  // non-zero bucket lies in [bucket_index(min_), bucket_index(max_)].
  std::vector<uint64_t> counts_;
  size_t offset_ = 0;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;  // sentinel while empty, so record() needs no branch
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
  uint64_t clamped_ = 0;
};

}  // namespace barrage::metrics
