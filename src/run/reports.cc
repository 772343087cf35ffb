#include "run/reports.h"

#include <fmt/format.h>

#include <fstream>

#include "report/ci_reports.h"
#include "report/from_run.h"
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

std::string render_report(const std::string& format, const report::Report& model) {
  if (format == "junit") return report::to_junit_report(model);
  if (format == "csv") return report::to_csv_report(model);
  return report::to_html_report(model);
}

report::Report report_of(const Result& result, const script::Plan& plan, const std::string& target,
                         const std::string& version) {
  const report::ReportInfo info{plan.source_path, target, version, result.checks};
  report::RunExtras extras;
  extras.run_id = result.run_id;
  if (result.fleet) extras.fleet = &*result.fleet;
  if (result.cost) extras.cost = &*result.cost;
  report::Report model = report::build_report(result.run, plan, info, extras);
  model.run.labels = result.labels;
  return model;
}

barrage::Status write_reports(const report::Report& model, const ReportRequest& request,
                              const std::function<void(const std::string&)>& say) {
  if (!request.json_path && request.formats.empty()) return {};
  if (request.json_path) {
    const std::string json = report::write_report(model);
    if (!write_text_file(*request.json_path, json)) {
      return barrage::fail("cannot write report to " + *request.json_path);
    }
    say("Report written to " + *request.json_path);
  }
  const std::string stem = request.json_path ? report_stem(*request.json_path) : "report";
  for (const auto& format : request.formats) {
    const std::string path = stem + report_extension(format);
    if (!write_text_file(path, render_report(format, model))) {
      return barrage::fail(fmt::format("cannot write {} report to {}", format, path));
    }
    say(fmt::format("{} report written to {}", format, path));
  }
  return {};
}

namespace {

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

barrage::Result<RenderedReport> render_report_file(const std::string& input,
                                                   const std::optional<std::string>& output,
                                                   const std::optional<std::string>& format) {
  const auto json = read_whole_file(input);
  if (!json) return barrage::fail("cannot read " + input);
  RenderedReport out;
  out.format = format.value_or("html");
  if (!format && output) {
    if (output->ends_with(".xml")) out.format = "junit";
    if (output->ends_with(".csv")) out.format = "csv";
  }
  out.path = output.value_or(report_stem(input) + report_extension(out.format));
  const auto rep = report::read_report(*json);
  if (!rep) return barrage::fail(rep.error().with_context(input));
  if (!write_text_file(out.path, render_report(out.format, *rep))) {
    return barrage::fail("cannot write " + out.path);
  }
  return out;
}

barrage::Result<report::Comparison> compare_report_files(const std::string& base,
                                                         const std::string& current,
                                                         const report::Tolerances& tolerances) {
  const auto base_json = read_whole_file(base);
  const auto current_json = read_whole_file(current);
  if (!base_json || !current_json) {
    return barrage::fail("cannot read " + (!base_json ? base : current));
  }
  const auto base_report = report::read_report(*base_json);
  if (!base_report) return barrage::fail(base_report.error().with_context("base report"));
  const auto new_report = report::read_report(*current_json);
  if (!new_report) return barrage::fail(new_report.error().with_context("new report"));
  return report::compare_reports(*base_report, *new_report, tolerances);
}

}  // namespace barrage::run
