// lambda::Resources with S3 and SQS served by the fauxqs emulator
// (tests/aws, label integration) and STS, IAM and Lambda by the fake control
// plane, each reached the SDK way (AWS_ENDPOINT_URL_<SERVICE>): the bucket
// with its lifecycle rules, the package's sha256 kept as object metadata so
// an unchanged package is not uploaded again, the run queue, metadata, stop
// flag and acks, status, cleanup of old runs and teardown with the bucket.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "aws/s3.h"
#include "aws/sqs.h"
#include "fake_aws.h"
#include "fauxqs.h"
#include "lambda/resources.h"
#include "missing_deps.h"
#include "util/clock.h"

namespace barrage::lambda {
namespace {

TEST(ResourcesOnEmulators, RunLifecycleCleanupAndTeardown) {
  testing::Fauxqs fauxqs;
  if (fauxqs.not_installed()) BARRAGE_MISSING_DEP(fauxqs.error());
  ASSERT_TRUE(fauxqs.error().empty()) << fauxqs.error();
  testing_support::FakeAws fake;
  fake.accept_unknown_code = true;
  aws::ClientConfig config = fake.config("us-east-1");
  const std::string control = config.endpoint_url;
  config.endpoint_url.clear();
  config.now = [] { return std::chrono::system_clock::now(); };
  config.env = aws::map_env({{"AWS_ENDPOINT_URL_S3", fauxqs.url()},
                             {"AWS_ENDPOINT_URL_SQS", fauxqs.url()},
                             {"AWS_ENDPOINT_URL_STS", control},
                             {"AWS_ENDPOINT_URL_IAM", control},
                             {"AWS_ENDPOINT_URL_LAMBDA", control}});
  ResourcesOptions options;
  options.sleep = [](std::chrono::milliseconds) {};
  Resources res(config, options);

  EXPECT_EQ(res.ensure_bucket().outcome, Outcome::kCreated);
  EXPECT_EQ(res.ensure_bucket().outcome, Outcome::kReused);
  const std::string bucket = res.bucket();

  const auto zip = std::filesystem::temp_directory_path() /
                   ("barrage-resources-emulator-" + std::to_string(::getpid()) + ".zip");
  std::ofstream(zip) << "zip v1";
  FunctionOptions fo;
  fo.role_arn = res.ensure_role().arn;
  fo.package_path = zip.string();
  EXPECT_TRUE(res.ensure_function(fo).uploaded);
  EXPECT_FALSE(res.ensure_function(fo).uploaded);  // sha256 read back from the object
  std::ofstream(zip) << "zip v2";
  EXPECT_TRUE(res.ensure_function(fo).uploaded);
  std::filesystem::remove(zip);

  const std::string old_url = res.create_run_queue("r-old");
  const std::string new_url = res.create_run_queue("r-new");
  RunMetadata old_run;
  old_run.run_id = "r-old";
  old_run.started_ms = wall_now_ms() - 2 * 86'400'000LL;
  old_run.status = "running";
  old_run.queue_urls = {{"us-east-1", old_url}};
  res.put_run_metadata(old_run);
  RunMetadata new_run = old_run;
  new_run.run_id = "r-new";
  new_run.started_ms = wall_now_ms();
  res.put_run_metadata(new_run);
  res.put_stop_flag("r-old");
  res.put_stop_flag("r-new");
  res.s3().put_object(bucket, ack_key("r-new", 1), "").value();
  res.s3().put_object(bucket, ack_key("r-new", 0), "").value();
  EXPECT_EQ(res.stop_acks("r-new"), (std::vector<int>{0, 1}));
  ASSERT_TRUE(res.get_run_metadata("r-old"));
  EXPECT_EQ(res.get_run_metadata("r-old")->queue_urls.at("us-east-1"), old_url);

  const Status status = res.status();
  EXPECT_TRUE(status.bucket_exists);
  EXPECT_EQ(status.queues.size(), 2U);
  for (const auto& q : status.queues) EXPECT_GT(q.created_s, 0) << q.url;
  ASSERT_EQ(status.recent_runs.size(), 2U);
  EXPECT_EQ(status.recent_runs[0].run_id, "r-new");

  const CleanupReport cleaned = res.cleanup(std::chrono::hours(24));
  EXPECT_EQ(cleaned.deleted_queues, std::vector<std::string>{old_url});
  EXPECT_EQ(cleaned.cleaned_runs, std::vector<std::string>{"r-old"});
  EXPECT_EQ(cleaned.deleted_objects, 1U);
  EXPECT_FALSE(res.s3().head_object(bucket, stop_key("r-old")).value());
  EXPECT_TRUE(res.s3().head_object(bucket, stop_key("r-new")).value());
  EXPECT_FALSE(res.sqs().get_queue_url("barrage-r-old").value());
  EXPECT_TRUE(res.sqs().get_queue_url("barrage-r-new").value());

  const TeardownReport down = res.teardown({.delete_bucket = true});
  EXPECT_EQ(down.deleted_queues, std::vector<std::string>{new_url});
  EXPECT_TRUE(down.deleted_role);
  EXPECT_TRUE(down.deleted_bucket);
  EXPECT_EQ(down.deleted_objects, 6U);  // code, 2 meta, stop, 2 acks
  EXPECT_FALSE(res.s3().head_bucket(bucket).value());
}

}  // namespace
}  // namespace barrage::lambda
