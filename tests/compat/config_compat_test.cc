// Run-level Artillery features end to end: the scripts under
// tests/compat/scripts run with the barrage binary, as a user runs them,
// against the demo target (or nginx for TLS) on 127.0.0.1. Each test asserts
// what the user sees: counts in the JSON report, console lines, exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "demo_target/target_server.h"
#include "missing_deps.h"
#include "report/json_report.h"
#include "servers.h"

namespace barrage::testing {
namespace {

const std::string kExe = BARRAGE_EXE;
const std::string kScripts = std::string(BARRAGE_SOURCE_DIR) + "/tests/compat/scripts/";

struct Outcome {
  int exit_code = -1;
  std::string out;
  metrics::Snapshot aggregate;
  bool has_report = false;
};

class ConfigCompat : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto started_ok = server_.start(); !started_ok) FAIL() << started_ok.error().describe();
    dir_ = make_temp_dir();
  }
  void TearDown() override { (void)run_command("rm -rf " + dir_); }

  [[nodiscard]] std::string target() const {
    return "http://127.0.0.1:" + std::to_string(server_.port());
  }

  // `barrage <command> SCRIPT ARGS` with BARRAGE_TARGET set; reads the report.
  Outcome barrage(const std::string& script, const std::string& args = "",
                  const std::string& command = "run", const std::string& target_url = "") {
    const std::string report = dir_ + "/report.json";
    (void)run_command("rm -f " + report);
    std::string cmd = "BARRAGE_TARGET=" + (target_url.empty() ? target() : target_url) + " " +
                      kExe + " " + command + " " + kScripts + script;
    if (command == "run") cmd += " -q --cores 2 --seed 7 -o " + report;
    cmd += " " + args;
    const auto r = run_command(cmd, 60);
    Outcome o{r.exit_code, r.out, {}, false};
    if (command == "run") {
      if (auto parsed = report::read_report(read_file(report))) {
        o.aggregate = parsed->aggregate;
        o.has_report = true;
      }
    }
    return o;
  }

  demo_target::TargetServer server_{demo_target::TargetOptions{}};
  std::string dir_;
};

TEST_F(ConfigCompat, PayloadSequenceIsDisjointAcrossShards) {
  const auto o = barrage("payload_sequence.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  // 8 arrivals over 4 rows on 2 shards: every row exactly twice.
  for (const char* code : {"200", "201", "202", "203"}) {
    EXPECT_EQ(o.aggregate.counter(std::string("http.codes.") + code), 2u) << code;
  }
}

// Three worker processes share the rows the same way: sequence order comes
// from the run-wide arrival index, so every row is used exactly twice, not
// once per worker.
TEST_F(ConfigCompat, PayloadSequenceRowsAreShardedAcrossWorkers) {
  const auto o = barrage("payload_sequence.yml", "--count 3");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  for (const char* code : {"200", "201", "202", "203"}) {
    EXPECT_EQ(o.aggregate.counter(std::string("http.codes.") + code), 2u) << code;
  }
}

TEST_F(ConfigCompat, PayloadRandomOrderJsonScript) {
  const auto o = barrage("payload_random.json");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  uint64_t seen = 0;
  for (const char* code : {"200", "201", "202", "203"}) {
    seen += o.aggregate.counter(std::string("http.codes.") + code);
  }
  EXPECT_EQ(seen, 20u);
  EXPECT_EQ(o.aggregate.counter("http.requests"), 20u);
}

TEST_F(ConfigCompat, PayloadQuotedFieldsReachTheTarget) {
  const auto o = barrage("payload_quoted.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("plugins.expect.ok.equals"), 4u);
  EXPECT_EQ(o.aggregate.counter("plugins.expect.failed"), 0u);
}

TEST_F(ConfigCompat, PayloadDelimiterAndCast) {
  const auto o = barrage("payload_cast.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.201"), 3u);  // "0001" cast to 1
  EXPECT_EQ(o.aggregate.counter("http.codes.204"), 3u);
  EXPECT_EQ(o.aggregate.counter("plugins.expect.ok.equals"), 3u);  // cast: false keeps "0001"
}

TEST_F(ConfigCompat, PayloadLoadAll) {
  const auto o = barrage("payload_load_all.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("plugins.expect.ok.equals"), 4u);
}

TEST_F(ConfigCompat, EnvironmentOption) {
  auto o = barrage("environments.yml", "-e staging");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.201"), 3u);
  EXPECT_EQ(o.aggregate.counter("http.requests"), 3u);
  o = barrage("environments.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 2u);
  // An environment the script does not define: Artillery warns and runs
  // with the base config; so does barrage. --strict refuses it.
  o = barrage("environments.yml", "-e prod");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 2u);
  EXPECT_THAT(o.out, ::testing::HasSubstr("barrage: warning: " + kScripts +
                                          "environments.yml:6:3: environment 'prod' is set but "
                                          "is not defined in config.environments (defined: "
                                          "staging): running with the base config"));
  o = barrage("environments.yml", "-e prod --strict");
  EXPECT_EQ(o.exit_code, 2);
}

TEST_F(ConfigCompat, OverridesAndVariablesOptions) {
  auto o = barrage("environments.yml",
                   "--overrides '\\''{\"config\": {\"phases\": [{\"duration\": 1, "
                   "\"arrivalCount\": 4}]}}'\\'' --variables '\\''{\"code\": 202}'\\''");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.202"), 4u);
  o = barrage("environments.yml", "--overrides '\\''{\"config\": '\\''");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.out, ::testing::HasSubstr("barrage: --overrides: not valid JSON"));
  EXPECT_FALSE(o.has_report);
}

TEST_F(ConfigCompat, ConfigFileOption) {
  const auto o = barrage("config_file.yml", "--config " + kScripts + "config_file.config.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.203"), 5u);
}

TEST_F(ConfigCompat, DotenvOption) {
  const auto o = barrage("dotenv.yml", "--dotenv " + kScripts + "compat.env");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.207"), 2u);
}

TEST_F(ConfigCompat, ScenarioNameOption) {
  auto o = barrage("scenario_name.json", "--scenario-name created");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.201"), 6u);
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 0u);
  o = barrage("scenario_name.json", "--scenario-name deleted");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.out, ::testing::HasSubstr("no scenario named 'deleted' (--scenario-name); "
                                          "scenarios: 'ok', 'created'"));
}

TEST_F(ConfigCompat, BeforeCapturesAreSharedAndHooksAreApart) {
  const auto o = barrage("before_after.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  // 6 profile reads with the before flow's token; the login and the after
  // flow are left out of the test's counters, as Artillery's report does.
  EXPECT_EQ(o.aggregate.counter("http.codes.401"), 0u);
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 6u);
  EXPECT_EQ(o.aggregate.counter("http.codes.204"), 0u);
  EXPECT_EQ(o.aggregate.counter("http.requests"), 6u);
  EXPECT_EQ(o.aggregate.counter("vusers.created"), 6u);
  EXPECT_EQ(o.aggregate.counter("vusers.created_by_name.0"), 6u);
  EXPECT_EQ(o.aggregate.counter("plugins.expect.ok.statusCode"), 6u);
  // Kept apart, so a failing hook still shows.
  EXPECT_EQ(o.aggregate.counter("barrage.before.http.codes.200"), 1u);
  EXPECT_EQ(o.aggregate.counter("barrage.after.http.codes.204"), 1u);
}

// Distributed (3 worker processes): `before` and `after` still run once, in
// the coordinator, and every worker's VUs use the token `before` captured.
TEST_F(ConfigCompat, BeforeAndAfterRunOnceOnThreeWorkers) {
  const auto o = barrage("before_after.yml", "--count 3");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.401"), 0u);
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 6u);
  EXPECT_EQ(o.aggregate.counter("http.codes.204"), 0u);
  EXPECT_EQ(o.aggregate.counter("http.requests"), 6u);
  EXPECT_EQ(o.aggregate.counter("vusers.created_by_name.0"), 6u);  // merged over workers
  EXPECT_EQ(o.aggregate.counter("barrage.before.http.codes.200"), 1u);
  EXPECT_EQ(o.aggregate.counter("barrage.after.http.codes.204"), 1u);
  EXPECT_EQ(o.aggregate.counter("plugins.expect.ok.statusCode"), 6u);
}

// Load options reach the workers: -e picks the environment on each of them.
TEST_F(ConfigCompat, EnvironmentReachesEveryWorker) {
  const auto o = barrage("environments.yml", "-e staging --count 3");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.201"), 3u);
  EXPECT_EQ(o.aggregate.counter("http.requests"), 3u);
}

TEST_F(ConfigCompat, EnsurePasses) {
  const auto o = barrage("ensure_pass.yml");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_THAT(o.out, ::testing::HasSubstr("Checks:\nok: http.response_time.p99 < 5000\n"
                                          "ok: http.codes.200 == 5 and vusers.failed == 0\n"
                                          "ok: maxErrorRate < 0\n"));
}

TEST_F(ConfigCompat, EnsureFailsWithExitCodeOne) {
  const auto o = barrage("ensure_fail.yml");
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_THAT(o.out, ::testing::HasSubstr("fail: p95 < 10\n"));
  EXPECT_TRUE(o.has_report);  // the report is still written
}

TEST_F(ConfigCompat, EnsureOptionalConditionDoesNotFailTheRun) {
  const auto o = barrage("ensure_optional.json");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_THAT(o.out, ::testing::HasSubstr("fail: http.codes.500 > 0 (optional)\n"
                                          "ok: http.requests >= 2\n"));
}

TEST_F(ConfigCompat, EnsureMaxErrorRate) {
  const auto o = barrage("ensure_error_rate.yml");
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_EQ(o.aggregate.counter("vusers.failed"), 4u);
  EXPECT_THAT(o.out, ::testing::HasSubstr("fail: maxErrorRate < 0\n"));
}

TEST_F(ConfigCompat, Apdex) {
  const auto o = barrage("apdex.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("apdex.satisfied"), 2u);
  EXPECT_EQ(o.aggregate.counter("apdex.tolerated"), 2u);
  EXPECT_EQ(o.aggregate.counter("apdex.frustrated"), 2u);
  EXPECT_THAT(o.out, ::testing::HasSubstr("Apdex score: 0.5 (poor)"));
}

TEST_F(ConfigCompat, MetricsByEndpointOptions) {
  const auto o = barrage("metrics_by_endpoint.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("plugins.metrics-by-endpoint./status/200.codes.200"), 3u);
  EXPECT_EQ(o.aggregate.counter("plugins.metrics-by-endpoint.created.codes.201"), 3u);
  EXPECT_NE(o.aggregate.find_histogram("plugins.metrics-by-endpoint.response_time.created"),
            nullptr);
}

TEST_F(ConfigCompat, IgnoredPluginAndIncludeFilesAreNoticed) {
  const auto o = barrage("ignore_plugin.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_THAT(o.out, ::testing::HasSubstr("barrage: notice: plugin 'publish-metrics' is ignored"));
  EXPECT_THAT(o.out, ::testing::HasSubstr("barrage: notice: config.includeFiles is ignored"));
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 2u);
}

TEST_F(ConfigCompat, HttpDefaultsTimeoutPoolAndExtendedMetrics) {
  const auto o = barrage("http_settings.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("plugins.expect.ok.equals"), 8u);
  EXPECT_EQ(o.aggregate.counter("errors.ETIMEDOUT"), 4u);
  EXPECT_EQ(o.aggregate.counter("vusers.failed"), 4u);
  EXPECT_THAT(o.out, ::testing::HasSubstr("http.ttfb:"));  // extendedMetrics: shown
}

TEST_F(ConfigCompat, ListVariablePicksPerVu) {
  const auto o = barrage("variables.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  const uint64_t ok = o.aggregate.counter("http.codes.200");
  const uint64_t created = o.aggregate.counter("http.codes.201");
  EXPECT_EQ(ok + created, 30u);
  EXPECT_GT(ok, 0u);  // 30 fair picks: each side at least once but for 2^-29
  EXPECT_GT(created, 0u);
}

TEST_F(ConfigCompat, TlsRejectUnauthorized) {
  Nginx nginx;
  if (nginx.not_installed()) BARRAGE_MISSING_DEP(nginx.error());
  ASSERT_TRUE(nginx.ok()) << nginx.error();
  const std::string https = "https://127.0.0.1:" + std::to_string(nginx.tls_port());
  auto o = barrage("tls_reject.yml", "", "run", https);
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 2u);
  // The same script with verification on (an override) refuses the certificate.
  o = barrage("tls_reject.yml",
              "--overrides '\\''{\"config\": {\"tls\": {\"rejectUnauthorized\": true}}}'\\''",
              "run", https);
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 0u);
  EXPECT_EQ(o.aggregate.counter("vusers.failed"), 2u);
}

TEST_F(ConfigCompat, Validate) {
  auto o = barrage("before_after.yml", "", "validate");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.out, "ok: 1 phase, 1 scenario\n");
  o = barrage("scenario_name.json", "--scenario-name nope", "validate");
  EXPECT_EQ(o.exit_code, 2);
  o = barrage("environments.yml", "-e staging --variables '\\''{\"code\": [1, 2]}'\\''",
              "validate");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  o = barrage("payload_sequence.yml",
              "--overrides '\\''{\"config\": {\"payload\": {\"path\": "
              "\"nope.csv\"}}}'\\''",
              "validate");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.out, ::testing::HasSubstr("payload 'nope.csv': cannot open: No such file"));
}

}  // namespace
}  // namespace barrage::testing

namespace barrage::testing {
namespace {

// Unknown and legacy keys, a plugin that is not built in, an expect entry
// YAML reads as a string: the script runs as Artillery runs it, and barrage
// prints one warning per key, with its place, before the run.
class LenientCompat : public ConfigCompat {};

TEST_F(LenientCompat, ScriptRunsWithOneWarningPerKeyAndStrictRefusesIt) {
  const auto o = barrage("lenient_keys.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  const std::string at = "barrage: warning: " + kScripts + "lenient_keys.yml:";
  EXPECT_THAT(o.out, ::testing::HasSubstr(
                         at + "6:3: 'statsInterval' in config is ignored: barrage reports every "
                              "10 s"));
  EXPECT_THAT(o.out, ::testing::HasSubstr(at + "15:5: Plugin publish-metrics specified but module "
                                               "@acme/publish-metrics could not be found"));
  EXPECT_THAT(o.out,
              ::testing::HasSubstr(at + "16:28: unknown key 'useRequestNamesOnly' in "
                                        "plugins.metrics-by-endpoint is ignored; did you mean "
                                        "'useOnlyRequestNames'?"));
  EXPECT_THAT(o.out, ::testing::HasSubstr(at + "23:15: expect entry 'statusCode:200' is a string"));
  EXPECT_THAT(o.out, ::testing::HasSubstr(at + "25:1: 'output' in script is ignored"));
  // Every request was sent, with the default cookie and the object variables.
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 2u);
  EXPECT_EQ(o.aggregate.counter("plugins.expect.ok.equals"), 2u);
  EXPECT_EQ(o.aggregate.counter("plugins.expect.failed"), 0u);
  EXPECT_EQ(o.aggregate.counter("plugins.expect.ok.statusCode"), 0u);  // skipped, as Artillery

  const auto strict = barrage("lenient_keys.yml", "--strict", "validate");
  EXPECT_EQ(strict.exit_code, 2) << strict.out;
  EXPECT_THAT(strict.out,
              ::testing::HasSubstr(kScripts + "lenient_keys.yml:25:1: --strict: 'output'"));
}

}  // namespace
}  // namespace barrage::testing

namespace barrage::testing {
namespace {

// Phase sizes from the environment, a templated think with jitter, triple
// braces, $randomNumber/$randomString and a templated loop count, end to end.
TEST_F(LenientCompat, TemplatesInPhasesThinkAndLoops) {
  const auto o = barrage("templates_config.yml", "--dotenv " + kScripts + "templates.env");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("vusers.created"), 3u);  // arrivalCount from $env
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 6u);  // 3 VUs x count "{{ $env... }}" = 2
  EXPECT_EQ(o.aggregate.counter("plugins.expect.ok.equals"), 6u);
  EXPECT_EQ(o.aggregate.counter("plugins.expect.failed"), 0u);
  EXPECT_EQ(o.out.find("barrage: warning"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace barrage::testing
