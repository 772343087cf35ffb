// The Plan: the only thing the engine reads. Built once from a script by the
// loader, validated, templates compiled; then shared read-only by every shard
// (and, later, shipped to distributed workers as part of a WorkerJob).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "script/csv.h"
#include "script/expect.h"
#include "script/expression.h"
#include "script/jsonpath.h"
#include "script/regex.h"
#include "script/template.h"
#include "script/xpath.h"
#include "util/error.h"

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
  enum class Kind : uint8_t { kJson, kRegexp, kXPath, kHeader };
  Kind kind = Kind::kJson;
  std::string expression;    // as written (JSONPath, pattern, XPath or header name)
  JsonPath json;             // kJson
  Regex regexp;              // kRegexp
  int group = 0;             // kRegexp: capture group (0 = whole match)
  bool group_named = false;  // kRegexp: `group` gave the group's name
  XPath xpath;               // kXPath
  std::string as;            // variable name
  bool strict = true;        // a failed capture ends the VU
  // `match` (deprecated): the extracted value must equal this rendered
  // template; `as` is empty then. A mismatch fails like a strict capture.
  std::optional<Template> match_value;
  SourceLoc loc;
};

// A templated name=value pair: `qs`, `form`, `cookie` entries.
struct NameValue {
  std::string name;
  Template value;
};

// One `formData` field: a templated value, or a file read at load time.
struct FormField {
  std::string name;
  Template value;                        // when not a file
  std::optional<std::string> file_data;  // `fromFile`: the file's bytes
  std::string file_name;                 // base name sent as filename="..."
  std::string content_type;              // part Content-Type (files; optional)
};

// Think-time jitter (Artillery's "think: 2" + "jitter: 10%" or an absolute
// value in milliseconds): the pause is uniform in [t - j, t + j], at least 0.
struct Jitter {
  double value = 0;  // percent of the think time, or milliseconds
  bool percent = false;
  [[nodiscard]] bool active() const { return value > 0; }
};

// A function of the script's processor named by a step or hook, with where
// the script names it (the name is checked against the processor's exports
// when the processor loads).
struct HookRef {
  std::string name;
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
  std::vector<NameValue> qs;              // query parameters appended to the URL
  std::vector<NameValue> form;            // urlencoded body (`form`)
  std::vector<FormField> form_data;       // multipart body (`formData`)
  std::vector<NameValue> cookies;         // `cookie`: set in the VU's jar before sending
  std::optional<Template> auth_user;      // `auth`: Basic credentials
  std::optional<Template> auth_pass;
  bool gzip = false;                  // send Accept-Encoding: gzip, deflate
  std::optional<Expression> if_true;  // skip the request when false
  std::optional<double> probability;  // percent chance to send (0..100)
  // Processor hooks: the scenario's, then the request's own (Artillery's order).
  std::vector<HookRef> before_request;
  std::vector<HookRef> after_response;
  // True when the request needs per-VU rendering beyond url/headers/body.
  [[nodiscard]] bool has_dynamic_parts() const {
    return !qs.empty() || !form.empty() || !form_data.empty() || !cookies.empty() ||
           auth_user.has_value() || gzip;
  }
  SourceLoc loc;
};

struct Think {
  // The pause; with `seconds_template`, the longest the template gave at load
  // with the script's variables (an estimate for run-time bounds; 0 when it
  // depends on captures).
  double seconds = 0;
  // `think: "{{ t }}"`: rendered with the VU's variables at each step and
  // read as a duration (a bare number is seconds; unreadable = 0).
  std::optional<Template> seconds_template;
  std::optional<Jitter> jitter;  // the step's own; else Plan::default_jitter
  SourceLoc loc;
};

// `log`: a templated line printed to stderr (rate limited per core).
struct Log {
  Template message;
  SourceLoc loc;
};

struct Step;

// `loop`, with Artillery's semantics: `count: N` runs N times with
// $loopCount 0..N-1; `count: "a-b"` runs with $loopCount a..b-1; a templated
// count is rendered and read the same way per execution; `over` (a list, or a
// variable holding a JSON array) runs once per element with $loopElement set.
struct Loop {
  int64_t count = 1;                          // fixed count, or the upper bound `b` of a range
  int64_t from = 0;                           // first $loopCount (range "a-b": a)
  std::optional<Template> count_template;     // templated count, read per execution
  std::vector<Template> over_values;          // `over: [..]`
  std::string over_variable;                  // `over: name`
  std::string index_name = "$loopCount";      // `loopValue`
  std::string element_name = "$loopElement";  // `loopElement`
  std::vector<Step> steps;
  SourceLoc loc;
  [[nodiscard]] bool is_over() const { return !over_values.empty() || !over_variable.empty(); }
};

// Artillery's reading of a loop count: "N" -> (0, N), "a-b" -> (a, b), as
// (first $loopCount, end). nullopt for anything else (the loop then runs 0 times).
std::optional<std::pair<int64_t, int64_t>> parse_loop_range(std::string_view text);

// `parallel`: the steps run concurrently (at most `limit` at a time), each on
// its own connection; the VU continues when all have finished.
struct Parallel {
  int64_t limit = 100;
  std::vector<Step> steps;
  SourceLoc loc;
};

// `function: name` (and a scenario's beforeScenario/afterScenario, which
// Artillery runs as function steps at the start and end of the flow): calls
// the processor's function with (context, events, next).
struct Function {
  std::vector<HookRef> functions;  // one; a vector so a call can point at it
  SourceLoc loc;
};

// `engine: ws` (docs/websocket.md). The connection a ws scenario opens
// first: the flow's leading `connect` step, else config.target with
// config.ws's headers and subprotocols, as Artillery does.
struct WsConnect {
  std::optional<Template> target;           // ws://, wss:// (or http(s)://); none = config.target
  std::vector<Header> headers;              // handshake headers, rendered per VU
  std::vector<std::string> subprotocols;    // Sec-WebSocket-Protocol
  std::optional<bool> reject_unauthorized;  // none: config.tls.rejectUnauthorized
  SourceLoc loc;
};

// A ws `send` (payload set) or `wait` (no payload): with captures (and
// `match` entries, Capture::match_value), the step waits for the first reply
// that satisfies all of them.
struct WsSend {
  std::optional<Template> payload;  // a string, or an object sent as JSON
  std::vector<Capture> captures;
  SourceLoc loc;
};

struct Step {
  std::variant<Request, Think, Loop, Parallel, Log, Function, WsSend> action;
};

enum class Engine : uint8_t { kHttp, kWs };

struct Scenario {
  std::string name;
  double weight = 1;  // a templated weight is rendered at load time
  Engine engine = Engine::kHttp;
  WsConnect ws_connect;  // engine kWs only
  std::vector<Step> flow;
  SourceLoc loc;
};

// config.ws: defaults of every ws scenario's connection.
struct WsConfig {
  std::vector<std::string> subprotocols;
  std::vector<Header> headers;
  std::optional<bool> reject_unauthorized;
  double timeout_s = 10;                    // a reply awaited longer fails ("response timeout")
  double handshake_timeout_s = 10;          // connect + upgrade (ws's handshakeTimeout)
  int64_t max_payload = int64_t{16} << 20;  // a longer message fails (ws's maxPayload)
  bool response_time = false;               // barrage extension: websocket.response_time histogram
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

// `config.payload`: CSV rows handed to VUs as variables.
struct Payload {
  std::string path;                     // as resolved (relative to the script's directory)
  std::vector<std::string> fields;      // variable name per column
  bool sequence = false;                // order: sequence (else random)
  bool cast = true;                     // numbers as JavaScript prints them (see csv_cast)
  bool load_all = false;                // loadAll: every row, as `name`
  std::string name;                     // loadAll: the variable
  std::string all_json;                 // loadAll: JSON array of {field: value} objects
  std::shared_ptr<const CsvData> data;  // mapped once, shared read-only by every shard
  SourceLoc loc;
};

// One check of the ensure plugin, evaluated on the final aggregate.
struct EnsureCheck {
  enum class Kind : uint8_t { kThreshold, kCondition, kMaxErrorRate };
  Kind kind = Kind::kThreshold;
  std::string text;       // as printed in the checklist ("http.response_time.p95 < 250")
  std::string metric;     // kThreshold: metric name ("http.response_time.p95")
  double value = 0;       // kThreshold: exclusive maximum; kMaxErrorRate: percent
  Expression expression;  // kCondition: compiled at load time
  bool strict = true;     // a failed non-strict check is reported but does not fail the run
  SourceLoc loc;
};

struct PluginOptions {
  bool endpoint_strip_query = false;         // metrics-by-endpoint.stripQueryString
  bool endpoint_only_names = false;          // metrics-by-endpoint.useOnlyRequestNames
  std::optional<double> apdex_threshold_ms;  // set when the apdex plugin is on
  std::vector<EnsureCheck> ensure;
};

// `config.processor`: the JavaScript module whose functions steps and hooks
// call (docs/processors.md).
struct Processor {
  std::string path;                 // as resolved (relative to the script's directory)
  double timeout_s = 30;            // a hook call that takes longer fails its VU
  std::vector<HookRef> referenced;  // every function the script names, for the load check
  SourceLoc loc;
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
  WsConfig ws;
  std::vector<std::string> endpoints;    // endpoint names; Request::endpoint_id indexes this
  std::optional<Jitter> default_jitter;  // config.defaults.think.jitter (or http.defaults)
  // Expect plugin options (config.plugins.expect).
  bool expect_failures_as_errors = false;  // reportFailuresAsErrors
  bool expect_default_200 = false;         // expectDefault200
  std::vector<Payload> payloads;
  // Every local file the script reads (payload CSVs, formData fromFile), as
  // resolved (relative to the script's directory unless absolute): what a
  // remote worker needs beside the script.
  std::vector<std::string> files;
  std::optional<Scenario> before;  // run once by one VU before the first phase
  std::optional<Scenario> after;   // run once by one VU after the last phase
  std::optional<Processor> processor;
  PluginOptions plugins;
  std::string environment;           // -e/--environment, or empty
  std::vector<std::string> notices;  // things the user should read (ignored keys); not errors
  // What the script has that barrage accepts but does not act on as written
  // (unknown keys, legacy or ignored keys, plugins that are not built in),
  // each with its file:line:col (Error::describe()). Front ends print them
  // before the run; ScriptOptions::strict makes each an error instead.
  std::vector<barrage::Error> warnings;

  // Sum of all phase durations, in seconds.
  [[nodiscard]] double total_duration_s() const;
};

}  // namespace barrage::script
