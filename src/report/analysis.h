// Analyses for serverless targets, computed from a run's snapshots (so they work on a
// live result and on a report read back from JSON alike):
//  - per phase: rate, latency percentiles, outcomes by error class, exact because the
//    recorder keys barrage.phase.<i>.* by the phase each VU arrived in;
//  - cold starts: from the target's cold-start header when the script names one
//    (exact); without one they are not counted (no guess: see analysis.cc) and the
//    time to first byte of first responses on new connections is set against reused
//    ones; latency spikes on the timeline and whether arrivals were rising;
//  - error onset: when each error class first appeared and first passed 1% of outcomes,
//    with the load at that moment, at the timeline's resolution (1 s by default).
// Pure functions of their inputs; docs/reports.md states every rule.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/snapshot.h"
#include "script/plan.h"

namespace barrage::report {

struct PhaseSpan {
  std::string name;
  double start_s = 0;  // offset from the run's start
  double duration_s = 0;
  bool pause = false;
};

// Phase names (or "#<n>") and offsets as the pacer lays them out.
std::vector<PhaseSpan> phase_spans(const script::Plan& plan);

enum class ErrorClass : uint8_t {
  k429,
  k502,
  k503,
  k504,
  kOther5xx,
  kTimeout,     // ETIMEDOUT, ESOCKETTIMEDOUT
  kConnection,  // ECONNREFUSED, ECONNRESET, EPIPE, ENOTFOUND, EAI_AGAIN, EHOSTUNREACH, ...
  kOther,       // any other named error (parse errors, TLS, failed captures, EMFILE)
};
inline constexpr size_t kErrorClassCount = 8;
const char* error_class_name(ErrorClass c);  // "429", ..., "other 5xx", "timeouts", ...
const char* error_class_key(ErrorClass c);   // JSON key: "429", ..., "5xx", "timeout", ...
ErrorClass classify_error(std::string_view error_name);

// Responses and errors under one counter scope.
struct Outcomes {
  uint64_t responses = 0;  // sum of <codes>.*
  uint64_t errors = 0;     // sum of <errors>.* (requests that got no response)
  std::array<uint64_t, kErrorClassCount> by_class{};

  [[nodiscard]] uint64_t total() const { return responses + errors; }
  [[nodiscard]] uint64_t failed() const;  // sum of by_class
  [[nodiscard]] double share(ErrorClass c) const;
  [[nodiscard]] double failed_share() const;
};
// codes_prefix "http.codes." and errors_prefix "errors." for the whole run;
// "barrage.phase.<i>.codes." / ".errors." for a phase.
Outcomes count_outcomes(const metrics::Snapshot& s, std::string_view codes_prefix,
                        std::string_view errors_prefix);

struct Latency {  // milliseconds
  uint64_t count = 0;
  double p50 = 0, p95 = 0, p99 = 0, max = 0;
};
Latency latency_of(const metrics::Histogram* h);

struct PhaseResult {
  PhaseSpan span;
  uint64_t vusers_created = 0;
  uint64_t requests = 0;
  double arrival_rate = 0;  // vusers created per second of the phase
  // Requests per second of the time they took: from the phase's first send to
  // its last completion (barrage.phase.<i>.span_ms), not its nominal duration.
  double request_rate = 0;
  Latency latency;
  Outcomes outcomes;
  uint64_t cold_starts = 0;  // header source only
};
std::vector<PhaseResult> analyze_phases(const metrics::Snapshot& aggregate,
                                        const std::vector<PhaseSpan>& phases);

// One timeline period, reduced to what the analyses need.
struct LoadLevel {
  double offset_s = 0;  // period start from the run start (>= 0)
  int64_t wall_ms = 0;  // period start, Unix epoch ms
  double arrival_rate = 0;
  double request_rate = 0;
  uint64_t active_vus = 0;  // created - completed - failed, at the end of the period
  double share = 0;         // the class's share of the period's outcomes
};

struct ErrorOnset {
  ErrorClass error_class = ErrorClass::kOther;
  uint64_t total = 0;
  LoadLevel first;                      // first period with one
  std::optional<LoadLevel> over_limit;  // first period where share > limit
};
std::vector<ErrorOnset> error_onsets(const std::vector<metrics::Snapshot>& timeline,
                                     int64_t run_start_ms, double limit = 0.01);

struct Spike {
  double start_s = 0, end_s = 0;  // from the run start
  int64_t wall_start_ms = 0;
  double peak_p99_ms = 0;
  double arrival_rate = 0;           // in the spike's first period
  double previous_arrival_rate = 0;  // highest of the three periods before it
  bool scale_out = false;            // arrivals rose in the spike's first period or the 2 before
  uint64_t cold_starts = 0;          // in the spike's periods (header only)
};

// "4.5s-9.5s": a spike's window, as the console and the HTML report print it.
std::string spike_window(const Spike& s);

struct ColdStarts {
  // "header"; "none" (no header named: not counted); "" (no responses); "estimate"
  // only in reports written before barrage stopped guessing.
  std::string source;
  uint64_t count = 0;
  uint64_t responses = 0;
  double share = 0;         // count / responses
  double threshold_ms = 0;  // a timeline period whose p99 is over this is a spike
  Latency cold, warm, new_connection, reused_connection;
  // Time to first byte from the request's write (no connection setup).
  Latency new_connection_ttfb, reused_connection_ttfb;
  std::vector<Spike> spikes;
};
ColdStarts analyze_cold_starts(const metrics::Snapshot& aggregate,
                               const std::vector<metrics::Snapshot>& timeline,
                               int64_t run_start_ms);

struct Analysis {
  double resolution_s = 0;  // timeline period
  std::vector<PhaseResult> phases;
  ColdStarts cold_starts;
  std::vector<ErrorOnset> onsets;
};
// `timeline`: the 1 s periods (or the 10 s ones when a report has no timeline).
Analysis analyze(const metrics::Snapshot& aggregate, const std::vector<metrics::Snapshot>& timeline,
                 int64_t run_start_ms, const std::vector<PhaseSpan>& phases);

// The console section printed after the summary: phases, cold starts, error onset.
std::string format_analysis(const Analysis& a);

}  // namespace barrage::report
