// The HTML report's charts (issue 15 point 8): lines break where a period is
// missing or has no samples, a point sits at the middle of its period, and the
// run's first and last slivers of a period do not plot as rates over a few ms.
#include <gtest/gtest.h>

#include <string>

#include "report/html_report.h"
#include "report/svg_chart.h"

namespace barrage::report {
namespace {

constexpr int64_t kStart = 1'800'000'000'000;

// A timeline period [from_ms, to_ms) after kStart with n requests and responses, each
// taking `latency_ms` (no histogram when n is 0: a pause).
metrics::Snapshot period(int64_t from_ms, int64_t to_ms, uint64_t n, uint64_t latency_ms = 20) {
  metrics::Snapshot s;
  s.period_start_ms = kStart + from_ms;
  s.period_end_ms = kStart + to_ms;
  s.add("http.requests", n);
  s.add("http.responses", n);
  if (n > 0) s.histogram("http.response_time").record(latency_ms * 1000, n);
  return s;
}

Report report_of(std::vector<metrics::Snapshot> timeline, int64_t start_offset_ms = 0) {
  Report r;
  r.run.start_ms = kStart + start_offset_ms;
  r.run.duration_s = static_cast<double>(timeline.back().period_end_ms - r.run.start_ms) / 1000;
  for (const auto& s : timeline) r.aggregate.merge(s);
  r.timeline = std::move(timeline);
  return r;
}

const ChartSeries& series(const std::vector<Chart>& charts, const std::string& chart,
                          const std::string& name) {
  for (const auto& c : charts) {
    if (c.id != chart) continue;
    for (const auto& s : c.series) {
      if (s.name == name) return s;
    }
  }
  throw std::runtime_error("no series " + chart + "/" + name);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SvgChart, ASeriesWithAGapIsDrawnAsTwoSegments) {
  Chart c;
  c.id = "t";
  c.x_max = 10;
  c.series.push_back({"p50", "#000", {{0.5, 10}, {1.5, 12}, {2.5, 11}, {7.5, 30}, {8.5, 31}}, {3}});
  ASSERT_EQ(segments(c.series[0]), (std::vector<std::pair<size_t, size_t>>{{0, 3}, {3, 5}}));
  const std::string svg = render_svg(c);
  EXPECT_NE(svg.find("data-series=\"p50\" data-points=\"5\" data-segments=\"2\""),
            std::string::npos)
      << svg;
  ASSERT_EQ(count(svg, "<polyline class=\"segment\""), 2u) << svg;
  // The first segment ends at x = 2.5 s, the second starts at 7.5 s: nothing drawn between.
  const auto first = svg.find("<polyline class=\"segment\" points=\"");
  const auto second = svg.find("<polyline class=\"segment\" points=\"", first + 1);
  const std::string a = svg.substr(first, svg.find("/>", first) - first);
  const std::string b = svg.substr(second, svg.find("/>", second) - second);
  EXPECT_EQ(count(a, ","), 3u) << a;
  EXPECT_EQ(count(b, ","), 2u) << b;
  // x = 64 + 816 * t / 10: 2.5 s is 268.00, 7.5 s is 676.00.
  EXPECT_NE(a.find("268.00,"), std::string::npos) << a;
  EXPECT_EQ(a.find("676.00,"), std::string::npos) << a;
  EXPECT_NE(b.find("\"676.00,"), std::string::npos) << b;
}

TEST(SvgChart, ALonePointBetweenGapsGetsADot) {
  Chart c;
  c.id = "t";
  c.x_max = 10;
  c.series.push_back({"max", "#000", {{0.5, 10}, {4.5, 12}, {8.5, 11}}, {1, 2}});
  const std::string svg = render_svg(c);
  EXPECT_EQ(count(svg, "<polyline class=\"segment\""), 3u) << svg;
  EXPECT_EQ(count(svg, "<circle "), 3u) << svg;
}

TEST(SvgChart, PhaseLabelsAreWholeAndStackWhenTheyWouldOverlap) {
  Chart c;
  c.id = "t";
  c.x_max = 29;
  c.bands = {{"Burst 1 ramp", 0, 2, false},
             {"Burst 1 hold", 2, 7, false},
             {"pause #3", 7, 11, true},
             {"Burst 3 at 40/s", 27, 29, false}};
  const std::string svg = render_svg(c);
  for (const char* label :
       {">Burst 1 ramp<", ">Burst 1 hold<", ">pause #3<", ">Burst 3 at 40/s<"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
  // "Burst 1 ramp" (72 px) is wider than its band (56 px): "Burst 1 hold" goes on a
  // second row, and the plot starts one row lower.
  EXPECT_NE(svg.find("data-plot=\"64 35 816 200\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("y=\"18\" font-size=\"10\" fill=\"#666\">Burst 1 ramp<"), std::string::npos);
  EXPECT_NE(svg.find("y=\"29\" font-size=\"10\" fill=\"#666\">Burst 1 hold<"), std::string::npos);
  EXPECT_NE(svg.find("y=\"18\" font-size=\"10\" fill=\"#666\">pause #3<"), std::string::npos);
  // "Burst 3 at 40/s" (90 px) would pass the right edge (900): it ends there instead.
  EXPECT_NE(svg.find("x=\"808.00\" y=\"18\" font-size=\"10\" fill=\"#666\">Burst 3 at 40/s<"),
            std::string::npos)
      << svg;
}

// A pause: two periods with no responses. The rate is a real 0 there; latency has no
// samples, so its line breaks instead of climbing across the pause.
TEST(ReportCharts, LatencyBreaksOverAPauseAndRatesShowZero) {
  std::vector<metrics::Snapshot> t;
  for (int i = 0; i < 8; ++i) {
    const bool pause = i == 3 || i == 4;
    t.push_back(period(i * 1000, (i + 1) * 1000, pause ? 0 : 10, i < 3 ? 20 : 300));
  }
  const auto charts = report_charts(report_of(t));
  const auto& p50 = series(charts, "chart-latency", "p50");
  ASSERT_EQ(p50.points.size(), 6u);
  EXPECT_EQ(p50.breaks, std::vector<size_t>{3});
  EXPECT_DOUBLE_EQ(p50.points[2].first, 2.5);
  EXPECT_DOUBLE_EQ(p50.points[3].first, 5.5);
  const auto& sent = series(charts, "chart-throughput", "sent");
  ASSERT_EQ(sent.points.size(), 8u);
  EXPECT_TRUE(sent.breaks.empty());
  EXPECT_DOUBLE_EQ(sent.points[3].second, 0);
  EXPECT_DOUBLE_EQ(sent.points[0].second, 10);
  EXPECT_DOUBLE_EQ(sent.points[0].first, 0.5);  // the middle of [0 s, 1 s)
}

// A period missing from the timeline (a worker's that never arrived) breaks every line.
TEST(ReportCharts, AMissingPeriodBreaksEveryLine) {
  const auto all =
      report_charts(report_of({period(0, 1000, 5), period(1000, 2000, 5), period(3000, 4000, 5)}));
  for (const auto& [chart, name] :
       {std::pair{"chart-throughput", "sent"}, std::pair{"chart-latency", "p99"},
        std::pair{"chart-vusers", "active"}}) {
    const auto& s = series(all, chart, name);
    ASSERT_EQ(s.points.size(), 3u) << chart << "/" << name;
    EXPECT_EQ(s.breaks, std::vector<size_t>{2}) << chart << "/" << name;
  }
}

// Issue 15.8: the README's chart started at 17 req/s where the script ramps from 1/s:
// the run began 60 ms before a period boundary, and one request over 0.06 s plotted
// as 16.7/s. A first period shorter than half a period joins the next one.
TEST(ReportCharts, AFirstSliverOfAPeriodJoinsTheNext) {
  const auto r =
      report_of({period(940, 1000, 1), period(1000, 2000, 3), period(2000, 3000, 40)}, 940);
  const auto charts = report_charts(r);
  const auto& sent = series(charts, "chart-throughput", "sent");
  ASSERT_EQ(sent.points.size(), 2u);
  EXPECT_DOUBLE_EQ(sent.points[0].first, 0.53);  // the middle of [0 s, 1.06 s)
  EXPECT_DOUBLE_EQ(sent.points[0].second, 4 / 1.06);
  EXPECT_DOUBLE_EQ(sent.points[1].first, 1.56);
  EXPECT_DOUBLE_EQ(sent.points[1].second, 40);
  // Half a period or more stays on its own, its rate over the part inside the run.
  const auto r2 = report_of({period(400, 1000, 1), period(1000, 2000, 3)}, 400);
  const auto charts2 = report_charts(r2);
  const auto& sent2 = series(charts2, "chart-throughput", "sent");
  ASSERT_EQ(sent2.points.size(), 2u);
  EXPECT_DOUBLE_EQ(sent2.points[0].first, 0.3);
  EXPECT_DOUBLE_EQ(sent2.points[0].second, 1 / 0.6);
}

TEST(ReportCharts, ALastSliverJoinsThePeriodBefore) {
  const auto r = report_of({period(0, 1000, 40), period(1000, 2000, 40), period(2000, 2100, 1)});
  const auto charts = report_charts(r);
  const auto& sent = series(charts, "chart-throughput", "sent");
  ASSERT_EQ(sent.points.size(), 2u);
  EXPECT_DOUBLE_EQ(sent.points[1].first, 1.55);
  EXPECT_DOUBLE_EQ(sent.points[1].second, 41 / 1.1);
}

}  // namespace
}  // namespace barrage::report
