#include "metrics/snapshot.h"

#include <gtest/gtest.h>

#include <string>

#include "metrics/snapshot_json.h"

namespace barrage::metrics {
namespace {

Snapshot sample_snapshot() {
  Snapshot s;
  s.period_start_ms = 1'700'000'000'000;
  s.period_end_ms = 1'700'000'010'000;
  s.add("http.requests", 10);
  s.add("http.codes.200", 9);
  s.add("errors.ECONNREFUSED");
  for (uint64_t v = 1; v <= 100; ++v) s.histogram("http.response_time").record(v * 1000);
  s.histogram("vusers.session_length").record(Histogram::kMaxValue + 5);
  return s;
}

TEST(Snapshot, CountersAndHistogramsByName) {
  Snapshot s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.counter("http.requests"), 0u);
  EXPECT_EQ(s.find_histogram("http.response_time"), nullptr);
  s.add("http.requests");
  s.add("http.requests", 4);
  EXPECT_EQ(s.counter("http.requests"), 5u);
  s.histogram("http.response_time").record(250);
  ASSERT_NE(s.find_histogram("http.response_time"), nullptr);
  EXPECT_EQ(s.find_histogram("http.response_time")->count(), 1u);
  EXPECT_FALSE(s.empty());
}

TEST(Snapshot, EmptyIgnoresEmptyHistograms) {
  Snapshot s;
  s.period_start_ms = 5;
  s.histogram("http.response_time");
  EXPECT_TRUE(s.empty());
}

TEST(Snapshot, MergeAddsCountersMergesHistogramsAndWidensPeriod) {
  Snapshot a = sample_snapshot();
  Snapshot b;
  b.period_start_ms = 1'699'999'990'000;
  b.period_end_ms = 1'700'000'005'000;
  b.add("http.requests", 5);
  b.add("vusers.created", 2);
  b.histogram("http.response_time").record(7);

  Snapshot m = a;
  m.merge(b);
  EXPECT_EQ(m.period_start_ms, 1'699'999'990'000);
  EXPECT_EQ(m.period_end_ms, 1'700'000'010'000);
  EXPECT_EQ(m.counter("http.requests"), 15u);
  EXPECT_EQ(m.counter("http.codes.200"), 9u);
  EXPECT_EQ(m.counter("vusers.created"), 2u);
  const Histogram* rt = m.find_histogram("http.response_time");
  ASSERT_NE(rt, nullptr);
  EXPECT_EQ(rt->count(), 101u);
  EXPECT_EQ(rt->min(), 7u);

  // Zero period bounds count as unset on either side.
  Snapshot unset;
  unset.add("x");
  unset.merge(a);
  EXPECT_EQ(unset.period_start_ms, a.period_start_ms);
  EXPECT_EQ(unset.period_end_ms, a.period_end_ms);
  Snapshot a2 = a;
  a2.merge(Snapshot{});
  EXPECT_EQ(a2, a);
}

TEST(Snapshot, MergeIsOrderIndependent) {
  Snapshot a = sample_snapshot();
  Snapshot b;
  b.add("http.requests", 3);
  b.histogram("http.response_time").record(123'456);
  b.histogram("http.tls").record(900);
  Snapshot ab = a;
  ab.merge(b);
  Snapshot ba = b;
  ba.merge(a);
  EXPECT_EQ(ab, ba);
}

TEST(SnapshotJson, RoundTripsExactly) {
  const Snapshot s = sample_snapshot();
  const std::string json = to_json(s);
  auto back = snapshot_from_json(json);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
  EXPECT_EQ(to_json(*back), json);

  auto empty = snapshot_from_json(to_json(Snapshot{}));
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, Snapshot{});
}

TEST(SnapshotJson, WireFormatShape) {
  Snapshot s;
  s.period_start_ms = 1000;
  s.period_end_ms = 2000;
  s.add("http.requests", 3);
  s.histogram("http.response_time").record(5);
  EXPECT_EQ(to_json(s),
            R"({"counters":{"http.requests":3},"end":2000,"histograms":{"http.response_time":")" +
                s.histogram("http.response_time").to_base64() + R"("},"start":1000,"v":1})");
}

TEST(SnapshotJson, AcceptsUnknownFieldsAndNegativeTimes) {
  auto s = snapshot_from_json(
      R"({"v":1,"start":-5,"end":9223372036854775807,"counters":{"a":18446744073709551615},
          "histograms":{},"future":[1,2]})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->period_start_ms, -5);
  EXPECT_EQ(s->period_end_ms, INT64_MAX);
  EXPECT_EQ(s->counter("a"), UINT64_MAX);
}

TEST(SnapshotJson, RejectsMalformedInput) {
  const char* bad[] = {
      "",
      "[]",
      "{",
      R"({"v":1,"start":0,"end":0,"counters":{},"histograms":{})",
      R"({"v":2,"start":0,"end":0,"counters":{},"histograms":{}})",
      R"({"v":"1","start":0,"end":0,"counters":{},"histograms":{}})",
      R"({"v":1.0,"start":0,"end":0,"counters":{},"histograms":{}})",
      R"({"start":0,"end":0,"counters":{},"histograms":{}})",
      R"({"v":1,"end":0,"counters":{},"histograms":{}})",
      R"({"v":1,"start":"0","end":0,"counters":{},"histograms":{}})",
      R"({"v":1,"start":9223372036854775808,"end":0,"counters":{},"histograms":{}})",
      R"({"v":1,"start":0.5,"end":0,"counters":{},"histograms":{}})",
      R"({"v":1,"start":0,"end":0,"histograms":{}})",
      R"({"v":1,"start":0,"end":0,"counters":[],"histograms":{}})",
      R"({"v":1,"start":0,"end":0,"counters":{"a":-1},"histograms":{}})",
      R"({"v":1,"start":0,"end":0,"counters":{"a":1.5},"histograms":{}})",
      R"({"v":1,"start":0,"end":0,"counters":{"a":18446744073709551616},"histograms":{}})",
      R"({"v":1,"start":0,"end":0,"counters":{"a":null},"histograms":{}})",
      R"({"v":1,"start":0,"end":0,"counters":{}})",
      R"({"v":1,"start":0,"end":0,"counters":{},"histograms":{"h":"!!!!"}})",
      R"({"v":1,"start":0,"end":0,"counters":{},"histograms":{"h":"AQE="}})",
      R"({"v":1,"start":0,"end":0,"counters":{},"histograms":{"h":5}})",
  };
  for (const char* text : bad) EXPECT_FALSE(snapshot_from_json(text)) << text;
}

}  // namespace
}  // namespace barrage::metrics
