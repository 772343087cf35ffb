#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "report/ci_reports.h"
#include "report/json_report.h"
#include "report/svg_chart.h"

namespace barrage::report {

namespace {

using nlohmann::json;

struct Case {
  std::string name;
  std::string failure;  // empty = passed
  std::string detail;
};

std::string value_text(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "-";
  return j.dump();
}

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

}  // namespace

std::optional<std::string> to_junit_report(const std::string& json_text, std::string* error) {
  auto r = read_json_report(json_text, error);
  if (!r) return std::nullopt;
  const json doc = json::parse(json_text, nullptr, false);

  std::vector<Case> ensure;
  for (const auto& e : doc.value("ensure", json::array())) {
    if (!e.is_object()) continue;
    Case c;
    c.name = e.value("name", std::string("ensure"));
    const std::string limit =
        e.contains("limit") ? value_text(e["limit"]) : value_text(e.value("expression", json()));
    c.detail = fmt::format("value {} limit {}", value_text(e.value("value", json())), limit);
    if (!e.value("ok", false)) c.failure = fmt::format("{} failed: {}", c.name, c.detail);
    ensure.push_back(std::move(c));
  }

  std::vector<Case> expect;
  const auto& agg = r->aggregate;
  const std::string ok_prefix = "plugins.expect.ok.";
  const std::string failed_prefix = "plugins.expect.failed.";
  std::vector<std::string> kinds;
  for (const auto& [k, v] : agg.counters) {
    if (k.starts_with(ok_prefix)) kinds.push_back(k.substr(ok_prefix.size()));
    if (k.starts_with(failed_prefix)) kinds.push_back(k.substr(failed_prefix.size()));
  }
  std::sort(kinds.begin(), kinds.end());
  kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
  for (const auto& k : kinds) {
    const uint64_t ok = agg.counter(ok_prefix + k);
    const uint64_t failed = agg.counter(failed_prefix + k);
    Case c{k, {}, fmt::format("{} passed, {} failed", ok, failed)};
    if (failed > 0) c.failure = fmt::format("{} of {} {} checks failed", failed, ok + failed, k);
    expect.push_back(std::move(c));
  }

  const json run = doc.value("run", json::object());
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"barrage {}\">\n",
                     xml_escape(run.value("script", std::string())));
  out += suite("ensure", ensure);
  out += suite("expect", expect);
  out += "</testsuites>\n";
  return out;
}

}  // namespace barrage::report
