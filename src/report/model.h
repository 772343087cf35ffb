// The report model: the typed form of the JSON report (`barrage.report/1`,
// docs/report-schema.md). `build_report` (from_run.h) makes one from a finished
// run, `read_report` (json_report.h) from a saved file; `write_report` turns it
// back into the JSON text. The console summary and the HTML, JUnit and CSV
// renderings and `compare` all take a Report, so the document is parsed in one
// place only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "metrics/snapshot.h"
#include "report/analysis.h"

namespace barrage::report {

inline constexpr const char* kReportSchema = "barrage.report/1";

// A number as the document has it: renderings print 1 and 1.0 differently, and
// the optional sections may come from other tools, so integers stay integers.
struct Number {
  std::variant<uint64_t, int64_t, double> value;

  [[nodiscard]] double as_double() const;
  [[nodiscard]] bool integral() const { return !std::holds_alternative<double>(value); }
  friend bool operator==(const Number&, const Number&) = default;
};
using OptNumber = std::optional<Number>;

// run.phases[]: a phase as the script declared it, with its offset.
struct PhaseInfo {
  std::string name;  // as declared; may be empty ("#<n>" in renderings)
  double start_s = 0;
  double duration_s = 0;
  bool pause = false;
  std::optional<int64_t> vusers;         // closed model
  std::optional<int64_t> arrival_count;  // arrivalCount
  std::optional<double> arrival_rate;    // arrivalRate (open model without a count)
  std::optional<double> ramp_to;         // rampTo
  std::optional<int64_t> max_vusers;     // maxVusers
};

// A tag of the run (`--tags key:value`, Artillery's shape {name, value}).
struct RunTag {
  std::string name;
  std::string value;
  friend bool operator==(const RunTag&, const RunTag&) = default;
};

// What the person running a test said about it (Artillery's --name, --tags,
// --note); empty: not written (reports from before have none).
struct RunLabels {
  std::string name;
  std::vector<RunTag> tags;
  std::string note;
  [[nodiscard]] bool empty() const { return name.empty() && tags.empty() && note.empty(); }
  friend bool operator==(const RunLabels&, const RunLabels&) = default;
};

// "run": what ran, when and where.
struct RunInfo {
  std::string script;
  std::string target;
  int cores = 0;
  int64_t start_ms = 0;  // Unix epoch ms
  double duration_s = 0;
  bool interrupted = false;
  std::vector<PhaseInfo> phases;
  std::string run_id;             // empty: not written
  std::string platform;           // distributed runs: "local" or "aws:lambda"; empty: not written
  std::string cold_start_header;  // config.serverless.coldStartHeader; empty: not written
  RunLabels labels;               // "name", "tags", "note"
};

// A histogram's summary in milliseconds (the "summaries" entries' shape).
struct SummaryMs {
  uint64_t count = 0;
  double min = 0, max = 0, mean = 0, p50 = 0, median = 0, p75 = 0, p90 = 0, p95 = 0, p99 = 0,
         p999 = 0;
};
SummaryMs summary_ms(const metrics::Histogram& h);

// "endpoints.<name>" (metrics-by-endpoint).
struct EndpointFigures {
  std::string name;
  std::map<std::string, uint64_t> codes;   // status code -> count
  std::map<std::string, uint64_t> errors;  // error name -> count
  std::optional<SummaryMs> response_time;
};

// "ensure[]": a threshold check's verdict. barrage writes name, ok and strict;
// other tools may add value and limit or expression.
struct EnsureResult {
  std::string name;
  bool ok = false;
  std::optional<bool> strict;
  OptNumber value;
  OptNumber limit;
  std::optional<std::string> expression;
  // "inputs": a condition's metrics and their values (null: not recorded).
  std::vector<std::pair<std::string, OptNumber>> inputs;
};

// A response-time summary as an optional section has it (any field may be missing).
struct LatencyFigures {
  OptNumber count, min, max, mean, p50, median, p75, p90, p95, p99, p999;
};

// "workers[]" (distributed runs). barrage writes id, status, reason, ended_ms,
// batches, requests, cpu_max and lag_p99_max_ms; other tools may write the rest.
struct WorkerFigures {
  OptNumber id;
  std::optional<std::string> id_text;  // an id written as a string
  std::optional<std::string> name;
  std::optional<std::string> region;
  std::optional<std::string> status;  // done | lost | failed
  std::optional<std::string> reason;
  OptNumber ended_ms, batches, requests, responses, errors, cpu_max, lag_p99_max_ms;
  std::optional<LatencyFigures> response_time;
};

// "regions.<key>" (runs across regions).
struct RegionFigures {
  std::string key;  // the object key (the region's name)
  std::optional<std::string> region;
  std::optional<std::string> name;
  std::optional<std::string> status;
  OptNumber workers, requests, responses, errors;
  std::optional<LatencyFigures> response_time;
};

// "delivery": the coordinator's figures for a distributed run.
struct DeliveryFigures {
  uint64_t duplicates_dropped = 0;
  uint64_t late_batches = 0;
};

// "cost" (Lambda runs): the estimate printed before the run and, when the
// workers reported it, the measured figure.
struct CostFigures {
  OptNumber dollars, gb_seconds, invocations, sqs_requests, s3_requests;
  std::optional<std::string> text;
};
struct CostSection {
  std::optional<CostFigures> estimated;
  std::optional<CostFigures> measured;
  std::optional<std::string> prices_date;
  std::vector<std::string> notes;
};

struct Report {
  std::string barrage_version;
  RunInfo run;
  metrics::Snapshot aggregate;                  // spans the whole run (start_ms .. + duration)
  std::vector<metrics::Snapshot> intermediate;  // 10 s periods
  std::vector<metrics::Snapshot> timeline;      // 1 s periods
  Analysis analysis;
  std::vector<EndpointFigures> endpoints;  // in name order
  std::vector<std::string> warnings;
  std::optional<std::vector<EnsureResult>> ensure;  // written when present
  std::optional<std::vector<WorkerFigures>> workers;
  std::optional<DeliveryFigures> delivery;
  std::optional<std::vector<RegionFigures>> regions;  // in key order
  std::optional<CostSection> cost;

  // The timeline, or the 10 s periods for reports without one.
  [[nodiscard]] const std::vector<metrics::Snapshot>& fine_periods() const {
    return timeline.empty() ? intermediate : timeline;
  }
};

// The phases with their offsets and display names ("#<n>", "pause #<n>" when unnamed).
std::vector<PhaseSpan> phase_spans(const RunInfo& run);

// The analyses computed from the report's snapshots and phases.
Analysis analyze(const Report& r);

}  // namespace barrage::report
