// Artillery scripts using scenario, step and request features
// (tests/compat/scripts/steps-*) run against the demo target, whose /echo
// route answers with the request it received. Captured values are checked by
// the scripts' own `expect` checks; the tests assert the counts a user sees.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "demo_target/target_server.h"
#include "engine/runner.h"
#include "script/loader.h"
#include "servers.h"

namespace barrage::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kScripts = fs::path(BARRAGE_SOURCE_DIR) / "tests/compat/scripts";

class StepsCompat : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new demo_target::TargetServer(demo_target::TargetOptions{});
    if (auto started_ok = server_->start(); !started_ok) FAIL() << started_ok.error().describe();
    ::setenv("BARRAGE_COMPAT_TOKEN", "s3cret", 1);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::string target() { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  static engine::RunResult run(const std::string& name, int cores = 1) {
    script::LoadOptions lo;
    lo.target_override = target();
    const auto plan = script::load_plan_file((kScripts / name).string(), lo).value();
    engine::RunOptions o;
    o.cores = cores;
    o.seed = 42;
    return engine::run_plan(plan, o, {}, nullptr);
  }
  // Requests of an endpoint, by URL or by request name (a named request is
  // counted as "URL (name)", as Artillery names it).
  static uint64_t requests(const engine::RunResult& r, const std::string& endpoint) {
    const std::string prefix = "plugins.metrics-by-endpoint.";
    const std::string suffix = ".requests";
    uint64_t n = 0;
    for (const auto& [k, v] : r.aggregate.counters) {
      if (!k.starts_with(prefix) || !k.ends_with(suffix)) continue;
      const std::string name = k.substr(prefix.size(), k.size() - prefix.size() - suffix.size());
      if (name == endpoint || name.ends_with(" (" + endpoint + ")")) n += v;
    }
    return n;
  }
  // barrage.expect.<endpoint>.<check>.<outcome>, the endpoint by URL or name.
  static uint64_t expect_count(const engine::RunResult& r, const std::string& endpoint,
                               const std::string& check_outcome) {
    uint64_t n = 0;
    for (const auto& [k, v] : r.aggregate.counters) {
      if (!k.starts_with("barrage.expect.") || !k.ends_with("." + check_outcome)) continue;
      const std::string name = k.substr(15, k.size() - 15 - check_outcome.size() - 1);
      if (name == endpoint || name.ends_with(" (" + endpoint + ")")) n += v;
    }
    return n;
  }

  static demo_target::TargetServer* server_;
};

demo_target::TargetServer* StepsCompat::server_ = nullptr;

TEST_F(StepsCompat, QueryStringReplacesTheUrlsQueryAndIsFormEncoded) {
  const auto r = run("steps-qs.yml");
  EXPECT_EQ(r.aggregate.counter("http.requests"), 3U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok"), 3U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
}

TEST_F(StepsCompat, FormBodyIsUrlEncoded) {
  const auto r = run("steps-form.yml");
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok"), 4U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
}

TEST_F(StepsCompat, FormDataSendsFieldsAndFiles) {
  const auto r = run("steps-formdata.yml");
  EXPECT_EQ(r.aggregate.counter("http.requests"), 4U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok"), 10U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
}

TEST_F(StepsCompat, BasicAuthFromAJsonScript) {
  const auto r = run("steps-auth.json");
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok.equals"), 2U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
}

TEST_F(StepsCompat, CookieStaysInTheJar) {
  const auto r = run("steps-cookie.yml");
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok"), 4U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
}

TEST_F(StepsCompat, GzipAsksForCompression) {
  const auto r = run("steps-gzip.yml");
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok"), 2U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
}

TEST_F(StepsCompat, IfTrueSkipsRequests) {
  const auto r = run("steps-iftrue.yml");
  EXPECT_EQ(requests(r, "/echo/yes"), 2U);
  EXPECT_EQ(requests(r, "/echo/no"), 0U);
  EXPECT_EQ(requests(r, "/echo/even"), 4U);  // $loopCount 0 and 2, per VU
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 2U);
}

TEST_F(StepsCompat, ProbabilityZeroAndHundred) {
  const auto r = run("steps-probability.json");
  EXPECT_EQ(requests(r, "/echo/never"), 0U);
  EXPECT_EQ(requests(r, "/echo/always"), 4U);
}

TEST_F(StepsCompat, FailedMatchEndsTheVu) {
  const auto r = run("steps-match.yml");
  EXPECT_EQ(requests(r, "/echo/ok"), 3U);
  EXPECT_EQ(requests(r, "/echo/bad"), 3U);
  EXPECT_EQ(requests(r, "/echo/never-reached"), 0U);
  EXPECT_EQ(r.aggregate.counter("errors.Failed capture or match"), 3U);
  EXPECT_EQ(r.aggregate.counter("vusers.failed"), 3U);
}

TEST_F(StepsCompat, JavaScriptRegexpAndXPathCaptures) {
  const auto r = run("steps-capture-js-regexp-xpath.yml");
  EXPECT_EQ(requests(r, "/links.xml"), 2U);
  EXPECT_EQ(requests(r, "{{ link }}/{{ first }}"), 2U);
  // The URL built from the three regexp captures reached /echo as expected.
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok.equals"), 2U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
  // xpath on a JSON body: a failed capture, the VU ends there.
  EXPECT_EQ(requests(r, "/echo/json"), 2U);
  EXPECT_EQ(requests(r, "/echo/never-reached"), 0U);
  EXPECT_EQ(r.aggregate.counter("errors.Failed capture or match"), 2U);
  EXPECT_EQ(r.aggregate.counter("vusers.failed"), 2U);
}

TEST_F(StepsCompat, ReportFailuresAsErrors) {
  const auto r = run("steps-expect-errors.yml");
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed.statusCode"), 2U);
  EXPECT_EQ(r.aggregate.counter("errors.Failed expectations"), 2U);
  EXPECT_EQ(requests(r, "/echo/never-reached"), 0U);
  EXPECT_EQ(r.aggregate.counter("vusers.failed"), 2U);
}

TEST_F(StepsCompat, ExpectDefault200) {
  const auto r = run("steps-expect-default200.yml");
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok.statusCode"), 4U);  // /echo and explicit
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed.statusCode"), 2U);
  EXPECT_EQ(r.aggregate.counter("barrage.expect./status/404.statusCode.failed"), 2U);
  EXPECT_EQ(expect_count(r, "explicit", "statusCode.ok"), 2U);
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 2U);
}

TEST_F(StepsCompat, LoopRangeAndTemplatedCount) {
  const auto r = run("steps-loop-range.yml");
  EXPECT_EQ(requests(r, "range"), 6U);      // 2, 3, 4 per VU
  EXPECT_EQ(requests(r, "templated"), 6U);  // "{{ n }}" = 3 per VU
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok"), 2U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
}

TEST_F(StepsCompat, LoopOverListsAndCapturedArrays) {
  const auto r = run("steps-loop-over.yml");
  EXPECT_EQ(requests(r, "over-list"), 6U);
  EXPECT_EQ(requests(r, "over-variable"), 6U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok"), 18U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
}

TEST_F(StepsCompat, ParallelRunsConcurrently) {
  const auto r = run("steps-parallel.json");
  for (const char* name : {"p1", "p2", "p3", "after"}) EXPECT_EQ(requests(r, name), 2U) << name;
  const auto* session = r.aggregate.find_histogram("vusers.session_length");
  ASSERT_NE(session, nullptr);
  // Three 150 ms requests one after the other would take 450 ms.
  EXPECT_GE(session->max(), 150'000U);
  EXPECT_LT(session->max(), 400'000U);
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 2U);
}

TEST_F(StepsCompat, ParallelLimitOneIsSequential) {
  const auto r = run("steps-parallel-limit.yml");
  EXPECT_EQ(r.aggregate.counter("http.requests"), 3U);
  const auto* session = r.aggregate.find_histogram("vusers.session_length");
  ASSERT_NE(session, nullptr);
  EXPECT_GE(session->min(), 450'000U);
}

TEST_F(StepsCompat, ThinkJitterStaysInItsBounds) {
  const auto r = run("steps-think-jitter.yml");
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 4U);
  const auto* session = r.aggregate.find_histogram("vusers.session_length");
  ASSERT_NE(session, nullptr);
  // 0.2 s +- 50% and 0.1 s +- 50 ms: between 150 and 450 ms.
  EXPECT_GE(session->min(), 150'000U);
  EXPECT_LT(session->max(), 600'000U);
}

TEST_F(StepsCompat, TemplateForms) {
  const auto r = run("steps-templates.yml");
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok"), 8U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 2U);  // the $dirname capture matched
}

TEST_F(StepsCompat, UuidIsTheSameForAWholeScenarioRun) {
  const auto r = run("steps-uuid.yml");
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok"), 3U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
}

TEST_F(StepsCompat, TemplatedWeight) {
  const auto r = run("steps-weight-template.yml");
  EXPECT_EQ(requests(r, "/echo/never"), 0U);
  EXPECT_EQ(requests(r, "/echo/always"), 10U);
}

TEST_F(StepsCompat, JsonPathFilters) {
  const auto r = run("steps-jsonpath-filter.yml");
  EXPECT_EQ(r.aggregate.counter("plugins.expect.ok"), 4U);
  EXPECT_EQ(r.aggregate.counter("plugins.expect.failed"), 0U);
}

TEST_F(StepsCompat, LogLinesAreRateLimited) {
  const auto out = run_command(std::string(BARRAGE_EXE) + " run --quiet --cores 1 --target " +
                               target() + " " + (kScripts / "steps-log.yml").string() + " 2>&1");
  EXPECT_EQ(out.exit_code, 0) << out.out;
  EXPECT_NE(out.out.find("hello bob\n"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("line 0\n"), std::string::npos);
  EXPECT_NE(out.out.find("line 18\n"), std::string::npos);
  EXPECT_EQ(out.out.find("line 19\n"), std::string::npos);  // the 21st line of that second
  EXPECT_NE(out.out.find("barrage: 31 log line(s) not shown (more than 20 per second)"),
            std::string::npos);
  EXPECT_NE(out.out.find("after the pause\n"), std::string::npos);
}

TEST_F(StepsCompat, ChecklistInTheSummary) {
  const auto out = run_command(std::string(BARRAGE_EXE) + " run --cores 1 --target " + target() +
                               " " + (kScripts / "steps-expect-default200.yml").string() + " 2>&1");
  EXPECT_EQ(out.exit_code, 21) << out.out;
  EXPECT_NE(out.out.find("Expectations:\n"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("  /status/404\n    not ok statusCode: ."), std::string::npos) << out.out;
  EXPECT_NE(out.out.find(" 0 ok, 2 failed\n"), std::string::npos);
  EXPECT_NE(out.out.find(" (explicit)\n    ok     statusCode: ."), std::string::npos);
  EXPECT_EQ(out.out.find("barrage.expect."), std::string::npos);
}

}  // namespace
}  // namespace barrage::testing
