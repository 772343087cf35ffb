#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "report/ci_reports.h"
#include "report/json_report.h"
#include "report/svg_chart.h"

namespace barrage::report {

namespace {

struct Case {
  std::string name;
  std::string failure;  // empty = passed
  std::string detail;
};

std::string value_text(const OptNumber& n) { return n ? to_json_text(*n) : "-"; }

std::string suite(const char* name, const std::vector<Case>& cases) {
  const auto failures =
      std::count_if(cases.begin(), cases.end(), [](const Case& c) { return !c.failure.empty(); });
  std::string out =
      fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n", name,
                  cases.size(), failures);
  for (const auto& c : cases) {
    out +=
        fmt::format("    <testcase classname=\"barrage.{}\" name=\"{}\"", name, xml_escape(c.name));
    if (c.failure.empty()) {
      out += fmt::format("><system-out>{}</system-out></testcase>\n", xml_escape(c.detail));
    } else {
      out += fmt::format("><failure message=\"{}\">{}</failure></testcase>\n",
                         xml_escape(c.failure), xml_escape(c.detail));
    }
  }
  return out + "  </testsuite>\n";
}

std::vector<Case> ensure_cases(const Report& r) {
  std::vector<Case> out;
  if (!r.ensure) return out;
  for (const auto& e : *r.ensure) {
    Case c;
    c.name = e.name;
    const std::string limit = e.limit ? value_text(e.limit) : e.expression.value_or("-");
    c.detail = fmt::format("value {} limit {}", value_text(e.value), limit);
    if (!e.ok) c.failure = fmt::format("{} failed: {}", c.name, c.detail);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Case> expect_cases(const metrics::Snapshot& agg) {
  std::vector<Case> out;
  for (const auto& k : expect_check_kinds(agg)) {
    const uint64_t ok = agg.counter(kExpectOkPrefix + k);
    const uint64_t failed = agg.counter(kExpectFailedPrefix + k);
    Case c{k, {}, fmt::format("{} passed, {} failed", ok, failed)};
    if (failed > 0) c.failure = fmt::format("{} of {} {} checks failed", failed, ok + failed, k);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

std::vector<std::string> expect_check_kinds(const metrics::Snapshot& aggregate) {
  const std::string_view ok_prefix = kExpectOkPrefix;
  const std::string_view failed_prefix = kExpectFailedPrefix;
  std::vector<std::string> kinds;
  for (const auto& [k, v] : aggregate.counters) {
    if (k.starts_with(ok_prefix)) kinds.push_back(k.substr(ok_prefix.size()));
    if (k.starts_with(failed_prefix)) kinds.push_back(k.substr(failed_prefix.size()));
  }
  std::sort(kinds.begin(), kinds.end());
  kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
  return kinds;
}

std::string to_junit_report(const Report& r) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"barrage {}\">\n", xml_escape(r.run.script));
  out += suite("ensure", ensure_cases(r));
  out += suite("expect", expect_cases(r.aggregate));
  out += "</testsuites>\n";
  return out;
}

}  // namespace barrage::report
