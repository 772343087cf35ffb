// Script loading: Artillery-style YAML -> validated Plan.
//
// Every problem in a script is reported as a barrage::Error carrying the file
// and the 1-based line and column of the offending YAML node. Like Artillery,
// the loader accepts keys it does not know (and legacy or ignored ones), but
// not silently: each gets one warning in Plan::warnings (an Error with its
// place) and a "did you mean" hint; ScriptOptions::strict makes them errors.
// Keys whose absence would change the load (JavaScript hooks, other engines)
// are errors.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "script/load_options.h"
#include "script/plan.h"
#include "util/error.h"

namespace barrage::script {

// What `artillery run` lets a command line change; applied in Artillery's
// order: --config merged over the script, then -e, --target, --overrides,
// --variables. Errors name the file (or the option) they come from.
struct LoadOptions : ScriptOptions {
  // Replaces config.target (the CLI's --target).
  std::optional<std::string> target_override;
  // The environment for $env/$processEnvironment; unset = this process's.
  std::optional<std::vector<std::pair<std::string, std::string>>> env;
};

// Internal to the script library: its sections throw ScriptError to unwind
// the recursive loader to its entry point, which returns it as the Error it
// holds (error()). It never crosses the entry points below.
class ScriptError : public std::runtime_error {
 public:
  // line/column are 1-based; 0 when the position is unknown (what() then
  // reads "file: message", as Error::describe() does).
  ScriptError(std::string file, int line, int column, std::string message);
  explicit ScriptError(const Error& error)
      : ScriptError(error.file, error.line, error.column, error.message) {}

  // The error as the entry points return it (what() is its describe()).
  [[nodiscard]] Error error() const { return Error::at(file_, line_, column_, message_); }

  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] int line() const noexcept { return line_; }
  [[nodiscard]] int column() const noexcept { return column_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string message_;
};

// Reads and loads a script file. An Error (unreadable file, YAML syntax,
// validation) names the file and, where there is one, the 1-based line and
// column; nothing is thrown but std::bad_alloc.
Result<Plan> load_plan_file(const std::string& path, const LoadOptions& options);

// Loads a script held in memory; `display_name` stands for the file name in
// errors and in Plan::source_path. Same error contract as load_plan_file.
Result<Plan> load_plan_string(std::string_view yaml, const std::string& display_name,
                              const LoadOptions& options);

}  // namespace barrage::script
