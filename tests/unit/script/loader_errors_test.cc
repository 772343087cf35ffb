// Every script error carries "file:line:col: message" (1-based) pointing at the
// YAML node a user has to fix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "script/loader.h"

namespace barrage::script {
namespace {

// describe() of the Error the script gives, or "loaded".
std::string error_of(std::string_view yaml) {
  const auto plan = load_plan_string(yaml, "test.yml", {});
  return plan ? "loaded" : plan.error().describe();
}

// describe() of the Error the script gives with --strict (warnings are
// errors), or "loaded".
std::string strict_error_of(std::string_view yaml) {
  LoadOptions options;
  options.strict = true;
  const auto plan = load_plan_string(yaml, "test.yml", options);
  return plan ? "loaded" : plan.error().describe();
}

// The warnings of a script that loads, as "file:line:col: message".
std::vector<std::string> warnings_of(std::string_view yaml, const LoadOptions& options = {}) {
  std::vector<std::string> out;
  const auto plan = load_plan_string(yaml, "test.yml", options);
  EXPECT_TRUE(plan) << plan.error().describe();
  if (!plan) return out;
  for (const auto& w : plan->warnings) {
    out.push_back(w.describe());
  }
  return out;
}

// config with one valid phase (lines 1-3), then `scenarios:` (line 4) and
// `  - flow:` (line 5); steps start on line 6.
std::string with_flow(const std::string& steps) {
  return "config:\n  target: http://127.0.0.1:1\n  phases: [{ duration: 1, arrivalRate: 1 }]\n"
         "scenarios:\n  - flow:\n" +
         steps;
}

// config with target (lines 1-2) then `  phases:` (line 3) and the given phase
// lines from line 4; one trivial scenario follows.
std::string with_phase(const std::string& phase_lines) {
  return "config:\n  target: http://127.0.0.1:1\n  phases:\n" + phase_lines +
         "scenarios: [{ flow: [{ get: { url: / } }] }]\n";
}

TEST(LoaderErrors, ErrorCarriesItsParts) {
  LoadOptions strict;
  strict.strict = true;
  const auto plan =
      load_plan_string(with_phase("    - { duration: 1, arivalRate: 5 }\n"), "s.yml", strict);
  ASSERT_FALSE(plan);
  const Error& e = plan.error();
  EXPECT_EQ(e.file, "s.yml");
  EXPECT_EQ(e.line, 4);
  EXPECT_EQ(e.column, 22);
  EXPECT_EQ(e.message,
            "--strict: unknown key 'arivalRate' in phase is ignored; did you mean "
            "'arrivalRate'?");
  EXPECT_EQ(e.code, "");
  EXPECT_EQ(e.status, 0);
  EXPECT_EQ(e.describe(),
            "s.yml:4:22: --strict: unknown key 'arivalRate' in phase is ignored; did you mean "
            "'arrivalRate'?");
}

// Artillery validates with unknown keys allowed: barrage loads the script and
// warns once per key, with the place and a near miss.
TEST(LoaderErrors, UnknownKeysAreWarningsWithSuggestion) {
  const std::string script =
      "config:\n  target: http://127.0.0.1:1\n  targte: x\n"
      "  phases:\n    - duration: 10\n      arrivalRate: 1\n"
      "      arivalRate: 5\n"
      "scenarios:\n  - wieght: 2\n    flow:\n      - get: { url: /, urll: /x }\n";
  EXPECT_THAT(warnings_of(script),
              ::testing::ElementsAre(
                  "test.yml:3:3: unknown key 'targte' in config is ignored; did you mean 'target'?",
                  "test.yml:7:7: unknown key 'arivalRate' in phase is ignored; did you mean "
                  "'arrivalRate'?",
                  "test.yml:9:5: unknown key 'wieght' in scenario is ignored; did you mean "
                  "'weight'?",
                  "test.yml:11:24: unknown key 'urll' in request is ignored; did you mean 'url'?"));
  EXPECT_EQ(strict_error_of(with_flow("      - get: { url: /, urll: /x }\n")),
            "test.yml:6:24: --strict: unknown key 'urll' in request is ignored; did you mean "
            "'url'?");
  // The phase that lost its only rate key is still an error: it has no load.
  EXPECT_EQ(error_of(with_phase("    - duration: 10\n      arivalRate: 5\n")),
            "test.yml:4:7: phase needs one of 'arrivalRate', 'arrivalCount', 'vusers' or "
            "'pause'; did you mean 'arrivalRate' for 'arivalRate' (line 5, column 7)?");
  EXPECT_EQ(error_of(with_flow("      - get: { urll: /x }\n")),
            "test.yml:6:9: 'get' needs a 'url'; did you mean 'url' for 'urll' (line 6, column "
            "16)?");
}

TEST(LoaderErrors, UnknownKeyWithoutSuggestion) {
  EXPECT_THAT(warnings_of(with_phase("    - { duration: 1, arrivalRate: 1, color: red }\n")),
              ::testing::ElementsAre("test.yml:4:38: unknown key 'color' in phase is ignored"));
}

TEST(LoaderErrors, WrongTypes) {
  EXPECT_EQ(error_of(with_phase("    - duration: 10\n      arrivalRate: fast\n")),
            "test.yml:5:20: arrivalRate must be a number");
  EXPECT_EQ(error_of(with_phase("    - { duration: 10, arrivalRate: [1] }\n")),
            "test.yml:4:36: arrivalRate must be a number");
  EXPECT_EQ(error_of(with_phase("    - { duration: soon, arrivalRate: 1 }\n")),
            "test.yml:4:19: duration must be a number of seconds or a duration like \"30s\"");
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, followRedirect: yes }\n")),
            "test.yml:6:40: followRedirect must be true or false");
  EXPECT_EQ(error_of(with_flow("      - loop: [{ think: 1 }]\n        count: 1.5\n")),
            "test.yml:7:16: count must be a whole number, a range such as \"1-5\", or a template");
  EXPECT_EQ(error_of(with_flow("      - get: /x\n")),
            "test.yml:6:14: 'get' must be a mapping with a 'url'");
  EXPECT_EQ(error_of("config:\n  phases: 5\n"), "test.yml:2:11: phases must be a list");
}

TEST(LoaderErrors, EmptyValueReportsAtTheKey) {
  EXPECT_EQ(error_of(with_phase("    - duration:\n      arrivalRate: 1\n")),
            "test.yml:4:7: duration must be a number of seconds or a duration like \"30s\"");
}

TEST(LoaderErrors, YamlSyntaxError) {
  EXPECT_EQ(error_of("config:\n  phases: [1, 2\nscenarios: []\n"),
            "test.yml:3:10: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(error_of("config:\n  target: x\n  - y\n"),
            "test.yml:3:3: YAML syntax error: end of map not found");
  EXPECT_EQ(error_of("config: target: x\n"), "test.yml:1:15: YAML syntax error: illegal map value");
}

TEST(LoaderErrors, MissingDuration) {
  EXPECT_EQ(error_of(with_phase("    - arrivalRate: 5\n")),
            "test.yml:4:7: phase needs a 'duration'");
}

TEST(LoaderErrors, PhaseModelRules) {
  EXPECT_EQ(error_of(with_phase("    - { duration: 5 }\n")),
            "test.yml:4:7: phase needs one of 'arrivalRate', 'arrivalCount', 'vusers' or 'pause'");
  EXPECT_EQ(error_of(with_phase("    - { duration: 5, arrivalRate: 1, vusers: 3 }\n")),
            "test.yml:4:38: 'arrivalRate' and 'vusers' cannot be combined in one phase");
  EXPECT_EQ(error_of(with_phase("    - { duration: 5, arrivalCount: 1, rampTo: 3 }\n")),
            "test.yml:4:39: rampTo requires arrivalRate");
  EXPECT_EQ(error_of(with_phase("    - { pause: 5, duration: 3 }\n")),
            "test.yml:4:19: a pause phase takes no 'duration'");
  EXPECT_EQ(error_of(with_phase("    - { pause: 0 }\n")),
            "test.yml:4:16: pause must be greater than 0");
  EXPECT_EQ(error_of(with_phase("    - { duration: 0, arrivalRate: 1 }\n")),
            "test.yml:4:19: duration must be greater than 0");
  EXPECT_EQ(error_of(with_phase("    - { duration: 1, arrivalRate: -1 }\n")),
            "test.yml:4:35: arrivalRate must not be negative");
  EXPECT_EQ(error_of(with_phase("    - { duration: 1, vusers: 0 }\n")),
            "test.yml:4:30: vusers must be at least 1");
  EXPECT_EQ(error_of(with_phase("    - { duration: 1, vusers: 2, maxVusers: 1 }\n")),
            "test.yml:4:33: maxVusers applies to arrivalRate and arrivalCount phases");
}

TEST(LoaderErrors, ValuesAreBounded) {
  EXPECT_EQ(error_of(with_phase("    - { duration: 400d, arrivalRate: 1 }\n")),
            "test.yml:4:19: duration must be at most 365 days");
  EXPECT_EQ(error_of(with_phase("    - { duration: 1, arrivalRate: 1e12 }\n")),
            "test.yml:4:35: arrivalRate must be at most 1000000000");
  EXPECT_EQ(error_of(with_flow("      - think: 1e300\n")),
            "test.yml:6:16: think must be a number of seconds or a duration like \"30s\"");
}

TEST(LoaderErrors, UnsupportedSections) {
  EXPECT_THAT(warnings_of("config:\n  target: http://127.0.0.1:1\n  phases: [{ duration: 1, "
                          "arrivalRate: 1 }]\n  http:\n    maxSockets: 4\n"
                          "scenarios: [{ flow: [{ get: { url: / } }] }]\n"),
              ::testing::ElementsAre(
                  "test.yml:5:5: 'maxSockets' in http is ignored: Artillery validates it but its "
                  "HTTP engine does not use it (each VU has one connection; see http.pool)"));
  EXPECT_EQ(error_of(with_flow("      - loop: [{ think: 1 }]\n")),
            "test.yml:6:9: a loop needs 'count' or 'over' (barrage does not run endless loops)");
  EXPECT_EQ(error_of(with_flow("    engine: socketio\n")),
            "test.yml:6:13: 'engine: socketio' is not supported by barrage: the http and ws "
            "engines are built in; see docs/compatibility.md");
}

TEST(LoaderErrors, UnknownStepKind) {
  EXPECT_EQ(error_of(with_flow("      - gett: { url: / }\n")),
            "test.yml:6:9: unknown step kind 'gett'; did you mean 'get'?");
  EXPECT_EQ(error_of(with_flow("      - sleep: 1\n")), "test.yml:6:9: unknown step kind 'sleep'");
}

TEST(LoaderErrors, StepShapeRules) {
  EXPECT_EQ(error_of(with_flow("      - { get: { url: /a }, post: { url: /b } }\n")),
            "test.yml:6:29: a step has one action, found 'get' and 'post'");
  EXPECT_EQ(error_of(with_flow("      - { get: { url: /a }, count: 2 }\n")),
            "test.yml:6:29: 'count' belongs to a 'loop' step");
  EXPECT_EQ(error_of(with_flow("      - {}\n")), "test.yml:6:9: empty step");
  EXPECT_EQ(error_of(with_flow("      - get: { name: x }\n")), "test.yml:6:9: 'get' needs a 'url'");
  EXPECT_EQ(error_of(with_flow("      - post: { url: /, body: x, json: {} }\n")),
            "test.yml:6:34: use either 'json' or 'body', not both");
  EXPECT_EQ(error_of(with_flow("      - think\n")), "test.yml:6:9: step must be a mapping");
  EXPECT_EQ(error_of(with_flow("      - get: { url: \"/a\\r\\nHost: x\" }\n")),
            "test.yml:6:21: url contains a control character");
}

TEST(LoaderErrors, TemplateErrorsPointAtTheString) {
  EXPECT_EQ(error_of(with_flow("      - get: { url: \"/x/{{ id\" }\n")),
            "test.yml:6:21: invalid template: unclosed '{{' (at offset 3 of the string)");
  EXPECT_EQ(
      error_of(with_flow("      - post: { url: /, json: { a: \"{{ $nope }}\" } }\n")),
      "test.yml:6:31: invalid template: unknown function '$nope' (at offset 9 of the string)");
}

TEST(LoaderErrors, HeaderRules) {
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, headers: { x-a: [1] } }\n")),
            "test.yml:6:40: header 'x-a' must be a string");
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, headers: { \"x a\": v } }\n")),
            "test.yml:6:35: header name 'x a' has an invalid character");
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, headers: { x-a: \"v\\r\\nx: y\" } }\n")),
            "test.yml:6:40: header 'x-a' contains a line break");
}

TEST(LoaderErrors, MissingPieces) {
  EXPECT_EQ(error_of(""), "test.yml:1:1: script is empty");
  EXPECT_EQ(error_of("- a\n"), "test.yml:1:1: a script is a mapping with 'config' and 'scenarios'");
  EXPECT_EQ(error_of("scenarios: []\n"), "test.yml:1:1: missing 'config' section");
  EXPECT_EQ(error_of("config:\n  target: http://127.0.0.1:1\n"),
            "test.yml:1:1: missing 'scenarios' section");
  EXPECT_EQ(error_of("config:\n  phases: []\n"),
            "test.yml:2:11: phases is empty: add at least one phase");
  EXPECT_EQ(error_of("config:\n  phases: [{ duration: 1, arrivalRate: 1 }]\n"),
            "test.yml:1:1: missing 'scenarios' section");
  EXPECT_EQ(error_of("config:\n  phases: [{ duration: 1, arrivalRate: 1 }]\n"
                     "scenarios:\n  - name: x\n"),
            "test.yml:4:5: scenario needs a 'flow'");
  EXPECT_EQ(error_of("config:\n  phases: [{ duration: 1, arrivalRate: 1 }]\nscenarios: []\n"),
            "test.yml:3:12: scenarios is empty: add at least one scenario");
}

TEST(LoaderErrors, AllWeightsZero) {
  EXPECT_EQ(error_of("config:\n  phases: [{ duration: 1, arrivalRate: 1 }]\n"
                     "scenarios:\n  - { weight: 0, flow: [] }\n"),
            "test.yml:3:1: every scenario has weight 0: nothing would run");
}

TEST(LoaderErrors, RelativeUrlNeedsATarget) {
  EXPECT_EQ(error_of("config:\n  phases: [{ duration: 1, arrivalRate: 1 }]\n"
                     "scenarios:\n  - flow:\n      - get: { url: \"http://127.0.0.1/\" }\n"
                     "      - get: { url: /rel }\n"),
            "test.yml:6:21: no target: set config.target or pass --target");
}

TEST(LoaderErrors, DuplicateKeys) {
  EXPECT_EQ(error_of(with_phase("    - { duration: 1, arrivalRate: 1, duration: 2 }\n")),
            "test.yml:4:38: duplicate key 'duration' in phase");
}

TEST(LoaderErrors, BadVariables) {
  EXPECT_EQ(
      error_of("config:\n  variables: { a: [] }\n  phases: [{ duration: 1, arrivalRate: 1 }]\n"),
      "test.yml:2:19: variable 'a' is an empty list");
}

TEST(LoaderErrors, DeepNestingIsBounded) {
  std::string deep_loop;
  std::string indent = "      ";
  for (int i = 0; i < 80; ++i) {
    deep_loop += indent + "- count: 1\n" + indent + "  loop:\n";
    indent += "    ";
  }
  deep_loop += indent + "- think: 1\n";
  EXPECT_THAT(error_of(with_flow(deep_loop)), ::testing::HasSubstr("loops nested deeper than 64"));

  const std::string deep_json = with_flow("      - post: { url: /, json: " + std::string(100, '[') +
                                          std::string(100, ']') + " }\n");
  EXPECT_THAT(error_of(deep_json), ::testing::HasSubstr("json nested deeper than 64"));

  // yaml-cpp's own depth guard surfaces as a syntax error.
  EXPECT_THAT(error_of(std::string(5000, '[')), ::testing::HasSubstr("YAML syntax error"));
}

TEST(LoaderErrors, AliasCyclesAndBombsAreBounded) {
  EXPECT_THAT(error_of(with_flow("      - post: { url: /, json: &a [ *a ] }\n")),
              ::testing::HasSubstr("json nested deeper than 64"));
  EXPECT_THAT(error_of(with_flow("      - &s { count: 1, loop: [ *s ] }\n")),
              ::testing::HasSubstr("loops nested deeper than 64"));
  std::string bomb =
      "      - post:\n          url: /\n          json:\n            a0: &a0 "
      "[1,1,1,1,1,1,1,1,1,1]\n";
  for (int i = 1; i < 9; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    bomb += "            a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j > 0 ? "," : "") + prev;
    bomb += "]\n";
  }
  EXPECT_THAT(error_of(with_flow(bomb)), ::testing::HasSubstr("script too large"));
}

}  // namespace
}  // namespace barrage::script

namespace barrage::script {
namespace {

TEST(LoaderErrors, CaptureMistakesPointAtTheCapture) {
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, capture: { json: $.id } }\n")),
            "test.yml:6:33: a capture needs 'as' (the variable to set)");
  EXPECT_THAT(error_of(with_flow("      - get: { url: /, capture: { json: '$.[', as: x } }\n")),
              ::testing::StartsWith("test.yml:6:41: invalid JSONPath"));
  EXPECT_EQ(
      error_of(with_flow("      - get: { url: /, capture: { json: $.a, header: x, as: x } }\n")),
      "test.yml:6:46: a capture takes one of 'json', 'regexp', 'xpath' or 'header'");
  EXPECT_THAT(error_of(with_flow("      - get: { url: /, capture: { xpath: '//a[', as: x } }\n")),
              ::testing::StartsWith("test.yml:6:42: invalid XPath (at offset 4)"));
  EXPECT_EQ(
      error_of(with_flow("      - get: { url: /, capture: { regexp: a, flags: gq, as: x } }\n")),
      "test.yml:6:53: unknown regexp flag 'q' (JavaScript's flags supported: d, g, i, m, "
      "s, u, y)");
  EXPECT_EQ(error_of(with_flow(
                "      - get: { url: /, capture: { regexp: '(?<id>a)', group: 1, as: x } }\n")),
            "test.yml:6:62: the regexp has named groups, so Artillery looks group numbers up "
            "among the names and captures nothing: give the group's name");
  EXPECT_EQ(error_of(with_flow(
                "      - get: { url: /, capture: { regexp: '(?<id>a)', group: idd, as: x } }\n")),
            "test.yml:6:62: the regexp has no group named 'idd'");
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, capture: { regexp: 'a++', as: x } }\n")),
            "test.yml:6:43: invalid regexp at offset 2: nothing to repeat (a quantifier after a "
            "quantifier; possessive quantifiers are not JavaScript)");
  EXPECT_EQ(
      error_of(with_flow("      - get: { url: /, capture: { json: $.a, group: 1, as: x } }\n")),
      "test.yml:6:46: 'group' applies only to a regexp capture");
  EXPECT_THAT(error_of(with_flow(
                  "      - get: { url: /, capture: { regexp: 'a(b)', group: 2, as: x } }\n")),
              ::testing::HasSubstr("the regexp has only 1 group(s)"));
  EXPECT_THAT(error_of(with_flow("      - get: { url: /, capture: { regexp: 'a(', as: x } }\n")),
              ::testing::HasSubstr("invalid regexp"));
}

TEST(Loader, CapturesCompile) {
  const Plan p =
      load_plan_string(
          with_flow(
              "      - get:\n          url: /\n          capture:\n"
              "            - { json: $.token, as: token }\n"
              "            - { regexp: 'id=([0-9]+)', group: 1, flags: i, as: id, strict: false }\n"
              "            - { header: etag, as: etag }\n"
              "            - { regexp: 'id=(?<id>\\d+)(?=;)', group: id, as: named }\n"
              "            - { xpath: '//a/@href', as: link }\n"),
          "test.yml", {})
          .value();
  const auto& req = std::get<Request>(p.scenarios[0].flow[0].action);
  ASSERT_EQ(req.captures.size(), 5u);
  EXPECT_EQ(req.captures[3].kind, Capture::Kind::kRegexp);
  EXPECT_TRUE(req.captures[3].group_named);
  EXPECT_EQ(
      artillery_regexp_capture(req.captures[3].regexp, "id=7 id=42;", req.captures[3].group, true),
      "42");
  EXPECT_EQ(req.captures[4].kind, Capture::Kind::kXPath);
  EXPECT_EQ(req.captures[4].xpath.first_string("<p><a href='/x'/></p>"), "/x");
  EXPECT_EQ(req.captures[0].kind, Capture::Kind::kJson);
  EXPECT_EQ(req.captures[0].json.evaluate("{\"token\":\"t\"}")->front(), "t");
  EXPECT_EQ(req.captures[1].regexp.first_match("ID=42;", req.captures[1].group), "42");
  EXPECT_FALSE(req.captures[1].strict);
  EXPECT_EQ(req.captures[2].kind, Capture::Kind::kHeader);
}

}  // namespace
}  // namespace barrage::script

namespace barrage::script {
namespace {

// A plugin that is not built in: Artillery warns that its module could not be
// found and runs the test; so does barrage.
TEST(LoaderErrors, PluginsNotBuiltInAreWarnings) {
  const std::string head =
      "config:\n  target: http://127.0.0.1:1\n  phases: [{ duration: 1, "
      "arrivalRate: 1 }]\n  plugins:\n";
  const std::string tail = "scenarios: [{ flow: [{ get: { url: / } }] }]\n";
  EXPECT_THAT(warnings_of(head + "    publish-metrics: { type: datadog }\n" + tail),
              ::testing::ElementsAre(
                  "test.yml:5:5: Plugin publish-metrics specified but module "
                  "artillery-plugin-publish-metrics could not be found: it is not built into "
                  "barrage (built in: expect, ensure, apdex, metrics-by-endpoint); the test runs "
                  "without it, as Artillery's does"));
  EXPECT_THAT(warnings_of("config:\n  pluginsScope: \"@acme/plugin-\"\n"
                          "  target: http://127.0.0.1:1\n  phases: [{ duration: 1, "
                          "arrivalRate: 1 }]\n  plugins:\n    fake-data: {}\n" +
                          tail),
              ::testing::ElementsAre(
                  "test.yml:2:3: 'pluginsScope' in config is ignored: it names the npm scope of "
                  "plugin packages; barrage's plugins are built in",
                  "test.yml:6:5: Plugin fake-data specified but module @acme/plugin-fake-data "
                  "could not be found: it is not built into barrage (built in: expect, ensure, "
                  "apdex, metrics-by-endpoint); the test runs without it, as Artillery's does"));
  EXPECT_THAT(strict_error_of(head + "    publish-metrics: {}\n" + tail),
              ::testing::StartsWith("test.yml:5:5: --strict: Plugin publish-metrics specified"));
  EXPECT_EQ(error_of(head + "    ensure: { p99: 200 }\n" + tail), "loaded");
  EXPECT_THAT(warnings_of(head + "    expect: { formatter: json }\n" + tail),
              ::testing::ElementsAre("test.yml:5:15: 'formatter' in plugins.expect is ignored: "
                                     "barrage prints its own expectations checklist"));
  EXPECT_THAT(warnings_of(head + "    metrics-by-endpoint: { useRequestNamesOnly: true }\n" + tail),
              ::testing::ElementsAre(
                  "test.yml:5:28: unknown key 'useRequestNamesOnly' in plugins.metrics-by-endpoint "
                  "is ignored; did you mean 'useOnlyRequestNames'?"));
  EXPECT_EQ(error_of(head + "    expect: { reportFailuresAsErrors: true }\n" + tail), "loaded");
  EXPECT_EQ(error_of(head + "    expect: {}\n    metrics-by-endpoint: {}\n" + tail), "loaded");
}

// Legacy keys of Artillery scripts: accepted, each named in one warning.
TEST(LoaderErrors, LegacyKeysAreWarnings) {
  { std::ofstream("test.csv") << "1\n2\n"; }
  const std::string script =
      "config:\n"
      "  target: http://127.0.0.1:1\n"
      "  statsInterval: 10\n"
      "  statuscode: 200\n"
      "  phases: [{ duration: 1, arrivalRate: 1 }]\n"
      "  payload: { path: test.csv, fields: [a], options: { quote: \"'\" } }\n"
      "  plugins:\n"
      "    metrics-by-endpoint: { groupDynamicURLs: false }\n"
      "output: report.json\n"
      "scenarios: [{ flow: [{ get: { url: / } }] }]\n";
  EXPECT_THAT(
      warnings_of(script),
      ::testing::ElementsAre(
          "test.yml:9:1: 'output' in script is ignored: legacy Artillery 1 key; write a report "
          "with -o/--output",
          "test.yml:3:3: 'statsInterval' in config is ignored: barrage reports every 10 s",
          "test.yml:4:3: unknown key 'statuscode' in config is ignored",
          "test.yml:8:28: 'groupDynamicURLs' in plugins.metrics-by-endpoint is ignored: URLs are "
          "always grouped as written, templates unrendered (Artillery's default)",
          "test.yml:6:43: 'options' in payload is ignored: raw csv-parse options are not "
          "applied; barrage reads the file with path, fields, order, skipHeader, delimiter, cast "
          "and skipEmptyLines"));
}

}  // namespace
}  // namespace barrage::script

namespace barrage::script {
namespace {

// Artillery sends nothing for a URL that starts with neither '/' nor "http"
// ("Invalid URL"), nor does barrage; the loader says so.
TEST(LoaderErrors, UrlsArtilleryCallsInvalidAreWarned) {
  EXPECT_THAT(warnings_of(with_flow("      - get: { url: \"((target}}/path\" }\n"
                                    "      - get: { url: \"items/{{ id }}\" }\n"
                                    "      - get: { url: \"{{ base }}/x\" }\n"
                                    "      - get: { url: /ok }\n")),
              ::testing::ElementsAre(
                  "test.yml:6:21: url '((target}}/path' starts with neither '/' nor 'http' (a "
                  "mistyped template? templates are written {{ name }}): Artillery sends nothing "
                  "for it and counts an 'Invalid URL' error, and so does barrage",
                  "test.yml:7:21: url 'items/{{ id }}' starts with neither '/' nor 'http': "
                  "Artillery sends nothing for it and counts an 'Invalid URL' error, and so "
                  "does barrage"));
}

}  // namespace
}  // namespace barrage::script
