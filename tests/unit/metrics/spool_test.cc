#include "metrics/spool.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace barrage::metrics {
namespace {

Snapshot sample(int i) {
  Snapshot s;
  s.period_start_ms = 1'700'000'000'000 + i * 1000;
  s.period_end_ms = s.period_start_ms + 1000;
  s.add("http.requests", 100 + static_cast<uint64_t>(i));
  s.add("errors.ECONNRESET", static_cast<uint64_t>(i));
  s.add(std::string("plugins.\xff\x00odd", 13), 1);  // not UTF-8, with a NUL: kept exactly
  for (int v = 1; v <= 50 + i; ++v) s.histogram("http.response_time").record(v * 137);
  s.histogram("http.response_time./a (GET)").record(5'000'000);
  return s;
}

TEST(SnapshotSpool, GivesBackEverySnapshotExactlyAndInOrder) {
  SnapshotSpool spool;
  for (int i = 0; i < 300; ++i) spool.push(sample(i));
  EXPECT_EQ(spool.size(), 300U);
  EXPECT_GT(spool.file_bytes(), 0U) << "the snapshots should be on disk, not in memory";
  const auto all = spool.take_all();
  ASSERT_EQ(all.size(), 300U);
  for (int i = 0; i < 300; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], sample(i)) << i;
  EXPECT_EQ(spool.size(), 0U);
  spool.push(sample(7));
  const auto again = spool.take_all();
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0], sample(7));
}

TEST(SnapshotSpool, KeepsSnapshotsInMemoryWhenNoTemporaryFileCanBeMade) {
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("TMPDIR", "/nonexistent-barrage-dir", 1);
  SnapshotSpool spool;
  if (old != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  spool.push(sample(1));
  spool.push(sample(2));
  EXPECT_EQ(spool.file_bytes(), 0U);
  const auto all = spool.take_all();
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0], sample(1));
  EXPECT_EQ(all[1], sample(2));
}

TEST(SnapshotSpool, RejectsTruncatedAndTrailingBytes) {
  const std::string bytes = encode_snapshot(sample(3));
  Snapshot out;
  ASSERT_TRUE(decode_snapshot(bytes, &out));
  EXPECT_EQ(out, sample(3));
  for (size_t cut = 0; cut < bytes.size(); cut += 7)
    EXPECT_FALSE(decode_snapshot(bytes.substr(0, cut), &out)) << cut;
  EXPECT_FALSE(decode_snapshot(bytes + "x", &out));
}

}  // namespace
}  // namespace barrage::metrics
