// Report files of a run: the JSON report and html/junit/csv renderings of it
// (the report library), named after the JSON report.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "run/run.h"

namespace barrage::run {

struct ReportRequest {
  std::optional<std::string> json_path;  // -o FILE
  // html | junit | csv, written to <json_path without .json><ext>, or report<ext>.
  std::vector<std::string> formats;
  std::string target;   // shown in the report
  std::string version;  // barrage's
};

// Writes what `request` asks for; `say` gets "Report written to FILE" per
// file. False (with *error) when a file cannot be written.
bool write_reports(const Result& result, const script::Plan& plan, const ReportRequest& request,
                   const std::function<void(const std::string&)>& say, std::string* error);

// The file extension of a format: ".html", ".junit.xml", ".csv".
const char* report_extension(const std::string& format);
// "out/run.json" -> "out/run"; other names are used as they are.
std::string report_stem(const std::string& path);
// Renders a JSON report as html, junit or csv; nullopt (with *error) when unreadable.
std::optional<std::string> render_report(const std::string& format, const std::string& json,
                                         std::string* error);
bool write_text_file(const std::string& path, const std::string& text);

}  // namespace barrage::run
