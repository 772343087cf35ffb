// S3 and SQS clients end to end against the fauxqs emulator (npm, pinned in
// package-lock.json, installed by tests/aws/install.sh) on 127.0.0.1. The
// emulator ignores signatures; SigV4 is proven by the signing suite instead.
// What this proves: requests and responses of every S3/SQS call barrage
// makes, multipart uploads, long polling, and the endpoint override path.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "aws/s3.h"
#include "aws/sqs.h"
#include "fauxqs.h"
#include "missing_deps.h"

namespace barrage::aws {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using Fauxqs = testing::Fauxqs;

ClientConfig config_for(const Fauxqs& emulator) {
  ClientConfig c;
  c.region = "us-east-1";
  c.credentials = std::make_shared<StaticCredentialsProvider>(
      Credentials{"AKIDEXAMPLE", "dummysecret", "", std::nullopt, "test"});
  // Reached the SDK way, through the environment variable.
  c.env = map_env({{"AWS_ENDPOINT_URL", emulator.url()}});
  c.retry.max_attempts = 2;
  return c;
}

std::string pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i % 251));
  return s;
}

TEST(AwsEmulator, S3BucketsAndObjects) {
  Fauxqs emulator;
  if (emulator.not_installed()) BARRAGE_MISSING_DEP(emulator.error());
  ASSERT_TRUE(emulator.error().empty()) << emulator.error();
  S3Options options;
  options.multipart_threshold = 1024 * 1024;  // small, so the big object goes in parts
  options.part_size = S3Client::kMinPartSize;
  S3Client s3(config_for(emulator), options);
  const std::string bucket = "barrage-123456789012-us-east-1";

  EXPECT_FALSE(s3.head_bucket(bucket).value());
  s3.create_bucket(bucket).value();
  EXPECT_TRUE(s3.head_bucket(bucket).value());

  const std::string small = "{\"run\":\"r1\"}";
  s3.put_object(bucket, "runs/r1/job.json", small, "application/json").value();
  EXPECT_EQ(s3.last_put_parts(), 1);
  EXPECT_EQ(s3.get_object(bucket, "runs/r1/job.json").value(), small);
  const auto info = s3.head_object(bucket, "runs/r1/job.json").value();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, small.size());
  EXPECT_EQ(info->content_type, "application/json");

  // 11 MiB: parts of 5 + 5 + 1 MiB.
  const std::string big = pattern(11 * 1024 * 1024, 'a');
  const std::string etag = s3.put_object(bucket, "runs/r1/payload shard 0.csv", big).value();
  EXPECT_EQ(s3.last_put_parts(), 3);
  EXPECT_TRUE(etag.ends_with("-3\"")) << etag;  // a multipart ETag names its part count
  EXPECT_EQ(s3.get_object(bucket, "runs/r1/payload shard 0.csv").value(), big);
  EXPECT_EQ(s3.head_object(bucket, "runs/r1/payload shard 0.csv").value()->size, big.size());

  s3.put_object(bucket, "meta/r1.json", "{}").value();
  const auto runs = s3.list_objects_v2(bucket, "runs/r1/").value();
  ASSERT_EQ(runs.objects.size(), 2U);
  EXPECT_EQ(runs.objects[0].key, "runs/r1/job.json");
  EXPECT_EQ(runs.objects[1].key, "runs/r1/payload shard 0.csv");
  EXPECT_EQ(runs.objects[1].size, big.size());
  EXPECT_FALSE(runs.truncated);
  // Paging: one key per page.
  const auto page = s3.list_objects_v2(bucket, "", "", 1).value();
  EXPECT_EQ(page.objects.size(), 1U);
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(s3.list_all(bucket, "").value().size(), 3U);

  s3.delete_object(bucket, "runs/r1/job.json").value();
  EXPECT_FALSE(s3.head_object(bucket, "runs/r1/job.json").value());
  if (const auto failed = s3.get_object(bucket, "runs/r1/job.json"); failed) {
    FAIL() << "expected NoSuchKey";
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(e.code, "NoSuchKey");
    EXPECT_EQ(e.status, 404);
  }
  EXPECT_EQ(s3.list_all(bucket, "runs/").value().size(), 1U);
}

TEST(AwsEmulator, SqsQueueLifecycleWithLongPolling) {
  Fauxqs emulator;
  if (emulator.not_installed()) BARRAGE_MISSING_DEP(emulator.error());
  ASSERT_TRUE(emulator.error().empty()) << emulator.error();
  SqsClient sqs(config_for(emulator));

  EXPECT_FALSE(sqs.get_queue_url("barrage-run-r1").value());
  const std::string url = sqs.create_queue("barrage-run-r1", {{"VisibilityTimeout", "30"}}).value();
  EXPECT_EQ(sqs.get_queue_url("barrage-run-r1").value(), url);
  EXPECT_EQ(sqs.list_queues("barrage-run-").value(), std::vector<std::string>{url});

  // A long poll on an empty queue waits, then returns nothing.
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(sqs.receive_message(url, 10, 1).value().empty());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);

  std::vector<BatchEntry> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back({"m" + std::to_string(i), "{\"batch\":" + std::to_string(i) + "}"});
  }
  const BatchResult sent = sqs.send_message_batch(url, batch).value();
  EXPECT_EQ(sent.successful.size(), 10U);
  EXPECT_TRUE(sent.failed.empty());

  std::vector<SqsMessage> received;
  for (int round = 0; round < 10 && received.size() < 10; ++round) {
    auto got = sqs.receive_message(url, 10, 2).value();
    for (auto& m : got) received.push_back(std::move(m));
  }
  ASSERT_EQ(received.size(), 10U);
  std::vector<std::string> bodies;
  std::vector<BatchEntry> to_delete;
  for (size_t i = 0; i < received.size(); ++i) {
    bodies.push_back(received[i].body);
    to_delete.push_back({"d" + std::to_string(i), received[i].receipt_handle});
  }
  std::sort(bodies.begin(), bodies.end());
  EXPECT_EQ(bodies.front(), "{\"batch\":0}");
  EXPECT_EQ(bodies.back(), "{\"batch\":9}");
  EXPECT_FALSE(received[0].attributes.empty());
  const BatchResult deleted = sqs.delete_message_batch(url, to_delete).value();
  EXPECT_EQ(deleted.successful.size(), 10U);

  // A message sent while a long poll waits is returned by that poll, early.
  EXPECT_TRUE(sqs.receive_message(url, 10, 0).value().empty());
  std::thread sender([&emulator, &url] {
    std::this_thread::sleep_for(300ms);
    SqsClient other(config_for(emulator));
    other.send_message_batch(url, {{"late", "late message"}}).value();
  });
  const auto t1 = std::chrono::steady_clock::now();
  const auto late = sqs.receive_message(url, 10, 10).value();
  const auto waited = std::chrono::steady_clock::now() - t1;
  sender.join();
  ASSERT_EQ(late.size(), 1U);
  EXPECT_EQ(late[0].body, "late message");
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 5s);

  sqs.delete_queue(url).value();
  EXPECT_FALSE(sqs.get_queue_url("barrage-run-r1").value());
  EXPECT_TRUE(sqs.list_queues("barrage-run-").value().empty());
}

}  // namespace
}  // namespace barrage::aws
