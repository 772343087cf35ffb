// The report model: the JSON text round-trips through it exactly (saved
// reports, distributed sections, sections other tools write), a report
// without an analysis gets one computed, and malformed input is refused with
// an error saying where.
#include "report/model.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/from_run.h"
#include "report/json_report.h"
#include "script/loader.h"

namespace barrage::report {
namespace {

using nlohmann::json;

std::string fixture(const char* name) {
  std::ifstream in(std::string(BARRAGE_SOURCE_DIR) + "/tests/report/fixtures/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Report read_ok(const std::string& text) {
  auto r = read_report(text);
  EXPECT_TRUE(r) << r.error().describe();
  return r.value_or(Report{});
}

TEST(ReportModel, SavedReportsRoundTripExactly) {
  for (const char* name : {"base.json", "new.json"}) {
    const std::string text = fixture(name);
    ASSERT_FALSE(text.empty()) << name;
    const Report r = read_ok(text);
    EXPECT_EQ(write_report(r), text) << name;
    EXPECT_FALSE(r.timeline.empty()) << name;
    EXPECT_FALSE(r.endpoints.empty()) << name;
  }
}

TEST(ReportModel, WithoutAnAnalysisItIsComputedFromTheSnapshots) {
  auto doc = json::parse(fixture("base.json"));
  json stored = doc["analysis"];
  doc.erase("analysis");
  json computed = json::parse(analysis_to_json(read_ok(doc.dump()).analysis));
  // base.json was written when barrage still estimated cold starts without a
  // header; computed now, they are not counted (no guess).
  EXPECT_EQ(computed["cold_starts"]["source"], "none");
  EXPECT_EQ(computed["cold_starts"]["count"], 0);
  EXPECT_EQ(stored["cold_starts"]["source"], "estimate");
  computed.erase("cold_starts");
  stored.erase("cold_starts");
  EXPECT_EQ(computed, stored);
}

metrics::Snapshot period(int64_t start_ms, uint64_t requests) {
  metrics::Snapshot s;
  s.period_start_ms = start_ms;
  s.period_end_ms = start_ms + 1000;
  s.add("http.requests", requests);
  s.add("http.responses", requests);
  s.add("http.codes.200", requests);
  s.histogram("http.response_time").record(1500, requests);
  return s;
}

// A Lambda run's result and what the run API adds beside it.
struct DistributedRun {
  engine::RunResult result;
  fleet::FleetSummary fleet;
  lambda::CostReport cost;
  [[nodiscard]] RunExtras extras() const { return {"r-1", &fleet, &cost}; }
};

DistributedRun distributed_run() {
  DistributedRun d;
  engine::RunResult& r = d.result;
  r.start_wall_ms = 1'800'000'000'000;
  r.duration_s = 2;
  r.cores = 4;
  for (int i = 0; i < 2; ++i) {
    r.timeline.push_back(period(r.start_wall_ms + i * 1000, 10));
    r.aggregate.merge(r.timeline.back());
  }
  r.periods = {r.aggregate};
  d.fleet.platform = "aws:lambda";
  d.fleet.workers = {{0, "done", "", 1'800'000'002'000, 3, 0.25, 1.5, 12},
                     {1, "lost", "no heartbeat", 0, 1, 0.5, 0, 8}};
  d.fleet.duplicates_dropped = 2;
  d.fleet.late_batches = 1;
  d.fleet.regions = {{"us-east-1", 1, r.timeline[0]}, {"eu-west-1", 1, r.timeline[1]}};
  d.cost.estimated = {0.0125, 10.5, 2, 30, 4, "about $0.01"};
  d.cost.measured = lambda::CostFigure{0.011, 9.25, 2, 28, 4, "$0.011"};
  d.cost.prices_date = "2026-11-22";
  d.cost.notes = {"SQS free tier not counted"};
  return d;
}

TEST(ReportModel, DistributedSectionsRoundTrip) {
  const auto plan = script::load_plan_string(
                        "config:\n  target: http://127.0.0.1:1\n  phases:\n    - { duration: 2, "
                        "arrivalRate: 10 }\n"
                        "scenarios:\n  - flow:\n      - get: { url: / }\n",
                        "d.yml", {})
                        .value();
  const DistributedRun run = distributed_run();
  const Report built = build_report(run.result, plan, {"d.yml", "t", "test", {}}, run.extras());
  const std::string text = write_report(built);
  const Report r = read_ok(text);
  EXPECT_EQ(write_report(r), text);
  EXPECT_EQ(r.run.run_id, "r-1");
  EXPECT_EQ(r.run.platform, "aws:lambda");
  ASSERT_TRUE(r.workers);
  ASSERT_EQ(r.workers->size(), 2u);
  EXPECT_EQ((*r.workers)[1].status, "lost");
  EXPECT_EQ((*r.workers)[1].reason, "no heartbeat");
  EXPECT_EQ((*r.workers)[0].requests, Number{uint64_t{12}});
  ASSERT_TRUE(r.delivery);
  EXPECT_EQ(r.delivery->duplicates_dropped, 2u);
  ASSERT_TRUE(r.regions);
  ASSERT_EQ(r.regions->size(), 2u);
  EXPECT_EQ((*r.regions)[0].key, "eu-west-1");  // in name order
  ASSERT_TRUE(r.cost && r.cost->measured);
  EXPECT_EQ(r.cost->measured->gb_seconds, Number{9.25});
  EXPECT_EQ(r.cost->notes.size(), 1u);
}

TEST(ReportModel, SectionsOtherToolsWriteKeepTheirNumbers) {
  auto doc = json::parse(fixture("base.json"));
  doc["ensure"] = json::array({{{"name", "p95"}, {"value", 51.5}, {"limit", 200}, {"ok", true}},
                               {{"name", "expr"}, {"expression", "p99 < 5"}, {"ok", false}}});
  doc["workers"] = json::array({{{"id", "w1"}, {"region", "eu"}, {"requests", 5}}});
  doc["regions"] = {{"eu", {{"requests", 5}, {"response_time", {{"p95", 3}}}}}};
  const Report r = read_ok(doc.dump(2) + "\n");
  EXPECT_EQ(write_report(r), doc.dump(2) + "\n");
  ASSERT_TRUE(r.ensure);
  EXPECT_EQ(to_json_text(*(*r.ensure)[0].limit), "200");
  EXPECT_EQ(to_json_text(*(*r.ensure)[0].value), "51.5");
  EXPECT_EQ((*r.ensure)[1].expression, "p99 < 5");
  EXPECT_EQ((*r.workers)[0].id_text, "w1");
}

// The error for `text`, or "" when it reads.
std::string error_of(const std::string& text) {
  const auto r = read_report(text);
  return r ? "" : r.error().message;
}

std::string with(const std::string& pointer, const json& value) {
  auto doc = json::parse(fixture("base.json"));
  doc[json::json_pointer(pointer)] = value;
  return doc.dump();
}

TEST(ReportModel, MalformedInputIsRefusedSayingWhere) {
  EXPECT_EQ(error_of("not json"), "not JSON");
  EXPECT_EQ(error_of("[1, 2]"), "not JSON");
  EXPECT_EQ(error_of(R"({"schema": "other"})"),
            "not a barrage report (no \"schema\": \"barrage.report/1\")");
  EXPECT_EQ(error_of(R"({"schema": "barrage.report/1"})"), "");  // an empty report reads
  EXPECT_EQ(error_of(with("/aggregate/counters/http.requests", -1)),
            "aggregate.counters.http.requests: expected a non-negative integer");
  EXPECT_EQ(error_of(with("/aggregate/counters/http.requests", "12")),
            "aggregate.counters.http.requests: expected a non-negative integer");
  EXPECT_EQ(error_of(with("/intermediate/0/histograms/http.response_time", "@@@")),
            "intermediate[0].histograms.http.response_time: not a serialized histogram");
  EXPECT_EQ(error_of(with("/timeline", json::object())), "timeline: expected an array");
  EXPECT_EQ(error_of(with("/run/cores", "two")), "run.cores: expected an integer");
  EXPECT_EQ(error_of(with("/run/cores", -1)), "run.cores: out of range");
  EXPECT_EQ(error_of(with("/run/phases/0/duration_s", true)),
            "run.phases[0].duration_s: expected a number");
  EXPECT_EQ(error_of(with("/analysis/error_onset", json::array({{{"class", "teapot"}}}))),
            "analysis.error_onset[0].class: unknown error class 'teapot'");
  EXPECT_EQ(error_of(with("/ensure", json::array({{{"name", "p95"}}}))),
            "ensure[0].ok: missing (a check's verdict is required)");
  EXPECT_EQ(error_of(with("/workers", json::array({7}))), "workers[0]: expected an object");
  EXPECT_EQ(error_of(with("/cost/notes", json::array({1}))), "cost.notes[0]: expected a string");
  EXPECT_EQ(error_of(with("/warnings", "saturated")), "warnings: expected an array");
}

}  // namespace
}  // namespace barrage::report

namespace barrage::report {
namespace {

// --name, --tags, --note: written when given, read back; the saved fixtures
// (written before these existed) read with none and are written unchanged.
TEST(ReportModel, RunLabelsRoundTripAndOldReportsHaveNone) {
  const std::string old_text = fixture("base.json");
  Report r = read_ok(old_text);
  EXPECT_TRUE(r.run.labels.empty());
  EXPECT_EQ(write_report(r), old_text);
  r.run.labels.name = "nightly";
  r.run.labels.tags = {{"team", "sqa"}, {"service", "foo"}};
  r.run.labels.note = "after the cache change";
  const std::string text = write_report(r);
  const auto doc = json::parse(text);
  EXPECT_EQ(doc["run"]["name"], "nightly");
  EXPECT_EQ(doc["run"]["tags"], json::parse(R"([{"name":"team","value":"sqa"},
                                                {"name":"service","value":"foo"}])"));
  EXPECT_EQ(doc["run"]["note"], "after the cache change");
  const Report back = read_ok(text);
  EXPECT_EQ(back.run.labels, r.run.labels);
  EXPECT_EQ(write_report(back), text);
  EXPECT_EQ(error_of(with("/run/tags", "team:sqa")), "run.tags: expected an array");
  EXPECT_EQ(error_of(with("/run/tags", json::array({1}))), "run.tags[0]: expected an object");
}

}  // namespace
}  // namespace barrage::report
