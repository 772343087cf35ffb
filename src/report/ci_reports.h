// Reports for CI systems, rendered from a report:
//  - JUnit XML: a <testsuite name="ensure"> with a test case per ensure check and a
//    <testsuite name="expect"> with a test case per expect check kind
//    (plugins.expect.ok.<kind> / .failed.<kind>); a failed check is a <failure>.
//  - CSV: one row per period (the report's intermediate periods, 10 s by default).
// Columns and shapes: docs/reports.md.
#pragma once

#include <string>
#include <vector>

#include "report/model.h"

namespace barrage::report {

std::string to_junit_report(const Report& report);

// The expect plugin's counters: plugins.expect.ok.<kind> and .failed.<kind>.
inline constexpr const char* kExpectOkPrefix = "plugins.expect.ok.";
inline constexpr const char* kExpectFailedPrefix = "plugins.expect.failed.";
// The check kinds with either counter, in name order.
std::vector<std::string> expect_check_kinds(const metrics::Snapshot& aggregate);
std::string to_csv_report(const Report& report);

}  // namespace barrage::report
