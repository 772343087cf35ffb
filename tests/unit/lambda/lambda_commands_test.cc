// `barrage lambda policy | setup | status | teardown | cleanup` through the
// binary, with a clean environment (dummy keys, no profile files, no
// instance metadata) and AWS reached at the fake control plane (fake_aws.h).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fake_aws.h"
#include "lambda/resources.h"

namespace barrage::lambda {
namespace {

using nlohmann::json;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

const std::string kEnv =
    "env -i PATH=/usr/bin:/bin HOME=/nonexistent AWS_CONFIG_FILE=/nonexistent "
    "AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true "
    "AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=dummysecret ";

Result run(const std::string& env_and_args) {
  const auto err_path = std::filesystem::temp_directory_path() /
                        ("barrage-lambda-cli-test-" + std::to_string(::getpid()) + ".err");
  const std::string command = "timeout -k 5 240 " + kEnv + env_and_args + " 2>" + err_path.string();
  Result r;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_path);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  std::filesystem::remove(err_path);
  return r;
}

std::string exe() { return BARRAGE_EXE; }

std::string sts_url(testing_support::FakeAws& fake) { return fake.config().endpoint_url; }

TEST(LambdaPolicyCommand, PrintsThePolicyWithTheAccountFromSts) {
  testing_support::FakeAws fake;
  const Result r = run("AWS_ENDPOINT_URL_STS=" + sts_url(fake) + " " + exe() +
                       " lambda policy --region eu-west-1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json policy = json::parse(r.out);
  EXPECT_EQ(policy["Version"], "2012-10-17");
  EXPECT_NE(r.out.find("arn:aws:s3:::barrage-123456789012-*"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"iam:PassRole\""), std::string::npos);
  EXPECT_EQ(fake.count("STS GetCallerIdentity"), 1U);
}

TEST(LambdaPolicyCommand, AccountIdNeedsNoCredentialsAndErrorsAreClear) {
  const Result given = run(exe() + " lambda policy --account-id 111122223333");
  ASSERT_EQ(given.exit_code, 0) << given.err;
  EXPECT_NE(given.out.find("arn:aws:iam::111122223333:role/barrage-lambda-worker"),
            std::string::npos);

  testing_support::FakeAws fake;
  fake.denied = {"GetCallerIdentity"};
  const Result denied = run("AWS_ENDPOINT_URL_STS=" + sts_url(fake) + " " + exe() +
                            " lambda policy --region eu-west-1");
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_TRUE(denied.out.empty());
  EXPECT_NE(denied.err.find("barrage lambda policy: STS GetCallerIdentity: AccessDenied"),
            std::string::npos)
      << denied.err;
  EXPECT_NE(denied.err.find("sts:GetCallerIdentity"), std::string::npos) << denied.err;
}

TEST(LambdaAdminCommands, SetupStatusTeardownCleanup) {
  testing_support::FakeAws fake;
  const std::string aws = "AWS_REGION=eu-west-1 " + exe() + " lambda ";
  const std::string at = " --endpoint-url " + fake.config().endpoint_url;

  // First setup packages this binary and creates everything.
  Result r = run(aws + "setup --memory-size 2048 --tags team=perf" + at);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::string function = function_name("x86_64", 2048);
  EXPECT_NE(r.out.find("account 123456789012\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("eu-west-1: bucket barrage-123456789012-eu-west-1: created\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("role barrage-lambda-worker: created"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("eu-west-1: function " + function + ": created, package uploaded"),
            std::string::npos)
      << r.out;
  const auto& code = fake.buckets.at("barrage-123456789012-eu-west-1").at(code_key(function)).body;
  EXPECT_TRUE(code.starts_with("PK")) << "not a zip";
  EXPECT_EQ(fake.functions.at(function).memory_mb, 2048);

  // Second: the same package, everything reused.
  r = run(aws + "setup --memory-size 2048" + at);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bucket barrage-123456789012-eu-west-1: reused"), std::string::npos);
  EXPECT_NE(r.out.find("role barrage-lambda-worker: reused"), std::string::npos);
  EXPECT_NE(r.out.find("function " + function + ": reused ("), std::string::npos) << r.out;
  EXPECT_EQ(fake.count("Lambda CreateFunction"), 1U);
  EXPECT_EQ(fake.count("Lambda UpdateFunctionCode"), 0U);

  {
    Resources res(fake.config());
    res.create_run_queue("r-20261122-143005-3fa9");
  }
  r = run(aws + "status" + at);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  bucket barrage-123456789012-eu-west-1: exists"), std::string::npos);
  EXPECT_NE(r.out.find("  function " + function + ": Active, x86_64, 2048 MB"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("barrage-r-20261122-143005-3fa9: created"), std::string::npos) << r.out;

  r = run(aws + "cleanup --older-than 1x" + at);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--older-than 1x"), std::string::npos) << r.err;
  r = run(aws + "cleanup" + at);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("pass --yes"), std::string::npos) << r.err;
  r = run(aws + "cleanup --yes" + at);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "eu-west-1: nothing older than 24h\n");

  r = run(aws + "teardown" + at);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("pass --yes"), std::string::npos) << r.err;
  EXPECT_EQ(fake.functions.size(), 1U);
  r = run(aws + "teardown --yes --delete-bucket" + at);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("eu-west-1: deleted function " + function), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deleted role barrage-lambda-worker"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deleted bucket barrage-123456789012-eu-west-1 (1 objects)"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(fake.functions.empty());
  EXPECT_TRUE(fake.queues.empty());
  EXPECT_TRUE(fake.buckets.empty());
}

TEST(LambdaAdminCommands, UsageErrors) {
  Result r = run(exe() + " lambda status");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no region: pass --region"), std::string::npos) << r.err;
  r = run(exe() + " lambda setup --region eu-west-1 --architecture arm64");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("needs --package"), std::string::npos) << r.err;
  r = run(exe() + " lambda setup --region eu-west-1 --memory-size 64");
  EXPECT_EQ(r.exit_code, 2);
  r = run(exe() + " lambda teardown --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--delete-bucket"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace barrage::lambda
