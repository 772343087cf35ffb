// The smallest compat case: a plain Artillery script runs unchanged against
// the demo target and every arrival becomes one 200.
#include <gtest/gtest.h>

#include <string>

#include "demo_target/target_server.h"
#include "servers.h"

namespace barrage::testing {
namespace {

TEST(Compat, PlainScriptRunsUnchanged) {
  demo_target::TargetServer server(demo_target::TargetOptions{});
  if (auto started_ok = server.start(); !started_ok) FAIL() << started_ok.error().describe();
  const auto result =
      run_script("config:\n  target: http://127.0.0.1:" + std::to_string(server.port()) +
                 "\n"
                 "  phases: [{ duration: 1, arrivalRate: 5 }]\n"
                 "scenarios: [{ flow: [{ get: { url: / } }] }]\n");
  EXPECT_EQ(result.aggregate.counter("vusers.created"), 5U);
  EXPECT_EQ(result.aggregate.counter("http.codes.200"), 5U);
}

}  // namespace
}  // namespace barrage::testing
