// Every malformed script under tests/invalid/scripts fails to load with exactly
// the message in its .expected file (file:line:col: message), before any
// traffic could be sent. An optional NAME.args holds command-line load
// options, one `key=value` per line (environment, config, overrides,
// variables, dotenv, scenario-name, strict), as `barrage run` would pass them
// (strict=true: warnings such as unknown keys are errors, as with --strict).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "script/loader.h"

namespace barrage::script {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(BARRAGE_SOURCE_DIR) / "tests" / "invalid" / "scripts";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::vector<std::string> script_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kDir)) {
    const auto ext = e.path().extension();
    if (ext == ".yml" || ext == ".yaml" || ext == ".json") {
      names.push_back(e.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class InvalidScript : public ::testing::TestWithParam<std::string> {};

TEST_P(InvalidScript, FailsWithTheExpectedMessage) {
  const std::string name = GetParam();
  const fs::path expected_path = kDir / fs::path(name).replace_extension(".expected");
  ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path;
  const std::string expected = slurp(expected_path);
  // Load relative to the directory so messages read "NAME.yml:L:C: ...".
  const fs::path old = fs::current_path();
  fs::current_path(kDir);
  LoadOptions options;
  const fs::path args_path = kDir / fs::path(name).replace_extension(".args");
  if (fs::exists(args_path)) {
    std::istringstream args(slurp(args_path));
    std::string line;
    while (std::getline(args, line)) {
      const size_t eq = line.find('=');
      ASSERT_NE(eq, std::string::npos) << args_path << ": " << line;
      const std::string key = line.substr(0, eq);
      const std::string value = line.substr(eq + 1);
      if (key == "environment") {
        options.environment = value;
      } else if (key == "config") {
        options.config_file = value;
      } else if (key == "overrides") {
        options.overrides_json = value;
      } else if (key == "variables") {
        options.variables_json = value;
      } else if (key == "dotenv") {
        options.dotenv_file = value;
      } else if (key == "scenario-name") {
        options.scenario_name = value;
      } else if (key == "strict") {
        options.strict = value == "true";
      } else {
        FAIL() << args_path << ": unknown option " << key;
      }
    }
  }
  std::string got = "loaded without error";
  if (const auto plan = load_plan_file(name, options); !plan) got = plan.error().describe();
  fs::current_path(old);
  EXPECT_EQ(got, expected);
}

TEST(InvalidScripts, ThereAreAtLeastForty) { EXPECT_GE(script_names().size(), 40U); }

INSTANTIATE_TEST_SUITE_P(Scripts, InvalidScript, ::testing::ValuesIn(script_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           std::replace_if(
                               n.begin(), n.end(), [](char c) { return !std::isalnum(c); }, '_');
                           return n;
                         });

}  // namespace
}  // namespace barrage::script
