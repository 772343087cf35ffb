// The cost model against computations done by hand from the price table.
#include "lambda/cost.h"

#include <gtest/gtest.h>

#include "script/loader.h"

namespace barrage::lambda {
namespace {

TEST(Cost, EstimateMatchesAHandComputation) {
  EstimateInput in;
  in.duration_s = 300;
  in.drain_s = 10;
  in.workers = 5;
  in.memory_mb = 2048;
  in.architecture = "arm64";
  in.regions = {"us-east-1", "eu-central-1"};
  const Cost c = estimate(in);
  ASSERT_EQ(c.regions.size(), 2U);
  const RegionCost& us = c.regions[0];
  const RegionCost& eu = c.regions[1];
  // 5 workers over 2 regions: the first gets the remainder.
  EXPECT_EQ(us.workers, 3);
  EXPECT_EQ(eu.workers, 2);
  // Billed per worker: 300 + 10 + 5 s overhead = 315 s at 2 GB.
  EXPECT_DOUBLE_EQ(us.gb_seconds, 3 * 315 * 2.0);
  EXPECT_DOUBLE_EQ(eu.gb_seconds, 2 * 315 * 2.0);
  EXPECT_EQ(us.invocations, 3);
  // Messages per worker over 310 s: ready + done + 62 heartbeats + 31 batches = 95;
  // under 1 message/s, each ReceiveMessage gets one, deleted in its own call.
  EXPECT_EQ(us.sqs_requests, 3 * 95 * 3 + 2);
  EXPECT_EQ(eu.sqs_requests, 2 * 95 * 3 + 2);
  // Stop flag every second: 310 HEADs per worker; metadata PUT twice.
  EXPECT_EQ(us.s3_get_requests, 3 * 310);
  EXPECT_EQ(us.s3_put_requests, 2);
  const double us_dollars = 1890 * 0.0000133334 + 3 * 0.20 / 1e6 + 857 * 0.40 / 1e6 +
                            2 * 0.005 / 1e3 + 930 * 0.0004 / 1e3;
  const double eu_dollars = 1260 * 0.0000133334 + 2 * 0.20 / 1e6 + 572 * 0.40 / 1e6 +
                            2 * 0.0054 / 1e3 + 620 * 0.00043 / 1e3;
  EXPECT_NEAR(us.dollars, us_dollars, 1e-12);
  EXPECT_NEAR(eu.dollars, eu_dollars, 1e-12);
  EXPECT_NEAR(c.dollars, 0.04323221, 1e-8);
  EXPECT_DOUBLE_EQ(c.gb_seconds, 3150);
  EXPECT_EQ(c.invocations, 5);
  EXPECT_EQ(c.sqs_requests, 857 + 572);
  EXPECT_EQ(c.s3_requests, 932 + 622);
  EXPECT_TRUE(c.notes.empty());
  EXPECT_EQ(c.text,
            "$0.0432 estimated: 3,150 GB-s of arm64 Lambda at 2048 MB, 5 invocations, 1,429 SQS "
            "and 1,554 S3 requests (us-east-1, eu-central-1 prices of 2026-11-22, no free tier)");
}

TEST(Cost, SegmentsBusyQueuesAndUnknownRegions) {
  EstimateInput in;
  in.duration_s = 60;
  in.workers = 100;
  in.memory_mb = 1024;
  in.regions = {"xx-west-9"};
  in.segments = 2;
  in.segment_overlap_s = 3;
  in.s3_gets_per_invocation = 2;
  in.s3_uploads = 1;
  const Cost c = estimate(in);
  const RegionCost& r = c.regions.at(0);
  EXPECT_FALSE(r.known_prices);
  ASSERT_EQ(c.notes.size(), 1U);
  EXPECT_EQ(c.notes[0], "no prices for xx-west-9: priced as us-east-1");
  // 60 s + 2 x 5 s overhead + 1 x 3 s overlap = 73 s at 1 GB.
  EXPECT_DOUBLE_EQ(r.gb_seconds, 100 * 73.0);
  EXPECT_EQ(r.invocations, 200);
  // 2 x 2 + 12 heartbeats + 6 batches = 22 per worker, 2,200 in all at 36.7/s:
  // 10 per ReceiveMessage -> 220 receives and 220 deletes.
  EXPECT_EQ(r.sqs_requests, 2200 + 440 + 2);
  EXPECT_EQ(r.s3_get_requests, 100 * 60 + 200 * 2);
  EXPECT_EQ(r.s3_put_requests, 3);
  EXPECT_NE(c.text.find("xx-west-9 as us-east-1 prices"), std::string::npos) << c.text;
  // x86 price when not arm64.
  EXPECT_NEAR(r.lambda_dollars, 7300 * 0.0000166667 + 200 * 0.20 / 1e6, 1e-12);
}

TEST(Cost, TheExampleInTheDocs) {
  EstimateInput in;
  in.duration_s = 600;
  in.workers = 10;
  in.regions = {"us-east-1"};
  EXPECT_EQ(estimate(in).text,
            "$0.1778 estimated: 10,452 GB-s of x86_64 Lambda at 1769 MB, 10 invocations, 3,022 "
            "SQS and 6,002 S3 requests (us-east-1 prices of 2026-11-22, no free tier)");
}

TEST(Cost, MeasuredRoundsEachInvocationUpToAMillisecond) {
  MeasuredUsage u;
  u.region = "us-east-1";
  u.invocation_ms = {1000.2, 2000.0};
  u.sqs_requests = 10;
  u.s3_get_requests = 100;
  u.s3_put_requests = 3;
  const Cost c = measured({u}, 1024, "x86_64");
  EXPECT_DOUBLE_EQ(c.gb_seconds, 3.001);
  EXPECT_EQ(c.invocations, 2);
  EXPECT_EQ(c.sqs_requests, 10);
  EXPECT_EQ(c.s3_requests, 103);
  EXPECT_NEAR(c.dollars,
              3.001 * 0.0000166667 + 2 * 0.20 / 1e6 + 10 * 0.40 / 1e6 + 3 * 0.005 / 1e3 +
                  100 * 0.0004 / 1e3,
              1e-12);
  EXPECT_TRUE(c.text.starts_with("$0.0001 measured: 3 GB-s of x86_64 Lambda at 1024 MB")) << c.text;
}

TEST(Cost, PricesTable) {
  bool known = false;
  EXPECT_DOUBLE_EQ(prices_for("us-east-1", &known).lambda_gb_second_x86, 0.0000166667);
  EXPECT_TRUE(known);
  EXPECT_DOUBLE_EQ(prices_for("us-east-1").lambda_gb_second_arm64, 0.0000133334);
  EXPECT_DOUBLE_EQ(prices_for("sa-east-1").s3_per_thousand_put, 0.007);
  EXPECT_EQ(prices_for("nowhere-1", &known).region, "us-east-1");
  EXPECT_FALSE(known);
  EXPECT_EQ(prices_date(), "2026-11-22");
}

TEST(Cost, CountAuto) {
  EXPECT_EQ(count_auto(12000, 5000).workers, 3);
  EXPECT_EQ(count_auto(5000, 5000).workers, 1);
  EXPECT_EQ(count_auto(5001, 5000).workers, 2);
  EXPECT_EQ(count_auto(0).workers, 1);
  EXPECT_FALSE(count_auto(0).capped);
  const AutoCount big = count_auto(1e9);
  EXPECT_EQ(big.workers, kMaxAutoWorkers);
  EXPECT_TRUE(big.capped);
  EXPECT_EQ(count_auto(1e9, 5000, 50).workers, 50);
  EXPECT_EQ(count_auto(20000).workers, 4);  // kWorkerCapacityRps = 5000
}

// --count auto's input: the highest phase rate (an arrivalCount of 600 over
// 10 s is 60/s, above the ramp's 40) times the weighted requests per VU
// ((3 x (1 + 4 x 2) + 1 x 1) / 4 = 7).
TEST(CountAuto, PeakRequestRateWeighsScenariosAndLoops) {
  const auto plan =
      script::load_plan_string(
          "config:\n  target: http://127.0.0.1:9\n  phases:\n"
          "    - { duration: 10, arrivalRate: 10, rampTo: 40 }\n"
          "    - { duration: 10, arrivalCount: 600 }\n"
          "scenarios:\n"
          "  - weight: 3\n    flow:\n      - get: { url: /a }\n"
          "      - loop:\n          - get: { url: /b }\n          - get: { url: /c }\n"
          "        count: 4\n"
          "  - weight: 1\n    flow:\n      - get: { url: /d }\n",
          "auto.yml", {})
          .value();
  EXPECT_DOUBLE_EQ(peak_request_rate(plan), 420.0);
  EXPECT_EQ(count_auto(peak_request_rate(plan)).workers, 1);
  const auto closed =
      script::load_plan_string(
          "config:\n  target: http://127.0.0.1:9\n  phases:\n    - { duration: 5, vusers: 12000 }\n"
          "scenarios:\n  - flow:\n      - get: { url: /a }\n",
          "closed.yml", {})
          .value();
  EXPECT_DOUBLE_EQ(peak_request_rate(closed), 12000.0);
  EXPECT_EQ(count_auto(peak_request_rate(closed)).workers, 3);
}

}  // namespace
}  // namespace barrage::lambda
