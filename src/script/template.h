// Compiled `{{ expr }}` templates, as in Artillery scripts.
//
// A Template is compiled once at load time and rendered per request without
// re-parsing. Supported expressions:
//   {{ name }}                  a variable (config.variables, captures, loop vars)
//   {{ $randomNumber(lo, hi) }} uniform integer in [lo, hi]
//   {{ $randomString(n) }}      n alphanumeric characters (default 10)
//   {{ $uuid }}                 a random version-4 UUID
//   {{ $timestamp }}            milliseconds since the Unix epoch
//   {{ $env.NAME }}             an environment variable (also $processEnvironment.NAME)
//   {{ $environment }}          the environment chosen with -e/--environment
//   {{ $dirname }}              the script's directory
// The last three are fixed for a run and substituted when the template is
// compiled (from a TemplateEnv; without one they render empty).
// An undefined variable renders as the empty string.
//
// This header must not use <expected> (clang 14 builds it for fuzzing).
#pragma once

#include <cstdint>
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
      kTimestamp
    };
    Kind kind = Kind::kLiteral;
    std::string text;  // literal text, or the variable name
    int64_t a = 0;     // function arguments
    int64_t b = 0;
  };

 private:
  std::string source_;
  std::vector<Part> parts_;
  Escape escape_ = Escape::kNone;
  bool is_static_ = true;
};

}  // namespace barrage::script
