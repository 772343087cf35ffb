// The `scenarios` section: weights, flows and their steps (requests, think,
// loop).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "script/duration.h"
#include "script/sections.h"
#include "script/yaml_json.h"

namespace barrage::script::detail {
namespace {

constexpr auto kUnsupported = KeyKind::kUnsupported;

constexpr std::array<KeySpec, 8> kScenarioKeys{{
    {"name"},
    {"weight"},
    {"flow"},
    {"engine"},
    {"beforeScenario"},
    {"afterScenario"},
    {"beforeRequest"},
    {"afterResponse"},
}};

// Keys of a step mapping: the action (exactly one) plus its modifiers.
constexpr std::array<KeySpec, 22> kStepKeys{{
    {"connect"},     {"send"},  // engine: ws
    {"wait"},                   // engine: ws
    {"get"},         {"post"},
    {"put"},         {"patch"},
    {"delete"},      {"head"},
    {"options"},     {"think"},
    {"loop"},        {"log"},
    {"parallel"},    {"count"},  // loop modifier
    {"over"},                    // loop modifier
    {"loopValue"},               // loop modifier
    {"loopElement"},             // loop modifier
    {"jitter"},                  // think modifier
    {"limit"},                   // parallel modifier
    {"function"},    {"whileTrue", kUnsupported, "it calls a JavaScript function from a processor"},
}};

constexpr std::array<KeySpec, 20> kRequestKeys{{
    {"url"},
    {"name"},
    {"headers"},
    {"json"},
    {"body"},
    {"followRedirect"},
    {"qs"},
    {"form"},
    {"formData"},
    {"capture"},
    {"expect"},
    {"match"},
    {"cookie"},
    {"auth"},
    {"ifTrue"},
    {"gzip"},
    {"probability"},
    {"uri"},
    {"beforeRequest"},
    {"afterResponse"},
}};

constexpr std::array<KeySpec, 11> kCaptureKeys{{
    {"json"},
    {"regexp"},
    {"header"},
    {"as"},
    {"strict"},
    {"group"},
    {"flags"},
    {"value"},  // `match` only
    {"xpath"},
    {"selector", kUnsupported, "HTML bodies are not parsed (use a regexp capture)"},
    {"transform", kUnsupported, "it evaluates JavaScript"},
}};

// A ws `connect` mapping (Artillery: target plus the ws library's options).
constexpr std::array<KeySpec, 6> kWsConnectKeys{{
    {"target"},
    {"url"},  // barrage: the same as target
    {"headers"},
    {"subprotocols"},
    {"rejectUnauthorized"},
    {"function", kUnsupported,
     "a connect function gets the ws library's arguments to change; barrage's processors do not "
     "run there (template target and headers instead: they are rendered per virtual user)"},
}};
// A ws `send` / `wait` mapping that captures or matches the reply.
constexpr std::array<KeySpec, 3> kWsSendKeys{{{"payload"}, {"capture"}, {"match"}}};

constexpr std::array<KeySpec, 2> kAuthKeys{{{"user"}, {"pass"}}};
constexpr std::array<KeySpec, 2> kFormFileKeys{{{"fromFile"}, {"contentType"}}};

// Most bytes a `fromFile` part may hold (read once, kept in the Plan).
constexpr uintmax_t kMaxFormFileBytes = uintmax_t{64} << 20;

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
    {"cdnHit", KeyKind::kIgnored, "this check is not evaluated by barrage"},
    {"jmespath", KeyKind::kIgnored, "this check is not evaluated by barrage"},
    {"jpath", KeyKind::kIgnored, "this check is not evaluated by barrage"},
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
    if (const Field* f = m.find("weight")) s.weight = weight(*f);
    if (const Field* f = m.find("engine")) {
      const std::string engine = read_string(ctx_, *f);
      if (engine == "ws") {
        s.engine = Engine::kWs;
      } else if (engine != "http") {
        ctx_.fail(f->value_mark(), unsupported_message(fmt::format("engine: {}", engine),
                                                       "the http and ws engines are built in"));
      }
    }
    ws_ = s.engine == Engine::kWs;
    if (ws_) {
      s.ws_connect.headers = plan_.ws.headers;
      s.ws_connect.subprotocols = plan_.ws.subprotocols;
      s.ws_connect.reject_unauthorized = plan_.ws.reject_unauthorized;
      s.ws_connect.loc = s.loc;
    }
    const Field* flow = m.find("flow");
    if (flow == nullptr) {
      ctx_.fail(node,
                "scenario needs a 'flow'" + missing_key_hint(ctx_, node, kScenarioKeys, {"flow"}));
    }
    // Scenario-level request hooks apply to every request of the flow, before
    // the request's own (Artillery concatenates them in that order).
    scenario_before_request_.clear();
    scenario_after_response_.clear();
    if (const Field* f = m.find("beforeRequest")) scenario_before_request_ = hook_refs(*f);
    if (const Field* f = m.find("afterResponse")) scenario_after_response_ = hook_refs(*f);
    // beforeScenario / afterScenario: function steps at the flow's start and
    // end, as Artillery runs them.
    if (const Field* f = m.find("beforeScenario")) {
      for (HookRef& r : hook_refs(*f)) s.flow.push_back(function_step(std::move(r)));
    }
    first_step_ = ws_ ? &s.ws_connect : nullptr;
    steps(*flow, s.flow, 0);
    first_step_ = nullptr;
    if (const Field* f = m.find("afterScenario")) {
      for (HookRef& r : hook_refs(*f)) s.flow.push_back(function_step(std::move(r)));
    }
    scenario_before_request_.clear();
    scenario_after_response_.clear();
    ws_ = false;
    return s;
  }

 private:
  // Artillery prefixes the target only to a URL that starts with '/', and
  // fails a request whose URL then does not start with "http" ("Invalid URL",
  // nothing sent), as barrage does at run time; say so at load time.
  void invalid_url_warning(const Field& url, const Template& t) {
    const std::string_view text = t.source();
    if (!t.is_static() && text.starts_with("{{")) return;  // decided at run time
    if (text.starts_with("/") || text.starts_with("http")) return;
    std::string hint;
    const auto count = [&](std::string_view what) {
      size_t n = 0;
      for (size_t at = text.find(what); at != std::string_view::npos;
           at = text.find(what, at + what.size())) {
        ++n;
      }
      return n;
    };
    if (count("{{") != count("}}") || text.find("((") != std::string_view::npos) {
      hint = " (a mistyped template? templates are written {{ name }})";
    }
    ctx_.warn(url.value_mark(),
              fmt::format("url '{}' starts with neither '/' nor 'http'{}: Artillery sends "
                          "nothing for it and counts an 'Invalid URL' error, and so does barrage",
                          text, hint));
  }

  // A hook key's value: a function name or a list of them. Each needs the
  // script's processor; the names are checked when it loads.
  std::vector<HookRef> hook_refs(const Field& f) {
    std::vector<HookRef> out;
    const auto one = [&](const YAML::Node& n) {
      if (!n.IsScalar() || n.Scalar().empty()) {
        ctx_.fail(n, fmt::format("{} names a function of the processor (a string, or a list of "
                                 "strings)",
                                 f.key));
      }
      out.push_back(HookRef{n.Scalar(), ctx_.loc(n)});
    };
    if (f.value.IsSequence()) {
      for (const auto& n : f.value) one(n);
    } else {
      one(f.value);
    }
    if (!out.empty() && !plan_.processor) {
      ctx_.fail(f.key_node.Mark(),
                fmt::format("'{}' calls a function of a processor, but the script has no "
                            "config.processor (the JavaScript file that defines '{}')",
                            f.key, out.front().name));
    }
    if (plan_.processor) {
      for (const HookRef& r : out) plan_.processor->referenced.push_back(r);
    }
    return out;
  }

  static Step function_step(HookRef ref) {
    Function fn;
    fn.loc = ref.loc;
    fn.functions.push_back(std::move(ref));
    return Step{std::move(fn)};
  }

  // `think: "{{ t }}"` with a VU variable: rendered per step. `seconds` gets
  // the longest value the template gives with the script's variables.
  void think_template(const Field& f, Think& t) {
    t.seconds_template = compile_template(ctx_, f.value, f.value.Scalar());
    Vars vars;
    for (const auto& v : plan_.variables) {
      if (!v.values.empty()) vars.set(v.name, v.values.front());
    }
    Rng rng(1);
    const auto longest = [&] {
      const auto s = parse_duration_s(t.seconds_template->render(vars, rng));
      if (s && *s <= kMaxDurationS) t.seconds = std::max(t.seconds, *s);
    };
    longest();
    for (const auto& v : plan_.variables) {
      for (size_t i = 1; i < v.values.size(); ++i) {
        vars.set(v.name, v.values[i]);
        longest();
      }
      if (!v.values.empty()) vars.set(v.name, v.values.front());
    }
  }

  // `weight`: a number, or a template rendered now with the script's
  // variables and the environment (Artillery renders it once, at load).
  double weight(const Field& f) {
    if (!f.value.IsScalar() || f.value.Scalar().find("{{") == std::string::npos) {
      return read_non_negative(ctx_, f, kMaxRate);
    }
    const Template t = compile_template(ctx_, f.value, f.value.Scalar());
    Vars vars;
    for (const auto& v : plan_.variables) {
      if (!v.values.empty()) vars.set(v.name, v.values.front());
    }
    Rng rng(1);
    const std::string text = t.render(vars, rng);
    const auto n = parse_number(text);
    if (!n || *n < 0 || *n > kMaxRate) {
      ctx_.fail(f.value_mark(),
                fmt::format("weight must be a non-negative number (the template gave '{}')", text));
    }
    return *n;
  }

  void steps(const Field& f, std::vector<Step>& out, int depth) {
    const YAML::Node& seq = require_sequence(ctx_, f);
    ctx_.charge(seq, seq.size());
    for (const auto& node : seq) {
      WsConnect* first = std::exchange(first_step_, nullptr);
      if (node.IsMap() && find_value(node, "connect").IsDefined()) {
        if (!ws_) {
          ctx_.fail(node.Mark(), "'connect' is a step of an 'engine: ws' scenario");
        }
        if (first != nullptr) {
          ws_connect(node, *first);
        } else {
          // Artillery opens the connection from the flow's first step only.
          ctx_.warn(node.Mark(),
                    "connect is ignored here: Artillery's ws engine connects once, from the "
                    "flow's first step, and so does barrage");
        }
        continue;
      }
      out.push_back(step(node, depth));
    }
  }

  // The flow's first step `connect`: a URL, or a mapping (target, headers,
  // subprotocols, rejectUnauthorized), templated per VU.
  void ws_connect(const YAML::Node& step_node, WsConnect& c) {
    static constexpr std::array<KeySpec, 1> kConnectStepKeys{{{"connect"}}};
    const Mapping step(ctx_, step_node, kConnectStepKeys, "step", UnknownKey::kStepKind);
    const Field& f = *step.find("connect");
    c.loc = ctx_.loc(step_node);
    if (f.value.IsScalar()) {
      c.target = ws_target(f);
      return;
    }
    if (!f.value.IsMap()) {
      ctx_.fail(f.value_mark(), "connect is a URL or a mapping with a 'target'");
    }
    const Mapping m(ctx_, f.value, kWsConnectKeys, "connect");
    const Field* target = m.find("target");
    if (const Field* url = m.find("url")) {
      if (target != nullptr) ctx_.fail(url->key_node.Mark(), "use either 'target' or 'url'");
      target = url;
    }
    if (target != nullptr) c.target = ws_target(*target);
    // Artillery: the mapping's headers and subprotocols replace config.ws's,
    // and its own options replace config.ws's (config.tls still applies).
    c.reject_unauthorized.reset();
    if (const Field* h = m.find("headers")) {
      c.headers = load_headers(ctx_, *h);
      c.subprotocols.clear();
    }
    if (const Field* sp = m.find("subprotocols")) c.subprotocols = read_ws_subprotocols(ctx_, *sp);
    take_subprotocol_header(c.headers, c.subprotocols);
    if (const Field* r = m.find("rejectUnauthorized")) c.reject_unauthorized = read_bool(ctx_, *r);
  }

  Template ws_target(const Field& f) {
    const std::string text = read_string(ctx_, f);
    if (text.empty()) ctx_.fail(f.value_mark(), "the connect URL must not be empty");
    return compile_template(ctx_, f.value, text);
  }

  // A message payload: a string as written, anything else as JSON.
  Template ws_payload(const YAML::Node& node, const Field& f) {
    if (node.IsNull()) ctx_.fail(f.value_mark(), fmt::format("{} needs a payload", f.key));
    if (node.IsScalar()) return compile_template(ctx_, node, node.Scalar());
    return compile_template(ctx_, node, yaml_to_json(ctx_, node), Escape::kJsonString);
  }

  // `send: payload`, or `send`/`wait` with `capture`/`match` on the reply.
  WsSend ws_send(const YAML::Node& step_node, const Field& action) {
    WsSend w;
    w.loc = ctx_.loc(step_node);
    const bool wait = action.key == "wait";
    const YAML::Node& v = action.value;
    const bool replies =
        v.IsMap() && (find_value(v, "capture").IsDefined() || find_value(v, "match").IsDefined());
    if (!replies) {
      if (wait) {
        ctx_.fail(action.value_mark(),
                  "wait needs a 'capture' or 'match' (the reply it waits for)");
      }
      if (v.IsMap() && find_value(v, "payload").IsDefined()) {
        ctx_.warn(action.value_mark(),
                  "send with 'payload' but no 'capture' or 'match' sends the whole mapping as "
                  "JSON, as Artillery does (write send: <payload> to send the payload alone)");
      }
      w.payload = ws_payload(v, action);
      return w;
    }
    const Mapping m(ctx_, v, kWsSendKeys, action.key);
    if (const Field* p = m.find("payload")) w.payload = ws_payload(p->value, *p);
    for (const char* key : {"capture", "match"}) {
      const Field* f = m.find(key);
      if (f == nullptr) continue;
      const bool match = std::string_view(key) == "match";
      if (f->value.IsSequence()) {
        for (const auto& node : f->value) w.captures.push_back(ws_capture(node, match));
      } else {
        w.captures.push_back(ws_capture(f->value, match));
      }
    }
    return w;
  }

  Capture ws_capture(const YAML::Node& node, bool match) {
    Capture c = capture(node, match);
    if (c.kind == Capture::Kind::kHeader) {
      ctx_.fail(node.Mark(), "a WebSocket message has no headers: capture with json or regexp");
    }
    return c;
  }

  static bool is_modifier(std::string_view key) {
    return key == "count" || key == "over" || key == "loopValue" || key == "loopElement" ||
           key == "jitter" || key == "limit";
  }

  // The action a modifier belongs to.
  static std::string_view modifier_owner(std::string_view key) {
    if (key == "jitter") return "think";
    if (key == "limit") return "parallel";
    return "loop";
  }

  Step step(const YAML::Node& node, int depth) {
    const Mapping m(ctx_, node, kStepKeys, "step", UnknownKey::kStepKind);
    const Field* action = nullptr;
    for (const Field& f : m.fields()) {
      if (is_modifier(f.key)) continue;
      if (action != nullptr) {
        ctx_.fail(f.key_node.Mark(),
                  fmt::format("a step has one action, found '{}' and '{}'", action->key, f.key));
      }
      action = &f;
    }
    if (action == nullptr) {
      for (const Field& f : m.fields()) {
        ctx_.fail(f.key_node.Mark(),
                  fmt::format("'{}' needs a '{}'", f.key, modifier_owner(f.key)));
      }
      ctx_.fail(node, "empty step");
    }
    for (const Field& f : m.fields()) {
      if (is_modifier(f.key) && modifier_owner(f.key) != action->key) {
        ctx_.fail(f.key_node.Mark(),
                  fmt::format("'{}' belongs to a '{}' step", f.key, modifier_owner(f.key)));
      }
    }

    if (action->key == "think") {
      Think t;
      t.loc = ctx_.loc(node);
      if (action->value.IsScalar() && action->value.Scalar().find("{{") != std::string::npos &&
          !compile_template(ctx_, action->value, action->value.Scalar()).is_static()) {
        think_template(*action, t);
      } else {
        t.seconds = read_duration_s(ctx_, *action);
      }
      if (const Field* j = m.find("jitter")) t.jitter = read_jitter(ctx_, *j);
      return Step{t};
    }
    if (action->key == "log") {
      if (!action->value.IsScalar()) ctx_.fail(action->value_mark(), "log must be a string");
      return Step{
          Log{compile_template(ctx_, action->value, action->value.Scalar()), ctx_.loc(node)}};
    }
    if (action->key == "loop" || action->key == "parallel") {
      if (depth + 1 > kMaxDepth) {
        ctx_.fail(action->key_node.Mark(),
                  fmt::format("loops nested deeper than {} levels", kMaxDepth));
      }
    }
    if (action->key == "parallel") {
      Parallel p;
      p.loc = ctx_.loc(node);
      if (const Field* l = m.find("limit")) p.limit = read_integer(ctx_, *l, 1);
      steps(*action, p.steps, depth + 1);
      if (p.steps.empty()) ctx_.fail(action->value_mark(), "parallel needs at least one step");
      return Step{std::move(p)};
    }
    const bool ws_step = action->key == "send" || action->key == "wait";
    if (ws_step != ws_ && (ws_step || action->key != "loop") && action->key != "think" &&
        action->key != "log" && action->key != "function") {
      ctx_.fail(action->key_node.Mark(),
                ws_ ? fmt::format("'{}' is not a step of an 'engine: ws' scenario (its steps are "
                                  "connect, send, wait, think, loop, log and function; Artillery "
                                  "fails it as invalid_step)",
                                  action->key)
                    : fmt::format("'{}' is a step of an 'engine: ws' scenario", action->key));
    }
    if (ws_step) return Step{ws_send(node, *action)};
    if (action->key == "loop") return Step{loop(node, m, *action, depth)};
    if (action->key == "function") {
      auto refs = hook_refs(*action);
      if (refs.size() != 1) ctx_.fail(action->value_mark(), "function names one function");
      return function_step(std::move(refs.front()));
    }
    for (const auto& [name, method] : kMethods) {
      if (action->key == name) return Step{request(node, *action, method)};
    }
    ctx_.fail(action->key_node.Mark(), fmt::format("unhandled step kind '{}'", action->key));
  }

  Loop loop(const YAML::Node& node, const Mapping& m, const Field& action, int depth) {
    Loop loop;
    loop.loc = ctx_.loc(node);
    const Field* count = m.find("count");
    const Field* over = m.find("over");
    if (count != nullptr && over != nullptr) {
      ctx_.fail(over->key_node.Mark(), "a loop takes 'count' or 'over', not both");
    }
    if (count == nullptr && over == nullptr) {
      ctx_.fail(action.key_node.Mark(),
                "a loop needs 'count' or 'over' (barrage does not run endless loops)");
    }
    if (count != nullptr) read_loop_count(*count, loop);
    if (over != nullptr) {
      if (over->value.IsSequence()) {
        ctx_.charge(over->value, over->value.size());
        for (const auto& item : over->value) {
          if (item.IsScalar()) {
            loop.over_values.push_back(compile_template(ctx_, item, item.Scalar()));
          } else {
            loop.over_values.push_back(Template::compile(yaml_to_json(ctx_, item)));
          }
        }
        if (loop.over_values.empty()) loop.count = 0;
      } else if (over->value.IsScalar() && !over->value.Scalar().empty()) {
        loop.over_variable = over->value.Scalar();
      } else {
        ctx_.fail(over->value_mark(), "over must be a list or the name of a variable");
      }
    }
    if (const Field* f = m.find("loopValue")) loop.index_name = variable_name(*f);
    if (const Field* f = m.find("loopElement")) loop.element_name = variable_name(*f);
    steps(action, loop.steps, depth + 1);
    return loop;
  }

  std::string variable_name(const Field& f) {
    std::string name = read_string(ctx_, f);
    if (name.empty()) ctx_.fail(f.value_mark(), fmt::format("{} must not be empty", f.key));
    return name;
  }

  // `count`: N, "N", "a-b" (Artillery: $loopCount runs a..b-1), or a template
  // read the same way each time the loop starts.
  void read_loop_count(const Field& f, Loop& loop) {
    if (!f.value.IsScalar()) ctx_.fail(f.value_mark(), "count must be a number");
    const std::string& text = f.value.Scalar();
    if (text.find("{{") != std::string::npos) {
      loop.count_template = compile_template(ctx_, f.value, text);
      return;
    }
    const auto range = parse_loop_range(text);
    if (!range) {
      ctx_.fail(f.value_mark(),
                "count must be a whole number, a range such as \"1-5\", or a template");
    }
    loop.from = range->first;
    loop.count = range->second;
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
    if (url == nullptr) url = m.find("uri");  // request.js's name, still accepted by Artillery
    if (url == nullptr) {
      ctx_.fail(action.key_node.Mark(),
                fmt::format("'{}' needs a 'url'", action.key) +
                    missing_key_hint(ctx_, action.value, kRequestKeys, {"url"}));
    }
    const std::string url_text = read_string(ctx_, *url);
    if (url_text.empty()) ctx_.fail(url->value_mark(), "url must not be empty");
    for (const char c : url_text) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
        ctx_.fail(url->value_mark(), "url contains a control character");
      }
    }
    r.url = compile_template(ctx_, url->value, url_text);
    invalid_url_warning(*url, r.url);
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
    if (json != nullptr) {
      const std::string text = yaml_to_json(ctx_, json->value);
      r.body = compile_template(ctx_, json->value, text, Escape::kJsonString);
      r.content_type = "application/json";
    } else if (body != nullptr) {
      r.body = compile_template(ctx_, body->value, read_string(ctx_, *body));
    }
    const Field* form = m.find("form");
    const Field* form_data = m.find("formData");
    {
      std::vector<const Field*> bodies;
      for (const Field* f : {json, body, form, form_data}) {
        if (f != nullptr) bodies.push_back(f);
      }
      if (bodies.size() > 1) {
        const Field* second =
            *std::max_element(bodies.begin(), bodies.end(), [](const Field* a, const Field* b) {
              return a->key_node.Mark().pos < b->key_node.Mark().pos;
            });
        ctx_.fail(second->key_node.Mark(),
                  bodies.size() == 2 && json != nullptr && body != nullptr
                      ? "use either 'json' or 'body', not both"
                      : "a request has one body: use one of 'json', 'body', 'form' or 'formData'");
      }
    }
    if (form != nullptr) {
      r.form = name_values(*form);
      r.content_type = "application/x-www-form-urlencoded";
    }
    if (form_data != nullptr) r.form_data = form_fields(*form_data);
    if (const Field* f = m.find("qs")) r.qs = name_values(*f);
    if (const Field* f = m.find("cookie")) r.cookies = name_values(*f);
    // config.defaults.cookie: every request sends it; the request's own
    // cookie of the same name wins (Artillery's Object.assign).
    if (!ctx_.default_cookies.empty()) {
      std::vector<NameValue> cookies;
      for (const NameValue& d : ctx_.default_cookies) {
        const bool own = std::any_of(r.cookies.begin(), r.cookies.end(),
                                     [&](const NameValue& c) { return c.name == d.name; });
        if (!own) cookies.push_back(d);
      }
      for (NameValue& c : r.cookies) cookies.push_back(std::move(c));
      r.cookies = std::move(cookies);
    }
    if (const Field* f = m.find("auth")) {
      const Mapping a(ctx_, f->value, kAuthKeys, "auth");
      const Field* user = a.find("user");
      if (user == nullptr) ctx_.fail(f->value_mark(), "auth needs 'user' (and 'pass')");
      r.auth_user = compile_template(ctx_, user->value, read_string(ctx_, *user));
      const Field* pass = a.find("pass");
      r.auth_pass = pass != nullptr ? compile_template(ctx_, pass->value, read_string(ctx_, *pass))
                                    : Template();
    }
    if (const Field* f = m.find("gzip")) r.gzip = read_bool(ctx_, *f);
    if (const Field* f = m.find("ifTrue")) r.if_true = expression(*f);
    if (const Field* f = m.find("probability")) r.probability = read_non_negative(ctx_, *f, 100);
    if (const Field* f = m.find("followRedirect")) r.follow_redirect = read_bool(ctx_, *f);
    if (const Field* f = m.find("capture")) {
      if (f->value.IsSequence()) {
        for (const auto& node : f->value) r.captures.push_back(capture(node, false));
      } else {
        r.captures.push_back(capture(f->value, false));
      }
    }
    if (const Field* f = m.find("match")) {
      if (f->value.IsSequence()) {
        for (const auto& node : f->value) r.captures.push_back(capture(node, true));
      } else {
        r.captures.push_back(capture(f->value, true));
      }
    }
    if (const Field* f = m.find("expect")) expectations(*f, r.expectations);
    r.before_request = scenario_before_request_;
    r.after_response = scenario_after_response_;
    if (const Field* f = m.find("beforeRequest")) {
      for (HookRef& h : hook_refs(*f)) r.before_request.push_back(std::move(h));
    }
    if (const Field* f = m.find("afterResponse")) {
      for (HookRef& h : hook_refs(*f)) r.after_response.push_back(std::move(h));
    }
    if (r.expectations.empty() && plan_.expect_default_200) {
      Expectation e;
      e.kind = Expectation::Kind::kStatusCode;
      e.status_codes = {200};
      r.expectations.push_back(std::move(e));
    }
    return r;
  }

  Expression expression(const Field& f) {
    if (!f.value.IsScalar()) ctx_.fail(f.value_mark(), fmt::format("{} must be a string", f.key));
    try {
      return Expression::compile(f.value.Scalar());
    } catch (const ExpressionError& e) {
      ctx_.fail(f.value_mark(), fmt::format("invalid {} expression (at offset {}): {}", f.key,
                                            e.offset(), e.what()));
    }
  }

  // A mapping of name -> scalar (or list of scalars: the name repeats), as
  // `qs`, `form` and `cookie` take.
  std::vector<NameValue> name_values(const Field& f) {
    const YAML::Node& map = require_map(ctx_, f);
    ctx_.charge(map, map.size());
    std::vector<NameValue> out;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar() || kv.first.Scalar().empty()) {
        ctx_.fail(kv.first, fmt::format("{} names must be non-empty strings", f.key));
      }
      const std::string& name = kv.first.Scalar();
      const Field value{name, kv.first, kv.second};
      if (kv.second.IsSequence() && f.key != "cookie") {
        for (const Field& item : scalars(value)) {
          out.push_back({name, compile_template(ctx_, item.value, item.value.Scalar())});
        }
      } else if (kv.second.IsScalar() || kv.second.IsNull()) {
        const std::string text = kv.second.IsNull() ? "" : kv.second.Scalar();
        out.push_back({name, compile_template(ctx_, kv.second, text)});
      } else {
        ctx_.fail(value.value_mark(), fmt::format("{}: '{}' must be a string", f.key, name));
      }
    }
    return out;
  }

  // `formData`: name -> scalar, or { fromFile: path, contentType: type }.
  std::vector<FormField> form_fields(const Field& f) {
    const YAML::Node& map = require_map(ctx_, f);
    ctx_.charge(map, map.size());
    std::vector<FormField> out;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar() || kv.first.Scalar().empty()) {
        ctx_.fail(kv.first, "formData names must be non-empty strings");
      }
      FormField field;
      field.name = kv.first.Scalar();
      const Field value{field.name, kv.first, kv.second};
      if (kv.second.IsMap()) {
        const Mapping m(ctx_, kv.second, kFormFileKeys, "formData field");
        const Field* from = m.find("fromFile");
        if (from == nullptr) ctx_.fail(kv.second, "a formData field mapping needs 'fromFile'");
        read_form_file(*from, field);
        if (const Field* ct = m.find("contentType")) field.content_type = read_string(ctx_, *ct);
      } else if (kv.second.IsScalar() || kv.second.IsNull()) {
        const std::string text = kv.second.IsNull() ? "" : kv.second.Scalar();
        field.value = compile_template(ctx_, kv.second, text);
      } else {
        ctx_.fail(
            value.value_mark(),
            fmt::format("formData: '{}' must be a string or {{ fromFile: path }}", field.name));
      }
      out.push_back(std::move(field));
    }
    return out;
  }

  // Reads a `fromFile` path (relative to the script's directory) once; the
  // run constants ($dirname, $env.X) may appear in it.
  void read_form_file(const Field& f, FormField& field) {
    (void)read_string(ctx_, f);  // a string
    const std::string path_text = *scalar_text(ctx_, f);
    if (path_text.empty()) ctx_.fail(f.value_mark(), "fromFile must not be empty");
    namespace fs = std::filesystem;
    fs::path path(path_text);
    if (path.is_relative()) path = fs::path(ctx_.file()).parent_path() / path;
    ctx_.files.push_back(path.string());
    std::error_code ec;
    const uintmax_t size = fs::file_size(path, ec);
    if (ec) {
      ctx_.fail(f.value_mark(),
                fmt::format("cannot read fromFile '{}': {}", path_text, ec.message()));
    }
    if (size > kMaxFormFileBytes) {
      ctx_.fail(f.value_mark(), fmt::format("fromFile '{}' is larger than {} MiB", path_text,
                                            kMaxFormFileBytes >> 20));
    }
    std::ifstream in(path, std::ios::binary);
    std::string data(static_cast<size_t>(size), '\0');
    if (!in || !in.read(data.data(), static_cast<std::streamsize>(size))) {
      ctx_.fail(f.value_mark(), fmt::format("cannot read fromFile '{}'", path_text));
    }
    field.file_data = std::move(data);
    field.file_name = path.filename().string();
  }

  // `expect`: a list of one-check mappings (Artillery's form), or one mapping
  // of several checks.
  // Artillery's expect plugin reads each list entry's first key as the check
  // and skips (with a console line per response) a check it does not know;
  // barrage warns once at load and skips it the same way.
  void expectations(const Field& f, std::vector<Expectation>& out) {
    if (f.value.IsMap()) {
      const Mapping m(ctx_, f.value, kExpectKeys, "expect");
      for (const Field& check : m.fields()) out.push_back(expectation(check));
      return;
    }
    if (f.value.IsScalar() || f.value.IsNull()) {
      // The plugin maps over a string's characters: no check it knows.
      ctx_.warn(f.value_mark(), fmt::format("expect '{}' is not a list of checks such as "
                                            "[{{ statusCode: 200 }}]; no check runs (as in "
                                            "Artillery's expect plugin)",
                                            f.value.IsScalar() ? f.value.Scalar() : ""));
      return;
    }
    if (!f.value.IsSequence()) {
      ctx_.fail(f.value_mark(), "expect must be a list of checks such as [{ statusCode: 200 }]");
    }
    ctx_.charge(f.value, f.value.size());
    for (const auto& node : f.value) {
      if (node.IsScalar()) {
        // `- statusCode:200` (no space after the colon) is one string to YAML.
        // The plugin reads its first key, "0", and skips it: no check runs.
        const std::string& text = node.Scalar();
        const size_t colon = text.find(':');
        std::string hint;
        if (colon != std::string::npos && colon > 0) {
          hint = fmt::format(" (write '{}: {}' with a space after the colon for a check)",
                             text.substr(0, colon), text.substr(colon + 1));
        }
        ctx_.warn(node, fmt::format("expect entry '{}' is a string, not a check{}; it is "
                                    "skipped, as Artillery's expect plugin skips it "
                                    "(\"Expectation '0' is not supported\")",
                                    text, hint));
        continue;
      }
      if (!node.IsMap() || node.size() == 0) {
        ctx_.fail(node.Mark(), "each expect entry is one check, such as { statusCode: 200 }");
      }
      const Mapping m(ctx_, node, kExpectKeys, "expect");
      const auto first = *node.begin();
      if (node.size() > 1) {
        ctx_.warn(node, fmt::format("expect entry has {} keys; only the first, '{}', is checked "
                                    "(as Artillery's expect plugin does)",
                                    node.size(), first.first.as<std::string>("")));
      }
      for (const Field& check : m.fields()) {
        if (check.key_node.Mark().pos == first.first.Mark().pos) {
          out.push_back(expectation(check));
        }
      }
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

  // One `capture` entry: exactly one of json / regexp / header, and `as`; or
  // one `match` entry: the same extractors with `value` instead of `as`.
  Capture capture(const YAML::Node& node, bool match) {
    const char* what = match ? "match" : "capture";
    if (!node.IsMap()) {
      ctx_.fail(node.Mark(),
                match ? "a match must be a mapping such as { json: \"$.id\", value: 1 }"
                      : "a capture must be a mapping such as { json: \"$.id\", as: id }");
    }
    const Mapping m(ctx_, node, kCaptureKeys, what);
    Capture c;
    c.loc = ctx_.loc(node);
    const Field* kind = nullptr;
    for (const char* k : {"json", "regexp", "xpath", "header"}) {
      const Field* f = m.find(k);
      if (f == nullptr) continue;
      if (kind != nullptr) {
        ctx_.fail(f->key_node.Mark(),
                  fmt::format("a {} takes one of 'json', 'regexp', 'xpath' or 'header'", what));
      }
      kind = f;
    }
    if (kind == nullptr) {
      ctx_.fail(node.Mark(),
                fmt::format("a {} needs one of 'json', 'regexp', 'xpath' or 'header'", what));
    }
    (void)read_string(ctx_, *kind);
    // Artillery renders the expression per response; barrage compiles it at
    // load, so only the run constants ($env.X, ...) can appear in it.
    if (kind->value.Scalar().find("{{") != std::string::npos &&
        !compile_template(ctx_, kind->value, kind->value.Scalar()).is_static()) {
      ctx_.fail(kind->value_mark(),
                fmt::format("a {} {} with a template of a VU variable is not supported yet by "
                            "barrage (planned): it is compiled once, at load",
                            what, kind->key));
    }
    c.expression = *scalar_text(ctx_, *kind);
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
      const Field* flags_field = m.find("flags");
      if (flags_field != nullptr) flags = read_string(ctx_, *flags_field);
      try {
        c.regexp = Regex::compile(c.expression, flags);
      } catch (const RegexError& e) {
        // A flag error points at `flags`, a pattern error at the pattern.
        const bool flag_error = flags_field != nullptr && [&] {
          try {
            (void)translate_js_regex("", flags);
            return false;
          } catch (const RegexError&) {
            return true;
          }
        }();
        ctx_.fail(flag_error ? flags_field->value_mark() : kind->value_mark(), e.what());
      }
      if (const Field* f = m.find("group")) regexp_group(c, *f);
    } else if (kind->key == "xpath") {
      c.kind = Capture::Kind::kXPath;
      try {
        c.xpath = XPath::compile(c.expression);
      } catch (const XPathError& e) {
        ctx_.fail(kind->value_mark(),
                  fmt::format("invalid XPath (at offset {}): {}", e.offset(), e.what()));
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
    if (match) {
      const Field* value = m.find("value");
      if (value == nullptr) ctx_.fail(node.Mark(), "a match needs 'value' (the expected value)");
      if (!value->value.IsScalar()) ctx_.fail(value->value_mark(), "value must be a scalar");
      c.match_value = compile_template(ctx_, value->value, value->value.Scalar());
      if (const Field* f = m.find("as")) {
        ctx_.fail(f->key_node.Mark(), "a match takes 'value', not 'as' (use a capture)");
      }
    } else {
      if (const Field* f = m.find("value")) {
        ctx_.fail(f->key_node.Mark(), "'value' belongs to a match, not a capture");
      }
      const Field* as = m.find("as");
      if (as == nullptr) {
        ctx_.fail(node.Mark(), "a capture needs 'as' (the variable to set)" +
                                   missing_key_hint(ctx_, node, kCaptureKeys, {"as"}));
      }
      c.as = read_string(ctx_, *as);
      if (c.as.empty()) ctx_.fail(as->value_mark(), "'as' must not be empty");
    }
    c.strict = ctx_.default_strict_capture;
    if (const Field* f = m.find("strict")) c.strict = read_bool(ctx_, *f);
    return c;
  }

  // `group`: a number (0 = the whole match) or a named group's name. Artillery
  // looks a number up among the named groups when the regexp has any, where
  // it never matches; barrage says so at load instead.
  void regexp_group(Capture& c, const Field& f) {
    if (!f.value.IsScalar()) ctx_.fail(f.value_mark(), "group must be a number or a group name");
    const std::string& text = f.value.Scalar();
    if (parse_number(text)) {
      c.group = static_cast<int>(read_integer(ctx_, f, 0));
      if (c.group > c.regexp.groups()) {
        ctx_.fail(f.value_mark(),
                  fmt::format("the regexp has only {} group(s)", c.regexp.groups()));
      }
      if (c.group > 0 && c.regexp.has_named_groups()) {
        ctx_.fail(f.value_mark(),
                  "the regexp has named groups, so Artillery looks group "
                  "numbers up among the names and captures nothing: give the group's name");
      }
      return;
    }
    c.group = c.regexp.group_number(text);
    c.group_named = true;
    if (c.group < 0) {
      ctx_.fail(f.value_mark(), fmt::format("the regexp has no group named '{}'", text));
    }
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
  bool ws_ = false;                               // the scenario being loaded is engine: ws
  WsConnect* first_step_ = nullptr;               // a ws flow's first step may be its `connect`
  std::vector<HookRef> scenario_before_request_;  // the scenario being loaded
  std::vector<HookRef> scenario_after_response_;
};

}  // namespace

Jitter read_jitter(const LoadContext& ctx, const Field& f) {
  if (!f.value.IsScalar()) ctx.fail(f.value_mark(), "jitter must be a number or a percentage");
  std::string_view text = f.value.Scalar();
  Jitter j;
  if (text.ends_with('%')) {
    j.percent = true;
    text.remove_suffix(1);
  }
  const auto v = parse_number(text);
  if (!v || *v < 0 || (j.percent && *v > 100) || *v > kMaxDurationS * 1000) {
    ctx.fail(f.value_mark(),
             "jitter must be a percentage such as \"10%\" (0-100) or milliseconds (>= 0)");
  }
  j.value = *v;
  return j;
}

std::optional<Jitter> read_default_think(LoadContext& ctx, const Field& f) {
  static constexpr std::array<KeySpec, 1> kThinkKeys{{{"jitter"}}};
  const Mapping m(ctx, f.value, kThinkKeys, "defaults.think");
  if (const Field* j = m.find("jitter")) return read_jitter(ctx, *j);
  return std::nullopt;
}

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
