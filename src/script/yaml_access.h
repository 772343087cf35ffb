// Loader internals: positions, key tables and typed access to yaml-cpp nodes.
// Not part of the public API; included by the loader's section files only.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "script/plan.h"
#include "script/template.h"
#include "util/error.h"

namespace barrage::script::detail {

// Limits that keep hostile input (alias bombs, cycles, deep nesting) bounded.
inline constexpr size_t kMaxNodes = 500'000;  // YAML nodes visited per load
inline constexpr int kMaxDepth = 64;          // nested loops / JSON levels
// Bounds that keep the engine's arithmetic (seconds -> int64 nanoseconds,
// rate x duration -> arrival counts) far from overflow.
inline constexpr double kMaxDurationS = 365.0 * 86400;  // any duration or timeout
inline constexpr double kMaxRate = 1e9;                 // arrivals per second; weights

// State shared by the section functions during one load. Not thread-safe.
class LoadContext {
 public:
  explicit LoadContext(std::string file) : file_(std::move(file)) {}

  [[nodiscard]] const std::string& file() const { return file_; }
  // Text parsed with `first_line` blank lines in front (a --config file,
  // --overrides JSON) reports its positions as `name`:line-first_line:col.
  void add_source(int first_line, std::string name) {
    sources_.push_back({first_line, std::move(name)});
  }
  // Throws ScriptError at `at` (0-based yaml-cpp mark; a null mark = unknown).
  [[noreturn]] void fail(const YAML::Mark& at, const std::string& message) const;
  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
    fail(at.Mark(), message);
  }
  [[nodiscard]] SourceLoc loc(const YAML::Node& node) const;
  // Counts visited nodes; fails once the script exceeds kMaxNodes.
  void charge(const YAML::Node& at, size_t nodes = 1);
  // Records a warning at `at` (the first one per place; it becomes one of
  // Plan::warnings). With `strict` (ScriptOptions::strict) it throws
  // ScriptError instead, the message prefixed with "--strict: ".
  void warn(const YAML::Mark& at, const std::string& message);
  void warn(const YAML::Node& at, const std::string& message) { warn(at.Mark(), message); }

  // --strict: warnings are errors.
  bool strict = false;
  // What warn() recorded, in order.
  std::vector<barrage::Error> warnings;
  // config.defaults.cookie / config.http.defaults.cookie: sent with every
  // request (a request's own `cookie` wins on a name set in both).
  std::vector<NameValue> default_cookies;
  // `strictCapture: false` in config.defaults or config.http.defaults: the
  // `strict` of a capture that does not set its own.
  bool default_strict_capture = true;
  // Ensure conditions that did not compile as written: Artillery replaces
  // every metric name of the report found in the text, so a name with spaces
  // ("errors.Failed expectations < 1") works there. They are compiled again
  // once the scenarios are known (detail::finish_ensure), with the plan's
  // metric names quoted.
  struct PendingCondition {
    size_t check;  // index in Plan::plugins.ensure
    YAML::Mark at;
    std::string error;
  };
  std::vector<PendingCondition> pending_conditions;
  // --variables entries with a scalar value: Artillery renders the config
  // with them (`arrivalRate: "{{ rate }}"`), so scalar_text does too.
  std::vector<std::pair<std::string, std::string>> config_variables;

  // Position of the first request URL that needs config.target.
  std::optional<YAML::Mark> first_relative_url;
  // $env, $environment, $dirname: substituted when templates are compiled.
  TemplateEnv template_env;
  // The script's directory ("" = current); payload paths are relative to it.
  std::string script_dir;
  // Every local file the script reads (payloads, formData fromFile), as
  // resolved; becomes Plan::files.
  std::vector<std::string> files;
  // Notices from the overlays (-p); become the first of Plan::notices.
  std::vector<std::string> notices;

 private:
  struct Source {
    int first_line;  // 0-based line where this source's text starts
    std::string name;
  };
  // The file and 1-based line of a 0-based line of the combined text.
  [[nodiscard]] std::pair<const std::string*, int> locate(int line) const;

  std::string file_;
  std::vector<Source> sources_;
  size_t nodes_ = 0;
};

enum class KeyKind : uint8_t {
  kSupported,
  kPlanned,  // part of Artillery's surface, rejected with "not supported yet"
  // Known to barrage, not implemented, and running without it sends the same
  // load as Artillery would: accepted with a warning naming it as ignored
  // and why (`reason`).
  kIgnored,
  // Rejected for good: "'<key>' is not supported by barrage: <reason>; see
  // docs/compatibility.md" (JavaScript hooks, other engines).
  kUnsupported,
};

struct KeySpec {
  std::string_view name;
  KeyKind kind = KeyKind::kSupported;
  std::string_view reason = {};  // kUnsupported, kIgnored: why
};

// The message for a feature barrage does not support, pointing at the docs.
std::string unsupported_message(std::string_view feature, std::string_view reason);

struct Field {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  // Where to report a problem with the value: an empty value has no useful
  // mark of its own (yaml-cpp points at the next token), so use the key's.
  [[nodiscard]] YAML::Mark value_mark() const {
    return value.IsNull() || value.Mark().is_null() ? key_node.Mark() : value.Mark();
  }
};

enum class UnknownKey : uint8_t {
  // "unknown key 'x' in <section>": a warning (Artillery allows unknown
  // keys), with "did you mean" for a near miss; the key is left out.
  kKey,
  // "unknown step kind 'x'": an error (Artillery would send a request with
  // that word as its method, or fail the VU: not a load barrage can match).
  kStepKind,
};

// A YAML mapping whose keys were checked against a table: planned,
// unsupported, duplicate and non-string keys throw ScriptError at the key;
// unknown and ignored keys get a warning and are left out of fields().
class Mapping {
 public:
  Mapping(LoadContext& ctx, const YAML::Node& node, std::span<const KeySpec> keys,
          std::string_view section, UnknownKey unknown = UnknownKey::kKey);

  [[nodiscard]] const Field* find(std::string_view key) const;
  [[nodiscard]] const std::vector<Field>& fields() const { return fields_; }
  [[nodiscard]] const YAML::Node& node() const { return node_; }

 private:
  YAML::Node node_;
  std::vector<Field> fields_;
};

// Levenshtein distance (byte-wise, case-sensitive).
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `key` within distance 2, if any.
std::optional<std::string_view> suggest(std::string_view key, std::span<const KeySpec> keys);

// For a "needs 'x'" error: "; did you mean 'x' for 'y' (line L, column C)?"
// when the mapping has an unknown key `y` (warned about and left out) that
// is a near miss of one of `wanted`; "" otherwise.
std::string missing_key_hint(const LoadContext& ctx, const YAML::Node& map,
                             std::span<const KeySpec> keys,
                             std::initializer_list<std::string_view> wanted);

// A scalar's text with the run constants ($env.X, $processEnvironment.X,
// $environment, $dirname, $scenarioFile) and the --variables scalars
// rendered, as Artillery renders the config once before the run;
// ScriptError for a template that needs more (a VU variable); nullopt for a
// non-scalar.
std::optional<std::string> scalar_text(const LoadContext& ctx, const Field& f);

// Typed reads of a field's value (scalar_text: run constants rendered); each
// throws ScriptError naming the key ("arrivalRate must be a number") at the
// value.
std::string read_string(const LoadContext& ctx, const Field& f);
double read_number(const LoadContext& ctx, const Field& f);
// A number in [0, max].
double read_non_negative(const LoadContext& ctx, const Field& f, double max);
int64_t read_integer(const LoadContext& ctx, const Field& f, int64_t min_value);
bool read_bool(const LoadContext& ctx, const Field& f);
// A number (seconds) or a duration string ("30s", "5m"), at most kMaxDurationS.
double read_duration_s(const LoadContext& ctx, const Field& f);
// Requires a sequence / mapping value.
const YAML::Node& require_sequence(const LoadContext& ctx, const Field& f);
const YAML::Node& require_map(const LoadContext& ctx, const Field& f);

// Parses a plain number ("5", "-1.5", "+2", "1e3"); nullopt when not finite.
std::optional<double> parse_number(std::string_view text);

// Compiles a template held by `at`; TemplateError becomes ScriptError there.
Template compile_template(const LoadContext& ctx, const YAML::Node& at, std::string_view text,
                          Escape escape = Escape::kNone);

// A mapping's value for `key` without creating it (yaml-cpp's operator[] on a
// non-const node would); an invalid node when absent.
YAML::Node find_value(const YAML::Node& map, std::string_view key);

}  // namespace barrage::script::detail
