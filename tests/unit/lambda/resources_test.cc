// lambda::Resources against a stateful fake of the AWS control plane
// (fake_aws.h): what setup sends the first time, that a second setup reuses
// everything, code updates only when the package changes, the IAM
// propagation retry, status, teardown and cleanup, and AWS errors surfacing
// with the clear message.
#include "lambda/resources.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aws/errors.h"
#include "aws/s3.h"
#include "fake_aws.h"

namespace barrage::lambda {
namespace {

using nlohmann::json;
using testing_support::FakeAws;
using testing_support::kAccount;

class TempZip {
 public:
  explicit TempZip(const std::string& content) {
    path_ = std::filesystem::temp_directory_path() /
            ("barrage-resources-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter_++) + ".zip");
    write(content);
  }
  ~TempZip() { std::filesystem::remove(path_); }
  void write(const std::string& content) const {
    std::ofstream(path_, std::ios::binary) << content;
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

struct Sleeps {
  std::vector<std::chrono::milliseconds> waits;
  ResourcesOptions options() {
    ResourcesOptions o;
    o.sleep = [this](std::chrono::milliseconds d) { waits.push_back(d); };
    return o;
  }
};

FunctionOptions function_options(const std::string& role_arn, const std::string& zip) {
  FunctionOptions f;
  f.memory_mb = 1769;
  f.architecture = "x86_64";
  f.role_arn = role_arn;
  f.package_path = zip;
  return f;
}

TEST(ResourceNames, FollowTheLayout) {
  EXPECT_EQ(bucket_name("123456789012", "eu-west-1"), "barrage-123456789012-eu-west-1");
  EXPECT_EQ(function_name("arm64", 2048, "1.2.3"), "barrage-worker-1-2-3-arm64-2048");
  EXPECT_EQ(function_name("x86_64", 1769), function_version_prefix() + "x86_64-1769");
  EXPECT_EQ(project_version(), "0.1.0");  // CMakeLists.txt's project(VERSION)
  EXPECT_EQ(std::string(kRoleName), "barrage-lambda-worker");
  // cli::new_run_id's shape.
  EXPECT_EQ(queue_name("r-20261122-143005-3fa9"), "barrage-r-20261122-143005-3fa9");
  EXPECT_EQ(queue_name(std::string(64, 'a')).size(), 72U);  // SQS allows 80
  EXPECT_THROW(queue_name(std::string(65, 'a')), std::invalid_argument);
  EXPECT_THROW(queue_name("r/1"), std::invalid_argument);
  EXPECT_THROW(queue_name(""), std::invalid_argument);
  EXPECT_EQ(run_id_of_queue("https://sqs.eu-west-1.amazonaws.com/1/barrage-r-1"), "r-1");
  EXPECT_EQ(run_id_of_queue("https://sqs.eu-west-1.amazonaws.com/1/other-r-1"), "");
  EXPECT_EQ(run_prefix("r-1"), "runs/r-1/");
  EXPECT_EQ(stop_key("r-1"), "runs/r-1/stop");
  EXPECT_EQ(ack_key("r-1", 7), "runs/r-1/acks/7");
  EXPECT_EQ(meta_key("r-1"), "meta/r-1.json");
  EXPECT_EQ(code_key("barrage-worker-x"), "code/barrage-worker-x.zip");
  EXPECT_EQ(partition_for("cn-north-1"), "aws-cn");
  EXPECT_EQ(partition_for("us-gov-west-1"), "aws-us-gov");
  EXPECT_EQ(partition_for("eu-west-1"), "aws");
}

TEST(RunMetadata, RoundTripsAndRejectsGarbage) {
  RunMetadata m;
  m.run_id = "r-20261122-143005-3fa9";
  m.started_ms = 1'800'000'000'123;
  m.status = "running";
  m.regions = {"eu-west-1", "us-east-1"};
  m.queue_urls = {{"eu-west-1", "https://q/1"}, {"us-east-1", "https://q/2"}};
  m.function = "barrage-worker-0-1-0-x86_64-1769";
  m.workers = 12;
  const auto back = run_metadata_from_json(run_metadata_to_json(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->run_id, m.run_id);
  EXPECT_EQ(back->started_ms, m.started_ms);
  EXPECT_EQ(back->regions, m.regions);
  EXPECT_EQ(back->queue_urls, m.queue_urls);
  EXPECT_EQ(back->workers, 12);
  auto error = [](std::string_view text) {
    const auto r = run_metadata_from_json(text);
    return r ? std::string("(read)") : r.error().describe();
  };
  EXPECT_EQ(error("[1]"), "run metadata is not a JSON object");
  EXPECT_EQ(error(R"({"run_id": "a/b"})"), "run metadata: no valid run_id");
  EXPECT_EQ(error(R"({"run_id": 3})"), "run metadata: no valid run_id");
  EXPECT_EQ(error(R"({"run_id": "r", "workers": 1e99})"),
            "run metadata: a field has the wrong type");
  EXPECT_EQ(error(R"({"run_id": "r", "regions": "eu-west-1"})"),
            "run metadata: regions is not a list");
}

TEST(Resources, FirstSetupCreatesEverythingAsSpecified) {
  FakeAws fake;
  fake.pending_after_change = 2;
  Sleeps sleeps;
  Resources res(fake.config("eu-west-1"), sleeps.options());
  TempZip zip("zip bytes v1");

  EXPECT_EQ(res.account_id(), kAccount);
  const Ensured bucket = res.ensure_bucket();
  EXPECT_EQ(bucket.name, "barrage-123456789012-eu-west-1");
  EXPECT_EQ(bucket.outcome, Outcome::kCreated);
  ASSERT_EQ(fake.lifecycle.count(bucket.name), 1U);
  const std::string& rules = fake.lifecycle.at(bucket.name);
  EXPECT_NE(rules.find("<Prefix>runs/</Prefix>"), std::string::npos) << rules;
  EXPECT_NE(rules.find("<Days>2</Days>"), std::string::npos) << rules;
  EXPECT_NE(rules.find("<Prefix>meta/</Prefix>"), std::string::npos) << rules;
  EXPECT_NE(rules.find("<Days>7</Days>"), std::string::npos) << rules;

  const Ensured role = res.ensure_role();
  EXPECT_EQ(role.outcome, Outcome::kCreated);
  EXPECT_EQ(role.arn, "arn:aws:iam::123456789012:role/barrage-lambda-worker");
  ASSERT_TRUE(fake.role);
  const json trust = json::parse(fake.role->trust_policy);
  EXPECT_EQ(trust["Statement"][0]["Principal"]["Service"], "lambda.amazonaws.com");
  EXPECT_EQ(trust["Statement"][0]["Action"], "sts:AssumeRole");
  ASSERT_EQ(fake.role->policies.count("barrage-lambda-worker"), 1U);
  const json policy = json::parse(fake.role->policies.at("barrage-lambda-worker"));
  std::map<std::string, json> by_action;
  for (const auto& s : policy["Statement"]) {
    for (const auto& a : s["Action"]) by_action[a.get<std::string>()] = s["Resource"];
  }
  EXPECT_EQ(by_action["sqs:SendMessage"], "arn:aws:sqs:*:123456789012:barrage-*");
  EXPECT_EQ(by_action["s3:GetObject"], "arn:aws:s3:::barrage-123456789012-*/runs/*");
  EXPECT_EQ(by_action["s3:PutObject"], "arn:aws:s3:::barrage-123456789012-*/runs/*/acks/*");
  EXPECT_EQ(by_action["logs:PutLogEvents"][0],
            "arn:aws:logs:*:123456789012:log-group:/aws/lambda/barrage-worker-*");
  // Nothing beyond what the worker needs.
  EXPECT_EQ(by_action.size(), 7U);

  FunctionOptions fo = function_options(role.arn, zip.path());
  fo.subnet_ids = {"subnet-1"};
  fo.security_group_ids = {"sg-1"};
  fo.tags = {{"team", "perf"}};
  const Ensured function = res.ensure_function(fo);
  EXPECT_EQ(function.name, function_name("x86_64", 1769));
  EXPECT_EQ(function.outcome, Outcome::kCreated);
  EXPECT_TRUE(function.uploaded);
  EXPECT_NE(function.arn.find(":function:" + function.name), std::string::npos);
  const auto& objects = fake.buckets.at(bucket.name);
  ASSERT_EQ(objects.count(code_key(function.name)), 1U);
  EXPECT_EQ(objects.at(code_key(function.name)).body, "zip bytes v1");
  const auto& f = fake.functions.at(function.name);
  const json create = json::parse(f.create_body);
  EXPECT_EQ(create["Runtime"], "provided.al2023");
  EXPECT_EQ(create["Handler"], "bootstrap");
  EXPECT_EQ(create["Timeout"], 900);
  EXPECT_EQ(create["MemorySize"], 1769);
  EXPECT_EQ(create["Architectures"], json::array({"x86_64"}));
  EXPECT_EQ(create["Role"], role.arn);
  EXPECT_EQ(create["Code"]["S3Bucket"], bucket.name);
  EXPECT_EQ(create["Code"]["S3Key"], code_key(function.name));
  EXPECT_EQ(create["VpcConfig"]["SubnetIds"], json::array({"subnet-1"}));
  EXPECT_EQ(create["VpcConfig"]["SecurityGroupIds"], json::array({"sg-1"}));
  EXPECT_EQ(create["Tags"]["team"], "perf");
  // Waited through two Pending answers, then set no retries.
  EXPECT_EQ(fake.count("Lambda GetFunctionConfiguration"), 4U);  // missing + 2 Pending + Active
  EXPECT_EQ(sleeps.waits.size(), 2U);
  ASSERT_TRUE(f.maximum_retry_attempts);
  EXPECT_EQ(*f.maximum_retry_attempts, 0);
  EXPECT_EQ(fake.count("STS GetCallerIdentity"), 1U);  // cached
}

// A package over S3's multipart threshold (a sanitizer build's is 65 MB)
// goes up in parts and reads back whole, with its sha256 metadata.
TEST(Resources, LargeObjectsGoUpInParts) {
  FakeAws fake;
  Resources res(fake.config());
  res.ensure_bucket();
  std::string big(20U * 1024 * 1024 + 17, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  res.s3()
      .put_object(res.bucket(), "code/big.zip", big, "application/zip", {{"sha256", "abc"}})
      .value();
  EXPECT_GT(res.s3().last_put_parts(), 1);
  EXPECT_EQ(res.s3().get_object(res.bucket(), "code/big.zip").value(), big);
  EXPECT_EQ(fake.buckets.at(res.bucket()).at("code/big.zip").metadata.at("sha256"), "abc");
}

TEST(Resources, SecondSetupReusesEverything) {
  FakeAws fake;
  TempZip zip("zip bytes v1");
  {
    Resources res(fake.config());
    res.ensure_bucket();
    const Ensured role = res.ensure_role();
    res.ensure_function(function_options(role.arn, zip.path()));
  }
  const size_t before = fake.operations().size();
  Resources res(fake.config());
  EXPECT_EQ(res.ensure_bucket().outcome, Outcome::kReused);
  const Ensured role = res.ensure_role();
  EXPECT_EQ(role.outcome, Outcome::kReused);
  const Ensured function = res.ensure_function(function_options(role.arn, zip.path()));
  EXPECT_EQ(function.outcome, Outcome::kReused);
  EXPECT_FALSE(function.uploaded);
  const auto ops = fake.operations();
  const std::vector<std::string> second(ops.begin() + static_cast<ptrdiff_t>(before), ops.end());
  // Exactly these: nothing created, uploaded or updated.
  EXPECT_EQ(second, (std::vector<std::string>{
                        "STS GetCallerIdentity", "S3 HeadBucket", "IAM GetRole",
                        "IAM PutRolePolicy",  // barrage's role keeps its policy current
                        "S3 HeadObject", "Lambda GetFunctionConfiguration",
                        "Lambda PutFunctionEventInvokeConfig"}));
}

TEST(Resources, NewPackageIsUploadedAndTheCodeUpdated) {
  FakeAws fake;
  TempZip zip("zip bytes v1");
  Resources res(fake.config());
  res.ensure_bucket();
  const Ensured role = res.ensure_role();
  const std::string name = res.ensure_function(function_options(role.arn, zip.path())).name;
  const std::string old_sha = fake.functions.at(name).code_sha256;
  zip.write("zip bytes v2");
  const Ensured again = res.ensure_function(function_options(role.arn, zip.path()));
  EXPECT_EQ(again.outcome, Outcome::kUpdated);
  EXPECT_TRUE(again.uploaded);
  EXPECT_EQ(fake.count("Lambda UpdateFunctionCode"), 1U);
  EXPECT_EQ(fake.count("Lambda CreateFunction"), 1U);
  EXPECT_NE(fake.functions.at(name).code_sha256, old_sha);
  // The same bytes a third time: nothing to do.
  EXPECT_EQ(res.ensure_function(function_options(role.arn, zip.path())).outcome, Outcome::kReused);
  EXPECT_EQ(fake.count("Lambda UpdateFunctionCode"), 1U);
  EXPECT_EQ(fake.count("S3 PutObject"), 2U);
}

TEST(Resources, CreateFunctionWaitsForTheNewRoleToPropagate) {
  FakeAws fake;
  fake.propagation_failures = 3;
  Sleeps sleeps;
  Resources res(fake.config(), sleeps.options());
  TempZip zip("zip");
  res.ensure_bucket();
  const Ensured role = res.ensure_role();
  EXPECT_EQ(res.ensure_function(function_options(role.arn, zip.path())).outcome, Outcome::kCreated);
  EXPECT_EQ(fake.count("Lambda CreateFunction"), 4U);
  ASSERT_GE(sleeps.waits.size(), 3U);
  EXPECT_EQ(sleeps.waits[0], std::chrono::milliseconds(1000));
  EXPECT_EQ(sleeps.waits[1], std::chrono::milliseconds(2000));
  EXPECT_EQ(sleeps.waits[2], std::chrono::milliseconds(4000));
}

TEST(Resources, PropagationRetryGivesUpAfterItsTimeoutWithTheMessage) {
  FakeAws fake;
  fake.propagation_failures = 1000;
  Sleeps sleeps;
  ResourcesOptions options = sleeps.options();
  options.role_propagation_timeout = std::chrono::seconds(60);
  Resources res(fake.config(), options);
  TempZip zip("zip");
  res.ensure_bucket();
  const Ensured role = res.ensure_role();
  try {
    res.ensure_function(function_options(role.arn, zip.path()));
    FAIL() << "no error";
  } catch (const aws::AwsError& e) {
    EXPECT_EQ(e.code(), "InvalidParameterValueException");
    EXPECT_NE(std::string(e.what()).find("cannot be assumed by Lambda"), std::string::npos)
        << e.what();
  }
  std::chrono::milliseconds total{0};
  for (auto w : sleeps.waits) total += w;
  EXPECT_LE(total, std::chrono::seconds(60));
  EXPECT_GE(total, std::chrono::seconds(50));  // 1+2+4+8+8+8+8+8+8 = 55
}

TEST(Resources, GivenRoleArnIsUsedWithoutIam) {
  FakeAws fake;
  Resources res(fake.config());
  const Ensured role = res.ensure_role("arn:aws:iam::123456789012:role/mine");
  EXPECT_EQ(role.name, "mine");
  EXPECT_EQ(role.arn, "arn:aws:iam::123456789012:role/mine");
  for (const auto& op : fake.operations()) EXPECT_FALSE(op.starts_with("IAM")) << op;
}

TEST(Resources, ForeignRoleOfTheSameNameKeepsItsPolicies) {
  FakeAws fake;
  fake.role = FakeAws::FakeRole{"arn:aws:iam::123456789012:role/barrage-lambda-worker",
                                "made by hand",
                                "{}",
                                {{"own", "{}"}}};
  Resources res(fake.config());
  EXPECT_EQ(res.ensure_role().outcome, Outcome::kReused);
  EXPECT_EQ(fake.count("IAM PutRolePolicy"), 0U);
  const TeardownReport report = res.teardown();
  EXPECT_FALSE(report.deleted_role);
  EXPECT_TRUE(fake.role);
  ASSERT_FALSE(report.notes.empty());
  EXPECT_NE(report.notes[0].find("barrage did not create it"), std::string::npos);
}

TEST(Resources, RunQueueMetadataStopFlagAndAcks) {
  FakeAws fake;
  Resources res(fake.config());
  res.ensure_bucket();
  const std::string url = res.create_run_queue("r-1");
  EXPECT_TRUE(url.ends_with("/123456789012/barrage-r-1")) << url;
  EXPECT_EQ(fake.queues.count("barrage-r-1"), 1U);
  res.delete_run_queue(url);
  EXPECT_EQ(fake.queues.count("barrage-r-1"), 0U);
  EXPECT_NO_THROW(res.delete_run_queue(url));  // already gone

  RunMetadata m;
  m.run_id = "r-1";
  m.started_ms = 42;
  m.status = "running";
  res.put_run_metadata(m);
  const auto back = res.get_run_metadata("r-1");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->started_ms, 42);
  EXPECT_FALSE(res.get_run_metadata("r-2"));

  res.put_stop_flag("r-1");
  EXPECT_EQ(fake.buckets.at(res.bucket()).count("runs/r-1/stop"), 1U);
  EXPECT_TRUE(res.stop_acks("r-1").empty());
  auto& objects = fake.buckets.at(res.bucket());
  objects[ack_key("r-1", 2)] = {};
  objects[ack_key("r-1", 0)] = {};
  objects[ack_key("r-1", 10)] = {};
  objects["runs/r-1/acks/junk"] = {};
  EXPECT_EQ(res.stop_acks("r-1"), (std::vector<int>{0, 2, 10}));
}

TEST(Resources, StatusListsThisVersionsResourcesAndRecentRuns) {
  FakeAws fake;
  TempZip zip("zip");
  Resources res(fake.config());
  Status empty = res.status();
  EXPECT_EQ(empty.account, kAccount);
  EXPECT_FALSE(empty.bucket_exists);
  EXPECT_FALSE(empty.role_exists);
  EXPECT_TRUE(empty.functions.empty());

  res.ensure_bucket();
  const Ensured role = res.ensure_role();
  res.ensure_function(function_options(role.arn, zip.path()));
  fake.functions["barrage-worker-0-0-9-x86_64-1769"] = {
      "barrage-worker-0-0-9-x86_64-1769", role.arn, "x86_64", 1769, "old", "", 0, 0};
  fake.set_now(1'800'000'100);
  res.create_run_queue("r-a");
  for (int i = 0; i < 12; ++i) {
    RunMetadata m;
    m.run_id = "r-" + std::to_string(i);
    m.started_ms = 1'000 * i;
    m.status = "finished";
    res.put_run_metadata(m);
  }
  const Status s = res.status();
  EXPECT_TRUE(s.bucket_exists);
  EXPECT_TRUE(s.role_exists);
  EXPECT_TRUE(s.role_created_by_barrage);
  ASSERT_EQ(s.functions.size(), 1U);  // not the other version's
  EXPECT_EQ(s.functions[0].name, function_name("x86_64", 1769));
  EXPECT_EQ(s.functions[0].state, "Active");
  EXPECT_EQ(s.functions[0].memory_mb, 1769);
  ASSERT_EQ(s.queues.size(), 1U);
  EXPECT_EQ(s.queues[0].run_id, "r-a");
  EXPECT_EQ(s.queues[0].created_s, 1'800'000'100);
  ASSERT_EQ(s.recent_runs.size(), kStatusRuns);
  EXPECT_EQ(s.recent_runs.front().run_id, "r-11");  // newest first
  EXPECT_GE(s.recent_runs.front().started_ms, s.recent_runs.back().started_ms);
}

TEST(Resources, TeardownDeletesThisVersionKeepsTheBucketUnlessAsked) {
  FakeAws fake;
  TempZip zip("zip");
  Resources res(fake.config());
  res.ensure_bucket();
  const Ensured role = res.ensure_role();
  const std::string name = res.ensure_function(function_options(role.arn, zip.path())).name;
  res.create_run_queue("r-a");
  res.create_run_queue("r-b");

  TeardownReport report = res.teardown();
  EXPECT_EQ(report.deleted_functions, std::vector<std::string>{name});
  EXPECT_EQ(report.deleted_queues.size(), 2U);
  EXPECT_TRUE(report.deleted_role);
  EXPECT_FALSE(report.deleted_bucket);
  EXPECT_TRUE(fake.functions.empty());
  EXPECT_TRUE(fake.queues.empty());
  EXPECT_FALSE(fake.role);
  EXPECT_EQ(fake.buckets.count(res.bucket()), 1U);
  ASSERT_EQ(report.notes.size(), 1U);
  EXPECT_NE(report.notes[0].find("kept bucket barrage-123456789012-eu-west-1"), std::string::npos);

  report = res.teardown({.delete_bucket = true});
  EXPECT_TRUE(report.deleted_bucket);
  EXPECT_EQ(report.deleted_objects, 1U);  // the package
  EXPECT_EQ(fake.buckets.count(res.bucket()), 0U);
  // A third time finds nothing and says nothing.
  report = res.teardown({.delete_bucket = true});
  EXPECT_FALSE(report.deleted_bucket);
  EXPECT_TRUE(report.deleted_functions.empty());
  EXPECT_TRUE(report.notes.empty());
}

TEST(Resources, TeardownKeepsTheRoleWhileOtherVersionsUseIt) {
  FakeAws fake;
  Resources res(fake.config());
  const Ensured role = res.ensure_role();
  fake.functions["barrage-worker-0-0-9-x86_64-1769"] = {
      "barrage-worker-0-0-9-x86_64-1769", role.arn, "x86_64", 1769, "old", "", 0, 0};
  const TeardownReport report = res.teardown();
  EXPECT_FALSE(report.deleted_role);
  EXPECT_TRUE(fake.role);
  EXPECT_EQ(fake.functions.size(), 1U);
}

TEST(Resources, CleanupRemovesOnlyOldRuns) {
  FakeAws fake;
  Resources res(fake.config());
  res.ensure_bucket();
  const int64_t day = 86'400;
  const int64_t t0 = 1'800'000'000;
  auto& objects = fake.buckets.at(res.bucket());

  // r-old: metadata says it started 2 days ago; its queue and objects are
  // recent (a long run, or clocks), the metadata wins.
  fake.set_now(t0);
  RunMetadata old_run;
  old_run.run_id = "r-old";
  old_run.started_ms = (t0 - 2 * day) * 1000;
  res.put_run_metadata(old_run);
  res.create_run_queue("r-old");
  res.put_stop_flag("r-old");
  objects["runs/r-old/job.yml"] = {"x", {}, t0};
  // r-nometa: no metadata; queue created 30 h ago, objects 30 h old.
  fake.set_now(t0 - 30 * 3600);
  res.create_run_queue("r-nometa");
  objects["runs/r-nometa/job.yml"] = {"x", {}, t0 - 30 * 3600};
  // r-young: 1 h old.
  fake.set_now(t0 - 3600);
  res.create_run_queue("r-young");
  objects["runs/r-young/job.yml"] = {"x", {}, t0 - 3600};

  fake.set_now(t0);
  const CleanupReport report = res.cleanup(std::chrono::hours(24));
  EXPECT_EQ(report.deleted_queues.size(), 2U);
  EXPECT_EQ(fake.queues.count("barrage-r-young"), 1U);
  EXPECT_EQ(fake.queues.count("barrage-r-old"), 0U);
  EXPECT_EQ(fake.queues.count("barrage-r-nometa"), 0U);
  EXPECT_EQ(report.cleaned_runs, (std::vector<std::string>{"r-nometa", "r-old"}));
  EXPECT_EQ(report.deleted_objects, 3U);
  EXPECT_EQ(objects.count("runs/r-young/job.yml"), 1U);
  EXPECT_EQ(objects.count("runs/r-old/stop"), 0U);
  EXPECT_EQ(objects.count("meta/r-old.json"), 1U);  // expires by itself

  // With a shorter threshold the young run goes too.
  EXPECT_EQ(res.cleanup(std::chrono::minutes(30)).cleaned_runs,
            std::vector<std::string>{"r-young"});
}

TEST(Resources, AccessDeniedNamesTheActionAndThePolicyCommand) {
  FakeAws fake;
  fake.denied = {"CreateRole"};
  Resources res(fake.config());
  try {
    res.ensure_role();
    FAIL() << "no error";
  } catch (const aws::AwsError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("IAM CreateRole"), std::string::npos) << what;
    EXPECT_NE(what.find("iam:CreateRole"), std::string::npos) << what;
    EXPECT_NE(what.find("barrage lambda policy"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace barrage::lambda
