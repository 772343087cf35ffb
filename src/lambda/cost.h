// What a Lambda run costs: an estimate before it starts (from the plan) and
// the figure measured after (from what the workers report), at AWS's public
// on-demand prices (first tier, no free tier, no Savings Plans) per region
// and architecture, and how many workers `--count auto` starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barrage::script {
struct Plan;
}

namespace barrage::lambda {

// Public prices in US dollars (the table and its date are in cost.cc).
struct Prices {
  std::string_view region;
  double lambda_gb_second_x86 = 0;
  double lambda_gb_second_arm64 = 0;
  double lambda_per_million_requests = 0;
  double sqs_per_million_requests = 0;  // standard queues
  double s3_per_thousand_put = 0;       // PUT, COPY, POST, LIST
  double s3_per_thousand_get = 0;       // GET, HEAD (and all other requests)
};

// The region's prices; an unknown region gets us-east-1's and *known = false.
const Prices& prices_for(std::string_view region, bool* known = nullptr);
// "2026-11-22": when the table was taken from AWS's pricing pages.
std::string_view prices_date();

// Per-worker messages, as the worker sends them (fleet::WorkerJob defaults).
inline constexpr double kHeartbeatIntervalS = 5;
inline constexpr double kReportPeriodS = 10;
// StopMonitor's HeadObject poll of the stop flag.
inline constexpr double kStopPollIntervalS = 1;
// Billed per invocation beyond the run itself: init, waiting for the common
// start, the final flush.
inline constexpr double kInvocationOverheadS = 5;

struct EstimateInput {
  double duration_s = 0;  // the plan's total duration (every phase)
  double drain_s = 0;     // after the last arrival (engine::longest_think_s)
  int workers = 0;        // in all, split evenly over `regions` (the first get the remainder)
  int memory_mb = 1769;
  std::string architecture = "x86_64";  // or "arm64"
  std::vector<std::string> regions;     // at least one
  int segments = 1;                     // invocations per worker
  // Extra billed seconds per invocation (see kInvocationOverheadS) and the
  // overlap of consecutive segments (the next starts before the previous ends).
  double invocation_overhead_s = kInvocationOverheadS;
  double segment_overlap_s = 0;
  // S3 objects each invocation reads (job script, payload shard), and objects
  // the coordinator puts besides the run metadata (written twice).
  int s3_gets_per_invocation = 0;
  int s3_uploads = 0;
};

struct RegionCost {
  std::string region;
  bool known_prices = true;
  int workers = 0;
  double gb_seconds = 0;
  int64_t invocations = 0;
  int64_t sqs_requests = 0;
  int64_t s3_put_requests = 0;
  int64_t s3_get_requests = 0;
  double lambda_dollars = 0;
  double sqs_dollars = 0;
  double s3_dollars = 0;
  double dollars = 0;
};

struct Cost {
  double gb_seconds = 0;
  int64_t invocations = 0;
  int64_t sqs_requests = 0;
  int64_t s3_requests = 0;  // PUT and GET tiers together
  double dollars = 0;
  std::vector<RegionCost> regions;
  std::vector<std::string> notes;  // "no prices for xx-1: priced as us-east-1"
  // "$0.0412 estimated: 1,234.5 GB-s of x86_64 Lambda at 1769 MB, 6 invocations,
  // 1,020 SQS and 3,400 S3 requests (us-east-1 prices of 2026-11-22, no free tier)"
  std::string text;
};

// A cost as the report shows it (the JSON report's "cost" object).
struct CostFigure {
  double dollars = 0;
  double gb_seconds = 0;
  int64_t invocations = 0;
  int64_t sqs_requests = 0;
  int64_t s3_requests = 0;
  std::string text;
};
// What a Lambda run cost: the estimate printed before the run and the figure
// measured from what workers reported.
struct CostReport {
  CostFigure estimated;
  std::optional<CostFigure> measured;
  std::string prices_date;
  std::vector<std::string> notes;
};
inline CostFigure figure_of(const Cost& c) {
  return CostFigure{c.dollars, c.gb_seconds, c.invocations, c.sqs_requests, c.s3_requests, c.text};
}

// The model (docs/aws-lambda.md, "Cost"): per worker, billed seconds =
// segments x overhead + duration + drain + (segments - 1) x overlap; messages =
// 2 per invocation (ready, done) + one heartbeat per 5 s + one batch per 10 s,
// each in its own SendMessageBatch (the sender flushes every second, messages
// are seconds apart); the coordinator's ReceiveMessage gets
// min(10, max(1, messages per second)) messages per call and deletes them in
// one DeleteMessageBatch; 2 queue calls per region; stop flag HeadObject every
// kStopPollIntervalS; 2 metadata PUTs per region.
Cost estimate(const EstimateInput& input);

// What the workers of one region reported; the coordinator fills it.
struct MeasuredUsage {
  std::string region;
  std::vector<double> invocation_ms;  // each invocation's duration (rounded up to 1 ms)
  int64_t sqs_requests = 0;           // every SQS call, workers' and coordinator's
  int64_t s3_get_requests = 0;        // stop-flag polls, GETs, HEADs
  int64_t s3_put_requests = 0;        // PUTs, LISTs
};

Cost measured(const std::vector<MeasuredUsage>& usage, int memory_mb,
              std::string_view architecture);

// `--count auto`. Requests per second one worker sustains at kDefaultMemoryMb
// (1 vCPU) with Artillery's default model (a new connection per VU):
// bench/lambda_capacity.sh measured a one-core worker process clean at 6,000
// arrivals/s and saturated at 8,000 (docs/benchmarks.md); 5,000 leaves room.
// Keep-alive flows reach far more, so this errs towards more workers.
inline constexpr double kWorkerCapacityRps = 5000;
// Lambda's default concurrency quota is 1,000 per region.
inline constexpr int kMaxAutoWorkers = 1000;

// Peak requests per second the script asks for: the highest arrival rate of
// any phase (arrivalRate, rampTo, arrivalCount / duration; a closed-model
// phase counts its VUs as arrivals per second) times the requests one VU
// makes, weighted over the scenarios (a loop with a fixed count or an `over`
// list multiplies; a templated count counts once). What `--count auto`
// divides by a worker's capacity.
double peak_request_rate(const script::Plan& plan);

struct AutoCount {
  int workers = 1;
  bool capped = false;  // peak_rps needed more than max_workers
};
// ceil(peak_rps / capacity_per_worker), at least 1, at most max_workers.
AutoCount count_auto(double peak_rps, double capacity_per_worker = kWorkerCapacityRps,
                     int max_workers = kMaxAutoWorkers);

}  // namespace barrage::lambda
