#include "run/reports.h"

#include <fmt/format.h>

#include <fstream>

#include "report/ci_reports.h"
#include "report/html_report.h"
#include "report/json_report.h"

namespace barrage::run {

bool write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

const char* report_extension(const std::string& format) {
  if (format == "junit") return ".junit.xml";
  if (format == "csv") return ".csv";
  return ".html";
}

std::string report_stem(const std::string& path) {
  return path.ends_with(".json") ? path.substr(0, path.size() - 5) : path;
}

std::optional<std::string> render_report(const std::string& format, const std::string& json,
                                         std::string* error) {
  if (format == "junit") return report::to_junit_report(json, error);
  if (format == "csv") return report::to_csv_report(json, error);
  return report::to_html_report(json, error);
}

bool write_reports(const Result& result, const script::Plan& plan, const ReportRequest& request,
                   const std::function<void(const std::string&)>& say, std::string* error) {
  if (!request.json_path && request.formats.empty()) return true;
  const report::ReportInfo info{plan.source_path, request.target, request.version, result.checks};
  report::RunExtras extras;
  extras.run_id = result.run_id;
  if (result.fleet) extras.fleet = &*result.fleet;
  if (result.cost) extras.cost = &*result.cost;
  const std::string json = report::to_json_report(result.run, plan, info, extras);
  if (request.json_path) {
    if (!write_text_file(*request.json_path, json)) {
      *error = "cannot write report to " + *request.json_path;
      return false;
    }
    say("Report written to " + *request.json_path);
  }
  const std::string stem = request.json_path ? report_stem(*request.json_path) : "report";
  for (const auto& format : request.formats) {
    std::string why;
    const auto text = render_report(format, json, &why);
    const std::string path = stem + report_extension(format);
    if (!text || !write_text_file(path, *text)) {
      *error = fmt::format("cannot write {} report to {}", format, path);
      return false;
    }
    say(fmt::format("{} report written to {}", format, path));
  }
  return true;
}

}  // namespace barrage::run
