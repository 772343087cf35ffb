// The report model on a real run: a short burst against the demo target in this
// process, built into a Report, written, read back and written again gives the
// same text, and every rendering of the read-back model equals the rendering of
// the built one (the JSON holds everything the renderings need).
#include <gtest/gtest.h>

#include <atomic>

#include "demo_target/target_server.h"
#include "engine/runner.h"
#include "report/ci_reports.h"
#include "report/console.h"
#include "report/from_run.h"
#include "report/html_report.h"
#include "report/json_report.h"
#include "script/loader.h"

namespace barrage::report {
namespace {

TEST(ReportModelRun, RoundTripsARealRun) {
  demo_target::TargetOptions options;
  options.cold_start_ms = 20;
  options.concurrency_limit = 3;
  demo_target::TargetServer server(options);
  if (auto started_ok = server.start(); !started_ok) FAIL() << started_ok.error().describe();
  const std::string target = "http://127.0.0.1:" + std::to_string(server.port());
  const auto plan =
      script::load_plan_string(
          "config:\n  target: " + target +
              "\n  serverless: { coldStartHeader: x-barrage-cold-start }\n"
              "  plugins:\n    ensure:\n      thresholds: [ { http.response_time.p99: 5000 } ]\n"
              "      conditions: [ { expression: 'http.response_time.p99 < 5000 and "
              "vusers.created > 0' } ]\n"
              "  phases:\n    - { name: warm, duration: 1, arrivalRate: 5 }\n"
              "    - { pause: 1 }\n    - { duration: 1, arrivalRate: 20, rampTo: 60 }\n"
              "scenarios:\n  - flow:\n      - get: { url: '/catalog/items?limit=5', name: items }\n"
              "      - get: { url: /missing }\n",
          "run.yml", {})
          .value();
  engine::RunOptions run_options;
  run_options.cores = 2;
  std::atomic<bool> stop{false};
  const engine::RunResult result = engine::run_plan(plan, run_options, {}, &stop);
  const auto checks = evaluate_ensure(plan.plugins.ensure, result.aggregate, result.duration_s);
  const Report built =
      build_report(result, plan, {"run.yml", target, "test", checks}, RunExtras{"r-test"});
  ASSERT_GT(built.aggregate.counter("http.requests"), 0u);
  ASSERT_FALSE(built.timeline.empty());

  const std::string text = write_report(built);
  const auto back = read_report(text);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(write_report(*back), text);
  EXPECT_EQ(to_html_report(*back), to_html_report(built));
  EXPECT_EQ(to_junit_report(*back), to_junit_report(built));
  EXPECT_EQ(to_csv_report(*back), to_csv_report(built));
  EXPECT_EQ(format_summary(*back, {}), format_summary(built, {}));
  EXPECT_EQ(format_analysis(back->analysis), format_analysis(built.analysis));
  EXPECT_EQ(back->run.run_id, "r-test");
  ASSERT_TRUE(back->ensure);
  ASSERT_EQ(back->ensure->size(), 2u);
  // Every check says what it compared (issue 15.8: the HTML showed "-" for both).
  const auto& threshold = (*back->ensure)[0];
  ASSERT_TRUE(threshold.value && threshold.limit);
  EXPECT_EQ(threshold.limit->as_double(), 5000.0);
  EXPECT_GT(threshold.value->as_double(), 0);
  const auto& condition = (*back->ensure)[1];
  ASSERT_EQ(condition.inputs.size(), 2u);
  EXPECT_EQ(condition.inputs[0].first, "http.response_time.p99");
  EXPECT_EQ(condition.inputs[1].first, "vusers.created");
  ASSERT_TRUE(condition.inputs[1].second);
  const std::string html = to_html_report(built);
  const auto from = html.find("id=\"table-ensure\"");
  ASSERT_NE(from, std::string::npos);
  const std::string table = html.substr(from, html.find("</table>", from) - from);
  EXPECT_NE(table.find(", vusers.created = "), std::string::npos) << table;
  EXPECT_EQ(table.find("<td>-</td>"), std::string::npos) << table;
}

}  // namespace
}  // namespace barrage::report
