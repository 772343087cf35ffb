// `expect` checks on a request (Artillery's expect plugin): the compiled
// Expectation and its evaluation against one final response.
//
// Evaluation is a pure function of the response (status, a header lookup, the
// body) and the VU's variables; it never throws. The engine counts each result
// as plugins.expect.ok / plugins.expect.failed (plus .<check name>).
//
// This header must not use <expected> (clang 14 builds the script library for
// fuzzing).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "script/regex.h"
#include "script/template.h"
#include "util/rng.h"

namespace barrage::script {

struct Expectation {
  enum class Kind : uint8_t {
    kStatusCode,     // status is one of `status_codes`
    kNotStatusCode,  // status is none of `status_codes`
    kContentType,    // `text` "json": a JSON media type and a JSON body; else substring
    kHasProperty,    // dotted path `text` exists in the JSON body
    kNotHasProperty,
    kHasHeader,     // header `text` is present
    kHeaderEquals,  // header `text` equals `value` exactly
    kEquals,        // every rendered `values` entry is the same string
    kMatchesRegexp  // `regexp` matches somewhere in the body
  };
  Kind kind = Kind::kStatusCode;
  std::vector<int> status_codes;
  std::string text;
  std::string value;
  std::vector<Template> values;
  Regex regexp;
};

// Artillery's check name ("statusCode", "contentType", ...), used in metric
// names and messages.
const char* expectation_name(Expectation::Kind kind);
// The last part of the check's plugins.expect.<ok|failed>.<part> counter, as
// the plugin names it: the check's name, but "header <name> values equals"
// for headerEquals (its name as written in the script).
std::string expectation_metric(const Expectation& e);
// The check named `name`, if it is one barrage implements.
std::optional<Expectation::Kind> expectation_kind(std::string_view name);

// The final response as the checks see it. `header` looks a name up
// case-insensitively (nullopt when absent). `body_complete` is false when the
// stored body was cut short; body checks then fail.
struct ResponseView {
  int status = 0;
  std::function<std::optional<std::string_view>(std::string_view)> header;
  std::string_view body;
  bool body_complete = true;
};

// Evaluates `list` in order and writes each result to `ok` (same size). The
// body is parsed as JSON at most once, and only when a check needs it.
void evaluate_expectations(std::span<const Expectation> list, const ResponseView& response,
                           const Vars& vars, Rng& rng, std::span<bool> ok);

// One check; convenience for tests and single checks.
[[nodiscard]] bool evaluate_expectation(const Expectation& e, const ResponseView& response,
                                        const Vars& vars, Rng& rng);

}  // namespace barrage::script
