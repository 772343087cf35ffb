// config.processor end to end (docs/processors.md): every hook kind in
// Artillery's signatures, require of Node built-ins and of a module in
// node_modules beside the script, an ES module processor, custom metrics
// counted exactly (also merged over worker processes), each failure mode of a
// hook, and the load-time errors. Real Node.js, the barrage binary as a user
// runs it, the demo target on 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "demo_target/target_server.h"
#include "report/json_report.h"
#include "servers.h"

namespace barrage::testing {
namespace {

const std::string kExe = BARRAGE_EXE;
const std::string kScripts = std::string(BARRAGE_SOURCE_DIR) + "/tests/processor/scripts/";

struct Outcome {
  int exit_code = -1;
  std::string out;
  metrics::Snapshot aggregate;
};

class Processor : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto started = server_.start();
    ASSERT_TRUE(started) << started.error().describe();
    dir_ = make_temp_dir();
  }
  void TearDown() override { (void)run_command("rm -rf " + dir_); }

  Outcome barrage(const std::string& script, const std::string& args = "",
                  const std::string& env = "") {
    const std::string report = dir_ + "/report.json";
    (void)run_command("rm -f " + report);
    const std::string cmd = "BARRAGE_NODE=" + std::string(BARRAGE_TEST_NODE) +
                            " BARRAGE_TARGET=http://127.0.0.1:" + std::to_string(server_.port()) +
                            " " + env + " " + kExe + " run -q --seed 7 -o " + report + " " +
                            (args.find("--cores") == std::string::npos ? "--cores 2 " : "") + args +
                            " " + kScripts + script;
    const auto r = run_command(cmd, 90);
    Outcome o{r.exit_code, r.out, {}};
    if (auto parsed = report::read_report(read_file(report))) o.aggregate = parsed->aggregate;
    return o;
  }

  demo_target::TargetServer server_{demo_target::TargetOptions{}};
  std::string dir_;
};

// hooks.yml: 6 VUs, each runs beforeScenario, a function step, two requests
// with the scenario's beforeRequest (one with its own beforeRequest and
// afterResponse), afterScenario. The processor's counters say each hook saw
// what Artillery would hand it; the demo target's /echo shows what was sent.
TEST_F(Processor, EveryHookKindRunsWithArtillerysSignatures) {
  const auto o = barrage("hooks.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  const auto& a = o.aggregate;
  EXPECT_EQ(a.counter("vusers.completed"), 6u) << o.out;
  EXPECT_EQ(a.counter("http.codes.200"), 12u);
  EXPECT_EQ(a.counter("hooks.before_scenario"), 6u);
  // beforeRequest's header and the step's templated header (rendered after
  // the hook, with the variable the function step set) both reached the target.
  EXPECT_EQ(a.counter("hooks.signature_seen"), 6u);
  // A beforeRequest that rewrote the URL and set qs with a template.
  EXPECT_EQ(a.counter("hooks.retargeted"), 6u);
  // afterScenario saw the context as the hooks left it (a number kept its type).
  EXPECT_EQ(a.counter("hooks.after_scenario_ok"), 6u);
  EXPECT_EQ(a.counter("hooks.finished"), 6u);  // a rate event
  const auto* h = a.find_histogram("hooks.token_length");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->count(), 6u);
  EXPECT_EQ(h->max(), 16000u);  // 16, in the report's unit (us, printed as 16)
  EXPECT_EQ(a.counter("errors.EHOOKTIMEOUT"), 0u);
  // The capture of the hook's header, logged by the flow.
  EXPECT_THAT(o.out, ::testing::HasSubstr("captured sig-"));
}

TEST_F(Processor, EsModuleProcessorWithAnNpmModule) {
  const auto o = barrage("esm.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("esm.calls"), 4u);
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 4u);
  EXPECT_EQ(o.aggregate.counter("vusers.completed"), 4u);
}

// Custom metrics from 3 worker processes add up exactly.
TEST_F(Processor, CustomMetricsMergeOverWorkers) {
  const auto o = barrage("hooks.yml", "--count 3");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("hooks.signature_seen"), 6u);
  EXPECT_EQ(o.aggregate.counter("hooks.after_scenario_ok"), 6u);
  const auto* h = o.aggregate.find_histogram("hooks.token_length");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->count(), 6u);
}

// config.before's function step: its variables reach every VU, here and on
// worker processes (where the coordinator runs it).
TEST_F(Processor, BeforeFlowFunctionSharesItsVariables) {
  for (const std::string args : {"", "--count 2"}) {
    const auto o = barrage("before.yml", args);
    ASSERT_EQ(o.exit_code, 0) << o.out;
    EXPECT_EQ(o.aggregate.counter("before.shared_seen"), 3u) << args;
    EXPECT_EQ(o.aggregate.counter("http.codes.200"), 3u) << args;
    EXPECT_EQ(o.aggregate.counter("barrage.before.vusers.completed"), 1u) << args;
    // (A worker process's `log` lines do not reach the coordinator's output.)
    if (args.empty()) {
      EXPECT_THAT(o.out, ::testing::HasSubstr("path /echo/from-before"));
    }
  }
}

// A hook that throws, rejects, passes an error to next, or never calls next
// fails its VU with a named error; the run goes on and exits 0.
TEST_F(Processor, FailingHooksFailTheirVuWithANamedError) {
  const auto o = barrage("failing.yml");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  const auto& a = o.aggregate;
  EXPECT_EQ(a.counter("vusers.created"), 8u);
  EXPECT_EQ(a.counter("vusers.failed"), 8u);
  EXPECT_EQ(a.counter("http.requests"), 0u);
  EXPECT_EQ(a.counter("errors.thrown by a hook"), a.counter("vusers.created_by_name.throws"));
  EXPECT_EQ(a.counter("errors.EREJECTED"), a.counter("vusers.created_by_name.rejects"));
  EXPECT_EQ(a.counter("errors.passed to next"), a.counter("vusers.created_by_name.passes"));
  EXPECT_EQ(a.counter("errors.EHOOKTIMEOUT"), a.counter("vusers.created_by_name.never"));
}

// A hook that loops forever: its call times out (hookTimeout 1 s), the Node
// process does not answer a ping and is killed and restarted, and the VUs
// that arrive later run normally.
TEST_F(Processor, EndlessLoopIsKilledAndTheRunGoesOn) {
  const std::string marker = dir_ + "/looped";
  const auto o = barrage("loop.yml", "--cores 1", "BARRAGE_TEST_MARKER=" + marker);
  ASSERT_EQ(o.exit_code, 0) << o.out;
  const auto& a = o.aggregate;
  EXPECT_EQ(a.counter("errors.EHOOKTIMEOUT"), 1u) << o.out;
  EXPECT_EQ(a.counter("vusers.failed"), 1u);
  EXPECT_EQ(a.counter("vusers.completed"), 2u);
  EXPECT_EQ(a.counter("failing.ok"), 2u);
  EXPECT_EQ(a.counter("http.codes.200"), 2u);
  EXPECT_THAT(o.out, ::testing::HasSubstr("stopped answering (killed); restarting it"));
}

TEST_F(Processor, SyntaxErrorIsALoadErrorWithLineAndColumn) {
  const auto o = barrage("syntax_error.yml");
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_THAT(o.out, ::testing::HasSubstr("syntax_error.js:3:45: the processor does not load: "
                                          "SyntaxError: Unexpected token ';'"));
}

TEST_F(Processor, MissingNpmModuleIsALoadError) {
  const auto o = barrage("missing_module.yml");
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_THAT(o.out, ::testing::HasSubstr("missing_module.js:1:18: the processor does not load: "
                                          "cannot find module 'barrage-no-such-module'"));
}

TEST_F(Processor, MissingFunctionIsALoadErrorAtTheScriptsPlace) {
  const auto o = barrage("missing_function.yml");
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_THAT(o.out,
              ::testing::HasSubstr("missing_function.yml:10:26: function 'noSuchFunction' is not "
                                   "exported by the processor hooks.js"));
}

// A script without a processor never starts Node.js: it runs with no Node at all.
TEST_F(Processor, PlainScriptsDoNotStartNode) {
  const auto o = barrage("plain.yml", "", "BARRAGE_NODE=/nonexistent/node");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(o.aggregate.counter("http.codes.200"), 3u);
}

TEST_F(Processor, LambdaRunsWithAProcessorAreRefused) {
  const auto o = barrage("hooks.yml", "--platform aws:lambda --count 2");
  EXPECT_NE(o.exit_code, 0) << o.out;
  EXPECT_THAT(o.out, ::testing::HasSubstr("cannot run on AWS Lambda yet"));
}

}  // namespace
}  // namespace barrage::testing
