#include "metrics/recorder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace barrage::metrics {
namespace {

std::vector<std::string> names(const Snapshot& s) {
  std::vector<std::string> out;
  for (const auto& [name, n] : s.counters) out.push_back(name);
  for (const auto& [name, h] : s.histograms) out.push_back(name);
  return out;
}

TEST(Recorder, ResponseUsesArtilleryNames) {
  Recorder r({"login", "search"});
  r.request_sent(0);
  r.response(0, 201, 12'000, 512);
  const Snapshot s = r.flush(1000, 2000);
  EXPECT_EQ(s.period_start_ms, 1000);
  EXPECT_EQ(s.period_end_ms, 2000);
  EXPECT_EQ(s.counter("http.requests"), 1u);
  EXPECT_EQ(s.counter("http.responses"), 1u);
  EXPECT_EQ(s.counter("http.codes.201"), 1u);
  EXPECT_EQ(s.counter("http.downloaded_bytes"), 512u);
  EXPECT_EQ(s.counter("plugins.metrics-by-endpoint.login.codes.201"), 1u);
  EXPECT_EQ(s.counter("plugins.metrics-by-endpoint.login.requests"), 1u);
  for (const char* h : {"http.response_time", "http.response_time.2xx",
                        "plugins.metrics-by-endpoint.response_time.login"}) {
    ASSERT_NE(s.find_histogram(h), nullptr) << h;
    EXPECT_EQ(s.find_histogram(h)->count(), 1u);
    EXPECT_EQ(s.find_histogram(h)->max(), 12'000u);
  }
  // Nothing else: zero counters and empty histograms are omitted.
  EXPECT_EQ(names(s).size(), 9u) << testing::PrintToString(names(s));
  EXPECT_EQ(s.find_histogram("plugins.metrics-by-endpoint.response_time.search"), nullptr);
}

TEST(Recorder, StatusClassesAndOutOfRangeCodes) {
  Recorder r({"e"});
  r.response(0, 100, 1, 0);
  r.response(0, 304, 2, 0);
  r.response(0, 404, 3, 0);
  r.response(0, 599, 4, 0);
  r.response(0, 600, 5, 0);
  r.response(0, 99, 6, 0);
  r.response(0, -1, 7, 0);
  const Snapshot s = r.flush(0, 1);
  EXPECT_EQ(s.counter("http.codes.100"), 1u);
  EXPECT_EQ(s.counter("http.codes.304"), 1u);
  EXPECT_EQ(s.counter("http.codes.404"), 1u);
  EXPECT_EQ(s.counter("http.codes.599"), 1u);
  EXPECT_EQ(s.counter("http.codes.other"), 3u);
  EXPECT_EQ(s.counter("plugins.metrics-by-endpoint.e.codes.other"), 3u);
  EXPECT_EQ(s.counter("http.responses"), 7u);
  EXPECT_EQ(s.find_histogram("http.response_time")->count(), 7u);
  EXPECT_EQ(s.find_histogram("http.response_time.1xx")->count(), 1u);
  EXPECT_EQ(s.find_histogram("http.response_time.3xx")->count(), 1u);
  EXPECT_EQ(s.find_histogram("http.response_time.4xx")->count(), 1u);
  EXPECT_EQ(s.find_histogram("http.response_time.5xx")->count(), 1u);
  EXPECT_EQ(s.find_histogram("http.response_time.2xx"), nullptr);
}

TEST(Recorder, UnknownEndpointRecordsOnlyGlobalMetrics) {
  Recorder r({"a"});
  r.request_sent(-1);
  r.response(7, 200, 10, 1);
  r.error(3, "ETIMEDOUT");
  const Snapshot s = r.flush(0, 1);
  EXPECT_EQ(s.counter("http.requests"), 1u);
  EXPECT_EQ(s.counter("http.codes.200"), 1u);
  EXPECT_EQ(s.counter("errors.ETIMEDOUT"), 1u);
  for (const auto& n : names(s)) EXPECT_EQ(n.find("plugins."), std::string::npos) << n;
}

TEST(Recorder, TimingRecordsOnlyPhasesThatHappened) {
  Recorder r({});
  r.timing(100, 200, 300, 400, 500, true, true, true);
  r.timing(0, 0, 0, 450, 550, false, false, false);  // reused connection
  const Snapshot s = r.flush(0, 1);
  EXPECT_EQ(s.find_histogram("http.dns")->count(), 1u);
  EXPECT_EQ(s.find_histogram("http.tcp")->count(), 1u);
  EXPECT_EQ(s.find_histogram("http.tls")->max(), 300u);
  EXPECT_EQ(s.find_histogram("http.ttfb")->count(), 2u);
  EXPECT_EQ(s.find_histogram("http.download")->min(), 500u);
}

// Artillery's vusers.created_by_name.<name, or index when unnamed>.
TEST(Recorder, VusersCreatedByScenarioName) {
  Recorder r({"/"}, 1, {"browse", "1", "checkout"});
  r.vuser_created(0, 0);
  r.vuser_created(0, 1);
  r.vuser_created(0, 1);
  r.vuser_created(0, 7);  // out of range: only vusers.created
  const Snapshot s = r.flush(0, 1);
  EXPECT_EQ(s.counter("vusers.created"), 4u);
  EXPECT_EQ(s.counter("vusers.created_by_name.browse"), 1u);
  EXPECT_EQ(s.counter("vusers.created_by_name.1"), 2u);
  EXPECT_EQ(s.counters.count("vusers.created_by_name.checkout"), 0u);  // zero: omitted
  EXPECT_EQ(r.flush(1, 2).counter("vusers.created_by_name.1"), 0u);    // reset by flush
}

TEST(Recorder, ErrorsVusersLagAndOtherCounters) {
  Recorder r({"checkout"});
  r.error("ECONNREFUSED");
  r.error("ECONNREFUSED");
  r.error(0, "ETIMEDOUT");
  r.vuser_created();
  r.vuser_created();
  r.vuser_completed(2'000'000);
  r.vuser_failed();
  r.vuser_skipped();
  r.scheduling_lag(42);
  r.add("custom.thing", 3);
  const Snapshot s = r.flush(0, 1);
  EXPECT_EQ(s.counter("errors.ECONNREFUSED"), 2u);
  EXPECT_EQ(s.counter("errors.ETIMEDOUT"), 1u);
  EXPECT_EQ(s.counter("plugins.metrics-by-endpoint.checkout.errors.ETIMEDOUT"), 1u);
  EXPECT_EQ(s.counter("vusers.created"), 2u);
  EXPECT_EQ(s.counter("vusers.completed"), 1u);
  EXPECT_EQ(s.counter("vusers.failed"), 1u);
  EXPECT_EQ(s.counter("vusers.skipped"), 1u);
  EXPECT_EQ(s.find_histogram("vusers.session_length")->max(), 2'000'000u);
  EXPECT_EQ(s.find_histogram("barrage.scheduling_lag")->max(), 42u);
  EXPECT_EQ(s.counter("custom.thing"), 3u);
}

TEST(Recorder, FlushResets) {
  Recorder r({"a"});
  r.request_sent(0);
  r.response(0, 200, 10, 5);
  r.error(0, "EPIPE");
  r.add("x");
  r.vuser_completed(9);
  EXPECT_FALSE(r.flush(0, 1).empty());
  const Snapshot second = r.flush(1, 2);
  EXPECT_TRUE(second.empty()) << testing::PrintToString(names(second));
  EXPECT_TRUE(second.histograms.empty());
  r.response(0, 200, 20, 0);
  const Snapshot third = r.flush(2, 3);
  EXPECT_EQ(third.counter("http.codes.200"), 1u);
  EXPECT_EQ(third.find_histogram("http.response_time")->min(), 20u);
  EXPECT_EQ(third.counter("errors.EPIPE"), 0u);
}

TEST(Recorder, TotalsSurviveFlush) {
  Recorder r({});
  r.request_sent(0);
  r.request_sent(0);
  r.response(0, 200, 1, 0);
  EXPECT_EQ(r.total_requests(), 2u);
  (void)r.flush(0, 1);
  r.request_sent(0);
  EXPECT_EQ(r.total_requests(), 3u);
  EXPECT_EQ(r.total_responses(), 1u);
}

TEST(Recorder, ShardSnapshotsMergeLikeOneRecorder) {
  Recorder one({"a"});
  Recorder shard1({"a"});
  Recorder shard2({"a"});
  for (int i = 0; i < 100; ++i) {
    const auto rt = static_cast<uint64_t>(1000 + i * 37);
    one.request_sent(0);
    one.response(0, i % 7 == 0 ? 500 : 200, rt, 10);
    Recorder& shard = i % 2 == 0 ? shard1 : shard2;
    shard.request_sent(0);
    shard.response(0, i % 7 == 0 ? 500 : 200, rt, 10);
  }
  Snapshot merged = shard1.flush(0, 10);
  merged.merge(shard2.flush(0, 10));
  EXPECT_EQ(merged, one.flush(0, 10));
}

}  // namespace
}  // namespace barrage::metrics
