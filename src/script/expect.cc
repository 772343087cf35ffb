// Evaluation of `expect` checks. Semantics follow Artillery's expect plugin;
// the deliberate differences are listed in docs/compatibility.md.
#include "script/expect.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

#include "util/ascii.h"

namespace barrage::script {
namespace {

using Kind = Expectation::Kind;
using nlohmann::json;

constexpr std::array<std::pair<std::string_view, Kind>, 9> kNames{{
    {"statusCode", Kind::kStatusCode},
    {"notStatusCode", Kind::kNotStatusCode},
    {"contentType", Kind::kContentType},
    {"hasProperty", Kind::kHasProperty},
    {"notHasProperty", Kind::kNotHasProperty},
    {"hasHeader", Kind::kHasHeader},
    {"headerEquals", Kind::kHeaderEquals},
    {"equals", Kind::kEquals},
    {"matchesRegexp", Kind::kMatchesRegexp},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::string_view trim(std::string_view s) { return ascii::trim_ows(s); }

// application/json, or any structured-syntax "+json" type (problem+json,
// ld+json, vnd.api+json), parameters ignored.
bool is_json_media_type(std::string_view content_type) {
  const std::string media = lower(trim(content_type.substr(0, content_type.find(';'))));
  return media == "application/json" || media.ends_with("+json");
}

// The body parsed as JSON when the response says it is JSON; discarded
// (is_discarded()) otherwise or when it does not parse.
json parse_json_body(const ResponseView& r) {
  if (!r.body_complete || !r.header) return json(json::value_t::discarded);
  const auto ct = r.header("content-type");
  if (!ct || !is_json_media_type(*ct)) return json(json::value_t::discarded);
  return json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

std::optional<size_t> parse_index(std::string_view s) {
  size_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Steps into `node` by one path key (object member or array index).
const json* step(const json* node, std::string_view key) {
  if (node->is_object()) {
    const auto it = node->find(key);
    return it == node->end() ? nullptr : &*it;
  }
  if (node->is_array()) {
    const auto i = parse_index(key);
    return i && *i < node->size() ? &(*node)[*i] : nullptr;
  }
  return nullptr;
}

// lodash `_.has(body, path)` as Artillery uses it: a key equal to the whole
// path wins; otherwise `a.b[0].c` steps through members and indexes.
bool has_path(const json& root, std::string_view path) {
  if (path.empty() || !(root.is_object() || root.is_array())) return false;
  if (root.is_object() && root.contains(path)) return true;
  const json* node = &root;
  size_t i = 0;
  while (i < path.size()) {
    std::string_view key;
    if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string_view::npos) return false;
      key = path.substr(i + 1, close - i - 1);
      if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'') &&
          key.back() == key.front()) {
        key = key.substr(1, key.size() - 2);
      }
      i = close + 1;
    } else {
      const size_t end = path.find_first_of(".[", i);
      key = path.substr(i, end == std::string_view::npos ? path.size() - i : end - i);
      i += key.size();
    }
    if (i < path.size() && path[i] == '.') ++i;
    if (key.empty()) return false;
    node = step(node, key);
    if (node == nullptr) return false;
  }
  return true;
}

bool header_contains(const ResponseView& r, std::string_view name, std::string_view needle) {
  if (!r.header) return false;
  const auto value = r.header(name);
  return value && lower(*value).find(lower(needle)) != std::string::npos;
}

bool check(const Expectation& e, const ResponseView& r, const Vars& vars, Rng& rng,
           const json& body) {
  switch (e.kind) {
    case Kind::kStatusCode:
    case Kind::kNotStatusCode: {
      const bool listed = std::ranges::find(e.status_codes, r.status) != e.status_codes.end();
      return e.kind == Kind::kStatusCode ? listed : !listed;
    }
    case Kind::kContentType:
      if (e.text == "json") {
        return !body.is_discarded() && (body.is_object() || body.is_array());
      }
      return header_contains(r, "content-type", e.text);
    case Kind::kHasProperty:
      return has_path(body, e.text);
    case Kind::kNotHasProperty:
      // Artillery fails both checks when the body is not a JSON object.
      return (body.is_object() || body.is_array()) && !has_path(body, e.text);
    case Kind::kHasHeader:
      return r.header && r.header(e.text).has_value();
    case Kind::kHeaderEquals: {
      if (!r.header) return false;
      const auto v = r.header(e.text);
      return v && *v == e.value;
    }
    case Kind::kEquals: {
      if (e.values.empty()) return true;
      const std::string first = e.values.front().render(vars, rng);
      return std::all_of(e.values.begin() + 1, e.values.end(),
                         [&](const Template& t) { return t.render(vars, rng) == first; });
    }
    case Kind::kMatchesRegexp:
      return r.body_complete && e.regexp.first_match(r.body, 0).has_value();
  }
  return false;
}

bool needs_json(Kind k) {
  return k == Kind::kContentType || k == Kind::kHasProperty || k == Kind::kNotHasProperty;
}

}  // namespace

const char* expectation_name(Expectation::Kind kind) {
  for (const auto& [name, k] : kNames) {
    if (k == kind) return name.data();
  }
  return "unknown";
}

std::string expectation_metric(const Expectation& e) {
  if (e.kind == Expectation::Kind::kHeaderEquals) return "header " + e.text + " values equals";
  return expectation_name(e.kind);
}

std::optional<Expectation::Kind> expectation_kind(std::string_view name) {
  for (const auto& [n, k] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

void evaluate_expectations(std::span<const Expectation> list, const ResponseView& response,
                           const Vars& vars, Rng& rng, std::span<bool> ok) {
  const bool parse = std::ranges::any_of(list, [](const Expectation& e) {
    return needs_json(e.kind) && !(e.kind == Kind::kContentType && e.text != "json");
  });
  const json body = parse ? parse_json_body(response) : json(json::value_t::discarded);
  for (size_t i = 0; i < list.size() && i < ok.size(); ++i) {
    ok[i] = check(list[i], response, vars, rng, body);
  }
}

bool evaluate_expectation(const Expectation& e, const ResponseView& response, const Vars& vars,
                          Rng& rng) {
  bool ok = false;
  evaluate_expectations(std::span(&e, 1), response, vars, rng, std::span(&ok, 1));
  return ok;
}

}  // namespace barrage::script
