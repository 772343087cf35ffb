// Test definitions: the CLI's loader with its positions, and the simple form
// turned into a script whose fields cannot change the script's structure.
#include "console/definitions.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace barrage::console {
namespace {

// The error script_from_form gives for `f` ("" when it makes a script).
std::string error_of(const TestForm& f) {
  const auto made = script_from_form(f);
  return made ? std::string() : made.error().message;
}

TEST(Definitions, ABadScriptGivesTheLoadersFileLineAndColumn) {
  const Validation v = validate_script(
      "config:\n  target: http://127.0.0.1:1\n  phases:\n    - duration: 10\n      arrivalRat: 5\n"
      "scenarios:\n  - flow:\n      - get:\n          url: /\n",
      "script.yml");
  ASSERT_TRUE(v.error);
  EXPECT_EQ(v.error->file, "script.yml");
  EXPECT_EQ(v.error->line, 4);
  EXPECT_EQ(v.error->column, 7);
  EXPECT_NE(v.error->message.find("arrivalRate"), std::string::npos) << v.error->message;
}

TEST(Definitions, AGoodScriptCountsItsPhasesAndScenarios) {
  const Validation v = validate_script(
      "config:\n  target: http://127.0.0.1:1\n  phases:\n    - duration: 10\n      arrivalRate: 5\n"
      "    - duration: 5\n      arrivalRate: 1\nscenarios:\n  - flow:\n      - get:\n          "
      "url: /\n",
      "script.yml");
  ASSERT_FALSE(v.error) << v.error->message;
  EXPECT_EQ(v.phases, 2U);
  EXPECT_EQ(v.scenarios, 1U);
}

TEST(Definitions, TheFormBecomesAScriptThatLoads) {
  TestForm f;
  f.url = "http://127.0.0.1:8080/api/items?x=1";
  f.method = "post";
  f.rate = 2.5;
  f.duration_s = 30;
  f.headers["x-quote"] = "a \"quoted\" value: {not: yaml} # nor a comment";
  f.body = "{\"k\": [1, 2]}";
  const auto script = script_from_form(f);
  ASSERT_TRUE(script) << script.error().message;
  const Validation v = validate_script(*script, "script.yml");
  ASSERT_FALSE(v.error) << v.error->message << "\n" << *script;
  const YAML::Node n = YAML::Load(*script);
  EXPECT_EQ(n["config"]["target"].as<std::string>(), "http://127.0.0.1:8080");
  EXPECT_EQ(n["config"]["phases"][0]["arrivalRate"].as<double>(), 2.5);
  EXPECT_EQ(n["config"]["phases"][0]["duration"].as<int>(), 30);
  const YAML::Node req = n["scenarios"][0]["flow"][0]["post"];
  EXPECT_EQ(req["url"].as<std::string>(), "/api/items?x=1");
  EXPECT_EQ(req["headers"]["x-quote"].as<std::string>(),
            "a \"quoted\" value: {not: yaml} # nor a comment");
  EXPECT_EQ(req["body"].as<std::string>(), "{\"k\": [1, 2]}");
}

TEST(Definitions, AHeaderWithALineBreakIsRefusedByTheLoader) {
  TestForm f;
  f.url = "http://127.0.0.1:8080/";
  f.rate = 1;
  f.duration_s = 1;
  f.headers["x-split"] = "a\r\nInjected: yes";
  const auto script = script_from_form(f);
  ASSERT_TRUE(script) << script.error().message;
  const Validation v = validate_script(*script, "script.yml");
  ASSERT_TRUE(v.error);
  EXPECT_NE(v.error->message.find("line break"), std::string::npos) << v.error->message;
}

TEST(Definitions, BadFormFieldsAreNamed) {
  TestForm f;
  f.url = "ftp://x/";
  f.rate = 1;
  f.duration_s = 1;
  EXPECT_NE(error_of(f).find("form.url"), std::string::npos);
  f.url = "http://x/ a";
  EXPECT_NE(error_of(f).find("form.url"), std::string::npos);
  f.url = "http://x/";
  f.method = "BREW";
  EXPECT_NE(error_of(f).find("form.method"), std::string::npos);
  f.method = "GET";
  f.rate = 0;
  EXPECT_NE(error_of(f).find("form.rate"), std::string::npos);
  f.rate = 1;
  f.duration_s = 0;
  EXPECT_NE(error_of(f).find("form.duration"), std::string::npos);
  f.duration_s = 1;
  EXPECT_TRUE(script_from_form(f)) << error_of(f);
}

}  // namespace
}  // namespace barrage::console
