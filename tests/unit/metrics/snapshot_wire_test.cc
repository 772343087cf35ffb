// The binary snapshot wire format: exact round trips of random snapshots (with and
// without zlib), and a clear error, never a crash, for every truncation, a newer
// version, and absurd counts, lengths and varints.
#include "metrics/snapshot_wire.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace barrage::metrics {
namespace {

// Names with shared prefixes (as Artillery's are), some names both a counter and a
// histogram, bytes that are not UTF-8, empty names, extreme values.
Snapshot random_snapshot(std::mt19937_64& rng) {
  Snapshot s;
  const auto pick = [&](uint64_t n) { return rng() % n; };
  s.period_start_ms = static_cast<int64_t>(rng()) >> pick(64);
  s.period_end_ms = pick(4) == 0 ? static_cast<int64_t>(rng()) : s.period_start_ms + 10'000;
  const int names = static_cast<int>(pick(40));
  for (int i = 0; i < names; ++i) {
    std::string name;
    switch (pick(4)) {
      case 0:
        name = "plugins.metrics-by-endpoint./api/" + std::to_string(pick(30)) + ".codes.200";
        break;
      case 1:
        name = "http.codes." + std::to_string(100 + pick(500));
        break;
      case 2:
        for (uint64_t k = pick(6); k > 0; --k) name.push_back(static_cast<char>(rng()));
        break;
      default:
        name = "errors.E" + std::string(pick(300), 'X');
    }
    if (pick(2) == 0) {
      const uint64_t v = pick(3) == 0 ? rng() : pick(1000);
      s.counters[name] = v;
    }
    if (pick(2) == 0) {
      auto& h = s.histogram(name);
      for (uint64_t k = pick(500); k > 0; --k) {
        const uint64_t v = pick(10) == 0 ? Histogram::kMaxValue + pick(1000) : rng() >> pick(64);
        h.record(v, 1 + pick(3));
      }
    }
  }
  return s;
}

TEST(SnapshotWire, RandomSnapshotsRoundTripExactly) {
  std::mt19937_64 rng(19);
  for (int i = 0; i < 300; ++i) {
    const Snapshot s = random_snapshot(rng);
    for (const auto c : {WireCompression::kNone, WireCompression::kZlib}) {
      const std::string bytes = encode_snapshot_wire(s, c);
      auto back = decode_snapshot_wire(bytes);
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(*back, s);
      // Bucket for bucket, not only the summary figures operator== compares first.
      for (const auto& [name, h] : s.histograms) {
        const Histogram* b = back->find_histogram(name);
        ASSERT_NE(b, nullptr);
        EXPECT_EQ(b->serialize(), h.serialize());
      }
      EXPECT_EQ(encode_snapshot_wire(*back, c), bytes);
    }
  }
}

TEST(SnapshotWire, EmptySnapshotAndNegativePeriods) {
  Snapshot s;
  auto back = decode_snapshot_wire(encode_snapshot_wire(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
  s.period_start_ms = INT64_MIN;
  s.period_end_ms = INT64_MAX;
  s.histogram("empty");  // an empty histogram is kept as such
  back = decode_snapshot_wire(encode_snapshot_wire(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->histograms.count("empty"), 1U);
}

Snapshot sample() {
  Snapshot s;
  s.period_start_ms = 1'700'000'000'000;
  s.period_end_ms = 1'700'000'010'000;
  s.add("http.requests", 300);
  s.add("http.codes.200", 299);
  s.add("errors.ETIMEDOUT");
  for (uint64_t v = 1; v <= 300; ++v) s.histogram("http.response_time").record(v * 997);
  s.histogram("http.codes.200").record(5);  // a name both a counter and a histogram
  return s;
}

TEST(SnapshotWire, EveryTruncationIsAnErrorNotACrash) {
  for (const auto c : {WireCompression::kNone, WireCompression::kZlib}) {
    const std::string bytes = encode_snapshot_wire(sample(), c);
    for (size_t n = 0; n < bytes.size(); ++n) {
      const auto r = decode_snapshot_wire(std::string_view(bytes).substr(0, n));
      ASSERT_FALSE(r) << "accepted " << n << " of " << bytes.size() << " bytes";
      EXPECT_EQ(r.error().message.rfind("snapshot wire: ", 0), 0U) << r.error().message;
      EXPECT_EQ(r.error().code, "snapshot_wire");
    }
    // And trailing bytes are refused too.
    EXPECT_FALSE(decode_snapshot_wire(bytes + std::string(1, '\0')));
  }
}

TEST(SnapshotWire, NewerVersionNamesBothVersions) {
  std::string bytes = encode_snapshot_wire(sample());
  bytes[3] = static_cast<char>(kSnapshotWireVersion + 1);
  const auto r = decode_snapshot_wire(bytes);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "snapshot_wire_version");
  EXPECT_EQ(r.error().message,
            "snapshot wire: version 2 is newer than this build, which reads version 1 (upgrade "
            "the coordinator to the workers' barrage)");
  bytes[3] = 0;
  EXPECT_EQ(decode_snapshot_wire(bytes).error().message,
            "snapshot wire: version 0 is not read by this build, which reads version 1");
}

TEST(SnapshotWire, BadMagicAndFlags) {
  EXPECT_EQ(decode_snapshot_wire("").error().message,
            "snapshot wire: not a snapshot (bad magic bytes)");
  EXPECT_EQ(decode_snapshot_wire(R"({"v":1})").error().message,
            "snapshot wire: not a snapshot (bad magic bytes)");
  std::string bytes = encode_snapshot_wire(sample());
  bytes[4] = 0x02;
  EXPECT_EQ(decode_snapshot_wire(bytes).error().message, "snapshot wire: unknown flags 0x02");
}

// A header and then a hand-made payload.
std::string with_payload(const std::string& payload, bool zlib = false) {
  return std::string("bSW\x01", 4) + std::string(1, zlib ? '\x01' : '\x00') + payload;
}

std::string error_of(const std::string& bytes) {
  const auto r = decode_snapshot_wire(bytes);
  return r ? std::string("accepted") : r.error().message;
}

TEST(SnapshotWire, AbsurdCountsLengthsAndVarintsAreRefused) {
  // Period: zigzag 0, span 0; then the name count.
  const std::string period("\x00\x00", 2);
  // A varint of 11 bytes, and one whose 10th byte overflows 64 bits.
  EXPECT_NE(error_of(with_payload(std::string(11, '\xff'))).find("bad varint in the period"),
            std::string::npos);
  EXPECT_NE(error_of(with_payload(std::string(9, '\xff') + "\x02")).find("bad varint"),
            std::string::npos);
  // Overlong varint (0x80 0x00 for 0).
  EXPECT_NE(error_of(with_payload(std::string("\x80\x00", 2) + std::string("\x00", 1)))
                .find("bad varint"),
            std::string::npos);
  // 2^63 names in a few bytes.
  EXPECT_EQ(
      error_of(with_payload(period + std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"))),
      "snapshot wire: 9223372036854775808 names cannot fit in the 0 bytes left (byte 17)");
  // A name whose suffix length passes the end.
  EXPECT_EQ(error_of(with_payload(period + std::string("\x01\x00\xff\xff\x03"
                                                       "abc",
                                                       8))),
            "snapshot wire: name 0 truncated or malformed at byte 8");
  // A name sharing more bytes than the previous name has.
  EXPECT_EQ(error_of(with_payload(period + std::string("\x02\x00\x01"
                                                       "a"
                                                       "\x05\x01"
                                                       "b",
                                                       7))),
            "snapshot wire: name 1 shares 5 bytes with a previous name of 1 (byte 11)");
  // Names out of order, or repeated.
  EXPECT_EQ(error_of(with_payload(period + std::string("\x02\x00\x01"
                                                       "b"
                                                       "\x00\x01"
                                                       "a",
                                                       7))),
            "snapshot wire: name 1 is not after the one before it (byte 11)");
  EXPECT_EQ(error_of(with_payload(period + std::string("\x02\x00\x01"
                                                       "a"
                                                       "\x01\x00",
                                                       6))),
            "snapshot wire: name 1 is not after the one before it (byte 11)");
  // More counters than names; a counter index beyond the names.
  const std::string one_name = period + std::string(
                                            "\x01\x00\x01"
                                            "a",
                                            4);
  EXPECT_EQ(error_of(with_payload(one_name + "\x02")),
            "snapshot wire: 2 counters for 1 names (byte 12)");
  EXPECT_EQ(error_of(with_payload(one_name + std::string("\x01\x05\x07", 3))),
            "snapshot wire: counter 0 names index 5 of 1 names (byte 12)");
  // Two counters on one name (indices must increase).
  EXPECT_EQ(error_of(with_payload(period +
                                  std::string("\x02\x00\x01"
                                              "a"
                                              "\x00\x01"
                                              "b",
                                              7) +
                                  std::string("\x02\x01\x07\x00\x07", 5))),
            "snapshot wire: counter 1 names index 2 of 2 names (byte 17)");
  // A histogram whose length passes the end, and one whose bytes are not a histogram.
  EXPECT_EQ(error_of(with_payload(one_name + std::string("\x00\x01\x00\x7f\x01", 5))),
            "snapshot wire: histogram 0 truncated or malformed at byte 13");
  EXPECT_EQ(error_of(with_payload(one_name + std::string("\x00\x01\x00\x02\x01\x05", 6))),
            "snapshot wire: histogram 'a' is malformed (byte 13)");
  // zlib: a payload size over the limit, one the stream cannot reach, a corrupt stream.
  EXPECT_EQ(error_of(with_payload(std::string("\x80\x80\x80\x80\x80\x01", 6), true)),
            "snapshot wire: payload of 34359738368 bytes is over the limit of 67108864");
  EXPECT_EQ(error_of(with_payload(std::string("\x80\x80\x80\x20", 4) + "xx", true)),
            "snapshot wire: payload of 67108864 bytes cannot come from 2 compressed bytes");
  EXPECT_EQ(error_of(with_payload(std::string("\x05", 1) + "garbage", true)),
            "snapshot wire: the zlib stream at byte 6 is corrupt, truncated or not 5 bytes");
}

std::string varint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7F) | 0x80));
  out.push_back(static_cast<char>(v));
  return out;
}

TEST(SnapshotWire, ZlibStreamMustInflateToExactlyTheStatedSize) {
  const Snapshot s = sample();
  const std::string bytes = encode_snapshot_wire(s, WireCompression::kZlib);
  ASSERT_EQ(bytes[4], '\x01');
  const size_t size = encode_snapshot_wire(s).size() - 5;  // the payload
  const std::string stated = varint(size);
  ASSERT_EQ(bytes.substr(5, stated.size()), stated);
  const std::string stream = bytes.substr(5 + stated.size());
  EXPECT_TRUE(decode_snapshot_wire(bytes.substr(0, 5) + stated + stream));
  for (const uint64_t other : {size - 1, size + 1, uint64_t{0}}) {
    EXPECT_FALSE(decode_snapshot_wire(bytes.substr(0, 5) + varint(other) + stream)) << other;
  }
}

// The packed histogram form (Histogram::serialize_packed) holds what serialize() holds.
TEST(SnapshotWire, PackedHistogramsRoundTripEdgeCases) {
  std::vector<Histogram> cases(6);
  cases[1].record(0);                            // bucket 0: an escaped first delta of 0
  cases[2].record(7, 15);                        // a count that just fits the nibble
  cases[2].record(3'000, 16);                    // and one that just does not; delta > 15
  cases[3].record(Histogram::kMaxValue + 1, 3);  // clamped
  cases[4].record(1, UINT64_MAX / 4);            // huge counts and sums
  for (uint64_t v = 100; v < 100'000; v += 37) cases[5].record(v, 1 + v % 40);
  for (const auto& h : cases) {
    std::string packed;
    h.serialize_packed(packed);
    auto back = Histogram::deserialize_packed(packed);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->serialize(), h.serialize());
    std::string again;
    back->serialize_packed(again);
    EXPECT_EQ(again, packed);
    // Every strict prefix is refused.
    for (size_t n = 0; n < packed.size(); ++n) {
      EXPECT_FALSE(Histogram::deserialize_packed(std::string_view(packed).substr(0, n))) << n;
    }
  }
}

TEST(SnapshotWire, PackedHistogramsAreCanonical) {
  // {5, 40}: count 2, min 5, max 40, sum 45, clamped 0; buckets 5 and 40.
  const std::string head = std::string("\x02\x05\x28\x2d\x00", 5);
  // Bucket 5 in one byte; bucket 40: delta 35 escaped (count nibble 1, varint 35).
  EXPECT_TRUE(Histogram::deserialize_packed(head + "\x51" + "\x01\x23"));
  // The first index 5 written as a varint although the nibble holds it.
  EXPECT_FALSE(Histogram::deserialize_packed(head + "\x01\x05" + "\x01\x23"));
  // A later delta of 3 written as a varint.
  const std::string h3 = std::string("\x02\x05\x08\x0d\x00", 5);
  EXPECT_TRUE(Histogram::deserialize_packed(h3 + "\x51" + "\x31"));
  EXPECT_FALSE(Histogram::deserialize_packed(h3 + "\x51" + "\x01\x03"));
  // Bucket counts that do not sum to the count, or a last bucket that is not max's.
  EXPECT_FALSE(Histogram::deserialize_packed(h3 + "\x51" + "\x32"));
  EXPECT_FALSE(Histogram::deserialize_packed(h3 + "\x52"));
  EXPECT_FALSE(Histogram::deserialize_packed(h3 + "\x51" + "\x21"));
}

}  // namespace
}  // namespace barrage::metrics
