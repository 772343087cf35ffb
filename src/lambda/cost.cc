#include "lambda/cost.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <variant>

#include "script/plan.h"

namespace barrage::lambda {
namespace {

// On-demand prices in US dollars, first pricing tier, no free tier, from
// AWS's public pricing pages (aws.amazon.com/lambda/pricing, /sqs/pricing,
// /s3/pricing), as of kPricesDate. The us-east-1 figures were checked then
// against those pages (Lambda $0.0000166667 per GB-s on x86 and
// $0.0000133334 on Arm, $0.20 per million requests; SQS standard $0.40 per
// million requests; S3 Standard $0.005 per 1,000 PUT/COPY/POST/LIST and
// $0.0004 per 1,000 GET/HEAD). Lambda and SQS charge the same in every region
// below; S3 request prices differ by region as listed. Prices change: re-check
// the pages before trusting a figure to the cent.
constexpr std::string_view kPricesDate = "2026-11-22";

constexpr Prices lambda_prices(std::string_view region, double s3_put, double s3_get) {
  return Prices{region, 0.0000166667, 0.0000133334, 0.20, 0.40, s3_put, s3_get};
}

constexpr std::array kPrices = {
    lambda_prices("us-east-1", 0.005, 0.0004),  // the first entry: the fallback
    lambda_prices("us-east-2", 0.005, 0.0004),
    lambda_prices("us-west-1", 0.0055, 0.00044),
    lambda_prices("us-west-2", 0.005, 0.0004),
    lambda_prices("ca-central-1", 0.0055, 0.00044),
    lambda_prices("eu-west-1", 0.005, 0.0004),
    lambda_prices("eu-west-2", 0.0053, 0.00042),
    lambda_prices("eu-central-1", 0.0054, 0.00043),
    lambda_prices("eu-north-1", 0.005, 0.0004),
    lambda_prices("ap-northeast-1", 0.0047, 0.00037),
    lambda_prices("ap-southeast-1", 0.005, 0.0004),
    lambda_prices("ap-southeast-2", 0.0055, 0.00044),
    lambda_prices("ap-south-1", 0.005, 0.0004),
    lambda_prices("sa-east-1", 0.007, 0.00056),
};

double gb_second_price(const Prices& p, std::string_view architecture) {
  return architecture == "arm64" ? p.lambda_gb_second_arm64 : p.lambda_gb_second_x86;
}

void price(RegionCost& r, std::string_view architecture) {
  const Prices& p = prices_for(r.region, &r.known_prices);
  r.lambda_dollars = r.gb_seconds * gb_second_price(p, architecture) +
                     static_cast<double>(r.invocations) * p.lambda_per_million_requests / 1e6;
  r.sqs_dollars = static_cast<double>(r.sqs_requests) * p.sqs_per_million_requests / 1e6;
  r.s3_dollars = static_cast<double>(r.s3_put_requests) * p.s3_per_thousand_put / 1e3 +
                 static_cast<double>(r.s3_get_requests) * p.s3_per_thousand_get / 1e3;
  r.dollars = r.lambda_dollars + r.sqs_dollars + r.s3_dollars;
}

// "1,234,567"
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

Cost total(std::vector<RegionCost> regions, std::string_view what, int memory_mb,
           std::string_view architecture) {
  Cost c;
  std::vector<std::string> priced;
  for (const auto& r : regions) {
    c.gb_seconds += r.gb_seconds;
    c.invocations += r.invocations;
    c.sqs_requests += r.sqs_requests;
    c.s3_requests += r.s3_put_requests + r.s3_get_requests;
    c.dollars += r.dollars;
    if (!r.known_prices) {
      c.notes.push_back(fmt::format("no prices for {}: priced as us-east-1", r.region));
    }
    priced.push_back(r.known_prices ? r.region : r.region + " as us-east-1");
  }
  c.regions = std::move(regions);
  std::string where;
  for (const auto& p : priced) where += (where.empty() ? "" : ", ") + p;
  c.text = fmt::format(
      "${:.4f} {}: {} GB-s of {} Lambda at {} MB, {} invocations, {} SQS and {} S3 requests "
      "({} prices of {}, no free tier)",
      c.dollars, what, grouped(std::llround(c.gb_seconds)), architecture, memory_mb,
      grouped(c.invocations), grouped(c.sqs_requests), grouped(c.s3_requests), where, kPricesDate);
  return c;
}

}  // namespace

const Prices& prices_for(std::string_view region, bool* known) {
  for (const auto& p : kPrices) {
    if (p.region == region) {
      if (known != nullptr) *known = true;
      return p;
    }
  }
  if (known != nullptr) *known = false;
  return kPrices.front();
}

std::string_view prices_date() { return kPricesDate; }

Cost estimate(const EstimateInput& in) {
  const std::vector<std::string> regions =
      in.regions.empty() ? std::vector<std::string>{"us-east-1"} : in.regions;
  const int segments = std::max(1, in.segments);
  const double run_s = std::max(0.0, in.duration_s) + std::max(0.0, in.drain_s);
  const double billed_s_per_worker =
      run_s + segments * in.invocation_overhead_s + (segments - 1) * in.segment_overlap_s;
  // Per worker, over the whole run.
  const double heartbeats = std::floor(run_s / kHeartbeatIntervalS);
  const double batches = std::ceil(run_s / kReportPeriodS);
  const double messages_per_worker = 2.0 * segments + heartbeats + batches;
  const double polls_per_worker = std::ceil(run_s / kStopPollIntervalS);

  std::vector<RegionCost> out;
  const int n = static_cast<int>(regions.size());
  for (int i = 0; i < n; ++i) {
    RegionCost r;
    r.region = regions[static_cast<size_t>(i)];
    r.workers = in.workers / n + (i < in.workers % n ? 1 : 0);
    const double w = r.workers;
    r.gb_seconds = w * billed_s_per_worker * in.memory_mb / 1024.0;
    r.invocations = static_cast<int64_t>(r.workers) * segments;
    const double messages = w * messages_per_worker;
    const double rate = run_s > 0 ? messages / run_s : messages;
    const double per_receive = std::clamp(rate, 1.0, 10.0);
    const double receives = std::ceil(messages / per_receive);
    r.sqs_requests = std::llround(messages + 2 * receives) + 2;  // + CreateQueue, DeleteQueue
    r.s3_get_requests =
        std::llround(w * polls_per_worker) + r.invocations * in.s3_gets_per_invocation;
    r.s3_put_requests = 2 + in.s3_uploads;  // metadata at start and end
    price(r, in.architecture);
    out.push_back(std::move(r));
  }
  return total(std::move(out), "estimated", in.memory_mb, in.architecture);
}

Cost measured(const std::vector<MeasuredUsage>& usage, int memory_mb,
              std::string_view architecture) {
  std::vector<RegionCost> out;
  for (const auto& u : usage) {
    RegionCost r;
    r.region = u.region;
    double ms = 0;
    for (double d : u.invocation_ms) ms += std::ceil(std::max(0.0, d));
    r.gb_seconds = ms / 1000.0 * memory_mb / 1024.0;
    r.invocations = static_cast<int64_t>(u.invocation_ms.size());
    r.sqs_requests = u.sqs_requests;
    r.s3_get_requests = u.s3_get_requests;
    r.s3_put_requests = u.s3_put_requests;
    price(r, architecture);
    out.push_back(std::move(r));
  }
  return total(std::move(out), "measured", memory_mb, architecture);
}

AutoCount count_auto(double peak_rps, double capacity_per_worker, int max_workers) {
  AutoCount out;
  if (!(peak_rps > 0) || !(capacity_per_worker > 0)) return out;
  const double needed = std::ceil(peak_rps / capacity_per_worker);
  if (needed > max_workers) {
    out.workers = std::max(1, max_workers);
    out.capped = true;
    return out;
  }
  out.workers = std::max(1, static_cast<int>(needed));
  return out;
}

namespace {

double requests_in(const std::vector<script::Step>& steps) {
  double n = 0;
  for (const auto& s : steps) {
    if (std::holds_alternative<script::Request>(s.action)) {
      n += 1;
    } else if (const auto* l = std::get_if<script::Loop>(&s.action)) {
      double times = 1;  // templated counts and `over: variable` are unknown before the run
      if (!l->over_values.empty()) {
        times = static_cast<double>(l->over_values.size());
      } else if (!l->is_over() && !l->count_template) {
        times = static_cast<double>(std::max<int64_t>(1, l->count - l->from));
      }
      n += times * requests_in(l->steps);
    } else if (const auto* p = std::get_if<script::Parallel>(&s.action)) {
      n += requests_in(p->steps);
    }
  }
  return n;
}

}  // namespace

double peak_request_rate(const script::Plan& plan) {
  double total_weight = 0;
  double weighted = 0;
  for (const auto& s : plan.scenarios) {
    const double w = std::max(0.0, s.weight);
    total_weight += w;
    weighted += w * requests_in(s.flow);
  }
  const double per_vu = total_weight > 0 ? weighted / total_weight : 0;
  double peak = 0;
  for (const auto& p : plan.phases) {
    double rate = std::max(p.arrival_rate, p.ramp_to.value_or(0));
    if (p.arrival_count && p.duration_s > 0)
      rate = static_cast<double>(*p.arrival_count) / p.duration_s;
    if (p.closed()) rate = static_cast<double>(p.vusers);
    peak = std::max(peak, rate);
  }
  return peak * per_vu;
}

}  // namespace barrage::lambda
