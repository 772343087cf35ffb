#include "metrics/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "util/base64.h"

namespace barrage::metrics {
namespace {

constexpr uint64_t kLinearLimit = uint64_t{2} << Histogram::kSubBucketBits;  // 256
constexpr uint8_t kFormatVersion = 1;

// Buckets [0, 256) have width 1. Above, shift = floor(log2(v)) - 7 and the bucket is
// (shift << 7) + (v >> shift), where v >> shift lies in [128, 256): consecutive and
// gap-free across powers of two.
constexpr size_t index_of(uint64_t v) noexcept {
  const auto shift = static_cast<unsigned>(std::bit_width(v | (kLinearLimit - 1))) -
                     static_cast<unsigned>(Histogram::kSubBucketBits + 1);
  return (static_cast<size_t>(shift) << Histogram::kSubBucketBits) + (v >> shift);
}

constexpr size_t kBucketCount = index_of(Histogram::kMaxValue) + 1;
static_assert(kBucketCount == 3287);

constexpr unsigned shift_of(size_t index) noexcept {
  const size_t group = index >> Histogram::kSubBucketBits;
  return group == 0 ? 0 : static_cast<unsigned>(group - 1);
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads a minimal-length LEB128 varint (the only form serialize() writes), so that a
// successful deserialize() re-serializes to the same bytes. One-byte values (most
// bucket deltas and counts) take the inline path: the coordinator decodes ~25,000
// of them per worker and period.
[[gnu::noinline]] bool get_varint_long(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int i = 0; i < 10; ++i) {
    if (in.empty()) return false;
    const auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    if (i == 9 && byte > 1) return false;  // would overflow 64 bits
    v |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) return byte != 0 || i == 0;  // reject overlong encodings
  }
  return false;
}

inline bool get_varint(std::string_view& in, uint64_t& v) {
  if (!in.empty() && static_cast<uint8_t>(in.front()) < 0x80) {
    v = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    return true;
  }
  return get_varint_long(in, v);
}

}  // namespace

size_t Histogram::bucket_index(uint64_t value_us) noexcept {
  return index_of(std::min(value_us, kMaxValue));
}

uint64_t Histogram::bucket_lowest(size_t index) noexcept {
  const unsigned shift = shift_of(index);
  return static_cast<uint64_t>(index - (static_cast<size_t>(shift) << kSubBucketBits)) << shift;
}

uint64_t Histogram::bucket_width(size_t index) noexcept { return uint64_t{1} << shift_of(index); }

size_t Histogram::bucket_count() noexcept { return kBucketCount; }

// Rare path of record() and merge(). A window first allocated by record() is the
// 128-bucket group (one power of two, 1 KiB) around the value; a growing window gains
// at least half its size, on the side that grew (values widen slowly, mostly upward), so
// a stream widening over the whole 1 us .. 1 h range reallocates about 10 times.
void Histogram::cover(size_t first, size_t last) {
  constexpr size_t kGrain = size_t{1} << kSubBucketBits;
  size_t lo = first;
  size_t hi = last + 1;
  if (counts_.empty()) {
    if (first == last) {  // one bucket (record()): its whole group
      lo = first & ~(kGrain - 1);
      hi = std::min(kBucketCount, lo + kGrain);
    }
  } else {
    const size_t old_lo = offset_;
    const size_t old_hi = offset_ + counts_.size();
    if (first >= old_lo && hi <= old_hi) return;
    lo = std::min(lo, old_lo);
    hi = std::max(hi, old_hi);
    const size_t want =
        std::min(kBucketCount, std::max(kGrain, counts_.size() + counts_.size() / 2));
    if (hi - lo < want) {
      const size_t extra = want - (hi - lo);
      if (lo < old_lo) {  // grew down: slack below, the rest above if it hits bucket 0
        const size_t down = std::min(lo, extra);
        lo -= down;
        hi += extra - down;
      } else {
        const size_t up = std::min(kBucketCount - hi, extra);
        hi += up;
        lo -= extra - up;
      }
    }
  }
  std::vector<uint64_t> grown(hi - lo, 0);
  if (!counts_.empty()) {
    std::copy(counts_.begin(), counts_.end(), grown.begin() + static_cast<ptrdiff_t>(offset_ - lo));
  }
  counts_ = std::move(grown);
  offset_ = lo;
}

void Histogram::grow_and_record(uint64_t value_us, uint64_t count) noexcept {
  const size_t index = bucket_index(value_us);
  cover(index, index);
  record(value_us, count);
}

void Histogram::record(uint64_t value_us, uint64_t count) noexcept {
  if (count == 0) return;
  const uint64_t over = value_us > kMaxValue ? 1 : 0;
  const uint64_t v = std::min(value_us, kMaxValue);
  const size_t index = index_of(v);
  // One unsigned compare checks both ends (below offset_ wraps to a huge slot). The
  // rare path is a tail call, so the common one needs no stack frame.
  if (index - offset_ >= counts_.size()) [[unlikely]] {
    grow_and_record(value_us, count);
    return;
  }
  counts_[index - offset_] += count;
  count_ += count;
  sum_ += v * count;
  clamped_ += over * count;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void Histogram::merge(const Histogram& other) noexcept {
  if (other.count_ == 0) return;
  // Only buckets between other's min and max can be non-zero: merging a
  // latency histogram touches a few hundred buckets (the coordinator merges
  // thousands per period; bench/merge).
  const size_t first = index_of(other.min_);
  const size_t last = index_of(other.max_);
  cover(first, last);
  uint64_t* to = counts_.data() + (first - offset_);
  const uint64_t* from = other.counts_.data() + (first - other.offset_);
  for (size_t i = 0; i <= last - first; ++i) to[i] += from[i];
  count_ += other.count_;
  sum_ += other.sum_;
  clamped_ += other.clamped_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double Histogram::mean() const noexcept {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

uint64_t Histogram::percentile(double q) const noexcept {
  if (count_ == 0) return 0;
  const double clamped_q = q > 0 ? std::min(q, 100.0) : 0.0;  // NaN -> 0
  // The epsilon keeps exact ranks (q = 99.9 of 1000 samples) from rounding up.
  const double r = std::ceil(clamped_q / 100.0 * static_cast<double>(count_) - 1e-9);
  uint64_t rank = count_;
  if (r < static_cast<double>(count_)) rank = r < 1 ? 1 : static_cast<uint64_t>(r);
  if (rank == 1) return min_;
  if (rank == count_) return max_;
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const size_t index = offset_ + i;
      const uint64_t mid = bucket_lowest(index) + bucket_width(index) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;  // unreachable while bucket counts sum to count_
}

void Histogram::partition(uint64_t threshold_us, Histogram* at_or_below, Histogram* above) const {
  at_or_below->reset();
  above->reset();
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const size_t index = offset_ + i;
    const uint64_t mid = bucket_lowest(index) + (bucket_width(index) - 1) / 2;
    Histogram* part = mid > threshold_us ? above : at_or_below;
    part->record(std::clamp(mid, min_, max_), counts_[i]);
  }
  // Exact extremes where known: the smallest sample is in the low part unless it is empty.
  if (!at_or_below->empty()) at_or_below->min_ = min_;
  if (!above->empty()) above->max_ = max_;
  if (above->empty() && !at_or_below->empty()) at_or_below->max_ = max_;
  if (at_or_below->empty() && !above->empty()) above->min_ = min_;
}

void Histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
  clamped_ = 0;
}

std::string Histogram::serialize() const {
  std::string out;
  out.push_back(static_cast<char>(kFormatVersion));
  put_varint(out, count_);
  put_varint(out, min());
  put_varint(out, max_);
  put_varint(out, sum_);
  put_varint(out, clamped_);
  size_t prev = 0;
  bool first = true;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const size_t index = offset_ + i;
    put_varint(out, first ? index : index - prev);
    put_varint(out, counts_[i]);
    prev = index;
    first = false;
  }
  return out;
}

bool Histogram::read_header(std::string_view& bytes, Histogram* out) {
  Histogram& h = *out;
  uint64_t min_v = 0;
  if (!get_varint(bytes, h.count_) || !get_varint(bytes, min_v) || !get_varint(bytes, h.max_) ||
      !get_varint(bytes, h.sum_) || !get_varint(bytes, h.clamped_)) {
    return false;
  }
  if (h.count_ == 0) {
    return min_v == 0 && h.max_ == 0 && h.sum_ == 0 && h.clamped_ == 0 && bytes.empty();
  }
  h.min_ = min_v;
  if (h.min_ > h.max_ || h.max_ > kMaxValue || h.clamped_ > h.count_) return false;
  if (h.count_ == 1 && h.min_ != h.max_) return false;
  if (h.clamped_ > 0 && h.max_ != kMaxValue) return false;
  if (h.clamped_ == h.count_ && h.min_ != kMaxValue) return false;
  // min * count <= sum <= max * count, without overflow.
  if (h.sum_ / h.count_ < h.min_) return false;
  if (h.sum_ / h.count_ + (h.sum_ % h.count_ != 0 ? 1 : 0) > h.max_) return false;
  return true;
}

std::optional<Histogram> Histogram::deserialize(std::string_view bytes) {
  if (bytes.empty() || static_cast<uint8_t>(bytes.front()) != kFormatVersion) return std::nullopt;
  bytes.remove_prefix(1);
  Histogram h;
  if (!read_header(bytes, &h)) return std::nullopt;
  if (h.count_ == 0) return h;

  // The consistency checks above put the non-zero buckets in exactly
  // [index_of(min), index_of(max)], which is all that gets allocated; one pass fills
  // and checks them (the first must be index_of(min), the last index_of(max)).
  const size_t first = index_of(h.min_);
  const size_t last = index_of(h.max_);
  h.offset_ = first;
  h.counts_.assign(last - first + 1, 0);
  uint64_t total = 0;
  uint64_t last_n = 0;
  size_t index = 0;
  bool is_first = true;
  while (!bytes.empty()) {
    uint64_t delta = 0;
    uint64_t n = 0;
    if (!get_varint(bytes, delta) || !get_varint(bytes, n)) return std::nullopt;
    if (n == 0 || (!is_first && delta == 0) || delta > last - index) return std::nullopt;
    index += static_cast<size_t>(delta);
    if (is_first && index != first) return std::nullopt;
    is_first = false;
    if (n > UINT64_MAX - total) return std::nullopt;
    total += n;
    last_n = n;
    h.counts_[index - first] = n;
  }
  if (is_first || total != h.count_ || index != last) return std::nullopt;
  if (h.clamped_ > last_n) return std::nullopt;
  return h;
}

void Histogram::serialize_packed(std::string& out) const {
  put_varint(out, count_);
  put_varint(out, min());
  put_varint(out, max_);
  put_varint(out, sum_);
  put_varint(out, clamped_);
  size_t prev = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    const uint64_t n = counts_[i];
    if (n == 0) continue;
    const size_t index = offset_ + i;
    const size_t delta = index - prev;  // the first: the index itself (prev = 0)
    const auto high = static_cast<uint8_t>(delta >= 1 && delta <= 15 ? delta << 4 : 0);
    const auto low = static_cast<uint8_t>(n <= 15 ? n : 0);
    out.push_back(static_cast<char>(high | low));
    if (high == 0) put_varint(out, delta);
    if (low == 0) put_varint(out, n - 16);
    prev = index;
  }
}

std::optional<Histogram> Histogram::deserialize_packed(std::string_view bytes) {
  Histogram h;
  if (!read_header(bytes, &h)) return std::nullopt;
  if (h.count_ == 0) return h;
  const size_t first = index_of(h.min_);
  const size_t last = index_of(h.max_);
  h.offset_ = first;
  h.counts_.assign(last - first + 1, 0);
  uint64_t* const counts = h.counts_.data();
  uint64_t total = 0;
  uint64_t n = 0;
  size_t index = 0;
  bool is_first = true;
  // Local pointers (not the string_view the varint reader advances) keep the common
  // one-byte path in registers; escapes go through get_varint.
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while (p != end) {
    const auto byte = static_cast<uint8_t>(*p++);
    uint64_t delta = byte >> 4;
    n = byte & 0x0F;
    if (delta == 0 || n == 0) {
      std::string_view rest(p, static_cast<size_t>(end - p));
      // A varint delta is written only when the nibble cannot hold it: the first
      // bucket's index may be anything but 1..15, later deltas are > 15.
      if (delta == 0 && (!get_varint(rest, delta) || (!is_first && delta <= 15) ||
                         (is_first && delta >= 1 && delta <= 15))) {
        return std::nullopt;
      }
      if (n == 0) {
        if (!get_varint(rest, n) || n > UINT64_MAX - 16) return std::nullopt;
        n += 16;
      }
      p = rest.data();
    }
    if (delta > last - index) return std::nullopt;
    index += static_cast<size_t>(delta);
    if (is_first && index != first) return std::nullopt;
    is_first = false;
    if (n > UINT64_MAX - total) return std::nullopt;
    total += n;
    counts[index - first] = n;
  }
  if (is_first || total != h.count_ || index != last) return std::nullopt;
  if (h.clamped_ > n) return std::nullopt;
  return h;
}

std::string Histogram::to_base64() const { return base64_encode(serialize()); }

std::optional<Histogram> Histogram::from_base64(std::string_view text) {
  auto bytes = base64_decode(text);
  if (!bytes) return std::nullopt;
  return deserialize(*bytes);
}

bool operator==(const Histogram& a, const Histogram& b) noexcept {
  if (a.count_ != b.count_ || a.min() != b.min() || a.max_ != b.max_ || a.sum_ != b.sum_ ||
      a.clamped_ != b.clamped_) {
    return false;
  }
  // Bucket counts sum to count_, so with count_ == 0 both are all zero. Otherwise the
  // non-zero buckets of both lie in [index_of(min), index_of(max)], inside both windows.
  if (a.count_ == 0) return true;
  const size_t first = index_of(a.min_);
  const size_t n = index_of(a.max_) - first + 1;
  return std::equal(a.counts_.data() + (first - a.offset_),
                    a.counts_.data() + (first - a.offset_) + n,
                    b.counts_.data() + (first - b.offset_));
}

}  // namespace barrage::metrics
