// SqsOutput against a loopback SQS fixture: batch limits (10 entries, 256 KiB
// of bodies), the flush timer, retry of entries SQS rejects, and pushes from
// several threads.
#include "lambda/sqs_output.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fixture_server.h"

namespace barrage::lambda {
namespace {

using aws::testing_support::CannedResponse;
using aws::testing_support::FixtureServer;
using aws::testing_support::RecordedRequest;
using nlohmann::json;
using namespace std::chrono_literals;

// Accepts every entry, except that the first time it sees a body listed in
// reject_once it fails that entry.
struct FakeSqs {
  std::mutex mutex;
  std::set<std::string> reject_once;
  std::map<std::string, int> received;  // body -> times accepted
  std::vector<size_t> batch_sizes;
  std::vector<size_t> batch_bytes;
  FixtureServer server{[this](const RecordedRequest& r) { return handle(r); }};

  CannedResponse handle(const RecordedRequest& r) {
    const json req = json::parse(r.body);
    json ok = json::array();
    json failed = json::array();
    std::lock_guard lock(mutex);
    size_t bytes = 0;
    for (const auto& e : req["Entries"]) {
      const std::string body = e["MessageBody"];
      bytes += body.size();
      if (reject_once.erase(body) > 0) {
        failed.push_back({{"Id", e["Id"]},
                          {"Code", "InternalError"},
                          {"Message", "try again"},
                          {"SenderFault", false}});
      } else {
        ++received[body];
        ok.push_back({{"Id", e["Id"]}, {"MessageId", "m"}, {"MD5OfMessageBody", "x"}});
      }
    }
    batch_sizes.push_back(req["Entries"].size());
    batch_bytes.push_back(bytes);
    return {200, {}, json{{"Successful", ok}, {"Failed", failed}}.dump()};
  }
};

aws::ClientConfig config_for(const FakeSqs& sqs) {
  aws::ClientConfig c;
  c.region = "us-east-1";
  c.credentials = std::make_shared<aws::StaticCredentialsProvider>(
      aws::Credentials{"AKIDEXAMPLE", "dummysecret", "", std::nullopt, "test"});
  c.env = aws::map_env({{"AWS_ENDPOINT_URL", sqs.server.url()}});
  return c;
}

TEST(SqsOutput, BatchesWithinLimitsRetriesRejectedEntriesAndSendsAllOnClose) {
  FakeSqs fake;
  std::vector<std::string> bodies;
  for (int i = 0; i < 23; ++i) bodies.push_back("small-" + std::to_string(i));
  for (int i = 0; i < 5; ++i) bodies.push_back(std::string(100 * 1024, static_cast<char>('a' + i)));
  fake.reject_once = {"small-3", "small-17", bodies.back()};
  SqsOutput out(config_for(fake), "http://q/123/run");
  const fleet::Output output = out.output();
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < bodies.size(); i += 4) output(bodies[i]);
    });
  }
  for (auto& t : threads) t.join();
  const auto stats = out.close(std::chrono::steady_clock::now() + 10s);
  EXPECT_EQ(stats.sent, bodies.size());
  EXPECT_EQ(stats.dropped, 0U);
  std::lock_guard lock(fake.mutex);
  for (const auto& b : bodies) EXPECT_EQ(fake.received[b], 1) << b.substr(0, 10);
  for (size_t i = 0; i < fake.batch_sizes.size(); ++i) {
    EXPECT_LE(fake.batch_sizes[i], 10U);
    EXPECT_LE(fake.batch_bytes[i], SqsOutput::kMaxBatchBytes);
  }
  EXPECT_EQ(stats.batches, fake.batch_sizes.size());
}

TEST(SqsOutput, FlushesAPartialBatchWithinTheInterval) {
  FakeSqs fake;
  SqsOutputOptions options;
  options.flush_interval = 300ms;
  SqsOutput out(config_for(fake), "http://q/123/run", options);
  out.push("one");
  std::this_thread::sleep_for(900ms);
  {
    std::lock_guard lock(fake.mutex);
    EXPECT_EQ(fake.received["one"], 1);
  }
  EXPECT_EQ(out.stats().sent, 1U);
  out.close(std::chrono::steady_clock::now() + 1s);
}

TEST(SqsOutput, GivesUpAtTheCloseDeadlineWhenSqsIsUnreachable) {
  aws::ClientConfig c;
  c.region = "us-east-1";
  c.credentials = std::make_shared<aws::StaticCredentialsProvider>(
      aws::Credentials{"AKIDEXAMPLE", "dummysecret", "", std::nullopt, "test"});
  c.env =
      aws::map_env({{"AWS_ENDPOINT_URL",
                     "http://127.0.0.1:" + std::to_string(aws::testing_support::closed_port())}});
  c.retry.max_attempts = 1;
  SqsOutput out(c, "http://q/123/run");
  out.push("lost");
  const auto start = std::chrono::steady_clock::now();
  const auto stats = out.close(start + 2s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(stats.sent, 0U);
  EXPECT_EQ(stats.dropped, 1U);
}

}  // namespace
}  // namespace barrage::lambda
