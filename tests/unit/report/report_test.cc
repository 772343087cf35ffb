// What a person reads: console blocks, the saturation warning, the JSON report.
#include <gtest/gtest.h>

#include "report/console.h"
#include "report/from_run.h"
#include "report/json_report.h"
#include "script/loader.h"

namespace barrage::report {
namespace {

metrics::Snapshot sample(uint64_t lag_us) {
  metrics::Snapshot s;
  s.period_start_ms = 1'800'000'000'000;
  s.period_end_ms = s.period_start_ms + 10'000;
  s.add("http.requests", 500);
  s.add("http.responses", 500);
  s.add("http.codes.200", 490);
  s.add("http.codes.503", 10);
  s.add("errors.ETIMEDOUT", 2);
  for (uint64_t v = 1; v <= 500; ++v) s.histogram("http.response_time").record(v * 100);
  for (int i = 0; i < 100; ++i) s.histogram("barrage.scheduling_lag").record(lag_us);
  s.histogram("http.dns").record(300);
  return s;
}

TEST(Console, PeriodBlockUsesArtilleryLayout) {
  const std::string out = format_period(sample(50), {});
  EXPECT_NE(out.find("Metrics for period to: "), std::string::npos) << out;
  EXPECT_NE(out.find("(width: 10.000s)"), std::string::npos) << out;
  EXPECT_NE(out.find("http.codes.200: ....."), std::string::npos) << out;
  EXPECT_NE(out.find("http.request_rate: ....."), std::string::npos) << out;
  EXPECT_NE(out.find(" 50/sec\n"), std::string::npos) << out;
  EXPECT_NE(out.find("errors.ETIMEDOUT: "), std::string::npos) << out;
  EXPECT_NE(out.find("  median: ..."), std::string::npos) << out;
  // The timing breakdown is shown only with extendedMetrics.
  EXPECT_EQ(out.find("http.dns"), std::string::npos) << out;
  ConsoleOptions extended;
  extended.extended_metrics = true;
  EXPECT_NE(format_period(sample(50), extended).find("http.dns:"), std::string::npos);
  // Values line up in one column.
  const auto a = out.find("http.codes.200: ");
  const auto b = out.find("http.codes.503: ");
  EXPECT_EQ(out.find('\n', a) - a, out.find('\n', b) - b);
}

TEST(Console, SummaryHasEveryPercentile) {
  Report r;
  r.aggregate = sample(50);
  r.run.start_ms = r.aggregate.period_start_ms;
  r.run.duration_s = 10;
  const std::string out = format_summary(r, {});
  for (const char* k :
       {"count", "min", "mean", "median", "p75", "p90", "p95", "p99", "p999", "max"}) {
    EXPECT_NE(out.find(std::string("  ") + k + ": "), std::string::npos) << k << "\n" << out;
  }
  EXPECT_NE(out.find("Summary report @ "), std::string::npos);
}

// The end of the test: every VU finished, or a --drain-timeout ended some;
// the progress line says what the run waits for after the last phase.
TEST(Console, SaysHowTheTestEnded) {
  Report r;
  r.aggregate = sample(50);
  r.run.start_ms = r.aggregate.period_start_ms;
  r.run.duration_s = 10;
  EXPECT_TRUE(format_summary(r, {}).starts_with("All VUs finished. Total time: 10.0 seconds"));
  r.aggregate.add("barrage.drain.cut_off", 3);
  EXPECT_TRUE(format_summary(r, {}).starts_with("Drain timeout: 3 VUs ended. Total time: 10.0"));
  engine::Progress p;
  p.phase = 0;
  p.active_vus = 50;
  p.draining = true;
  EXPECT_TRUE(format_progress(p, {"#1"}, 0).starts_with("phases done, waiting for 50 VUs"))
      << format_progress(p, {"#1"}, 0);
}

TEST(Console, WarnsWhenTheGeneratorIsSaturated) {
  EXPECT_TRUE(warnings_for(sample(2'000)).empty());
  const auto w = warnings_for(sample(25'000));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("generator saturated"), std::string::npos);
  EXPECT_NE(format_period(sample(25'000), {}).find("WARNING: generator saturated"),
            std::string::npos);
}

// A full connection pool is named as the cause, not the generator: the wait
// for a pooled connection is barrage.pool_wait, apart from the scheduling lag.
TEST(Console, NamesTheConnectionPoolWhenRequestsWaitForIt) {
  auto s = sample(2'000);
  s.histogram("barrage.pool_wait").record(400'000, 50);
  const auto w = warnings_for(s);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("connection pool full"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("http.pool"), std::string::npos) << w[0];
  EXPECT_EQ(w[0].find("generator saturated"), std::string::npos) << w[0];
}

TEST(Console, WarnsWhenOutOfFileDescriptors) {
  auto s = sample(50);
  s.add("errors.EMFILE", 7);
  const auto w = warnings_for(s);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("out of file descriptors: 7 connection(s)"), std::string::npos) << w[0];
}

TEST(JsonReport, RoundTripsAggregateAndPeriods) {
  const auto plan = script::load_plan_string(
                        "config:\n  target: http://127.0.0.1:1\n  phases:\n    - { duration: 10, "
                        "arrivalRate: 5 }\n"
                        "scenarios:\n  - flow:\n      - get: { url: /, name: root }\n",
                        "r.yml", {})
                        .value();
  engine::RunResult r;
  r.aggregate = sample(50);
  r.periods = {sample(50), sample(70)};
  r.cores = 2;
  r.duration_s = 10;
  r.start_wall_ms = r.aggregate.period_start_ms;
  const std::string text =
      write_report(build_report(r, plan, {"r.yml", "http://127.0.0.1:1", "test", {}}));
  const auto back = read_report(text);
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  EXPECT_EQ(back->aggregate.counters, r.aggregate.counters);
  EXPECT_EQ(*back->aggregate.find_histogram("http.response_time"),
            *r.aggregate.find_histogram("http.response_time"));
  ASSERT_EQ(back->intermediate.size(), 2u);
  EXPECT_EQ(back->intermediate[1].histograms, r.periods[1].histograms);
  EXPECT_EQ(back->run.cores, 2);
  EXPECT_NE(text.find("\"p999\""), std::string::npos);
  EXPECT_NE(text.find("\"arrivalRate\": 5"), std::string::npos);
  EXPECT_FALSE(read_report("{\"schema\":\"other\"}").has_value());
  const auto not_json = read_report("not json");
  ASSERT_FALSE(not_json.has_value());
  EXPECT_EQ(not_json.error().message, "not JSON");
  EXPECT_EQ(not_json.error().describe(), "not JSON");
}

}  // namespace
}  // namespace barrage::report
