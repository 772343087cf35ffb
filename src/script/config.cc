// The `config` section: target, phases, variables, HTTP and TLS settings.
#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "script/sections.h"

namespace barrage::script::detail {
namespace {

constexpr auto kPlanned = KeyKind::kPlanned;

constexpr std::array<KeySpec, 14> kConfigKeys{{
    {"target"},
    {"phases"},
    {"variables"},
    {"defaults"},
    {"http"},
    {"tls"},
    {"payload", kPlanned},
    {"processor", KeyKind::kUnsupported, "it loads JavaScript, which barrage does not execute"},
    {"plugins"},
    {"ensure", kPlanned},
    {"environments", kPlanned},
    {"includeFiles", kPlanned},
    {"engines", kPlanned},
    {"serverless"},  // extension: hints for serverless targets (reports)
}};

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

constexpr std::array<KeySpec, 5> kHttpKeys{{
    {"timeout"},
    {"pool"},
    {"extendedMetrics"},
    {"defaults"},
    {"maxSockets", kPlanned},
}};

constexpr std::array<KeySpec, 2> kHeadersOnlyKeys{{{"headers"}, {"think"}}};
constexpr std::array<KeySpec, 1> kTlsKeys{{{"rejectUnauthorized"}}};
constexpr std::array<KeySpec, 1> kServerlessKeys{{{"coldStartHeader"}}};
// config.plugins: built-in plugins barrage knows; anything else is "not available".
constexpr std::array<KeySpec, 4> kPluginKeys{{
    {"expect"},
    {"metrics-by-endpoint"},
    {"ensure", kPlanned},
    {"apdex", kPlanned},
}};
constexpr std::array<KeySpec, 4> kExpectPluginKeys{{
    {"outputFormat", kPlanned},
    {"formatter", kPlanned},
    {"reportFailuresAsErrors"},
    {"expectDefault200"},
}};
constexpr std::array<KeySpec, 3> kEndpointPluginKeys{{
    {"stripQueryString", kPlanned},
    {"useOnlyRequestNames", kPlanned},
    {"metricsNamespace", kPlanned},
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
    ctx.fail(node, "phase needs one of 'arrivalRate', 'arrivalCount', 'vusers' or 'pause'");
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
  if (duration == nullptr) ctx.fail(node, "phase needs a 'duration'");
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
        if (!item.IsScalar()) {
          ctx.fail(item, fmt::format("variable '{}': list items must be scalars", v.name));
        }
        v.values.push_back(item.Scalar());
      }
      if (v.values.empty())
        ctx.fail(value.value_mark(), fmt::format("variable '{}' is an empty list", v.name));
    } else {
      ctx.fail(value.value_mark(),
               fmt::format("variable '{}' must be a scalar or a list of scalars", v.name));
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

// `plugins:` expect (checks always run; see docs/compatibility.md) and
// metrics-by-endpoint (always recorded) take no options yet; other plugins
// are named as unavailable rather than ignored.
void load_plugins(LoadContext& ctx, const Field& f, Plan& plan) {
  const YAML::Node& node = require_map(ctx, f);
  for (const auto& kv : node) {
    const std::string name = kv.first.Scalar();
    const bool known = std::any_of(kPluginKeys.begin(), kPluginKeys.end(),
                                   [&](const KeySpec& k) { return k.name == name; });
    if (!known) {
      ctx.fail(kv.first.Mark(),
               fmt::format("plugin '{}' is not available in barrage (built in: expect, "
                           "metrics-by-endpoint)",
                           name));
    }
  }
  const Mapping m(ctx, node, kPluginKeys, "plugins");
  for (const char* name : {"expect", "metrics-by-endpoint"}) {
    const Field* p = m.find(name);
    if (p == nullptr || p->value.IsNull()) continue;
    if (!p->value.IsMap())
      ctx.fail(p->value_mark(), fmt::format("plugins.{} must be a mapping", name));
    if (std::string_view(name) == "expect") {
      const Mapping options(ctx, p->value, kExpectPluginKeys, "plugins.expect");
      if (const Field* o = options.find("reportFailuresAsErrors")) {
        plan.expect_failures_as_errors = read_bool(ctx, *o);
      }
      if (const Field* o = options.find("expectDefault200")) {
        plan.expect_default_200 = read_bool(ctx, *o);
      }
    } else {
      const Mapping options(ctx, p->value, kEndpointPluginKeys, "plugins.metrics-by-endpoint");
    }
  }
}

void load_config(LoadContext& ctx, const Field& config, Plan& plan) {
  const Mapping m(ctx, config.value, kConfigKeys, "config");
  if (const Field* t = m.find("target")) plan.target = read_string(ctx, *t);

  const Field* phases = m.find("phases");
  if (phases == nullptr) ctx.fail(config.key_node, "config needs 'phases'");
  load_phases(ctx, *phases, plan);

  if (const Field* v = m.find("variables")) load_variables(ctx, *v, plan);

  // Legacy defaults first; http.defaults wins on a header set in both.
  if (const Field* d = m.find("defaults")) load_default_headers(ctx, *d, "defaults", plan);
  if (const Field* h = m.find("http")) load_http(ctx, *h, plan);
  if (const Field* t = m.find("tls")) load_tls(ctx, *t, plan);
  if (const Field* p = m.find("plugins")) load_plugins(ctx, *p, plan);
  if (const Field* s = m.find("serverless")) load_serverless(ctx, *s, plan);
}

}  // namespace barrage::script::detail
