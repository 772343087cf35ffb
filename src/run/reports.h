// Report files of a run: the JSON report and html/junit/csv renderings of it
// (the report library), named after the JSON report.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "report/compare.h"
#include "report/model.h"
#include "run/run.h"
#include "util/error.h"

namespace barrage::run {

struct ReportRequest {
  std::optional<std::string> json_path;  // -o FILE
  // html | junit | csv, written to <json_path without .json><ext>, or report<ext>.
  std::vector<std::string> formats;
};

// The report model of a finished run (report/from_run.h): what the console
// summary, the JSON report and its renderings all show.
report::Report report_of(const Result& result, const script::Plan& plan, const std::string& target,
                         const std::string& version);

// Writes what `request` asks for from `model`; `say` gets "Report written to
// FILE" per file. An Error when a file cannot be written.
barrage::Status write_reports(const report::Report& model, const ReportRequest& request,
                              const std::function<void(const std::string&)>& say);

// The file extension of a format: ".html", ".junit.xml", ".csv".
const char* report_extension(const std::string& format);
// "out/run.json" -> "out/run"; other names are used as they are.
std::string report_stem(const std::string& path);
// Renders a report as html, junit or csv.
std::string render_report(const std::string& format, const report::Report& model);
bool write_text_file(const std::string& path, const std::string& text);

// `barrage report`: reads the JSON report at `input` and writes it as
// `format` (html, junit or csv; default: from `output`'s extension .xml or
// .csv, else html) to `output` (default: `input`'s stem + the format's
// extension). The format and the path written; an Error (a sentence naming
// the file) when it cannot read, parse or write.
struct RenderedReport {
  std::string format;
  std::string path;
};
barrage::Result<RenderedReport> render_report_file(const std::string& input,
                                                   const std::optional<std::string>& output,
                                                   const std::optional<std::string>& format);

// `barrage compare`: reads both JSON reports; an Error ("cannot read FILE",
// "base report: ...", "new report: ...") when one cannot be read.
barrage::Result<report::Comparison> compare_report_files(const std::string& base,
                                                         const std::string& current,
                                                         const report::Tolerances& tolerances);

}  // namespace barrage::run
