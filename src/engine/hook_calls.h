// The engine's side of processor hook calls (engine/hook_host.h): the JSON a
// virtual user hands a hook (Artillery's requestParams and response), what a
// beforeRequest hook changed, custom metrics and error names. nlohmann-json
// stays in hook_calls.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/hook_host.h"
#include "engine/run_context.h"
#include "http/response_parser.h"
#include "metrics/recorder.h"
#include "script/plan.h"

namespace barrage::engine {

// Artillery's requestParams before its beforeRequest hooks: the step as
// written (templates not yet rendered; they are rendered after the hooks, so
// a hook may set the variables they use), the url prefixed with the target
// when it starts with '/'. The same text for every call of a request, so
// cached per thread.
const std::string& request_params_json(const RunContext& ctx, const script::Request& req);

// The response an afterResponse hook sees: statusCode, headers (lower-case
// names), body (the decoded text).
std::string response_json(const http::ResponseParser& p, std::string_view body);

// What a beforeRequest hook changed in requestParams: each field is a
// template text again (rendered with the VU's variables like the script's).
struct RequestOverride {
  std::optional<std::string> url;
  std::optional<std::string> method;                                        // upper case
  std::optional<std::vector<std::pair<std::string, std::string>>> headers;  // replaces the step's
  std::optional<std::string> body;  // `json` (stringified) or `body`
  bool json = false;                // body came from `json`
  std::optional<std::vector<std::pair<std::string, std::string>>> qs;  // replaces the step's
  [[nodiscard]] bool any() const { return url || method || headers || body || qs; }
};
// Reads the host's JSON of changed fields; false when it is not an object.
bool parse_request_override(std::string_view json, RequestOverride& out);

// Renders a template text a hook produced ({{ }} as in the script; text that
// does not compile as a template is taken as is).
std::string render_hook_text(const std::string& text, const script::Vars& vars, Rng& rng);

// Records a hook's custom metrics: counters and rates add to the counter of
// that name, histogram values are recorded so reports show the value as
// emitted (reports print histograms in ms of the us recorded), 'error'
// events count errors.<name>.
void record_hook_metrics(metrics::Recorder& rec, const std::vector<HookMetric>& metrics);

// A stable pointer for an error name (data-plane errors are const char*);
// after 256 distinct names the rest share one.
const char* intern_error_name(std::string_view name);

}  // namespace barrage::engine
