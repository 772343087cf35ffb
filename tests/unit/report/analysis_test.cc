// The analyses on synthetic metric streams with known answers.
#include "report/analysis.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "metrics/recorder.h"
#include "report/ci_reports.h"
#include "report/compare.h"
#include "report/from_run.h"
#include "report/html_report.h"
#include "report/json_report.h"
#include "report/svg_chart.h"
#include "script/loader.h"

namespace barrage::report {
namespace {

constexpr int64_t kStart = 1'800'000'000'000;

// A 1-second timeline period starting `second` seconds after kStart.
metrics::Snapshot second(int second) {
  metrics::Snapshot s;
  s.period_start_ms = kStart + second * 1000;
  s.period_end_ms = s.period_start_ms + 1000;
  return s;
}

// Without the target's cold-start header nothing is counted: a TLS handshake
// makes every first response slow, a burst of connects queues them, a busy
// server accepts late. The report sets the first responses' time to first
// byte against reused connections' instead.
TEST(ColdStarts, WithoutTheHeaderNoneAreGuessed) {
  metrics::Snapshot agg;
  agg.histogram("http.response_time.new_connection").record(60'000, 50);
  agg.histogram("http.response_time.reused_connection").record(1'000, 950);
  agg.histogram("http.response_time").record(60'000, 50);
  agg.histogram("http.response_time").record(1'000, 950);
  agg.histogram("barrage.ttfb.new_connection").record(400'000, 5);
  agg.histogram("barrage.ttfb.new_connection").record(1'000, 45);
  agg.histogram("barrage.ttfb.reused_connection").record(800, 950);
  const auto cs = analyze_cold_starts(agg, {}, kStart);
  EXPECT_EQ(cs.source, "none");
  EXPECT_EQ(cs.count, 0u);
  EXPECT_EQ(cs.responses, 1000u);
  EXPECT_EQ(cs.new_connection_ttfb.count, 50u);
  EXPECT_NEAR(cs.new_connection_ttfb.p99, 400.0, 4.0);
  EXPECT_NEAR(cs.reused_connection_ttfb.p50, 0.8, 0.01);
  Analysis a;
  a.cold_starts = cs;
  const std::string text = format_analysis(a);
  EXPECT_NE(text.find("Cold starts: not counted"), std::string::npos) << text;
  EXPECT_NE(text.find("first on a new connection 1.00/400"), std::string::npos) << text;
}

TEST(ColdStarts, CountedFromTheHeaderWhenPresent) {
  metrics::Snapshot agg;
  agg.histogram("http.response_time").record(2'000, 93);
  agg.histogram("http.response_time").record(300'000, 7);
  agg.histogram("http.response_time.warm").record(2'000, 93);
  agg.histogram("http.response_time.cold_start").record(300'000, 7);
  agg.add("barrage.cold_starts", 7);
  const auto cs = analyze_cold_starts(agg, {}, kStart);
  EXPECT_EQ(cs.source, "header");
  EXPECT_EQ(cs.count, 7u);
  EXPECT_DOUBLE_EQ(cs.share, 0.07);
  EXPECT_NEAR(cs.cold.p99, 300.0, 3.0);
  EXPECT_NEAR(cs.warm.p99, 2.0, 0.02);
}

TEST(ColdStarts, SpikesAreFlaggedWhenArrivalsRose) {
  std::vector<metrics::Snapshot> timeline;
  metrics::Snapshot agg;
  for (int i = 0; i < 20; ++i) {
    auto s = second(i);
    const uint64_t arrivals = i >= 5 ? 30 : 10;
    s.add("vusers.created", arrivals);
    s.add("vusers.completed", arrivals);
    s.histogram("http.response_time").record(2'000, arrivals);
    if (i == 5) s.histogram("http.response_time").record(400'000, 3);   // scale-out at 5 s
    if (i == 12) s.histogram("http.response_time").record(500'000, 2);  // steady load at 12 s
    agg.merge(s);
    timeline.push_back(std::move(s));
  }
  const auto cs = analyze_cold_starts(agg, timeline, kStart);
  ASSERT_EQ(cs.spikes.size(), 2u);
  EXPECT_DOUBLE_EQ(cs.spikes[0].start_s, 5.0);
  EXPECT_DOUBLE_EQ(cs.spikes[0].end_s, 6.0);
  EXPECT_TRUE(cs.spikes[0].scale_out);
  EXPECT_DOUBLE_EQ(cs.spikes[0].arrival_rate, 30.0);
  EXPECT_DOUBLE_EQ(cs.spikes[0].previous_arrival_rate, 10.0);
  EXPECT_NEAR(cs.spikes[0].peak_p99_ms, 400.0, 4.0);
  EXPECT_DOUBLE_EQ(cs.spikes[1].start_s, 12.0);
  EXPECT_FALSE(cs.spikes[1].scale_out);
}

TEST(ErrorOnset, FirstSeenAndFirstAboveOnePercent) {
  std::vector<metrics::Snapshot> timeline;
  for (int i = 0; i < 20; ++i) {
    auto s = second(i);
    s.add("vusers.created", 100 + static_cast<uint64_t>(i) * 10);  // a ramp
    s.add("vusers.completed",
          90 + static_cast<uint64_t>(i) * 10);  // 10 more stay active each second
    s.add("http.requests", 1000);
    uint64_t throttled = 0;
    if (i == 7) throttled = 1;   // 0.1%
    if (i == 8) throttled = 10;  // exactly 1%: not above
    if (i >= 9) throttled = 50;  // 5%
    s.add("http.codes.200", 1000 - throttled);
    if (throttled > 0) s.add("http.codes.429", throttled);
    if (i == 15) s.add("errors.ETIMEDOUT", 100);
    timeline.push_back(std::move(s));
  }
  const auto onsets = error_onsets(timeline, kStart);
  ASSERT_EQ(onsets.size(), 2u);
  EXPECT_EQ(onsets[0].error_class, ErrorClass::k429);
  EXPECT_DOUBLE_EQ(onsets[0].first.offset_s, 7.0);
  EXPECT_EQ(onsets[0].first.wall_ms, kStart + 7000);
  EXPECT_DOUBLE_EQ(onsets[0].first.arrival_rate, 170.0);
  EXPECT_EQ(onsets[0].first.active_vus, 80u);  // 10 per second for 8 seconds
  ASSERT_TRUE(onsets[0].over_limit.has_value());
  EXPECT_DOUBLE_EQ(onsets[0].over_limit->offset_s, 9.0);
  EXPECT_DOUBLE_EQ(onsets[0].over_limit->share, 0.05);
  EXPECT_EQ(onsets[0].total, 1u + 10u + 11u * 50u);
  EXPECT_EQ(onsets[1].error_class, ErrorClass::kTimeout);
  EXPECT_DOUBLE_EQ(onsets[1].first.offset_s, 15.0);
  ASSERT_TRUE(onsets[1].over_limit.has_value());
  EXPECT_DOUBLE_EQ(onsets[1].over_limit->offset_s, 15.0);
}

TEST(Phases, RecorderKeysByArrivalPhaseAndAnalysisClassifies) {
  metrics::Recorder rec({"/a"}, 2);
  for (int i = 0; i < 10; ++i) {
    rec.vuser_created(1);
    rec.request_sent(0, 1);
  }
  rec.response(0, 200, 1'000, 10, 1);
  rec.response(0, 429, 1'000, 10, 1);
  rec.response(0, 502, 1'000, 10, 1);
  rec.response(0, 503, 1'000, 10, 1);
  rec.response(0, 504, 1'000, 10, 1);
  rec.response(0, 500, 1'000, 10, 1);
  rec.error(0, "ETIMEDOUT", 1);
  rec.error(0, "ECONNREFUSED", 1);
  rec.error(0, "HPE_INVALID_CONSTANT", 1);
  rec.response(0, 200, 9'000, 10, 0);  // one response in phase 0
  rec.request_sent(0, 0);
  const auto snap = rec.flush(kStart, kStart + 1000);
  EXPECT_EQ(snap.counter("barrage.phase.1.requests"), 10u);
  EXPECT_EQ(snap.counter("barrage.phase.1.codes.429"), 1u);
  EXPECT_EQ(snap.counter("barrage.phase.1.errors.ETIMEDOUT"), 1u);
  EXPECT_EQ(snap.counter("http.requests"), 11u);

  const std::vector<PhaseSpan> spans{{"warm", 0, 5, false}, {"burst", 5, 2, false}};
  const auto phases = analyze_phases(snap, spans);
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].requests, 1u);
  EXPECT_NEAR(phases[0].latency.p50, 9.0, 0.1);
  const auto& b = phases[1];
  EXPECT_DOUBLE_EQ(b.request_rate, 5.0);
  EXPECT_DOUBLE_EQ(b.arrival_rate, 5.0);
  EXPECT_EQ(b.outcomes.responses, 6u);
  EXPECT_EQ(b.outcomes.errors, 3u);
  for (const auto c :
       {ErrorClass::k429, ErrorClass::k502, ErrorClass::k503, ErrorClass::k504,
        ErrorClass::kOther5xx, ErrorClass::kTimeout, ErrorClass::kConnection, ErrorClass::kOther}) {
    EXPECT_EQ(b.outcomes.by_class[static_cast<size_t>(c)], 1u) << error_class_name(c);
  }
  EXPECT_DOUBLE_EQ(b.outcomes.failed_share(), 8.0 / 9.0);
}

// Issue 15 point 1: a phase's req/s is its requests over the time they took
// (first send to last completion), not over its nominal duration.
TEST(Phases, RequestRateIsOverTheTimeTheRequestsTook) {
  // Two shards, two flushes each: the span's min and max survive the merge.
  metrics::Snapshot agg;
  auto shard = [&](uint64_t n, uint64_t first_ms, uint64_t last_ms) {
    metrics::Recorder rec({"/"}, 2);
    for (uint64_t i = 0; i < n; ++i) rec.request_sent(0, 0);
    rec.phase_sent(0, first_ms);
    rec.phase_done(0, first_ms + 5);
    agg.merge(rec.flush(kStart, kStart + 1000));
    rec.phase_sent(0, last_ms - 5);
    rec.phase_done(0, last_ms);
    agg.merge(rec.flush(kStart + 1000, kStart + 2000));
  };
  // A 1-second arrivalCount phase whose VUs looped 100,000 GETs for 1.856 s:
  // 53,879/s (the summary's rate), not 100,000/s.
  shard(60'000, 0, 1'700);
  shard(40'000, 3, 1'856);
  // An overloaded 2,000/s phase of 10 s (from 1 s on) that achieved 955/s.
  metrics::Recorder rec({"/"}, 2);
  for (int i = 0; i < 9'550; ++i) rec.request_sent(0, 1);
  rec.phase_sent(1, 1'900);
  rec.phase_done(1, 11'900);
  agg.merge(rec.flush(kStart, kStart + 12'000));

  const std::vector<PhaseSpan> spans{{"burst", 0, 1, false}, {"overload", 1, 10, false}};
  const auto phases = analyze_phases(agg, spans);
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].requests, 100'000u);
  EXPECT_NEAR(phases[0].request_rate, 100'000 / 1.856, 0.01);  // 53,879.3
  EXPECT_NEAR(phases[1].request_rate, 955.0, 1e-9);
  // Without the span (reports written before it): the nominal duration.
  metrics::Snapshot old;
  old.add("barrage.phase.0.requests", 100);
  EXPECT_DOUBLE_EQ(analyze_phases(old, spans)[0].request_rate, 100.0);
}

// A report with a timeline, phases and one endpoint, as `run -o` writes it.
std::string synthetic_report(double p95_ms, uint64_t errors_per_second) {
  const auto plan = script::load_plan_string(R"(
config:
  target: "http://127.0.0.1:1"
  phases:
    - { name: warm, duration: 5, arrivalRate: 10 }
    - pause: 2
    - { name: burst, duration: 3, arrivalRate: 30 }
scenarios:
  - flow:
      - get: { url: "/items" }
)",
                                             "synthetic.yml", {})
                        .value();
  engine::RunResult r;
  r.start_wall_ms = kStart;
  r.duration_s = 10;
  r.cores = 1;
  for (int i = 0; i < 10; ++i) {
    auto s = second(i);
    const uint64_t n = i < 5 ? 10 : (i < 7 ? 0 : 30);
    const int phase = i < 5 ? 0 : 2;
    if (n > 0) {
      s.add("vusers.created", n);
      s.add("vusers.completed", n);
      s.add("http.requests", n);
      s.add("http.responses", n);
      s.add("http.codes.200", n - errors_per_second);
      if (errors_per_second > 0) s.add("http.codes.503", errors_per_second);
      s.add("plugins.metrics-by-endpoint./items.requests", n);
      s.add(fmt::format("barrage.phase.{}.requests", phase), n);
      s.add(fmt::format("barrage.phase.{}.codes.200", phase), n);
      s.add(fmt::format("barrage.phase.{}.vusers.created", phase), n);
      for (const char* h :
           {"http.response_time", "plugins.metrics-by-endpoint.response_time./items",
            "http.response_time.new_connection"}) {
        s.histogram(h).record(2'000, n - 1);
        s.histogram(h).record(static_cast<uint64_t>(p95_ms * 1000), 1);
      }
      s.histogram("barrage.scheduling_lag").record(50, n);
    }
    r.timeline.push_back(s);
    r.aggregate.merge(s);
  }
  for (int p = 0; p < 10; p += 10) {
    metrics::Snapshot period;
    for (int i = p; i < p + 10; ++i) period.merge(r.timeline[static_cast<size_t>(i)]);
    r.periods.push_back(period);
  }
  return write_report(build_report(r, plan, {"synthetic.yml", "http://127.0.0.1:1", "test", {}}));
}

// The renderings of a report's text, as `barrage report` and `barrage compare` make them.
// read_report, with the Error's message in *error.
std::optional<Report> read_report(const std::string& text, std::string* error) {
  auto r = report::read_report(text);
  if (!r) {
    *error = r.error().message;
    return std::nullopt;
  }
  return std::move(*r);
}

std::optional<std::string> to_html_report(const std::string& text, std::string* error) {
  const auto r = read_report(text, error);
  return r ? std::optional(report::to_html_report(*r)) : std::nullopt;
}

std::optional<std::string> to_junit_report(const std::string& text, std::string* error) {
  const auto r = read_report(text, error);
  return r ? std::optional(report::to_junit_report(*r)) : std::nullopt;
}

std::optional<std::string> to_csv_report(const std::string& text, std::string* error) {
  const auto r = read_report(text, error);
  return r ? std::optional(report::to_csv_report(*r)) : std::nullopt;
}

std::optional<Comparison> compare_reports(const std::string& base, const std::string& current,
                                          const Tolerances& tol, std::string* error) {
  const auto b = read_report(base, error);
  const auto c = read_report(current, error);
  if (!b || !c) return std::nullopt;
  return report::compare_reports(*b, *c, tol);
}

TEST(JsonReport, CarriesPhasesTimelineAndAnalysis) {
  const auto doc = nlohmann::json::parse(synthetic_report(50, 0));
  EXPECT_EQ(doc["timeline"].size(), 10u);
  EXPECT_EQ(doc["run"]["phases"][2]["start_s"], 7.0);
  EXPECT_EQ(doc["analysis"]["resolution_s"], 1.0);
  EXPECT_EQ(doc["analysis"]["phases"][2]["name"], "burst");
  EXPECT_EQ(doc["analysis"]["phases"][2]["requests"], 90);
  EXPECT_EQ(doc["analysis"]["phases"][2]["request_rate"], 30.0);
  std::string error;
  const auto back = read_report(doc.dump(), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->timeline.size(), 10u);
  EXPECT_EQ(back->timeline[8].counter("http.requests"), 30u);
  EXPECT_EQ(back->timeline[8].find_histogram("http.response_time")->count(), 30u);
}

TEST(HtmlReport, SelfContainedWithChartsMatchingTheEmbeddedData) {
  std::string error;
  const auto html = to_html_report(synthetic_report(50, 1), &error);
  ASSERT_TRUE(html) << error;
  // Nothing to fetch: no external script, stylesheet, image or font.
  for (const char* banned : {"<script src", "<link", "<img", "@import", "url(", "@font-face"}) {
    EXPECT_EQ(html->find(banned), std::string::npos) << banned;
  }
  const auto start = html->find("<script type=\"application/json\" id=\"data\">");
  ASSERT_NE(start, std::string::npos);
  const auto body = start + std::string("<script type=\"application/json\" id=\"data\">").size();
  const auto data = nlohmann::json::parse(html->substr(body, html->find("</script>", body) - body));
  ASSERT_GE(data["charts"].size(), 5u);
  for (const auto& c : data["charts"]) {
    ASSERT_NE(html->find("<svg id=\"" + c["id"].get<std::string>() + "\""), std::string::npos);
    for (const auto& s : c["series"]) {
      const std::string tag = fmt::format("data-series=\"{}\" data-points=\"{}\"",
                                          s["name"].get<std::string>(), s["points"].size());
      EXPECT_NE(html->find(tag), std::string::npos) << tag;
    }
  }
  // Sent requests per second: 8 periods with arrivals (the pause has none but still a point).
  const auto& sent = data["charts"][0]["series"][0];
  EXPECT_EQ(sent["name"], "sent");
  EXPECT_EQ(sent["points"].size(), 10u);
  EXPECT_EQ(sent["points"][7][1], 30.0);
  EXPECT_NE(html->find("data-phase=\"burst\""), std::string::npos);
  EXPECT_NE(html->find("id=\"table-phases\""), std::string::npos);
  EXPECT_NE(html->find("id=\"table-onset\""), std::string::npos);
  EXPECT_NE(html->find("id=\"table-timing\""), std::string::npos);
}

// Issue 15.8: the page's title showed the script's path on the machine that ran it,
// and an empty set showed 0.00 percentiles where other tables show "-".
TEST(HtmlReport, TitleIsTheFileNameAndEmptySetsShowADash) {
  auto doc = nlohmann::json::parse(synthetic_report(50, 0));
  doc["run"]["script"] = "/home/someone/checkout/synthetic.yml";
  // A phase whose VUs got no response.
  doc["analysis"]["phases"][0]["response_time"] = {
      {"count", 0}, {"max", 0.0}, {"p50", 0.0}, {"p95", 0.0}, {"p99", 0.0}};
  std::string error;
  const auto html = to_html_report(doc.dump(), &error);
  ASSERT_TRUE(html) << error;
  EXPECT_NE(html->find("<title>barrage report: synthetic.yml</title>"), std::string::npos);
  EXPECT_NE(html->find("<h1>barrage report: synthetic.yml</h1>"), std::string::npos);
  EXPECT_EQ(html->find("/home/someone"), std::string::npos);
  // Only new connections: the reused ones are an empty set.
  EXPECT_NE(
      html->find("<td>reused connection</td><td>0</td><td>-</td><td>-</td><td>-</td><td>-</td>"),
      std::string::npos);
  EXPECT_NE(html->find("<td>warm</td><td>0.00</td><td>5.00</td><td>10.00</td><td>10.00</td>"
                       "<td>-</td><td>-</td><td>-</td><td>-</td>"),
            std::string::npos)
      << html->substr(html->find("id=\"table-phases\""), 1500);
  // With --name, the name is the title and the script's file name follows.
  doc["run"]["name"] = "nightly";
  const auto named = to_html_report(doc.dump(), &error);
  ASSERT_TRUE(named) << error;
  EXPECT_NE(named->find("<h1>barrage report: nightly</h1><p>script synthetic.yml &middot; target"),
            std::string::npos);
}

TEST(HtmlReport, RendersEnsureWorkersAndRegionsWhenPresent) {
  auto doc = nlohmann::json::parse(synthetic_report(50, 0));
  doc["ensure"] = nlohmann::json::array(
      {{{"name", "p95"}, {"value", 51.2}, {"limit", 200}, {"ok", true}},
       {{"name", "maxErrorRate"}, {"value", 3.0}, {"limit", 1}, {"ok", false}}});
  doc["workers"] =
      nlohmann::json::array({{{"id", "w1"}, {"region", "eu-west-1"}, {"requests", 5}}});
  doc["regions"] = {{"eu-west-1", {{"requests", 5}, {"response_time", {{"p95", 3.5}}}}}};
  doc["cost"] = {{"estimated", {{"dollars", 0.0412}, {"gb_seconds", 1234.5}, {"invocations", 6}}},
                 {"measured", {{"dollars", 0.0398}, {"gb_seconds", 1190.25}, {"invocations", 6}}},
                 {"prices_date", "2026-11-22"},
                 {"notes", nlohmann::json::array()}};
  std::string error;
  const auto html = to_html_report(doc.dump(), &error);
  ASSERT_TRUE(html) << error;
  EXPECT_NE(html->find("id=\"table-ensure\""), std::string::npos);
  EXPECT_NE(html->find("<span class=\"fail\">FAIL</span>"), std::string::npos);
  EXPECT_NE(html->find("id=\"table-workers\""), std::string::npos);
  EXPECT_NE(html->find("id=\"table-regions\""), std::string::npos);
  EXPECT_NE(html->find("id=\"table-cost\""), std::string::npos);
  EXPECT_NE(html->find("$0.0398"), std::string::npos);
  EXPECT_NE(html->find("prices of 2026-11-22"), std::string::npos);
  const auto junit = to_junit_report(doc.dump(), &error);
  ASSERT_TRUE(junit) << error;
  EXPECT_NE(junit->find("<testsuite name=\"ensure\" tests=\"2\" failures=\"1\""), std::string::npos)
      << *junit;
  EXPECT_NE(junit->find("<failure message=\"maxErrorRate failed: value 3.0 limit 1\""),
            std::string::npos)
      << *junit;
}

TEST(CiReports, JunitHasAnExpectCasePerCheckKind) {
  auto doc = nlohmann::json::parse(synthetic_report(50, 0));
  doc["aggregate"]["counters"]["plugins.expect.ok.statusCode"] = 9;
  doc["aggregate"]["counters"]["plugins.expect.failed.statusCode"] = 1;
  doc["aggregate"]["counters"]["plugins.expect.ok.contentType"] = 10;
  std::string error;
  const auto junit = to_junit_report(doc.dump(), &error);
  ASSERT_TRUE(junit) << error;
  EXPECT_NE(junit->find("<testsuite name=\"expect\" tests=\"2\" failures=\"1\""), std::string::npos)
      << *junit;
  EXPECT_NE(junit->find("1 of 10 statusCode checks failed"), std::string::npos) << *junit;
}

TEST(CiReports, CsvHasARowPerPeriod) {
  std::string error;
  const auto csv = to_csv_report(synthetic_report(50, 2), &error);
  ASSERT_TRUE(csv) << error;
  EXPECT_EQ(std::count(csv->begin(), csv->end(), '\n'), 2);  // header + one 10 s period
  EXPECT_TRUE(csv->starts_with("period_start_ms,period_end_ms,offset_s,requests,"));
  // 140 requests, 16 of them 503 (2 per second with arrivals).
  EXPECT_NE(csv->find(",140,140,14.000,124,0,0,16,0,0,140,140,0,"), std::string::npos) << *csv;
}

TEST(Compare, FlagsAPlantedRegressionAndPassesTheSameReport) {
  const auto base = synthetic_report(50, 0);
  const auto worse = synthetic_report(90, 1);  // p99 +80%, error rate 1/10 .. 1/30 per second
  std::string error;
  const auto same = compare_reports(base, base, {}, &error);
  ASSERT_TRUE(same) << error;
  EXPECT_FALSE(same->regressed()) << format_comparison(*same);
  const auto c = compare_reports(base, worse, {}, &error);
  ASSERT_TRUE(c) << error;
  EXPECT_TRUE(c->regressed());
  auto find = [&](const std::string& scope, const std::string& metric) {
    for (const auto& d : c->deltas) {
      if (d.scope == scope && d.metric == metric) return d;
    }
    return MetricDelta{};
  };
  EXPECT_TRUE(find("overall", "error_rate").regression);
  EXPECT_NEAR(find("overall", "error_rate").current, 100.0 * 8 / 140, 1e-9);
  EXPECT_TRUE(find("overall", "p99").regression);
  EXPECT_FALSE(find("overall", "p50").regression);
  EXPECT_FALSE(find("overall", "throughput").regression);
  EXPECT_TRUE(find("/items", "p99").regression);
  // Looser tolerances accept it.
  Tolerances loose;
  loose.p99_pct = 100;
  loose.p95_pct = 100;
  loose.error_rate_points = 10;
  const auto ok = compare_reports(base, worse, loose, &error);
  ASSERT_TRUE(ok);
  EXPECT_FALSE(ok->regressed()) << format_comparison(*ok);
  const std::string page = comparison_html(*c, "base.json", "new.json");
  EXPECT_NE(page.find("data-regressions=\""), std::string::npos);
  EXPECT_NE(page.find("REGRESSION"), std::string::npos);
}

// Issue 15.8: an axis mixed "8s" and "10.0s". Every label of an axis has the
// decimals of its step.
TEST(SvgChart, AxisLabelsOfOneAxisShareTheirFormat) {
  Chart c;
  c.id = "t";
  c.x_max = 20;                                                        // ticks every 2 s
  c.series.push_back({"s", "#000", {{0, 0}, {10, 45}, {20, 3}}, {}});  // y axis to 50: 12.5 steps
  const std::string svg = render_svg(c);
  for (const char* label :
       {">0s<", ">8s<", ">10s<", ">20s<", ">0.0<", ">12.5<", ">25.0<", ">50.0<"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
  EXPECT_EQ(svg.find(">10.0s<"), std::string::npos);
}

// Issue 15.8: the HTML spike table said "4s - 9s" where the console said
// "4.5s-9.5s". Both print spike_window().
TEST(ColdStarts, TheSpikeWindowReadsTheSameInTheConsoleAndTheHtml) {
  Spike s;
  s.start_s = 4.5;
  s.end_s = 9.5;
  EXPECT_EQ(spike_window(s), "4.5s-9.5s");
}

}  // namespace
}  // namespace barrage::report
