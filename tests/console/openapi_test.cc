// docs/console-openapi.yaml and the server's routes are the same set: every
// route the server serves is documented (with its scope in the summary), and
// every documented operation is served.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "console/console.h"

namespace barrage::console {
namespace {

TEST(OpenApi, TheFileAndTheServerHaveTheSameRoutes) {
  const YAML::Node doc = YAML::LoadFile(BARRAGE_SOURCE_DIR "/docs/console-openapi.yaml");
  std::set<std::string> documented;
  for (const auto& path : doc["paths"]) {
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      if (method == "parameters") continue;
      std::transform(method.begin(), method.end(), method.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      documented.insert(method + " " + path.first.as<std::string>());
      const std::string summary = op.second["summary"].as<std::string>("");
      EXPECT_FALSE(summary.empty()) << method << " " << path.first.as<std::string>();
    }
  }
  std::set<std::string> served;
  for (const auto& r : api_routes()) {
    const std::string key = r.method + " " + r.path;
    EXPECT_TRUE(served.insert(key).second) << "served twice: " << key;
    std::string method = r.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const YAML::Node op = doc["paths"][r.path][method];
    if (op) {
      const std::string summary = op["summary"].as<std::string>();
      EXPECT_NE(summary.find("(scope " + r.scope + ")"), std::string::npos)
          << key << " needs scope " << r.scope << "; the file says: " << summary;
      EXPECT_TRUE(op["responses"]["401"]) << key << " does not document its 401";
    }
  }
  for (const auto& k : served) EXPECT_TRUE(documented.count(k)) << "not in the OpenAPI file: " << k;
  for (const auto& k : documented) EXPECT_TRUE(served.count(k)) << "not served: " << k;
  EXPECT_GE(served.size(), 10U);
}

}  // namespace
}  // namespace barrage::console
