// `expect` checks: each kind passing and failing on a response, and the
// loader's errors for a mistaken check (file:line:col, as a user sees them).
#include "script/expect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "script/loader.h"

namespace barrage::script {
namespace {

// A response with lower-case header names (lookups lower-case the name).
struct Response {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;
  bool complete = true;

  [[nodiscard]] ResponseView view() const {
    ResponseView v;
    v.status = status;
    v.header = [this](std::string_view name) -> std::optional<std::string_view> {
      std::string key(name);
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const auto it = headers.find(key);
      if (it == headers.end()) return std::nullopt;
      return it->second;
    };
    v.body = body;
    v.body_complete = complete;
    return v;
  }
};

Response json_response(std::string body) {
  return Response{200, {{"content-type", "application/json; charset=utf-8"}}, std::move(body)};
}

// with_flow(...) as in loader_errors_test: steps start on line 6.
std::string with_flow(const std::string& steps) {
  return "config:\n  target: http://127.0.0.1:1\n  phases: [{ duration: 1, arrivalRate: 1 }]\n"
         "scenarios:\n  - flow:\n" +
         steps;
}

std::string error_of(const std::string& yaml) {
  const auto plan = load_plan_string(yaml, "test.yml", {});
  return plan ? "loaded" : plan.error().describe();
}

// The expectations of the first request of a script with one step.
std::vector<Expectation> load_expect(const std::string& expect_yaml) {
  const Plan plan =
      load_plan_string(
          with_flow("      - get:\n          url: /\n          expect:\n" + expect_yaml),
          "test.yml", {})
          .value();
  return std::get<Request>(plan.scenarios.at(0).flow.at(0).action).expectations;
}

class ExpectTest : public ::testing::Test {
 protected:
  bool check(const std::string& expect_yaml, const Response& r) {
    const auto list = load_expect(expect_yaml);
    EXPECT_EQ(list.size(), 1u);
    return evaluate_expectation(list.at(0), r.view(), vars_, rng_);
  }
  Vars vars_;
  Rng rng_{7};
};

TEST_F(ExpectTest, StatusCode) {
  Response r;
  r.status = 201;
  EXPECT_TRUE(check("            - statusCode: 201\n", r));
  EXPECT_FALSE(check("            - statusCode: 200\n", r));
  EXPECT_TRUE(check("            - statusCode: [200, 201]\n", r));
  EXPECT_FALSE(check("            - statusCode: [200, 204]\n", r));
  EXPECT_TRUE(check("            - notStatusCode: [500, 503]\n", r));
  EXPECT_FALSE(check("            - notStatusCode: 201\n", r));
}

TEST_F(ExpectTest, ContentTypeJson) {
  EXPECT_TRUE(check("            - contentType: json\n", json_response("{\"a\":1}")));
  EXPECT_TRUE(check("            - contentType: json\n", json_response("[1,2]")));
  Response problem{400, {{"content-type", "application/problem+json"}}, "{\"title\":\"x\"}"};
  EXPECT_TRUE(check("            - contentType: json\n", problem));
  // A JSON type with a body that does not parse, or a non-JSON type.
  EXPECT_FALSE(check("            - contentType: json\n", json_response("{oops")));
  Response text{200, {{"content-type", "text/plain"}}, "{\"a\":1}"};
  EXPECT_FALSE(check("            - contentType: json\n", text));
  EXPECT_FALSE(check("            - contentType: json\n", Response{200, {}, "{}"}));
}

TEST_F(ExpectTest, ContentTypeOtherIsACaseInsensitiveSubstring) {
  Response html{200, {{"content-type", "text/HTML; charset=utf-8"}}, "<p>"};
  EXPECT_TRUE(check("            - contentType: text/html\n", html));
  EXPECT_FALSE(check("            - contentType: application/xml\n", html));
  EXPECT_FALSE(check("            - contentType: text/html\n", Response{}));
}

TEST_F(ExpectTest, HasProperty) {
  const Response r = json_response(R"({"data":{"items":[{"id":7}],"n":null},"a.b":1})");
  EXPECT_TRUE(check("            - hasProperty: data\n", r));
  EXPECT_TRUE(check("            - hasProperty: data.items\n", r));
  EXPECT_TRUE(check("            - hasProperty: data.n\n", r));  // present, even if null
  EXPECT_TRUE(check("            - hasProperty: data.items[0].id\n", r));
  EXPECT_TRUE(check("            - hasProperty: data.items.0.id\n", r));
  EXPECT_TRUE(check("            - hasProperty: a.b\n", r));  // a key equal to the path
  EXPECT_FALSE(check("            - hasProperty: data.items[1]\n", r));
  EXPECT_FALSE(check("            - hasProperty: data.missing\n", r));
  EXPECT_FALSE(check("            - hasProperty: data.items.id\n", r));
  // Not JSON: no property can be found.
  EXPECT_FALSE(check("            - hasProperty: data\n",
                     Response{200, {{"content-type", "text/plain"}}, R"({"data":1})"}));
}

TEST_F(ExpectTest, NotHasProperty) {
  const Response r = json_response(R"({"data":{"items":[]}})");
  EXPECT_TRUE(check("            - notHasProperty: error\n", r));
  EXPECT_FALSE(check("            - notHasProperty: data.items\n", r));
  // As in Artillery, a body that is not a JSON object fails the check.
  EXPECT_FALSE(check("            - notHasProperty: error\n", Response{200, {}, "plain"}));
}

TEST_F(ExpectTest, Headers) {
  Response r{200, {{"x-request-id", "abc"}, {"content-type", "application/json"}}, "{}"};
  EXPECT_TRUE(check("            - hasHeader: x-request-id\n", r));
  EXPECT_TRUE(check("            - hasHeader: X-Request-Id\n", r));
  EXPECT_FALSE(check("            - hasHeader: x-trace\n", r));
  EXPECT_TRUE(check("            - headerEquals: [content-type, application/json]\n", r));
  EXPECT_FALSE(check("            - headerEquals: [content-type, text/plain]\n", r));
  EXPECT_FALSE(check("            - headerEquals: [x-trace, abc]\n", r));
}

TEST_F(ExpectTest, EqualsRendersTemplatesWithTheVuVariables) {
  vars_.set("token", "abc");
  vars_.set("n", "200");
  EXPECT_TRUE(check("            - equals: ['{{ token }}', abc]\n", Response{}));
  EXPECT_TRUE(check("            - equals: ['{{ n }}', 200, '200']\n", Response{}));
  EXPECT_FALSE(check("            - equals: ['{{ token }}', abd]\n", Response{}));
  EXPECT_FALSE(check("            - equals: ['{{ unset }}', abc]\n", Response{}));
}

TEST_F(ExpectTest, MatchesRegexp) {
  const Response r{200, {}, "ok: 42 items"};
  EXPECT_TRUE(check("            - matchesRegexp: '^ok'\n", r));
  EXPECT_TRUE(check("            - matchesRegexp: '[0-9]+ items$'\n", r));
  EXPECT_FALSE(check("            - matchesRegexp: '^error'\n", r));
  Response cut = r;
  cut.complete = false;  // a body cut short is not matched
  EXPECT_FALSE(check("            - matchesRegexp: '^ok'\n", cut));
}

TEST_F(ExpectTest, EvaluatesAListInOrder) {
  const auto list = load_expect(
      "            - statusCode: 200\n            - contentType: json\n"
      "            - hasProperty: id\n            - notHasProperty: id\n");
  ASSERT_EQ(list.size(), 4u);
  EXPECT_STREQ(expectation_name(list[1].kind), "contentType");
  std::array<bool, 4> ok{};
  evaluate_expectations(list, json_response(R"({"id":1})").view(), vars_, rng_, ok);
  EXPECT_THAT(ok, ::testing::ElementsAre(true, true, true, false));
}

TEST_F(ExpectTest, MappingFormIsAccepted) {
  const Plan plan =
      load_plan_string(
          with_flow("      - get: { url: /, expect: { statusCode: 200, hasHeader: x } }\n"),
          "t.yml", {})
          .value();
  const auto& e = std::get<Request>(plan.scenarios[0].flow[0].action).expectations;
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].kind, Expectation::Kind::kStatusCode);
  EXPECT_EQ(e[1].kind, Expectation::Kind::kHasHeader);
}

std::vector<std::string> warnings_of(std::string_view yaml) {
  std::vector<std::string> out;
  const auto plan = load_plan_string(yaml, "test.yml", {});
  EXPECT_TRUE(plan) << plan.error().describe();
  if (!plan) return out;
  for (const auto& w : plan->warnings) out.push_back(w.describe());
  return out;
}

// Artillery's plugin skips a check it does not know ("Expectation 'x' is not
// supported"); barrage warns once at load and skips it too.
TEST(ExpectLoader, UnknownCheckIsAWarningWithASuggestion) {
  EXPECT_THAT(warnings_of(with_flow("      - get: { url: /, expect: [{ statusCod: 200 }] }\n")),
              ::testing::ElementsAre("test.yml:6:35: unknown key 'statusCod' in expect is "
                                     "ignored; did you mean 'statusCode'?"));
  const std::string two = with_flow(
      "      - get:\n          url: /\n          expect:\n"
      "            - statusCode: 200\n"
      "            - contentTyp: json\n");
  EXPECT_THAT(warnings_of(two), ::testing::ElementsAre("test.yml:10:15: unknown key 'contentTyp' "
                                                       "in expect is ignored; did you mean "
                                                       "'contentType'?"));
  const Plan p = load_plan_string(two, "test.yml", {}).value();
  const auto& r = std::get<Request>(p.scenarios[0].flow[0].action);
  EXPECT_EQ(r.expectations.size(), 1u);
  EXPECT_THAT(warnings_of(with_flow("      - get: { url: /, expect: [{ cdnHit: true }] }\n")),
              ::testing::ElementsAre("test.yml:6:35: 'cdnHit' in expect is ignored: this check "
                                     "is not evaluated by barrage"));
}

// `- statusCode:200` (no space) is a string to YAML: Artillery's plugin reads
// its first key ("0"), does not know it and checks nothing; barrage warns and
// checks nothing.
TEST(ExpectLoader, CheckWithoutSpaceAfterColonIsSkippedWithAWarning) {
  const std::string script = with_flow(
      "      - get:\n          url: /\n          expect:\n"
      "            - statusCode:200\n"
      "            - hasHeader: x\n");
  EXPECT_THAT(warnings_of(script),
              ::testing::ElementsAre(
                  "test.yml:9:15: expect entry 'statusCode:200' is a string, not a check (write "
                  "'statusCode: 200' with a space after the colon for a check); it is skipped, as "
                  "Artillery's expect plugin skips it (\"Expectation '0' is not supported\")"));
  const Plan p = load_plan_string(script, "test.yml", {}).value();
  const auto& r = std::get<Request>(p.scenarios[0].flow[0].action);
  ASSERT_EQ(r.expectations.size(), 1u);
  EXPECT_EQ(r.expectations[0].kind, Expectation::Kind::kHasHeader);
}

TEST(ExpectLoader, WrongValueTypesPointAtTheValue) {
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, expect: [{ statusCode: abc }] }\n")),
            "test.yml:6:47: statusCode must be a status code (100-599) or a list of them");
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, expect: [{ statusCode: [200, 2000] }] }\n")),
            "test.yml:6:53: statusCode must be a status code (100-599) or a list of them");
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, expect: [{ equals: abc }] }\n")),
            "test.yml:6:43: equals must be a list of two or more values to compare");
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, expect: [{ headerEquals: [a] }] }\n")),
            "test.yml:6:49: headerEquals must be a list [header name, expected value]");
  EXPECT_EQ(error_of(with_flow("      - get: { url: /, expect: [{ hasProperty: [a] }] }\n")),
            "test.yml:6:48: hasProperty must be a string");
  EXPECT_THAT(warnings_of(with_flow("      - get: { url: /, expect: statusCode }\n")),
              ::testing::ElementsAre("test.yml:6:32: expect 'statusCode' is not a list of checks "
                                     "such as [{ statusCode: 200 }]; no check runs (as in "
                                     "Artillery's expect plugin)"));
  // Only an entry's first key is a check, as in Artillery's plugin.
  EXPECT_THAT(
      warnings_of(
          with_flow("      - get: { url: /, expect: [{ statusCode: 200, hasHeader: x }] }\n")),
      ::testing::ElementsAre("test.yml:6:33: expect entry has 2 keys; only the first, "
                             "'statusCode', is checked (as Artillery's expect plugin does)"));
  EXPECT_THAT(error_of(with_flow("      - get: { url: /, expect: [{ matchesRegexp: 'a(' }] }\n")),
              ::testing::StartsWith("test.yml:6:50: "));
  EXPECT_THAT(error_of(with_flow("      - get: { url: /, expect: [{ equals: ['{{ a', b] }] }\n")),
              ::testing::StartsWith("test.yml:6:"));
}

}  // namespace
}  // namespace barrage::script
