// The `config` section: target, phases, variables, HTTP and TLS settings.
#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <regex>

#include "script/csv.h"
#include "script/json_escape.h"
#include "script/sections.h"
#include "script/yaml_json.h"

namespace barrage::script::detail {
namespace {

constexpr auto kIgnored = KeyKind::kIgnored;

constexpr std::array<KeySpec, 21> kConfigKeys{{
    {"target"},
    {"phases"},
    {"variables"},
    {"defaults"},
    {"http"},
    {"tls"},
    {"payload"},
    {"processor"},
    {"plugins"},
    {"ensure"},
    {"apdex"},
    {"environments"},
    {"includeFiles"},
    {"engines", kIgnored, "it configures engines other than http, which barrage does not have"},
    {"statsInterval", kIgnored, "barrage reports every 10 s"},
    {"pluginsScope", kIgnored,
     "it names the npm scope of plugin packages; barrage's plugins are built in"},
    {"bundling", kIgnored, "barrage does not bundle TypeScript processors"},
    {"cloud", kIgnored, "Artillery Cloud reporting is not built into barrage"},
    {"serverless"},  // extension: hints for serverless targets (reports)
    {"ws"},          // engine: ws scenarios' connection options (docs/websocket.md)
    {"barrage"},     // barrage's own options (ignorePlugins)
}};

constexpr std::array<KeySpec, 10> kPayloadKeys{{
    {"path"},
    {"fields"},
    {"order"},
    {"skipHeader"},
    {"delimiter"},
    {"cast"},
    {"skipEmptyLines"},
    {"loadAll"},
    {"name"},
    {"options", kIgnored,
     "raw csv-parse options are not applied; barrage reads the file with path, fields, order, "
     "skipHeader, delimiter, cast and skipEmptyLines"},
}};

constexpr std::array<KeySpec, 8> kEnsureKeys{{
    {"thresholds"},
    {"conditions"},
    {"maxErrorRate"},
    {"min"},
    {"max"},
    {"median"},
    {"p95"},
    {"p99"},
}};
constexpr std::array<KeySpec, 2> kConditionKeys{{{"expression"}, {"strict"}}};
constexpr std::array<KeySpec, 1> kApdexKeys{{{"threshold"}}};
constexpr std::array<KeySpec, 2> kBarrageKeys{{{"ignorePlugins"}, {"hookTimeout"}}};

constexpr std::array<KeySpec, 8> kPhaseKeys{{
    {"name"},
    {"duration"},
    {"arrivalRate"},
    {"rampTo"},
    {"arrivalCount"},
    {"pause"},
    {"maxVusers"},
    {"vusers"},  // extension: closed-model phase
}};

constexpr std::array<KeySpec, 6> kHttpKeys{{
    {"timeout"},
    {"pool"},
    {"extendedMetrics"},
    {"defaults"},
    {"maxSockets", kIgnored,
     "Artillery validates it but its HTTP engine does not use it (each VU has one connection; "
     "see http.pool)"},
    {"cookieJarOptions", kIgnored, "barrage's cookie jar has no options"},
}};

constexpr std::array<KeySpec, 4> kHeadersOnlyKeys{{
    {"headers"},
    {"think"},
    {"cookie"},
    {"strictCapture"},
}};
constexpr std::array<KeySpec, 1> kTlsKeys{{{"rejectUnauthorized"}}};
// config.ws: Artillery hands these to the `ws` library's WebSocket.
constexpr std::array<KeySpec, 10> kWsKeys{{
    {"subprotocols"},
    {"headers"},
    {"rejectUnauthorized"},
    {"timeout"},
    {"handshakeTimeout"},
    {"maxPayload"},
    {"responseTime"},  // barrage extension: websocket.response_time
    {"proxy", KeyKind::kUnsupported, "barrage does not connect through proxies"},
    {"perMessageDeflate", kIgnored, "barrage does not offer permessage-deflate"},
    {"followRedirects", kIgnored, "barrage does not follow redirects of the upgrade request"},
}};
constexpr std::array<KeySpec, 1> kServerlessKeys{{{"coldStartHeader"}}};
// config.plugins: built-in plugins barrage knows; anything else is "not available".
constexpr std::array<KeySpec, 4> kPluginKeys{{
    {"expect"},
    {"metrics-by-endpoint"},
    {"ensure"},
    {"apdex"},
}};
constexpr std::array<KeySpec, 5> kExpectPluginKeys{{
    {"outputFormat", kIgnored, "barrage prints its own expectations checklist"},
    {"formatter", kIgnored, "barrage prints its own expectations checklist"},
    {"useOnlyRequestNames", kIgnored,
     "barrage's error name (Failed expectations) does not name the request"},
    {"reportFailuresAsErrors"},
    {"expectDefault200"},
}};
constexpr std::array<KeySpec, 5> kEndpointPluginKeys{{
    {"stripQueryString"},
    {"useOnlyRequestNames"},
    {"metricsNamespace", kIgnored,
     "barrage names endpoint metrics plugins.metrics-by-endpoint.*, Artillery's default"},
    {"ignoreUnnamedRequests", kIgnored, "every request is recorded per endpoint"},
    {"groupDynamicURLs", kIgnored,
     "URLs are always grouped as written, templates unrendered (Artillery's default)"},
}};

// A phase is driven by exactly one of these.
bool is_model_key(std::string_view key) {
  return key == "arrivalRate" || key == "arrivalCount" || key == "vusers" || key == "pause";
}

Phase load_phase(LoadContext& ctx, const YAML::Node& node) {
  const Mapping m(ctx, node, kPhaseKeys, "phase");
  Phase p;
  p.loc = ctx.loc(node);
  if (const Field* f = m.find("name")) p.name = read_string(ctx, *f);

  const Field* model = nullptr;
  for (const Field& f : m.fields()) {
    if (!is_model_key(f.key)) continue;
    if (model != nullptr) {
      ctx.fail(f.key_node.Mark(),
               fmt::format("'{}' and '{}' cannot be combined in one phase", model->key, f.key));
    }
    model = &f;
  }
  if (model == nullptr) {
    ctx.fail(node, "phase needs one of 'arrivalRate', 'arrivalCount', 'vusers' or 'pause'" +
                       missing_key_hint(ctx, node, kPhaseKeys,
                                        {"arrivalRate", "arrivalCount", "vusers", "pause"}));
  }
  const Field* duration = m.find("duration");
  const Field* ramp_to = m.find("rampTo");
  const Field* max_vusers = m.find("maxVusers");
  if (ramp_to != nullptr && model->key != "arrivalRate") {
    ctx.fail(ramp_to->key_node.Mark(), "rampTo requires arrivalRate");
  }
  if (max_vusers != nullptr && (model->key == "vusers" || model->key == "pause")) {
    ctx.fail(max_vusers->key_node.Mark(),
             "maxVusers applies to arrivalRate and arrivalCount phases");
  }

  if (model->key == "pause") {
    if (duration != nullptr)
      ctx.fail(duration->key_node.Mark(), "a pause phase takes no 'duration'");
    p.pause = true;
    p.duration_s = read_duration_s(ctx, *model);
    if (p.duration_s <= 0) ctx.fail(model->value_mark(), "pause must be greater than 0");
    return p;
  }
  if (duration == nullptr) {
    ctx.fail(node,
             "phase needs a 'duration'" + missing_key_hint(ctx, node, kPhaseKeys, {"duration"}));
  }
  p.duration_s = read_duration_s(ctx, *duration);
  if (p.duration_s <= 0) ctx.fail(duration->value_mark(), "duration must be greater than 0");

  if (model->key == "arrivalRate") {
    p.arrival_rate = read_non_negative(ctx, *model, kMaxRate);
    if (ramp_to != nullptr) p.ramp_to = read_non_negative(ctx, *ramp_to, kMaxRate);
  } else if (model->key == "arrivalCount") {
    p.arrival_count = read_integer(ctx, *model, 0);
  } else {
    p.vusers = read_integer(ctx, *model, 1);
  }
  if (max_vusers != nullptr) p.max_vusers = read_integer(ctx, *max_vusers, 0);
  return p;
}

void load_phases(LoadContext& ctx, const Field& f, Plan& plan) {
  const YAML::Node& seq = require_sequence(ctx, f);
  if (seq.size() == 0) ctx.fail(f.value_mark(), "phases is empty: add at least one phase");
  for (const auto& node : seq) plan.phases.push_back(load_phase(ctx, node));
}

void load_variables(LoadContext& ctx, const Field& f, Plan& plan) {
  const YAML::Node& map = require_map(ctx, f);
  ctx.charge(map, map.size());
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) ctx.fail(kv.first, "variable names must be strings");
    Variable v;
    v.name = kv.first.Scalar();
    for (const Variable& other : plan.variables) {
      if (other.name == v.name) ctx.fail(kv.first, fmt::format("duplicate variable '{}'", v.name));
    }
    const Field value{v.name, kv.first, kv.second};
    if (kv.second.IsNull()) {
      v.values.emplace_back();
    } else if (kv.second.IsScalar()) {
      v.values.push_back(kv.second.Scalar());
    } else if (kv.second.IsSequence()) {
      ctx.charge(kv.second, kv.second.size());
      for (const auto& item : kv.second) {
        // An object or list item is kept as JSON text, so {{ user.name }}
        // reads into it and a json body gets it as an object (Artillery
        // keeps the value itself).
        if (item.IsMap() || item.IsSequence()) {
          v.values.push_back(yaml_to_json(ctx, item));
        } else {
          v.values.push_back(item.IsNull() ? std::string() : item.Scalar());
        }
      }
      if (v.values.empty())
        ctx.fail(value.value_mark(), fmt::format("variable '{}' is an empty list", v.name));
    } else {
      // A mapping: one value, kept as JSON text ({{ name.key }} reads into it).
      v.values.push_back(yaml_to_json(ctx, kv.second));
    }
    plan.variables.push_back(std::move(v));
  }
}

// Adds `headers`, replacing any existing header of the same (case-insensitive) name.
void merge_headers(std::vector<Header>& into, std::vector<Header> headers) {
  for (Header& h : headers) {
    bool replaced = false;
    for (Header& existing : into) {
      if (strcasecmp(existing.name.c_str(), h.name.c_str()) == 0) {
        existing = std::move(h);
        replaced = true;
        break;
      }
    }
    // The move above is followed by `break`, so h is intact here when !replaced.
    if (!replaced) into.push_back(std::move(h));  // NOLINT(bugprone-use-after-move)
  }
}

// `defaults:` (legacy) and `http.defaults:` share this shape.
void load_default_headers(LoadContext& ctx, const Field& f, std::string_view section, Plan& plan) {
  const Mapping m(ctx, f.value, kHeadersOnlyKeys, section);
  if (const Field* h = m.find("headers"))
    merge_headers(plan.default_headers, load_headers(ctx, *h));
  if (const Field* t = m.find("think")) plan.default_jitter = read_default_think(ctx, *t);
  // Artillery takes http.defaults.cookie || defaults.cookie (whole mappings,
  // not merged); http.defaults is read second, so it replaces.
  if (const Field* c = m.find("cookie")) {
    const YAML::Node& map = require_map(ctx, *c);
    ctx.default_cookies.clear();
    for (const auto& kv : map) {
      if (!kv.first.IsScalar() || kv.first.Scalar().empty())
        ctx.fail(kv.first, "cookie names must be non-empty strings");
      if (!kv.second.IsScalar() && !kv.second.IsNull())
        ctx.fail(kv.second, fmt::format("cookie '{}' must be a string", kv.first.Scalar()));
      const std::string value = kv.second.IsScalar() ? kv.second.Scalar() : std::string();
      ctx.default_cookies.push_back(
          NameValue{kv.first.Scalar(), compile_template(ctx, kv.second, value)});
    }
  }
  if (const Field* sc = m.find("strictCapture")) {
    if (!read_bool(ctx, *sc)) ctx.default_strict_capture = false;
  }
}

// Call after the legacy `defaults:` so http.defaults headers win.
void load_http(LoadContext& ctx, const Field& f, Plan& plan) {
  const Mapping m(ctx, f.value, kHttpKeys, "http");
  if (const Field* t = m.find("timeout")) {
    plan.http.timeout_s = read_duration_s(ctx, *t);
    if (plan.http.timeout_s <= 0) ctx.fail(t->value_mark(), "timeout must be greater than 0");
  }
  if (const Field* p = m.find("pool")) plan.http.pool = read_integer(ctx, *p, 0);
  if (const Field* e = m.find("extendedMetrics")) plan.http.extended_metrics = read_bool(ctx, *e);
  if (const Field* d = m.find("defaults")) load_default_headers(ctx, *d, "http.defaults", plan);
}

void load_tls(LoadContext& ctx, const Field& f, Plan& plan) {
  const Mapping m(ctx, f.value, kTlsKeys, "tls");
  if (const Field* r = m.find("rejectUnauthorized")) {
    plan.http.reject_unauthorized = read_bool(ctx, *r);
  }
}

// config.ws (Artillery's ws engine options; docs/websocket.md).
void load_ws(LoadContext& ctx, const Field& f, Plan& plan) {
  const Mapping m(ctx, f.value, kWsKeys, "ws");
  WsConfig& ws = plan.ws;
  if (const Field* s = m.find("subprotocols")) ws.subprotocols = read_ws_subprotocols(ctx, *s);
  if (const Field* h = m.find("headers")) {
    ws.headers = load_headers(ctx, *h);
    take_subprotocol_header(ws.headers, ws.subprotocols);
  }
  if (const Field* r = m.find("rejectUnauthorized")) ws.reject_unauthorized = read_bool(ctx, *r);
  if (const Field* t = m.find("timeout")) {
    ws.timeout_s = read_duration_s(ctx, *t);
    if (ws.timeout_s <= 0) ctx.fail(t->value_mark(), "timeout must be greater than 0");
  }
  if (const Field* t = m.find("handshakeTimeout")) {  // milliseconds, as ws reads it
    ws.handshake_timeout_s = static_cast<double>(read_integer(ctx, *t, 1)) / 1000;
  }
  if (const Field* p = m.find("maxPayload")) ws.max_payload = read_integer(ctx, *p, 1);
  if (const Field* r = m.find("responseTime")) ws.response_time = read_bool(ctx, *r);
}

// config.serverless.coldStartHeader: a response header the target sets on cold starts.
void load_serverless(LoadContext& ctx, const Field& f, Plan& plan) {
  const Mapping m(ctx, f.value, kServerlessKeys, "serverless");
  if (const Field* h = m.find("coldStartHeader")) {
    std::string name = read_string(ctx, *h);
    const bool valid = !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
      return c <= ' ' || c == ':' || c == 0x7F;
    });
    if (!valid) ctx.fail(h->value_mark(), "coldStartHeader must be a header name");
    plan.serverless.cold_start_header = std::move(name);
  }
}

}  // namespace

std::vector<Header> load_headers(LoadContext& ctx, const Field& f) {
  const YAML::Node& map = require_map(ctx, f);
  ctx.charge(map, map.size());
  std::vector<Header> headers;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar() || kv.first.Scalar().empty()) {
      ctx.fail(kv.first, "header names must be non-empty strings");
    }
    const std::string& name = kv.first.Scalar();
    for (const char c : name) {
      if (c <= ' ' || c == ':' || c == 0x7F) {
        ctx.fail(kv.first, fmt::format("header name '{}' has an invalid character", name));
      }
    }
    const Field value{name, kv.first, kv.second};
    std::string text;
    if (kv.second.IsScalar()) {
      text = kv.second.Scalar();
    } else if (!kv.second.IsNull()) {
      ctx.fail(value.value_mark(), fmt::format("header '{}' must be a string", name));
    }
    if (text.find_first_of("\r\n") != std::string::npos) {
      ctx.fail(value.value_mark(), fmt::format("header '{}' contains a line break", name));
    }
    headers.push_back(Header{name, compile_template(ctx, kv.second, text)});
  }
  return headers;
}

std::string endpoint_key(const PluginOptions& options, std::string_view url,
                         const std::string* name) {
  std::string_view base = url;
  if (options.endpoint_strip_query) base = base.substr(0, base.find('?'));
  if (name != nullptr && options.endpoint_only_names) return *name;
  if (name != nullptr) return fmt::format("{} ({})", base, *name);
  return std::string(base);
}

namespace {

std::string number_text(const LoadContext& ctx, const Field& f) {
  (void)read_number(ctx, f);  // validates
  return f.value.Scalar();
}

// `ensure` (config.ensure or config.plugins.ensure): the checks, in
// Artillery's order: thresholds, conditions, legacy keys, maxErrorRate.
void load_ensure(LoadContext& ctx, const YAML::Node& node, std::string_view section, Plan& plan) {
  if (node.IsNull()) return;
  const Mapping m(ctx, node, kEnsureKeys, section);
  auto& checks = plan.plugins.ensure;
  if (const Field* t = m.find("thresholds")) {
    const YAML::Node& seq = require_sequence(ctx, *t);
    for (const auto& item : seq) {
      if (!item.IsMap() || item.size() != 1) {
        ctx.fail(item,
                 "a threshold is one 'metric.name: max' pair, e.g. http.response_time.p95: 250");
      }
      const auto kv = *item.begin();
      if (!kv.first.IsScalar() || kv.first.Scalar().empty())
        ctx.fail(kv.first, "threshold metric names must be strings");
      const Field value{kv.first.Scalar(), kv.first, kv.second};
      EnsureCheck c;
      c.kind = EnsureCheck::Kind::kThreshold;
      c.metric = kv.first.Scalar();
      c.value = read_number(ctx, value);
      c.text = fmt::format("{} < {}", c.metric, number_text(ctx, value));
      c.loc = ctx.loc(kv.first);
      checks.push_back(std::move(c));
    }
  }
  if (const Field* cf = m.find("conditions")) {
    const YAML::Node& seq = require_sequence(ctx, *cf);
    for (const auto& item : seq) {
      const Mapping cm(ctx, item, kConditionKeys, "ensure condition");
      const Field* e = cm.find("expression");
      if (e == nullptr) ctx.fail(item, "a condition needs an 'expression'");
      EnsureCheck c;
      c.kind = EnsureCheck::Kind::kCondition;
      c.text = read_string(ctx, *e);
      if (c.text.empty()) ctx.fail(e->value_mark(), "expression must not be empty");
      try {
        c.expression = Expression::compile(c.text);
      } catch (const ExpressionError& err) {
        // Perhaps a metric name with spaces: compiled again in finish_ensure.
        ctx.pending_conditions.push_back(
            {checks.size(), e->value_mark(),
             fmt::format("invalid expression: {} (at offset {})", err.what(), err.offset())});
      }
      if (const Field* st = cm.find("strict")) c.strict = read_bool(ctx, *st);
      c.loc = ctx.loc(e->value);
      checks.push_back(std::move(c));
    }
  }
  for (const char* legacy : {"min", "max", "median", "p95", "p99"}) {
    const Field* f = m.find(legacy);
    if (f == nullptr) continue;
    EnsureCheck c;
    c.kind = EnsureCheck::Kind::kThreshold;
    c.metric = fmt::format("http.response_time.{}", legacy);
    // Artillery reads these with parseInt.
    c.value = std::trunc(read_number(ctx, *f));
    c.text = fmt::format("{} < {}", legacy, c.value);
    c.loc = ctx.loc(f->key_node);
    checks.push_back(std::move(c));
  }
  if (const Field* f = m.find("maxErrorRate")) {
    EnsureCheck c;
    c.kind = EnsureCheck::Kind::kMaxErrorRate;
    c.value = read_non_negative(ctx, *f, 100);
    c.text = fmt::format("maxErrorRate < {}", number_text(ctx, *f));
    c.loc = ctx.loc(f->key_node);
    checks.push_back(std::move(c));
  }
}

void load_apdex(LoadContext& ctx, const YAML::Node& node, std::string_view section, Plan& plan) {
  double threshold = 500;
  if (!node.IsNull()) {
    const Mapping m(ctx, node, kApdexKeys, section);
    if (const Field* t = m.find("threshold")) {
      threshold = read_non_negative(ctx, *t, kMaxDurationS * 1000);
      if (threshold <= 0) ctx.fail(t->value_mark(), "threshold must be greater than 0");
    }
  }
  plan.plugins.apdex_threshold_ms = threshold;
}

// `config.processor`: a JavaScript file beside the script (CommonJS, or an
// ES module for .mjs), run by Node.js (docs/processors.md). Its functions are
// checked against what the script names once the processor loads.
void load_processor(LoadContext& ctx, const Field& f, Plan& plan) {
  if (!f.value.IsScalar() || f.value.Scalar().empty()) {
    ctx.fail(f.value_mark(), "processor must be the path of a JavaScript file");
  }
  const std::string written = read_string(ctx, f);
  std::filesystem::path resolved(written);
  if (resolved.is_relative() && !ctx.script_dir.empty()) resolved = ctx.script_dir / resolved;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(resolved, ec)) {
    ctx.fail(f.value_mark(), fmt::format("processor '{}': no such file", written));
  }
  Processor p;
  p.path = std::filesystem::absolute(resolved, ec).lexically_normal().string();
  if (ec) p.path = resolved.string();
  p.loc = ctx.loc(f.value);
  ctx.files.push_back(p.path);
  plan.processor = std::move(p);
}

std::vector<std::string> load_ignore_list(LoadContext& ctx, const Field& f, Plan& plan) {
  const Mapping m(ctx, f.value, kBarrageKeys, "config.barrage");
  std::vector<std::string> out;
  if (const Field* t = m.find("hookTimeout")) {
    const double s = read_duration_s(ctx, *t);
    if (s <= 0) ctx.fail(t->value_mark(), "hookTimeout must be greater than 0");
    if (!plan.processor) {
      ctx.warn(t->key_node, "hookTimeout is ignored: the script has no config.processor");
    } else {
      plan.processor->timeout_s = s;
    }
  }
  if (const Field* ig = m.find("ignorePlugins")) {
    for (const auto& item : require_sequence(ctx, *ig)) {
      if (!item.IsScalar() || item.Scalar().empty())
        ctx.fail(item, "ignorePlugins lists plugin names");
      out.push_back(item.Scalar());
    }
  }
  return out;
}

// `plugins:` expect (checks always run; see docs/compatibility.md),
// metrics-by-endpoint (always recorded), ensure and apdex are built in; any
// other plugin gets a warning (a notice when config.barrage.ignorePlugins
// lists it) and the test runs without it.
void load_plugins(LoadContext& ctx, const Field& f, const YAML::Node& config_node,
                  const std::vector<std::string>& ignored, Plan& plan) {
  const YAML::Node& node = require_map(ctx, f);
  YAML::Node known_only(YAML::NodeType::Map);
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) ctx.fail(kv.first, "keys in plugins must be strings");
    const std::string name = kv.first.Scalar();
    const bool known = std::any_of(kPluginKeys.begin(), kPluginKeys.end(),
                                   [&](const KeySpec& k) { return k.name == name; });
    if (known) {
      known_only.force_insert(kv.first, kv.second);
      continue;
    }
    if (std::find(ignored.begin(), ignored.end(), name) != ignored.end()) {
      plan.notices.push_back(
          fmt::format("plugin '{}' is ignored (listed in config.barrage.ignorePlugins)", name));
      continue;
    }
    // Artillery looks for the npm package <scope><name> (the plugin's own
    // `scope`, else config.pluginsScope, else artillery-plugin-) and, when it
    // is missing, warns and runs the test without it. barrage does the same
    // for every plugin that is not built in.
    std::string prefix = "artillery-plugin-";
    const YAML::Node scope = find_value(kv.second, "scope");
    const YAML::Node global_scope = find_value(config_node, "pluginsScope");
    if (scope.IsScalar() && !scope.Scalar().empty()) {
      prefix = scope.Scalar();
    } else if (global_scope.IsScalar() && !global_scope.Scalar().empty()) {
      prefix = global_scope.Scalar();
    }
    ctx.warn(kv.first.Mark(),
             fmt::format("Plugin {} specified but module {}{} could not be found: it is not built "
                         "into barrage (built in: expect, ensure, apdex, metrics-by-endpoint); the "
                         "test runs without it, as Artillery's does",
                         name, prefix, name));
  }
  const Mapping m(ctx, known_only, kPluginKeys, "plugins");
  for (const Field& p : m.fields()) {
    if (!p.value.IsNull() && !p.value.IsMap()) {
      ctx.fail(p.value_mark(), fmt::format("plugins.{} must be a mapping", p.key));
    }
    const std::string section = "plugins." + p.key;
    if (p.key == "expect") {
      if (!p.value.IsNull()) {
        const Mapping options(ctx, p.value, kExpectPluginKeys, section);
        if (const Field* o = options.find("reportFailuresAsErrors")) {
          plan.expect_failures_as_errors = read_bool(ctx, *o);
        }
        if (const Field* o = options.find("expectDefault200")) {
          plan.expect_default_200 = read_bool(ctx, *o);
        }
      }
    } else if (p.key == "metrics-by-endpoint") {
      if (p.value.IsNull()) continue;
      const Mapping options(ctx, p.value, kEndpointPluginKeys, section);
      if (const Field* o = options.find("stripQueryString"))
        plan.plugins.endpoint_strip_query = read_bool(ctx, *o);
      if (const Field* o = options.find("useOnlyRequestNames"))
        plan.plugins.endpoint_only_names = read_bool(ctx, *o);
    } else if (p.key == "ensure") {
      load_ensure(ctx, p.value, section, plan);
    } else if (p.key == "apdex") {
      load_apdex(ctx, p.value, section, plan);
    }
  }
}

void load_payload(LoadContext& ctx, const YAML::Node& node, Plan& plan) {
  const Mapping m(ctx, node, kPayloadKeys, "payload");
  Payload p;
  p.loc = ctx.loc(node);
  const Field* path = m.find("path");
  if (path == nullptr) ctx.fail(node, "payload needs a 'path' (a CSV file)");
  (void)read_string(ctx, *path);  // a string; templates may use the run constants
  const std::string written = *scalar_text(ctx, *path);
  if (written.empty()) ctx.fail(path->value_mark(), "path must not be empty");
  std::filesystem::path resolved(written);
  if (resolved.is_relative() && !ctx.script_dir.empty()) resolved = ctx.script_dir / resolved;
  p.path = resolved.string();
  ctx.files.push_back(p.path);

  const Field* fields = m.find("fields");
  if (fields == nullptr) {
    ctx.fail(node, "payload needs 'fields' (the variable name for each column)");
  }
  for (const auto& item : require_sequence(ctx, *fields)) {
    if (!item.IsScalar() || item.Scalar().empty()) ctx.fail(item, "fields are variable names");
    p.fields.push_back(item.Scalar());
  }
  if (p.fields.empty()) ctx.fail(fields->value_mark(), "fields is empty");

  CsvOptions options;
  if (const Field* f = m.find("order")) {
    const std::string order = read_string(ctx, *f);
    if (order != "random" && order != "sequence") {
      ctx.fail(f->value_mark(), "order must be 'random' or 'sequence'");
    }
    p.sequence = order == "sequence";
  }
  if (const Field* f = m.find("skipHeader")) options.skip_header = read_bool(ctx, *f);
  if (const Field* f = m.find("skipEmptyLines")) options.skip_empty_lines = read_bool(ctx, *f);
  if (const Field* f = m.find("cast")) p.cast = read_bool(ctx, *f);
  if (const Field* f = m.find("delimiter")) {
    const std::string d = read_string(ctx, *f);
    if (d.size() != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r') {
      ctx.fail(f->value_mark(), "delimiter must be one character (not a quote or line break)");
    }
    options.delimiter = d[0];
  }
  if (const Field* f = m.find("loadAll")) p.load_all = read_bool(ctx, *f);
  if (const Field* f = m.find("name")) {
    p.name = read_string(ctx, *f);
    if (!p.load_all) ctx.fail(f->key_node.Mark(), "'name' applies with 'loadAll: true'");
  }
  if (p.load_all && p.name.empty()) {
    ctx.fail(node, "'loadAll: true' needs a 'name' (the variable that holds every row)");
  }

  try {
    p.data = CsvData::open(p.path, options);
  } catch (const CsvError& e) {
    if (e.line() == 0) {
      ctx.fail(path->value_mark(), fmt::format("payload '{}': {}", written, e.what()));
    }
    ctx.fail(path->value_mark(),
             fmt::format("payload '{}' line {}: {}", written, e.line(), e.what()));
  }
  if (p.load_all) {
    // One JSON array of {field: value} objects, kept as the variable's text.
    std::string json = "[";
    std::vector<std::string> row;
    for (size_t i = 0; i < p.data->rows(); ++i) {
      p.data->row(i, row);
      json += i == 0 ? "{" : ",{";
      for (size_t j = 0; j < p.fields.size() && j < row.size(); ++j) {
        if (j > 0) json += ',';
        json += '"';
        append_json_escaped(json, p.fields[j]);
        json += "\":";
        if (auto number = p.cast ? csv_number(row[j]) : std::nullopt) {
          json += *number;
        } else {
          json += '"';
          append_json_escaped(json, row[j]);
          json += '"';
        }
      }
      json += '}';
    }
    json += ']';
    p.all_json = std::move(json);
  }
  plan.payloads.push_back(std::move(p));
}

void load_environments(LoadContext& ctx, const Field& f) {
  const YAML::Node& map = require_map(ctx, f);
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) ctx.fail(kv.first, "environment names must be strings");
    const std::string section = fmt::format("environment '{}'", kv.first.Scalar());
    if (kv.second.IsNull()) continue;
    const Mapping env(ctx, kv.second, kConfigKeys, section);
    if (const Field* nested = env.find("environments")) {
      ctx.fail(nested->key_node.Mark(), "environments cannot be nested");
    }
  }
}

}  // namespace

void load_config(LoadContext& ctx, const Field& config, Plan& plan) {
  const Mapping m(ctx, config.value, kConfigKeys, "config");
  if (const Field* p = m.find("processor")) load_processor(ctx, *p, plan);
  if (const Field* t = m.find("target")) {
    // Artillery renders config templates once, before the run: here only the
    // run constants ($env.NAME, $environment, $dirname) can apply.
    const Template target = compile_template(ctx, t->value, read_string(ctx, *t));
    if (!target.is_static()) {
      ctx.fail(t->value_mark(),
               "target may use only $env, $processEnvironment, $environment and $dirname");
    }
    plan.target = target.source();
  }

  const Field* phases = m.find("phases");
  if (phases != nullptr) {
    load_phases(ctx, *phases, plan);
  } else {
    // Artillery runs a script without phases (none in the script, the -e
    // environment or --config) as one phase of one arrival in 1 s.
    ctx.warn(config.key_node,
             "config has no 'phases' (none in the script, the -e environment or --config): "
             "running one virtual user, as Artillery does ({ duration: 1, arrivalCount: 1 })");
    Phase p;
    p.duration_s = 1;
    p.arrival_count = 1;
    p.loc = ctx.loc(config.key_node);
    plan.phases.push_back(p);
  }

  if (const Field* v = m.find("variables")) load_variables(ctx, *v, plan);

  // Legacy defaults first; http.defaults wins on a header set in both.
  if (const Field* d = m.find("defaults")) load_default_headers(ctx, *d, "defaults", plan);
  if (const Field* h = m.find("http")) load_http(ctx, *h, plan);
  if (const Field* t = m.find("tls")) load_tls(ctx, *t, plan);
  std::vector<std::string> ignored;
  if (const Field* b = m.find("barrage")) ignored = load_ignore_list(ctx, *b, plan);
  if (const Field* e = m.find("ensure")) load_ensure(ctx, e->value, "ensure", plan);
  if (const Field* a = m.find("apdex")) load_apdex(ctx, a->value, "apdex", plan);
  if (const Field* p = m.find("plugins")) load_plugins(ctx, *p, config.value, ignored, plan);
  if (const Field* p = m.find("payload")) {
    if (p->value.IsSequence()) {
      for (const auto& item : p->value) load_payload(ctx, item, plan);
    } else {
      load_payload(ctx, p->value, plan);
    }
  }
  if (const Field* e = m.find("environments")) load_environments(ctx, *e);
  if (const Field* inc = m.find("includeFiles")) {
    for (const auto& item : require_sequence(ctx, *inc)) {
      if (!item.IsScalar()) ctx.fail(item, "includeFiles lists file paths");
    }
    plan.notices.emplace_back(
        "config.includeFiles is ignored: barrage reads every file from the local disk where the "
        "script names it (it does not bundle files for remote workers)");
  }
  if (const Field* s = m.find("serverless")) load_serverless(ctx, *s, plan);
  if (const Field* w = m.find("ws")) load_ws(ctx, *w, plan);
}

std::vector<std::string> read_ws_subprotocols(LoadContext& ctx, const Field& f) {
  std::vector<std::string> out;
  const auto one = [&](const YAML::Node& n) {
    if (!n.IsScalar() || n.Scalar().empty()) {
      ctx.fail(n, "subprotocols lists non-empty strings");
    }
    for (const char c : n.Scalar()) {
      if (c <= ' ' || c == ',' || c == 0x7F) {
        ctx.fail(n, fmt::format("subprotocol '{}' has an invalid character", n.Scalar()));
      }
    }
    out.push_back(n.Scalar());
  };
  if (f.value.IsSequence()) {
    for (const auto& n : f.value) one(n);
  } else {
    one(f.value);
  }
  return out;
}

void take_subprotocol_header(std::vector<Header>& headers, std::vector<std::string>& subprotocols) {
  for (auto it = headers.begin(); it != headers.end(); ++it) {
    if (strcasecmp(it->name.c_str(), "sec-websocket-protocol") != 0) continue;
    std::string_view list = it->value.source();
    while (!list.empty()) {
      const size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) subprotocols.emplace_back(item);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    headers.erase(it);
    return;
  }
}

namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' || c == '.' ||
         c == '-';
}

// `text` with every occurrence of a candidate metric name (extended by the
// name characters that follow it, such as ".p95" or ".codes.200") quoted as
// a filtrex variable: 'errors.Failed expectations'.
std::string quote_metric_names(std::string text, std::vector<std::string> candidates) {
  std::sort(candidates.begin(), candidates.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\'' || text[i] == '"') {  // a quoted part stays as written
      const size_t end = text.find(text[i], i + 1);
      const size_t stop = end == std::string::npos ? text.size() : end + 1;
      out.append(text, i, stop - i);
      i = stop;
      continue;
    }
    const bool at_start = i == 0 || !is_name_char(text[i - 1]);
    const std::string* hit = nullptr;
    if (at_start) {
      for (const std::string& c : candidates) {
        if (text.compare(i, c.size(), c) == 0) {
          hit = &c;
          break;
        }
      }
    }
    if (hit == nullptr) {
      out += text[i++];
      continue;
    }
    size_t end = i + hit->size();
    while (end < text.size() && is_name_char(text[end])) ++end;
    out += '\'';
    out.append(text, i, end - i);
    out += '\'';
    i = end;
  }
  return out;
}

}  // namespace

void finish_ensure(LoadContext& ctx, Plan& plan) {
  if (ctx.pending_conditions.empty()) return;
  // Metric names with spaces or other characters filtrex does not take in a
  // name: error names, scenario names, endpoint names.
  std::vector<std::string> candidates = {"errors.Failed capture or match",
                                         "errors.Failed expectations"};
  const auto add_scenario = [&](const Scenario& s) {
    if (!s.name.empty()) candidates.push_back("vusers.created_by_name." + s.name);
  };
  for (const Scenario& s : plan.scenarios) add_scenario(s);
  for (const std::string& e : plan.endpoints) {
    candidates.push_back("plugins.metrics-by-endpoint." + e);
    candidates.push_back("plugins.metrics-by-endpoint.response_time." + e);
  }
  for (const auto& pending : ctx.pending_conditions) {
    EnsureCheck& c = plan.plugins.ensure.at(pending.check);
    try {
      c.expression = Expression::compile(quote_metric_names(c.text, candidates));
    } catch (const ExpressionError&) {
      // "errors.My error < 1": a dotted name followed by a word.
      const bool spaced_name =
          std::regex_search(c.text, std::regex(R"([A-Za-z_$][\w$-]*\.[^\s'"]+ [A-Za-z])"));
      ctx.fail(pending.at, pending.error + (spaced_name ? "; a metric name with spaces that the "
                                                          "script cannot produce must be quoted: "
                                                          "'errors.My error' < 1"
                                                        : ""));
    }
  }
  ctx.pending_conditions.clear();
}

}  // namespace barrage::script::detail
