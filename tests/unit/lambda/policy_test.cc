// The caller's IAM policy (`barrage lambda policy`): valid JSON, every
// permission of the single list in it, scoped to barrage's names, and every
// call the resources code makes (setup, run queue and files, status,
// teardown, cleanup; observed through ClientConfig::on_call) covered.
#include "lambda/policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "fake_aws.h"
#include "lambda/resources.h"

namespace barrage::lambda {
namespace {

using nlohmann::json;

std::set<std::string> listed_actions() {
  std::set<std::string> out;
  for (const auto& p : caller_permissions()) out.insert(std::string(p.action));
  return out;
}

TEST(CallerPolicy, ParsesAndNamesEveryPermissionScopedToBarrage) {
  const json policy = json::parse(caller_policy("123456789012"));
  EXPECT_EQ(policy["Version"], "2012-10-17");
  std::set<std::string> in_policy;
  for (const auto& s : policy["Statement"]) {
    EXPECT_EQ(s["Effect"], "Allow");
    const std::string resource = s["Resource"];
    for (const auto& a : s["Action"]) {
      const std::string action = a;
      EXPECT_TRUE(in_policy.insert(action).second) << action << " twice";
      if (resource == "*") {
        // Only calls that have no resource-level permissions.
        EXPECT_TRUE(action == "sts:GetCallerIdentity" || action == "lambda:ListFunctions" ||
                    action == "sqs:ListQueues")
            << action;
      } else {
        EXPECT_NE(resource.find("123456789012"), std::string::npos) << resource;
        EXPECT_NE(resource.find("barrage-"), std::string::npos) << resource;
      }
    }
    if (s["Sid"] == "BarragePassWorkerRole") {
      EXPECT_EQ(s["Action"], json::array({"iam:PassRole"}));
      EXPECT_EQ(s["Resource"], "arn:aws:iam::123456789012:role/barrage-lambda-worker");
      EXPECT_EQ(s["Condition"]["StringEquals"]["iam:PassedToService"], "lambda.amazonaws.com");
    }
  }
  EXPECT_EQ(in_policy, listed_actions());
  EXPECT_EQ(json::parse(caller_policy("1", "aws-cn"))["Statement"][1]["Resource"],
            "arn:aws-cn:s3:::barrage-1-*");
}

TEST(CallerPolicy, CoversEveryCallTheResourcesCodeMakes) {
  testing_support::FakeAws fake;
  const auto zip = std::filesystem::temp_directory_path() /
                   ("barrage-policy-test-" + std::to_string(::getpid()) + ".zip");
  std::ofstream(zip) << "zip";
  fake.pending_after_change = 1;
  ResourcesOptions options;
  options.sleep = [](std::chrono::milliseconds) {};
  Resources res(fake.config(), options);
  res.ensure_bucket();
  const Ensured role = res.ensure_role();
  FunctionOptions fo;
  fo.role_arn = role.arn;
  fo.package_path = zip.string();
  res.ensure_function(fo);
  std::ofstream(zip) << "zip v2";
  res.ensure_function(fo);  // UpdateFunctionCode
  const std::string url = res.create_run_queue("r-1");
  RunMetadata m;
  m.run_id = "r-1";
  m.started_ms = 1;
  res.put_run_metadata(m);
  res.get_run_metadata("r-1");
  res.put_stop_flag("r-1");
  res.stop_acks("r-1");
  res.status();
  res.cleanup(std::chrono::seconds(0));
  res.delete_run_queue(url);
  res.teardown({.delete_bucket = true});
  std::filesystem::remove(zip);

  const std::set<std::string> listed = listed_actions();
  const std::set<std::string> used = fake.actions();
  EXPECT_GE(used.size(), 20U);  // the flow above really went through the clients
  for (const auto& action : used) {
    // "": a call that needs no permission (STS GetCallerIdentity).
    if (!action.empty()) {
      EXPECT_EQ(listed.count(action), 1U) << action;
    }
  }
}

TEST(WorkerRolePolicy, IsValidJsonWithOnlyTheWorkersNeeds) {
  const json p = json::parse(worker_role_policy("123456789012"));
  std::set<std::string> actions;
  for (const auto& s : p["Statement"]) {
    for (const auto& a : s["Action"]) actions.insert(a.get<std::string>());
    const std::string resource = s["Resource"].is_array() ? s["Resource"][0] : s["Resource"];
    EXPECT_NE(resource, "*");
  }
  EXPECT_EQ(actions, (std::set<std::string>{"sqs:SendMessage", "s3:GetObject", "s3:ListBucket",
                                            "s3:PutObject", "logs:CreateLogGroup",
                                            "logs:CreateLogStream", "logs:PutLogEvents"}));
}

}  // namespace
}  // namespace barrage::lambda
