// The JSON report (`--output report.json`) read and written: the one place that
// turns the report model (model.h) into JSON text and back. Aggregate, every
// period and the timeline carry their histograms serialized, so a report can be
// merged or re-rendered later without the raw samples. Schema:
// docs/report-schema.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "report/model.h"
#include "util/error.h"

namespace barrage::report {

// The report as JSON text (2-space indent, keys in name order, final newline).
// Summaries and rates are computed from the snapshots' histograms and counters.
std::string write_report(const Report& report);

// Reads a report back. An Error (its message saying what and where, e.g.
// "aggregate.counters.http.requests: expected a non-negative integer") when the
// text is not JSON, not a barrage report, or a field has the wrong type.
// Sections that older reports lack are left empty; a report without "analysis"
// gets it computed from its snapshots.
Result<Report> read_report(std::string_view text);

// A number as the JSON report writes it ("1", "1.0", "0.25").
std::string to_json_text(const Number& n);

// The "analysis" object of the report, as compact JSON.
std::string analysis_to_json(const Analysis& a);

}  // namespace barrage::report
