#include "script/yaml_access.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "script/duration.h"
#include "script/loader.h"

namespace barrage::script::detail {

std::pair<const std::string*, int> LoadContext::locate(int line) const {
  const Source* best = nullptr;
  for (const Source& s : sources_) {
    if (s.first_line <= line && (best == nullptr || s.first_line > best->first_line)) best = &s;
  }
  if (best == nullptr) return {&file_, line + 1};
  return {&best->name, line - best->first_line + 1};
}

void LoadContext::fail(const YAML::Mark& at, const std::string& message) const {
  if (at.is_null()) throw ScriptError(file_, 0, 0, message);
  const auto [file, line] = locate(at.line);
  throw ScriptError(*file, line, at.column + 1, message);
}

SourceLoc LoadContext::loc(const YAML::Node& node) const {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return SourceLoc{file_, 0, 0};
  const auto [file, line] = locate(m.line);
  return SourceLoc{*file, line, m.column + 1};
}

YAML::Node find_value(const YAML::Node& map, std::string_view key) {
  if (map.IsMap()) {
    for (const auto& kv : map) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

void LoadContext::warn(const YAML::Mark& at, const std::string& message) {
  if (strict) fail(at, "--strict: " + message);
  barrage::Error w;
  w.message = message;
  w.file = file_;
  if (!at.is_null()) {
    const auto [file, line] = locate(at.line);
    w.file = *file;
    w.line = line;
    w.column = at.column + 1;
  }
  w.code = "warning";
  for (const barrage::Error& e : warnings) {
    // One warning per place: a key of the selected environment is read twice
    // (as an environment, then merged into config).
    if (w.line > 0 && e.file == w.file && e.line == w.line && e.column == w.column) {
      return;
    }
  }
  warnings.push_back(std::move(w));
}

void LoadContext::charge(const YAML::Node& at, size_t nodes) {
  nodes_ += nodes;
  if (nodes_ > kMaxNodes) {
    fail(at,
         fmt::format("script too large (more than {} YAML nodes, aliases expanded)", kMaxNodes));
  }
}

Mapping::Mapping(LoadContext& ctx, const YAML::Node& node, std::span<const KeySpec> keys,
                 std::string_view section, UnknownKey unknown)
    : node_(node) {
  if (!node.IsMap()) ctx.fail(node, fmt::format("{} must be a mapping", section));
  ctx.charge(node, node.size());
  fields_.reserve(node.size());
  for (const auto& kv : node) {
    const YAML::Node& key_node = kv.first;
    if (!key_node.IsScalar())
      ctx.fail(key_node, fmt::format("keys in {} must be strings", section));
    const std::string& key = key_node.Scalar();
    const auto spec =
        std::find_if(keys.begin(), keys.end(), [&](const KeySpec& k) { return k.name == key; });
    if (spec == keys.end()) {
      if (unknown == UnknownKey::kStepKind) {
        std::string msg = fmt::format("unknown step kind '{}'", key);
        if (const auto hint = suggest(key, keys)) msg += fmt::format("; did you mean '{}'?", *hint);
        ctx.fail(key_node, msg);
      }
      std::string msg = fmt::format("unknown key '{}' in {} is ignored", key, section);
      if (const auto hint = suggest(key, keys)) msg += fmt::format("; did you mean '{}'?", *hint);
      ctx.warn(key_node, msg);
      continue;
    }
    if (spec->kind == KeyKind::kIgnored) {
      ctx.warn(key_node, fmt::format("'{}' in {} is ignored: {}", key, section, spec->reason));
      continue;
    }
    if (spec->kind == KeyKind::kUnsupported)
      ctx.fail(key_node, unsupported_message(key, spec->reason));
    if (spec->kind == KeyKind::kPlanned) {
      ctx.fail(key_node, fmt::format("'{}' is not supported yet by barrage (planned)", key));
    }
    if (find(key) != nullptr)
      ctx.fail(key_node, fmt::format("duplicate key '{}' in {}", key, section));
    fields_.push_back(Field{key, key_node, kv.second});
  }
}

std::string unsupported_message(std::string_view feature, std::string_view reason) {
  return fmt::format("'{}' is not supported by barrage: {}; see docs/compatibility.md", feature,
                     reason);
}

const Field* Mapping::find(std::string_view key) const {
  for (const Field& f : fields_) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

namespace {

// The lower-cased camelCase words of a key, sorted: "useRequestNamesOnly" and
// "useOnlyRequestNames" have the same.
std::vector<std::string> sorted_words(std::string_view key) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : key) {
    const bool upper = c >= 'A' && c <= 'Z';
    if ((upper || c == '-' || c == '_') && !word.empty()) {
      words.push_back(word);
      word.clear();
    }
    if (c != '-' && c != '_') word += upper ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (!word.empty()) words.push_back(word);
  std::sort(words.begin(), words.end());
  return words;
}

}  // namespace

std::optional<std::string_view> suggest(std::string_view key, std::span<const KeySpec> keys) {
  constexpr size_t kMaxDistance = 2;
  if (key.size() > 64) return std::nullopt;  // no useful hint; keeps the cost bounded
  // A different case ("statuscode") or the same words in another order.
  const std::vector<std::string> words = sorted_words(key);
  for (const KeySpec& k : keys) {
    if (k.name.size() == key.size() && strncasecmp(k.name.data(), key.data(), key.size()) == 0) {
      return k.name;
    }
  }
  if (words.size() > 1) {
    for (const KeySpec& k : keys) {
      if (sorted_words(k.name) == words) return k.name;
    }
  }
  std::optional<std::string_view> best;
  size_t best_distance = kMaxDistance + 1;
  for (const KeySpec& k : keys) {
    const size_t d = edit_distance(key, k.name);
    // A distance as long as the key itself would "correct" any short word.
    if (d < best_distance && d < key.size()) {
      best = k.name;
      best_distance = d;
    }
  }
  return best;
}

std::string missing_key_hint(const LoadContext& ctx, const YAML::Node& map,
                             std::span<const KeySpec> keys,
                             std::initializer_list<std::string_view> wanted) {
  if (!map.IsMap()) return {};
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) continue;
    const std::string& key = kv.first.Scalar();
    const bool known =
        std::any_of(keys.begin(), keys.end(), [&](const KeySpec& k) { return k.name == key; });
    if (known) continue;
    const auto hint = suggest(key, keys);
    if (!hint || std::find(wanted.begin(), wanted.end(), *hint) == wanted.end()) continue;
    const SourceLoc at = ctx.loc(kv.first);
    return fmt::format("; did you mean '{}' for '{}' (line {}, column {})?", *hint, key, at.line,
                       at.column);
  }
  return {};
}

std::optional<double> parse_number(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::string read_string(const LoadContext& ctx, const Field& f) {
  if (!f.value.IsScalar()) ctx.fail(f.value_mark(), fmt::format("{} must be a string", f.key));
  return f.value.Scalar();
}

std::optional<std::string> scalar_text(const LoadContext& ctx, const Field& f) {
  if (!f.value.IsScalar()) return std::nullopt;
  const std::string& text = f.value.Scalar();
  if (text.find("{{") == std::string::npos) return text;
  const Template t = compile_template(ctx, f.value, text);
  if (t.is_static()) return t.source();
  // Variables given with --variables are fixed for the run too.
  Vars vars;
  for (const auto& [name, value] : ctx.config_variables) vars.set(name, value);
  bool known = true;
  for (const Template::Part& part : t.parts()) {
    if (part.kind == Template::Part::Kind::kLiteral) continue;
    if (part.kind != Template::Part::Kind::kVariable || vars.find(part.text) == nullptr) {
      known = false;
    }
  }
  if (!known) {
    ctx.fail(f.value_mark(),
             fmt::format("{}: a template here may use only $env, $processEnvironment, "
                         "$environment, $dirname, $scenarioFile and --variables (it is read once, "
                         "at load)",
                         f.key));
  }
  Rng rng(1);
  return t.render(vars, rng);
}

double read_number(const LoadContext& ctx, const Field& f) {
  std::optional<double> v;
  if (const auto text = scalar_text(ctx, f)) v = parse_number(*text);
  if (!v) ctx.fail(f.value_mark(), fmt::format("{} must be a number", f.key));
  return *v;
}

double read_non_negative(const LoadContext& ctx, const Field& f, double max) {
  const double v = read_number(ctx, f);
  if (v < 0) ctx.fail(f.value_mark(), fmt::format("{} must not be negative", f.key));
  if (v > max) ctx.fail(f.value_mark(), fmt::format("{} must be at most {}", f.key, max));
  return v;
}

int64_t read_integer(const LoadContext& ctx, const Field& f, int64_t min_value) {
  constexpr double kLimit = 9007199254740992.0;  // 2^53: exact in a double
  const double v = read_number(ctx, f);
  if (v != std::floor(v) || std::fabs(v) > kLimit) {
    ctx.fail(f.value_mark(), fmt::format("{} must be an integer", f.key));
  }
  const auto i = static_cast<int64_t>(v);
  if (i < min_value)
    ctx.fail(f.value_mark(), fmt::format("{} must be at least {}", f.key, min_value));
  return i;
}

bool read_bool(const LoadContext& ctx, const Field& f) {
  // YAML 1.2 core schema, as js-yaml reads Artillery scripts (no yes/no/on/off).
  if (const auto text = scalar_text(ctx, f)) {
    const std::string& s = *text;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  ctx.fail(f.value_mark(), fmt::format("{} must be true or false", f.key));
}

double read_duration_s(const LoadContext& ctx, const Field& f) {
  std::optional<double> v;
  if (const auto text = scalar_text(ctx, f)) v = parse_duration_s(*text);
  if (!v) {
    ctx.fail(f.value_mark(),
             fmt::format("{} must be a number of seconds or a duration like \"30s\"", f.key));
  }
  if (*v > kMaxDurationS) {
    ctx.fail(f.value_mark(), fmt::format("{} must be at most 365 days", f.key));
  }
  return *v;
}

const YAML::Node& require_sequence(const LoadContext& ctx, const Field& f) {
  if (!f.value.IsSequence()) ctx.fail(f.value_mark(), fmt::format("{} must be a list", f.key));
  return f.value;
}

const YAML::Node& require_map(const LoadContext& ctx, const Field& f) {
  if (!f.value.IsMap()) ctx.fail(f.value_mark(), fmt::format("{} must be a mapping", f.key));
  return f.value;
}

Template compile_template(const LoadContext& ctx, const YAML::Node& at, std::string_view text,
                          Escape escape) {
  try {
    return Template::compile(text, escape, &ctx.template_env);
  } catch (const TemplateError& e) {
    ctx.fail(
        at, fmt::format("invalid template: {} (at offset {} of the string)", e.what(), e.offset()));
  }
}

}  // namespace barrage::script::detail
