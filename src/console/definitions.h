// Test definitions: a script checked by the CLI's loader (script::
// load_plan_string, errors at file:line:col), and the simple form (URL,
// method, headers, body, rate, duration) turned into such a script.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace barrage::console {

// A script the loader refused, where it says.
struct ScriptProblem {
  std::string message;
  std::string file;
  int line = 0;
  int column = 0;
};

struct Validation {
  std::optional<ScriptProblem> error;  // set: the script does not load
  size_t phases = 0;
  size_t scenarios = 0;
  std::vector<std::string> warnings;  // each with its place
};

// Loads `yaml` as `barrage run`/`validate` would (named `display_name` in
// errors), without sending traffic.
Validation validate_script(const std::string& yaml, const std::string& display_name);

struct TestForm {
  std::string url;  // http(s)://host[:port]/path?query
  std::string method = "GET";
  std::map<std::string, std::string> headers;
  std::string body;
  double rate = 0;         // arrivals per second
  int64_t duration_s = 0;  // seconds
};

// The script for a form: config.target is the URL's origin, one phase of
// `rate` arrivals per second for `duration_s`, one request. Nullopt with
// *error (a sentence naming the field) when a field is unusable.
Result<std::string> script_from_form(const TestForm& form);

}  // namespace barrage::console
