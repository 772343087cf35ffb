// Console output in Artillery's layout: a block per 10-second period, a
// summary at the end, and a one-line progress display on terminals.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "engine/runner.h"
#include "metrics/snapshot.h"
#include "report/model.h"

namespace barrage::report {

struct ConsoleOptions {
  bool extended_metrics = false;  // show http.dns/tcp/tls/ttfb/download
  bool show_endpoints = true;     // plugins.metrics-by-endpoint.*
};

// Scheduling lag p99 above this means the generator could not keep up and
// its latency figures include its own delay.
inline constexpr uint64_t kSaturationLagUs = 10'000;

// "http.requests: ......... 120" lines for one snapshot; `summary` adds the
// full percentile set (count, min, mean, p50..p999, max).
std::string format_metrics(const metrics::Snapshot& s, const ConsoleOptions& options, bool summary);

// The period block: header with the period end time and width, then metrics.
std::string format_period(const metrics::Snapshot& s, const ConsoleOptions& options);

// The final summary block.
std::string format_summary(const Report& r, const ConsoleOptions& options);

// Warnings a person must see (generator saturation); empty when none.
std::vector<std::string> warnings_for(const metrics::Snapshot& s);

// "phase 2/5 ramp  00:31/01:30  412 req/s  57 VUs" for a terminal status line.
std::string format_progress(const engine::Progress& p, const std::vector<std::string>& phase_names,
                            double rate);

}  // namespace barrage::report
