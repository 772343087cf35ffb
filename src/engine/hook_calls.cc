#include "engine/hook_calls.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "util/ascii.h"

namespace barrage::engine {

using nlohmann::json;

namespace {

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::vector<std::pair<std::string, std::string>> pairs_of(const json& obj) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!obj.is_object()) return out;
  for (const auto& [k, v] : obj.items()) {
    if (v.is_null()) continue;
    if (v.is_array()) {
      for (const auto& item : v) out.emplace_back(k, text_of(item));
    } else {
      out.emplace_back(k, text_of(v));
    }
  }
  return out;
}

}  // namespace

const std::string& request_params_json(const RunContext& ctx, const script::Request& req) {
  thread_local std::unordered_map<const script::Request*, std::string> cache;
  auto it = cache.find(&req);
  if (it != cache.end()) return it->second;
  json j = json::object();
  std::string url = req.url.source();
  if (url.starts_with('/')) url = ctx.target_text + url;
  j["url"] = url;
  j["method"] = script::method_name(req.method);
  j["name"] = req.name;
  json headers = json::object();
  for (const auto& h : req.headers) headers[h.name] = h.value.source();
  j["headers"] = std::move(headers);
  if (req.body) {
    if (req.content_type == "application/json") {
      json parsed = json::parse(req.body->source(), nullptr, false);
      if (parsed.is_discarded()) {
        j["json"] = req.body->source();
      } else {
        j["json"] = std::move(parsed);
      }
    } else {
      j["body"] = req.body->source();
    }
  }
  if (!req.qs.empty()) {
    json qs = json::object();
    for (const auto& q : req.qs) qs[q.name] = q.value.source();
    j["qs"] = std::move(qs);
  }
  return cache.emplace(&req, j.dump(-1, ' ', false, json::error_handler_t::replace)).first->second;
}

std::string response_json(const http::ResponseParser& p, std::string_view body) {
  json j = json::object();
  j["statusCode"] = p.status();
  json headers = json::object();
  for (size_t i = 0; i < p.header_count(); ++i) {
    std::string name(p.header_name(i));
    for (char& c : name) c = ascii::lower(c);
    auto& slot = headers[name];
    if (slot.is_string()) {
      slot = slot.get<std::string>() + ", " + std::string(p.header_value(i));
    } else {
      slot = std::string(p.header_value(i));
    }
  }
  j["headers"] = std::move(headers);
  j["body"] = std::string(body);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool parse_request_override(std::string_view text, RequestOverride& out) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return false;
  if (auto it = j.find("url"); it != j.end() && it->is_string()) out.url = it->get<std::string>();
  if (auto it = j.find("method"); it != j.end() && it->is_string()) {
    std::string m = it->get<std::string>();
    for (char& c : m) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    out.method = std::move(m);
  }
  if (auto it = j.find("headers"); it != j.end()) out.headers = pairs_of(*it);
  if (auto it = j.find("json"); it != j.end() && !it->is_null()) {
    out.body = it->dump();
    out.json = true;
  } else if (auto b = j.find("body"); b != j.end() && !b->is_null()) {
    out.body = text_of(*b);
  }
  if (auto it = j.find("qs"); it != j.end()) out.qs = pairs_of(*it);
  return true;
}

std::string render_hook_text(const std::string& text, const script::Vars& vars, Rng& rng) {
  if (text.find("{{") == std::string::npos) return text;
  try {
    return script::Template::compile(text).render(vars, rng);
  } catch (const std::exception&) {
    return text;
  }
}

void record_hook_metrics(metrics::Recorder& rec, const std::vector<HookMetric>& metrics) {
  for (const HookMetric& m : metrics) {
    switch (m.type) {
      case HookMetric::Type::kCounter:
      case HookMetric::Type::kRate:
        if (m.value > 0) rec.add(m.name, static_cast<uint64_t>(std::llround(m.value)));
        break;
      case HookMetric::Type::kHistogram:
        if (m.value >= 0)
          rec.add_sample(m.name, static_cast<uint64_t>(std::llround(m.value * 1000)));
        break;
      case HookMetric::Type::kError:
        rec.error(m.name);
        break;
    }
  }
}

const char* intern_error_name(std::string_view name) {
  constexpr size_t kMaxNames = 256;
  thread_local std::unordered_set<std::string> names;
  if (auto it = names.find(std::string(name)); it != names.end()) return it->c_str();
  if (names.size() >= kMaxNames) return "processor error (more than 256 distinct names)";
  return names.emplace(name).first->c_str();
}

}  // namespace barrage::engine
