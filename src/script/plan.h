// The Plan: the only thing the engine reads. Built once from a script by the
// loader, validated, templates compiled; then shared read-only by every shard
// (and, later, shipped to distributed workers as part of a WorkerJob).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "script/expect.h"
#include "script/jsonpath.h"
#include "script/regex.h"
#include "script/template.h"

namespace barrage::script {

struct SourceLoc {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

struct Phase {
  std::string name;
  double duration_s = 0;                 // length of the phase (pause length for pauses)
  double arrival_rate = 0;               // arrivals per second (open model)
  std::optional<double> ramp_to;         // linear ramp target rate, per second
  std::optional<int64_t> arrival_count;  // total arrivals spread evenly over duration
  bool pause = false;
  int64_t max_vusers = 0;  // cap on concurrent VUs started by this phase; 0 = none
  int64_t vusers = 0;      // closed model (extension): N VUs loop the scenario
  SourceLoc loc;

  [[nodiscard]] bool closed() const { return vusers > 0; }
};

enum class Method : uint8_t { kGet, kPost, kPut, kPatch, kDelete, kHead, kOptions };
const char* method_name(Method m);

struct Header {
  std::string name;
  Template value;
};

// `capture`: a value taken from a response into a VU variable.
struct Capture {
  enum class Kind : uint8_t { kJson, kRegexp, kHeader };
  Kind kind = Kind::kJson;
  std::string expression;  // as written (JSONPath, pattern or header name)
  JsonPath json;           // kJson
  Regex regexp;            // kRegexp
  int group = 0;           // kRegexp: capture group (0 = whole match)
  std::string as;          // variable name
  bool strict = true;      // a failed capture ends the VU
  SourceLoc loc;
};

struct Request {
  Method method = Method::kGet;
  Template url;                         // absolute, or a path relative to config.target
  std::string name;                     // endpoint name for metrics (defaults to url source)
  int endpoint_id = 0;                  // index into Plan::endpoints
  std::vector<Header> headers;          // step headers only; defaults live in Plan
  std::optional<Template> body;         // rendered request body
  std::string content_type;             // e.g. "application/json" for `json:`; empty = none
  std::optional<bool> follow_redirect;  // default: true
  std::vector<Capture> captures;
  std::vector<Expectation> expectations;  // `expect`, checked after the captures
  SourceLoc loc;
};

struct Think {
  double seconds = 0;
  SourceLoc loc;
};

struct Step;

struct Loop {
  int64_t count = 1;  // iterations; `count` as a number in this issue
  std::vector<Step> steps;
  SourceLoc loc;
};

struct Step {
  std::variant<Request, Think, Loop> action;
};

struct Scenario {
  std::string name;
  double weight = 1;
  std::vector<Step> flow;
  SourceLoc loc;
};

struct HttpConfig {
  double timeout_s = 10;            // per request (config.http.timeout)
  int64_t pool = 0;                 // 0 = each VU owns its connection; N = shared pool per shard
  bool reject_unauthorized = true;  // verify TLS certificates
  bool extended_metrics = false;    // show the timing breakdown in the console
};

// config.serverless (barrage extension): hints for serverless targets.
struct ServerlessConfig {
  std::string cold_start_header;  // response header set on cold starts; empty = none
};

struct Variable {
  std::string name;
  std::vector<std::string> values;  // one value = scalar; several = pick one per VU
};

struct Plan {
  std::string source_path;  // the script file
  std::string target;       // config.target (may be overridden by --target)
  std::vector<Phase> phases;
  std::vector<Scenario> scenarios;
  std::vector<Variable> variables;
  std::vector<Header> default_headers;  // defaults.headers + http.defaults.headers
  HttpConfig http;
  ServerlessConfig serverless;
  std::vector<std::string> endpoints;  // endpoint names; Request::endpoint_id indexes this

  // Sum of all phase durations, in seconds.
  [[nodiscard]] double total_duration_s() const;
};

}  // namespace barrage::script
