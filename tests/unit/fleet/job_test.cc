// Splitting a test across workers: slices partition the arrivals, seeds differ,
// and a job survives its wire form.
#include "fleet/job.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/pacer.h"

namespace barrage::fleet {
namespace {

TEST(Jobs, SplitSlicesPartitionTheTestAndSumToTheSingleProcessSchedule) {
  std::vector<script::Phase> phases(3);
  phases[0].duration_s = 7;
  phases[0].arrival_rate = 13;
  phases[1].duration_s = 5;
  phases[1].arrival_rate = 1;
  phases[1].ramp_to = 29;
  phases[2].duration_s = 3;
  phases[2].arrival_count = 101;
  engine::Pacer whole(phases, 0, 1);
  std::vector<uint64_t> expected(3, 0);
  while (auto a = whole.next_arrival()) ++expected[a->phase];

  for (uint32_t count : {1U, 2U, 3U, 4U, 7U}) {
    SplitOptions o;
    o.count = count;
    o.cores_per_worker = 2;
    o.seed = 42;
    const auto jobs = split_jobs(WorkerJob{}, o);
    ASSERT_EQ(jobs.size(), count);
    std::vector<uint64_t> got(3, 0);
    std::set<uint64_t> seeds;
    for (const auto& j : jobs) {
      seeds.insert(j.seed);
      EXPECT_EQ(j.slice_total, 2ULL * count);
      for (int c = 0; c < j.cores; ++c) {
        engine::Pacer p(phases, j.slice_base + static_cast<uint64_t>(c), j.slice_total);
        while (auto a = p.next_arrival()) ++got[a->phase];
      }
    }
    EXPECT_EQ(got, expected) << count << " workers";
    EXPECT_EQ(seeds.size(), count);
  }
}

TEST(Jobs, MultiplyGivesEveryWorkerTheWholeScript) {
  SplitOptions o;
  o.count = 3;
  o.cores_per_worker = 2;
  o.multiply = true;
  for (const auto& j : split_jobs(WorkerJob{}, o)) {
    EXPECT_EQ(j.slice_base, 0U);
    EXPECT_EQ(j.slice_total, 2U);
  }
}

TEST(Jobs, RoundTripAndValidation) {
  WorkerJob j;
  j.run_id = "r-1";
  j.worker = 1;
  j.workers = 2;
  j.script_path = "a.yml";
  j.script_text = "config: {}\n";
  j.target = "http://127.0.0.1:9";
  j.cores = 2;
  j.slice_base = 2;
  j.slice_total = 4;
  j.variables = {{"token", "abc"}};
  auto back = job_from_json(to_json(j));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->run_id, "r-1");
  EXPECT_EQ(back->target, j.target);
  EXPECT_EQ(back->variables, j.variables);
  EXPECT_EQ(back->slice_base, 2U);
  EXPECT_EQ(back->drain_timeout_ms, -1);  // no bound: VUs finish (Artillery)
  j.drain_timeout_ms = 2'500;
  back = job_from_json(to_json(j));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->drain_timeout_ms, 2'500);
  j.slice_base = 3;  // 3 + 2 cores > 4 slices
  EXPECT_FALSE(job_from_json(to_json(j)));
  EXPECT_FALSE(job_from_json("{}"));
  EXPECT_FALSE(job_from_json("["));
}

TEST(Jobs, MalformedJobsGiveAnErrorWithTheReason) {
  const auto not_json = job_from_json("[");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().message, "job is not a JSON object");
  EXPECT_EQ(not_json.error().file, "");  // a job has no file: no place
  EXPECT_EQ(not_json.error().line, 0);
  EXPECT_EQ(not_json.error().describe(), "job is not a JSON object");
  const auto wrong_version = job_from_json(R"({"version":2})");
  ASSERT_FALSE(wrong_version);
  EXPECT_EQ(wrong_version.error().message, "unsupported job version 2");
  const auto missing = job_from_json(R"({"version":1})");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().message.starts_with("job field missing or mistyped: "))
      << missing.error().message;
}

TEST(Jobs, SegmentFieldsRoundTripAndAreChecked) {
  WorkerJob j;
  j.run_id = "r-2";
  j.script_path = "a.yml";
  j.script_text = "config: {}\n";
  j.segment = 1;
  j.segments = 3;
  j.window_from_ms = 840'000;
  j.window_to_ms = 1'680'000;
  auto back = job_from_json(to_json(j));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->segment, 1U);
  EXPECT_EQ(back->segments, 3U);
  EXPECT_EQ(back->window_from_ms, 840'000);
  EXPECT_EQ(back->window_to_ms, 1'680'000);
  j.segment = 3;  // not below segments
  EXPECT_FALSE(job_from_json(to_json(j)));
  j.segment = 1;
  j.window_to_ms = j.window_from_ms;  // an empty window
  EXPECT_FALSE(job_from_json(to_json(j)));
  j.window_to_ms = 0;
  j.segments = 0;  // no segment at all
  j.segment = 0;
  EXPECT_FALSE(job_from_json(to_json(j)));
}

TEST(Jobs, LoadOptionsRoundTripIncludingPayloadFileAndSolo) {
  WorkerJob j;
  j.run_id = "r-4";
  j.load.environment = "staging";
  j.load.payload_file = "/data/users.csv";  // -p
  j.load.solo = true;                       // --solo
  auto back = job_from_json(to_json(j));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->load, j.load);
  // A job without them (older coordinators) has neither.
  j.load = {};
  back = job_from_json(to_json(j));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_FALSE(back->load.payload_file);
  EXPECT_FALSE(back->load.solo);
}

TEST(Jobs, CarryNoPlatformFields) {
  // The neutral job knows nothing of Lambda's queue, bucket or files: those
  // travel beside it (lambda::LambdaJob), and a job naming them is read as
  // the neutral part only.
  WorkerJob j;
  j.run_id = "r-3";
  const std::string text = to_json(j);
  for (const char* k : {"queue_url", "bucket", "stop_key", "region", "start_key", "files",
                        "script_key", "segment_end_wall_ms"}) {
    EXPECT_EQ(text.find(std::string("\"") + k + "\""), std::string::npos) << k;
  }
}

}  // namespace
}  // namespace barrage::fleet
