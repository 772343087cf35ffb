// Reports for CI systems, rendered from a JSON report:
//  - JUnit XML: a <testsuite name="ensure"> with a test case per ensure check and a
//    <testsuite name="expect"> with a test case per expect check kind
//    (plugins.expect.ok.<kind> / .failed.<kind>); a failed check is a <failure>.
//  - CSV: one row per period (the report's intermediate periods, 10 s by default).
// Columns and shapes: docs/reports.md.
#pragma once

#include <optional>
#include <string>

namespace barrage::report {

std::optional<std::string> to_junit_report(const std::string& json_text, std::string* error);
std::optional<std::string> to_csv_report(const std::string& json_text, std::string* error);

}  // namespace barrage::report
