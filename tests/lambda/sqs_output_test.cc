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
#include "util/simulated_clock.h"

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
  const Clock* clock = nullptr;   // when set: the time of each batch
  std::vector<int64_t> batch_at;  // clock->now_ns() at each batch
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
    if (clock != nullptr) batch_at.push_back(clock->now_ns());
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

// The flush timer on a simulated clock: its waits jump to the next tick, so
// the partial batch goes out within one interval of simulated time at once.
TEST(SqsOutput, FlushesAPartialBatchWithinTheInterval) {
  FakeSqs fake;
  SimulatedClock clock;
  fake.clock = &clock;
  SqsOutputOptions options;
  options.flush_interval = 300ms;
  options.clock = &clock;
  SqsOutput out(config_for(fake), "http://q/123/run", options);
  out.push("one");
  const int64_t pushed = clock.now_ns();  // no later than the push was visible
  while (out.stats().sent < 1) std::this_thread::yield();
  {
    std::lock_guard lock(fake.mutex);
    EXPECT_EQ(fake.received["one"], 1);
    ASSERT_EQ(fake.batch_at.size(), 1U);
    EXPECT_LE(fake.batch_at[0] - pushed, 300'000'000);
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
  // Simulated time: the retries on the 1 s timer and the 2 s deadline pass
  // at once. Attempts never run out, so only the deadline ends the sending.
  SimulatedClock clock;
  SqsOutputOptions options;
  options.clock = &clock;
  options.max_attempts = 1'000'000;
  SqsOutput out(c, "http://q/123/run", options);
  out.push("lost");
  const int64_t before = clock.now_ns();
  const auto stats = out.close(std::chrono::steady_clock::now() + 2s);
  EXPECT_GE(clock.now_ns() - before, 2'000'000'000 - 10'000'000);
  EXPECT_EQ(stats.sent, 0U);
  EXPECT_EQ(stats.dropped, 1U);
}

}  // namespace
}  // namespace barrage::lambda
