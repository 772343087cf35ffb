// The `scenarios` section: weights, flows and their steps (requests, think,
// loop).
#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cmath>
#include <unordered_map>

#include "script/sections.h"
#include "script/yaml_json.h"

namespace barrage::script::detail {
namespace {

constexpr auto kPlanned = KeyKind::kPlanned;

constexpr std::array<KeySpec, 8> kScenarioKeys{{
    {"name"},
    {"weight"},
    {"flow"},
    {"engine"},
    {"beforeScenario", kPlanned},
    {"afterScenario", kPlanned},
    {"beforeRequest", kPlanned},
    {"afterResponse", kPlanned},
}};

// Keys of a step mapping: the action (exactly one) plus loop modifiers.
constexpr std::array<KeySpec, 15> kStepKeys{{
    {"get"},
    {"post"},
    {"put"},
    {"patch"},
    {"delete"},
    {"head"},
    {"options"},
    {"think"},
    {"loop"},
    {"count"},  // loop modifier
    {"log", kPlanned},
    {"function", kPlanned},
    {"parallel", kPlanned},
    {"over", kPlanned},       // loop modifier
    {"whileTrue", kPlanned},  // loop modifier
}};

constexpr std::array<KeySpec, 18> kRequestKeys{{
    {"url"},
    {"name"},
    {"headers"},
    {"json"},
    {"body"},
    {"followRedirect"},
    {"qs", kPlanned},
    {"form", kPlanned},
    {"formData", kPlanned},
    {"capture"},
    {"expect"},
    {"match", kPlanned},
    {"cookie", kPlanned},
    {"auth", kPlanned},
    {"beforeRequest", kPlanned},
    {"afterResponse", kPlanned},
    {"ifTrue", kPlanned},
    {"gzip", kPlanned},
}};

constexpr std::array<KeySpec, 10> kCaptureKeys{{
    {"json"},
    {"regexp"},
    {"header"},
    {"as"},
    {"strict"},
    {"group"},
    {"flags"},
    {"xpath", kPlanned},
    {"selector", kPlanned},
    {"transform", kPlanned},
}};

// Checks of Artillery's expect plugin; each `expect` entry names one.
constexpr std::array<KeySpec, 12> kExpectKeys{{
    {"statusCode"},
    {"notStatusCode"},
    {"contentType"},
    {"hasProperty"},
    {"notHasProperty"},
    {"hasHeader"},
    {"headerEquals"},
    {"equals"},
    {"matchesRegexp"},
    {"cdnHit", kPlanned},
    {"jmespath", kPlanned},
    {"jpath", kPlanned},
}};

constexpr std::array<std::pair<std::string_view, Method>, 7> kMethods{{
    {"get", Method::kGet},
    {"post", Method::kPost},
    {"put", Method::kPut},
    {"patch", Method::kPatch},
    {"delete", Method::kDelete},
    {"head", Method::kHead},
    {"options", Method::kOptions},
}};

// Scheme-qualified ("http://...") or starting with a template, which may
// supply the scheme and host at run time.
bool is_absolute_url(std::string_view url) {
  if (url.starts_with("{{")) return true;
  size_t i = 0;
  while (i < url.size() && (std::isalnum(static_cast<unsigned char>(url[i])) != 0 ||
                            url[i] == '+' || url[i] == '-' || url[i] == '.')) {
    ++i;
  }
  return i > 0 && url.substr(i).starts_with("://");
}

class FlowLoader {
 public:
  FlowLoader(LoadContext& ctx, Plan& plan) : ctx_(ctx), plan_(plan) {
    for (size_t i = 0; i < plan.endpoints.size(); ++i) {
      endpoints_.try_emplace(plan.endpoints[i], static_cast<int>(i));
    }
  }

  Scenario scenario(const YAML::Node& node) {
    const Mapping m(ctx_, node, kScenarioKeys, "scenario");
    Scenario s;
    s.loc = ctx_.loc(node);
    if (const Field* f = m.find("name")) s.name = read_string(ctx_, *f);
    if (const Field* f = m.find("weight")) s.weight = read_non_negative(ctx_, *f, kMaxRate);
    if (const Field* f = m.find("engine")) {
      const std::string engine = read_string(ctx_, *f);
      if (engine != "http") {
        ctx_.fail(
            f->value_mark(),
            fmt::format("engine '{}' is not supported yet by barrage (only 'http' is)", engine));
      }
    }
    const Field* flow = m.find("flow");
    if (flow == nullptr) ctx_.fail(node, "scenario needs a 'flow'");
    steps(*flow, s.flow, 0);
    return s;
  }

 private:
  void steps(const Field& f, std::vector<Step>& out, int depth) {
    const YAML::Node& seq = require_sequence(ctx_, f);
    ctx_.charge(seq, seq.size());
    for (const auto& node : seq) out.push_back(step(node, depth));
  }

  Step step(const YAML::Node& node, int depth) {
    const Mapping m(ctx_, node, kStepKeys, "step", UnknownKey::kStepKind);
    const Field* action = nullptr;
    for (const Field& f : m.fields()) {
      if (f.key == "count") continue;
      if (action != nullptr) {
        ctx_.fail(f.key_node.Mark(),
                  fmt::format("a step has one action, found '{}' and '{}'", action->key, f.key));
      }
      action = &f;
    }
    const Field* count = m.find("count");
    if (action == nullptr)
      ctx_.fail(node, count != nullptr ? "'count' needs a 'loop'" : "empty step");
    if (count != nullptr && action->key != "loop") {
      ctx_.fail(count->key_node.Mark(), "'count' belongs to a 'loop' step");
    }

    if (action->key == "think") {
      return Step{Think{read_duration_s(ctx_, *action), ctx_.loc(node)}};
    }
    if (action->key == "loop") {
      if (depth + 1 > kMaxDepth) {
        ctx_.fail(action->key_node.Mark(),
                  fmt::format("loops nested deeper than {} levels", kMaxDepth));
      }
      if (count == nullptr) {
        ctx_.fail(action->key_node.Mark(),
                  "a loop without 'count' is not supported yet by barrage (planned)");
      }
      Loop loop;
      loop.loc = ctx_.loc(node);
      loop.count = read_integer(ctx_, *count, 0);
      steps(*action, loop.steps, depth + 1);
      return Step{std::move(loop)};
    }
    for (const auto& [name, method] : kMethods) {
      if (action->key == name) return Step{request(node, *action, method)};
    }
    ctx_.fail(action->key_node.Mark(), fmt::format("unhandled step kind '{}'", action->key));
  }

  Request request(const YAML::Node& step_node, const Field& action, Method method) {
    if (!action.value.IsMap()) {
      ctx_.fail(action.value_mark(),
                fmt::format("'{}' must be a mapping with a 'url'", action.key));
    }
    const Mapping m(ctx_, action.value, kRequestKeys, "request");
    Request r;
    r.method = method;
    r.loc = ctx_.loc(step_node);

    const Field* url = m.find("url");
    if (url == nullptr)
      ctx_.fail(action.key_node.Mark(), fmt::format("'{}' needs a 'url'", action.key));
    const std::string url_text = read_string(ctx_, *url);
    if (url_text.empty()) ctx_.fail(url->value_mark(), "url must not be empty");
    for (const char c : url_text) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
        ctx_.fail(url->value_mark(), "url contains a control character");
      }
    }
    r.url = compile_template(ctx_, url->value, url_text);
    if (!is_absolute_url(url_text) && !ctx_.first_relative_url) {
      ctx_.first_relative_url = url->value_mark();
    }

    r.name = url_text;
    const Field* name = m.find("name");
    if (name != nullptr) r.name = read_string(ctx_, *name);
    r.endpoint_id =
        endpoint_id(endpoint_key(plan_.plugins, url_text, name != nullptr ? &r.name : nullptr));

    if (const Field* f = m.find("headers")) r.headers = load_headers(ctx_, *f);

    const Field* json = m.find("json");
    const Field* body = m.find("body");
    if (json != nullptr && body != nullptr) {
      const Field* second = json->key_node.Mark().pos > body->key_node.Mark().pos ? json : body;
      ctx_.fail(second->key_node.Mark(), "use either 'json' or 'body', not both");
    }
    if (json != nullptr) {
      const std::string text = yaml_to_json(ctx_, json->value);
      r.body = compile_template(ctx_, json->value, text, Escape::kJsonString);
      r.content_type = "application/json";
    } else if (body != nullptr) {
      r.body = compile_template(ctx_, body->value, read_string(ctx_, *body));
    }
    if (const Field* f = m.find("followRedirect")) r.follow_redirect = read_bool(ctx_, *f);
    if (const Field* f = m.find("capture")) {
      if (f->value.IsSequence()) {
        for (const auto& node : f->value) r.captures.push_back(capture(node));
      } else {
        r.captures.push_back(capture(f->value));
      }
    }
    if (const Field* f = m.find("expect")) expectations(*f, r.expectations);
    return r;
  }

  // `expect`: a list of one-check mappings (Artillery's form), or one mapping
  // of several checks.
  void expectations(const Field& f, std::vector<Expectation>& out) {
    if (f.value.IsMap()) {
      const Mapping m(ctx_, f.value, kExpectKeys, "expect");
      for (const Field& check : m.fields()) out.push_back(expectation(check));
      return;
    }
    if (!f.value.IsSequence()) {
      ctx_.fail(f.value_mark(), "expect must be a list of checks such as [{ statusCode: 200 }]");
    }
    ctx_.charge(f.value, f.value.size());
    for (const auto& node : f.value) {
      if (!node.IsMap() || node.size() != 1) {
        ctx_.fail(node.Mark(), "each expect entry is one check, such as { statusCode: 200 }");
      }
      const Mapping m(ctx_, node, kExpectKeys, "expect");
      out.push_back(expectation(m.fields().front()));
    }
  }

  // A scalar or a list of scalars, as fields named after `f` for messages.
  std::vector<Field> scalars(const Field& f) {
    std::vector<Field> out;
    if (f.value.IsSequence()) {
      ctx_.charge(f.value, f.value.size());
      for (const auto& node : f.value) {
        if (!node.IsScalar())
          ctx_.fail(node.Mark(), fmt::format("{} values must be scalars", f.key));
        out.push_back(Field{f.key, f.key_node, node});
      }
    } else if (f.value.IsScalar()) {
      out.push_back(f);
    }
    return out;
  }

  Expectation expectation(const Field& f) {
    Expectation e;
    e.kind = *expectation_kind(f.key);
    switch (e.kind) {
      case Expectation::Kind::kStatusCode:
      case Expectation::Kind::kNotStatusCode: {
        const std::vector<Field> codes = scalars(f);
        if (codes.empty()) {
          ctx_.fail(f.value_mark(),
                    fmt::format("{} must be a status code or a list of them", f.key));
        }
        for (const Field& c : codes) {
          const auto v = parse_number(c.value.Scalar());
          if (!v || *v != std::floor(*v) || *v < 100 || *v > 599) {
            ctx_.fail(c.value_mark(),
                      fmt::format("{} must be a status code (100-599) or a list of them", f.key));
          }
          e.status_codes.push_back(static_cast<int>(*v));
        }
        break;
      }
      case Expectation::Kind::kHeaderEquals: {
        const std::vector<Field> pair = scalars(f);
        if (!f.value.IsSequence() || pair.size() != 2) {
          ctx_.fail(f.value_mark(), "headerEquals must be a list [header name, expected value]");
        }
        e.text = pair[0].value.Scalar();
        e.value = pair[1].value.Scalar();
        if (e.text.empty()) ctx_.fail(pair[0].value_mark(), "header name must not be empty");
        break;
      }
      case Expectation::Kind::kEquals: {
        const std::vector<Field> values = scalars(f);
        if (!f.value.IsSequence() || values.size() < 2) {
          ctx_.fail(f.value_mark(), "equals must be a list of two or more values to compare");
        }
        for (const Field& v : values) {
          e.values.push_back(compile_template(ctx_, v.value, v.value.Scalar()));
        }
        break;
      }
      case Expectation::Kind::kMatchesRegexp:
        e.text = read_string(ctx_, f);
        try {
          e.regexp = Regex::compile(e.text, "");
        } catch (const RegexError& err) {
          ctx_.fail(f.value_mark(), err.what());
        }
        break;
      default:
        e.text = read_string(ctx_, f);
        if (e.text.empty()) ctx_.fail(f.value_mark(), fmt::format("{} must not be empty", f.key));
        break;
    }
    return e;
  }

  // One `capture` entry: exactly one of json / regexp / header, and `as`.
  Capture capture(const YAML::Node& node) {
    if (!node.IsMap()) {
      ctx_.fail(node.Mark(), "a capture must be a mapping such as { json: \"$.id\", as: id }");
    }
    const Mapping m(ctx_, node, kCaptureKeys, "capture");
    Capture c;
    c.loc = ctx_.loc(node);
    const Field* kind = nullptr;
    for (const char* k : {"json", "regexp", "header"}) {
      const Field* f = m.find(k);
      if (f == nullptr) continue;
      if (kind != nullptr) {
        ctx_.fail(f->key_node.Mark(), "a capture takes one of 'json', 'regexp' or 'header'");
      }
      kind = f;
    }
    if (kind == nullptr) {
      ctx_.fail(node.Mark(), "a capture needs one of 'json', 'regexp' or 'header'");
    }
    c.expression = read_string(ctx_, *kind);
    if (kind->key == "json") {
      c.kind = Capture::Kind::kJson;
      try {
        c.json = JsonPath::compile(c.expression);
      } catch (const JsonPathError& e) {
        ctx_.fail(kind->value_mark(),
                  fmt::format("invalid JSONPath (at offset {}): {}", e.offset(), e.what()));
      }
    } else if (kind->key == "regexp") {
      c.kind = Capture::Kind::kRegexp;
      std::string flags;
      if (const Field* f = m.find("flags")) flags = read_string(ctx_, *f);
      try {
        c.regexp = Regex::compile(c.expression, flags);
      } catch (const RegexError& e) {
        ctx_.fail(kind->value_mark(), e.what());
      }
      if (const Field* f = m.find("group")) {
        if (!f->value.IsScalar() || !parse_number(f->value.Scalar())) {
          ctx_.fail(f->value_mark(), "group must be a number (named groups are not supported)");
        }
        c.group = static_cast<int>(read_integer(ctx_, *f, 0));
        if (c.group > c.regexp.groups()) {
          ctx_.fail(f->value_mark(),
                    fmt::format("the regexp has only {} group(s)", c.regexp.groups()));
        }
      }
    } else {
      c.kind = Capture::Kind::kHeader;
      if (c.expression.empty()) ctx_.fail(kind->value_mark(), "header name must not be empty");
    }
    if (c.kind != Capture::Kind::kRegexp) {
      for (const char* k : {"group", "flags"}) {
        if (const Field* f = m.find(k)) {
          ctx_.fail(f->key_node.Mark(), fmt::format("'{}' applies only to a regexp capture", k));
        }
      }
    }
    const Field* as = m.find("as");
    if (as == nullptr) ctx_.fail(node.Mark(), "a capture needs 'as' (the variable to set)");
    c.as = read_string(ctx_, *as);
    if (c.as.empty()) ctx_.fail(as->value_mark(), "'as' must not be empty");
    if (const Field* f = m.find("strict")) c.strict = read_bool(ctx_, *f);
    return c;
  }

  int endpoint_id(const std::string& name) {
    const auto [it, inserted] =
        endpoints_.try_emplace(name, static_cast<int>(plan_.endpoints.size()));
    if (inserted) plan_.endpoints.push_back(name);
    return it->second;
  }

  LoadContext& ctx_;
  Plan& plan_;
  std::unordered_map<std::string, int> endpoints_;
};

}  // namespace

void load_scenarios(LoadContext& ctx, const Field& f, Plan& plan) {
  const YAML::Node& seq = require_sequence(ctx, f);
  if (seq.size() == 0) ctx.fail(f.value_mark(), "scenarios is empty: add at least one scenario");
  FlowLoader loader(ctx, plan);
  double total_weight = 0;
  for (const auto& node : seq) {
    plan.scenarios.push_back(loader.scenario(node));
    total_weight += plan.scenarios.back().weight;
  }
  if (total_weight <= 0) ctx.fail(f.key_node, "every scenario has weight 0: nothing would run");
  if (!std::isfinite(total_weight)) ctx.fail(f.key_node, "scenario weights are too large");
}

Scenario load_hook(LoadContext& ctx, const Field& f, Plan& plan) {
  if (!f.value.IsMap() || !find_value(f.value, "flow").IsDefined()) {
    ctx.fail(f.value_mark(), fmt::format("{} must be a mapping with a 'flow'", f.key));
  }
  FlowLoader loader(ctx, plan);
  Scenario s = loader.scenario(f.value);
  if (s.name.empty()) s.name = f.key;
  return s;
}

}  // namespace barrage::script::detail
