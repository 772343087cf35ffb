// Compiled `{{ expr }}` templates, as in Artillery scripts.
//
// A Template is compiled once at load time and rendered per request without
// re-parsing. Supported expressions:
//   {{ name }}                  a variable (config.variables, captures, loop vars)
//   {{ $randomNumber(lo, hi) }} uniform integer in [lo, hi]
//   {{ $randomString(n) }}      n alphanumeric characters (default 10)
//   {{ $uuid }}                 the VU's id: the variable `$uuid`, which the engine sets
//                               to a random version-4 UUID per scenario run (as
//                               Artillery does); a fresh one where it is unset
//   {{ $timestamp }}            milliseconds since the Unix epoch
//   {{ user.id }} {{ a[0].b }}  a path into a variable holding JSON (a captured
//                               object or array), when no variable has that exact name
//   {{ $env.NAME }}             an environment variable (also $processEnvironment.NAME;
//                               --dotenv adds to them)
//   {{ $environment }}          the environment chosen with -e/--environment
//   {{ $dirname }}              the script's directory
//   {{ $testId }}               the run's id (a global the engine sets)
//   {{ $scenarioFile }}         the script's path (absolute)
//   {{{ name }}}                the same as {{ name }} (Artillery takes a third
//                               brace on either side and never escapes)
// $env, $environment and $dirname are fixed for a run and substituted when
// the template is compiled (from a TemplateEnv; without one they render empty).
// An undefined variable renders as the empty string.
//
// In a JSON body (Escape::kJsonString), a string that is exactly one variable
// ("{{ id }}") keeps the value's type: a value that reads as a JSON number,
// true, false, null, object or array is written as is, anything else as a
// JSON string (barrage stores variables as text; see docs/compatibility.md).
//
// This header must not use <expected> (clang 14 builds it for fuzzing).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/rng.h"

namespace barrage::script {

// Variables visible to one virtual user: its own values over a read-only parent
// (the run's globals). Small flat storage: a VU has few variables.
class Vars {
 public:
  explicit Vars(const Vars* parent = nullptr) : parent_(parent) {}
  void set(std::string_view name, std::string value);
  // Searches this scope then the parent chain; nullptr when undefined.
  [[nodiscard]] const std::string* find(std::string_view name) const;
  [[nodiscard]] const Vars* parent() const { return parent_; }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& own() const {
    return values_;
  }

 private:
  const Vars* parent_;
  std::vector<std::pair<std::string, std::string>> values_;
};

// The value of `path`: a variable of that exact name, else a path
// (`a.b`, `a[0]`, `a['b c']`) into a variable holding JSON. Strings come back
// raw, other JSON values as compact JSON text.
std::optional<std::string> resolve_variable(const Vars& vars, std::string_view path);

// A random RFC 4122 version-4 UUID (the engine's per-VU `$uuid`).
std::string random_uuid(Rng& rng);

// The elements of a JSON array (strings raw, other values as compact JSON);
// nullopt when `text` is not a JSON array.
std::optional<std::vector<std::string>> json_array_elements(std::string_view text);

class TemplateError : public std::runtime_error {
 public:
  TemplateError(const std::string& what, size_t offset)
      : std::runtime_error(what), offset_(offset) {}
  // Byte offset in the template source where the problem is.
  [[nodiscard]] size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

// Values fixed for a whole run, substituted at compile time.
struct TemplateEnv {
  std::vector<std::pair<std::string, std::string>> env;  // $env.NAME, $processEnvironment.NAME
  std::string environment;                               // $environment
  std::string dirname;                                   // $dirname
  std::string scenario_file;                             // $scenarioFile (the script's path)
};

// How a rendered hole is escaped: raw text, or as the inside of a JSON string.
enum class Escape : uint8_t { kNone, kJsonString };

class Template {
 public:
  Template() = default;
  // Throws TemplateError on malformed input (unclosed `{{`, unknown function,
  // bad arguments). `escape` applies to every hole of this template.
  static Template compile(std::string_view source, Escape escape = Escape::kNone,
                          const TemplateEnv* env = nullptr);
  // Compiles a template whose holes sit inside JSON string literals.
  static Template compile_json(std::string_view json_text) {
    return compile(json_text, Escape::kJsonString);
  }

  [[nodiscard]] bool is_static() const noexcept { return is_static_; }
  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  // Appends the rendered text to `out`.
  void render(std::string& out, const Vars& vars, Rng& rng) const;
  [[nodiscard]] std::string render(const Vars& vars, Rng& rng) const {
    std::string s;
    render(s, vars, rng);
    return s;
  }

  struct Part {
    enum class Kind : uint8_t {
      kLiteral,
      kVariable,
      kRandomNumber,
      kRandomString,
      kUuid,
      kTimestamp,
      kJsonValue  // a whole-string variable in a JSON body: typed (see above)
    };
    Kind kind = Kind::kLiteral;
    std::string text;  // literal text, or the variable name
    int64_t a = 0;     // function arguments
    int64_t b = 0;
  };
  // The compiled parts (literals and holes), in order.
  [[nodiscard]] const std::vector<Part>& parts() const noexcept { return parts_; }

 private:
  std::string source_;
  std::vector<Part> parts_;
  Escape escape_ = Escape::kNone;
  bool is_static_ = true;
};

}  // namespace barrage::script
