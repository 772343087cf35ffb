// Template compiler and renderer. Hand-written: the grammar is a handful of
// `{{ ... }}` forms, and rendering must not allocate beyond the output buffer,
// which general-purpose template engines (inja, mustache) do not promise.
#include "script/template.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "script/json_escape.h"
#include "util/ascii.h"
#include "util/clock.h"

namespace barrage::script {

void Vars::set(std::string_view name, std::string value) {
  for (auto& [k, v] : values_) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  values_.emplace_back(std::string(name), std::move(value));
}

const std::string* Vars::find(std::string_view name) const {
  for (const Vars* scope = this; scope != nullptr; scope = scope->parent_) {
    for (const auto& [k, v] : scope->values_) {
      if (k == name) return &v;
    }
  }
  return nullptr;
}

namespace {

using Kind = Template::Part::Kind;

constexpr int64_t kMaxRandomStringLength = 65536;
constexpr int64_t kDefaultRandomStringLength = 10;

using ascii::is_space;
bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
// Artillery's variable pattern: [\s$\w.[\]'"-] (quotes for a['b'] paths).
bool is_variable_char(char c) {
  return is_ident(c) || c == '-' || c == '.' || c == '[' || c == ']' || c == '\'' || c == '"' ||
         c == '$';
}

std::string_view trim(std::string_view s, size_t& offset) {
  while (!s.empty() && is_space(s.front())) {
    s.remove_prefix(1);
    ++offset;
  }
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Parses the comma-separated integer arguments of a function call.
std::vector<int64_t> parse_int_args(std::string_view args, std::string_view fn, size_t offset) {
  std::vector<int64_t> out;
  size_t arg_offset = offset;
  if (trim(args, arg_offset).empty()) return out;
  while (true) {
    const size_t comma = args.find(',');
    std::string_view arg = args.substr(0, comma);
    size_t at = offset;
    arg = trim(arg, at);
    if (!arg.empty() && arg.front() == '+') arg.remove_prefix(1);
    int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), v);
    if (arg.empty() || ec != std::errc() || ptr != arg.data() + arg.size()) {
      throw TemplateError(fmt::format("'{}' expects integer arguments", fn), at);
    }
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    args.remove_prefix(comma + 1);
    offset += comma + 1;
  }
  return out;
}

// `$env.NAME` and friends: a literal part holding the run's fixed value.
Template::Part run_constant(std::string_view name, std::string_view rest, size_t rest_offset,
                            const TemplateEnv* env) {
  Template::Part part;  // kLiteral
  if (name == "$environment" || name == "$dirname" || name == "$scenarioFile") {
    if (!rest.empty())
      throw TemplateError(fmt::format("unexpected text after '{}'", name), rest_offset);
    if (env != nullptr) {
      part.text = name == "$environment" ? env->environment
                  : name == "$dirname"   ? env->dirname
                                         : env->scenario_file;
    }
    return part;
  }
  std::string_view var = rest.empty() ? rest : rest.substr(1);
  if (rest.empty() || rest.front() != '.' || var.empty() ||
      !std::all_of(var.begin(), var.end(), is_ident)) {
    throw TemplateError(fmt::format("'{}' needs a variable name, as in {}.HOME", name, name),
                        rest_offset);
  }
  if (env != nullptr) {
    for (const auto& [k, v] : env->env) {
      if (k == var) {
        part.text = v;
        break;
      }
    }
  }
  return part;
}

// Parses `$name`, `$name()` or `$name(args)`; `offset` is where `$` sits.
Template::Part parse_function(std::string_view expr, size_t offset, const TemplateEnv* env) {
  size_t end = 1;
  while (end < expr.size() && is_ident(expr[end])) ++end;
  const std::string_view name = expr.substr(0, end);
  std::string_view rest = expr.substr(end);
  size_t rest_offset = offset + end;
  rest = trim(rest, rest_offset);

  if (name == "$env" || name == "$processEnvironment" || name == "$environment" ||
      name == "$dirname" || name == "$scenarioFile") {
    return run_constant(name, rest, rest_offset, env);
  }
  Template::Part part;
  if (name == "$loopCount" || name == "$loopElement" || name == "$testId") {
    // Loop variables (the engine sets them in the VU's Vars) and the run's
    // id (a global the shard sets). `$loopElement.id` / `$loopElement[0]`:
    // a path into an element that is an object or a list, as Artillery's
    // lodash get reads it.
    const bool path = name == "$loopElement" && !rest.empty() &&
                      (rest.front() == '.' || rest.front() == '[') &&
                      std::all_of(rest.begin(), rest.end(), is_variable_char);
    if (!rest.empty() && !path)
      throw TemplateError(fmt::format("unexpected text after '{}'", name), rest_offset);
    part.kind = Kind::kVariable;
    part.text = path ? std::string(name) + std::string(rest) : std::string(name);
    return part;
  }
  std::vector<int64_t> args;
  if (!rest.empty()) {
    if (rest.front() != '(' || rest.back() != ')') {
      throw TemplateError(fmt::format("unexpected text after '{}'", name), rest_offset);
    }
    args = parse_int_args(rest.substr(1, rest.size() - 2), name, rest_offset + 1);
  }
  if (name == "$randomNumber") {
    if (args.size() != 2) {
      throw TemplateError("'$randomNumber' expects two arguments: (min, max)", offset);
    }
    if (args[0] > args[1]) {
      throw TemplateError("'$randomNumber' min must not exceed max", offset);
    }
    part.kind = Kind::kRandomNumber;
    part.a = args[0];
    part.b = args[1];
  } else if (name == "$randomString") {
    if (args.size() > 1)
      throw TemplateError("'$randomString' expects at most one argument", offset);
    part.kind = Kind::kRandomString;
    part.a = args.empty() ? kDefaultRandomStringLength : args[0];
    if (part.a < 0 || part.a > kMaxRandomStringLength) {
      throw TemplateError(
          fmt::format("'$randomString' length must be between 0 and {}", kMaxRandomStringLength),
          offset);
    }
  } else if (name == "$uuid" || name == "$timestamp") {
    if (!args.empty()) throw TemplateError(fmt::format("'{}' takes no arguments", name), offset);
    part.kind = name == "$uuid" ? Kind::kUuid : Kind::kTimestamp;
  } else {
    throw TemplateError(fmt::format("unknown function '{}'", name), offset);
  }
  return part;
}

// Parses the text between `{{` and `}}`; `offset` is where that text starts.
Template::Part parse_hole(std::string_view inner, size_t offset, const TemplateEnv* env) {
  const size_t open = offset - 2;
  const std::string_view expr = trim(inner, offset);
  if (expr.empty()) throw TemplateError("empty '{{ }}'", open);
  if (expr.front() == '$') return parse_function(expr, offset, env);
  int brackets = 0;  // a space may sit inside a['b c'], as Artillery's pattern allows
  for (size_t i = 0; i < expr.size(); ++i) {
    if (expr[i] == '[') ++brackets;
    if (expr[i] == ']') --brackets;
    if (expr[i] == ' ' && brackets > 0) continue;
    if (!is_variable_char(expr[i])) {
      throw TemplateError(fmt::format("invalid character '{}' in variable name", expr[i]),
                          offset + i);
    }
  }
  Template::Part part;
  part.kind = Kind::kVariable;
  part.text = std::string(expr);
  return part;
}

void append_int(std::string& out, int64_t v) {
  std::array<char, 24> buf;
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  (void)ec;  // 24 bytes always hold an int64
  out.append(buf.data(), ptr);
}

// Uniform in [lo, hi] without signed overflow for any lo <= hi.
int64_t random_between(Rng& rng, int64_t lo, int64_t hi) {
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  const uint64_t r = span == 0 ? rng.next() : rng.next() % span;
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + r);
}

void append_random_string(std::string& out, int64_t n, Rng& rng) {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int64_t i = 0; i < n; ++i) out += kAlphabet[rng.next() % kAlphabet.size()];
}

void append_uuid(std::string& out, Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  // RFC 4122 version 4: version nibble 0100, variant bits 10.
  const uint64_t hi = (rng.next() & ~0xF000ULL) | 0x4000ULL;
  const uint64_t lo = (rng.next() & ~(0xC0ULL << 56)) | (0x80ULL << 56);
  std::array<char, 36> buf;
  size_t pos = 0;
  const auto put = [&](uint64_t word, int from_nibble, int count) {
    for (int i = from_nibble; i < from_nibble + count; ++i) {
      buf[pos++] = kHex[(word >> (60 - 4 * i)) & 0xF];
    }
  };
  put(hi, 0, 8);
  buf[pos++] = '-';
  put(hi, 8, 4);
  buf[pos++] = '-';
  put(hi, 12, 4);
  buf[pos++] = '-';
  put(lo, 0, 4);
  buf[pos++] = '-';
  put(lo, 4, 12);
  out.append(buf.data(), buf.size());
}

// `"{{` at `open` starts a JSON string (the quote is not escaped) and `}}"`
// at `close` ends it: the hole is the whole string.
bool is_whole_json_string(std::string_view source, size_t open, size_t close) {
  if (open == 0 || source[open - 1] != '"') return false;
  size_t backslashes = 0;
  for (size_t k = open - 1; k > 0 && source[k - 1] == '\\'; --k) ++backslashes;
  if (backslashes % 2 != 0) return false;
  return close + 2 < source.size() && source[close + 2] == '"';
}

// A value that is JSON but not a string: a number, true, false, null, or an
// object or array (captures store those as compact JSON text).
bool is_json_value_text(std::string_view v) {
  if (v.empty()) return false;
  if (v == "true" || v == "false" || v == "null") return true;
  const char c = v.front();
  if (c == '{' || c == '[') return nlohmann::json::accept(v);
  if (c != '-' && (c < '0' || c > '9')) return false;
  // JSON number grammar.
  size_t i = c == '-' ? 1 : 0;
  if (i >= v.size()) return false;
  if (v[i] == '0') {
    ++i;
  } else {
    if (v[i] < '1' || v[i] > '9') return false;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  }
  if (i < v.size() && v[i] == '.') {
    ++i;
    if (i >= v.size() || v[i] < '0' || v[i] > '9') return false;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  }
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    if (i >= v.size() || v[i] < '0' || v[i] > '9') return false;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  }
  return i == v.size();
}

}  // namespace

std::optional<std::string> resolve_variable(const Vars& vars, std::string_view path) {
  if (const std::string* v = vars.find(path)) return *v;
  const size_t split = path.find_first_of(".[");
  if (split == std::string_view::npos || split == 0) return std::nullopt;
  const std::string* root = vars.find(path.substr(0, split));
  if (root == nullptr || root->empty() || (root->front() != '{' && root->front() != '[')) {
    return std::nullopt;
  }
  const nlohmann::json doc = nlohmann::json::parse(*root, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  const nlohmann::json* node = &doc;
  std::string_view rest = path.substr(split);
  while (!rest.empty()) {
    std::string key;
    if (rest.front() == '.') {
      rest.remove_prefix(1);
      const size_t end = rest.find_first_of(".[");
      key = std::string(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    } else {  // '['
      const size_t end = rest.find(']');
      if (end == std::string_view::npos) return std::nullopt;
      std::string_view inner = rest.substr(1, end - 1);
      if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"') &&
          inner.back() == inner.front()) {
        inner = inner.substr(1, inner.size() - 2);
      }
      key = std::string(inner);
      rest.remove_prefix(end + 1);
    }
    if (node->is_object()) {
      const auto it = node->find(key);
      if (it == node->end()) return std::nullopt;
      node = &*it;
    } else if (node->is_array()) {
      size_t index = 0;
      const auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
      if (key.empty() || ec != std::errc() || ptr != key.data() + key.size() ||
          index >= node->size()) {
        return std::nullopt;
      }
      node = &(*node)[index];
    } else {
      return std::nullopt;
    }
  }
  if (node->is_string()) return node->get<std::string>();
  return node->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::vector<std::string>> json_array_elements(std::string_view text) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(doc.size());
  for (const auto& e : doc) {
    out.push_back(e.is_string() ? e.get<std::string>()
                                : e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return out;
}

Template Template::compile(std::string_view source, Escape escape, const TemplateEnv* env) {
  Template t;
  t.source_ = std::string(source);
  t.escape_ = escape;
  std::string literal;
  size_t i = 0;
  while (i < source.size()) {
    const size_t open = source.find("{{", i);
    if (open == std::string_view::npos) {
      literal.append(source.substr(i));
      break;
    }
    literal.append(source.substr(i, open - i));
    // `{{{ name }}}`: Artillery's pattern accepts a third brace (mustache's
    // unescaped form; Artillery never escapes, nor does barrage).
    const bool triple = open + 2 < source.size() && source[open + 2] == '{';
    const size_t inner = open + (triple ? 3 : 2);
    const size_t close = source.find("}}", inner);
    if (close == std::string_view::npos) throw TemplateError("unclosed '{{'", open);
    Part hole = parse_hole(source.substr(inner, close - inner), inner, env);
    size_t next = close + 2;
    // Only after a triple opening: a raw body such as {"n":{{ n }}} keeps its
    // closing brace (Artillery's pattern would take it too and break the JSON).
    if (triple && next < source.size() && source[next] == '}') ++next;
    // The opening quote must be text not yet consumed: in "{{ a }}"{{ b }}"
    // the quote before b closes a's string.
    if (escape == Escape::kJsonString && hole.kind == Kind::kVariable && open > i &&
        is_whole_json_string(source, open, next - 2)) {
      // "{{ name }}" as a whole JSON string keeps the value's type.
      literal.pop_back();
      hole.kind = Kind::kJsonValue;
      ++next;
    }
    if (hole.kind == Kind::kLiteral) {  // a run constant ($env.X): plain text from now on
      if (escape == Escape::kJsonString) {
        append_json_escaped(literal, hole.text);
      } else {
        literal += hole.text;
      }
      i = next;
      continue;
    }
    if (!literal.empty()) {
      t.parts_.push_back(Part{Part::Kind::kLiteral, std::move(literal), 0, 0});
      literal.clear();
    }
    t.parts_.push_back(std::move(hole));
    t.is_static_ = false;
    i = next;
  }
  // A template whose only holes were run constants is static text: its source
  // becomes that text, which is what render() and prepared requests use.
  if (t.is_static_) t.source_ = literal;
  if (!literal.empty()) t.parts_.push_back(Part{Part::Kind::kLiteral, std::move(literal), 0, 0});
  return t;
}

void Template::render(std::string& out, const Vars& vars, Rng& rng) const {
  if (is_static_) {
    out += source_;
    return;
  }
  for (const Part& part : parts_) {
    switch (part.kind) {
      case Kind::kLiteral:
        out += part.text;
        break;
      case Kind::kVariable:
        if (const std::string* v = vars.find(part.text)) {
          if (escape_ == Escape::kJsonString) {
            append_json_escaped(out, *v);
          } else {
            out += *v;
          }
        } else if (auto nested = resolve_variable(vars, part.text)) {
          if (escape_ == Escape::kJsonString) {
            append_json_escaped(out, *nested);
          } else {
            out += *nested;
          }
        }
        break;
      case Kind::kJsonValue: {
        const std::string* v = vars.find(part.text);
        std::optional<std::string> nested;
        if (v == nullptr) {
          nested = resolve_variable(vars, part.text);
          if (nested) v = &*nested;
        }
        if (v != nullptr && is_json_value_text(*v)) {
          out += *v;
        } else {
          out += '"';
          if (v != nullptr) append_json_escaped(out, *v);
          out += '"';
        }
        break;
      }
      case Kind::kRandomNumber:
        append_int(out, random_between(rng, part.a, part.b));
        break;
      case Kind::kRandomString:
        append_random_string(out, part.a, rng);
        break;
      case Kind::kUuid:
        // The VU's id when the engine set one (Artillery's meaning), else fresh.
        if (const std::string* id = vars.find("$uuid"); id != nullptr) {
          out += *id;
        } else {
          append_uuid(out, rng);
        }
        break;
      case Kind::kTimestamp: {
        append_int(out, wall_now_ms());
        break;
      }
    }
  }
}

std::string random_uuid(Rng& rng) {
  std::string out;
  append_uuid(out, rng);
  return out;
}

}  // namespace barrage::script
