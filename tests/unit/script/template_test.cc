#include "script/template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <set>

#include "script/json_escape.h"
#include "script/plan.h"

namespace barrage::script {
namespace {

using Kind = Template::Part::Kind;

std::string render(const Template& t, const Vars& vars, uint64_t seed = 1) {
  Rng rng(seed);
  return t.render(vars, rng);
}

size_t error_offset(std::string_view source) {
  try {
    Template::compile(source);
  } catch (const TemplateError& e) {
    return e.offset();
  }
  ADD_FAILURE() << "no TemplateError for: " << source;
  return std::string_view::npos;
}

TEST(Template, PlainTextIsStatic) {
  const Template t = Template::compile("/catalog/items?limit=20");
  EXPECT_TRUE(t.is_static());
  EXPECT_EQ(t.source(), "/catalog/items?limit=20");
  EXPECT_EQ(render(t, Vars{}), "/catalog/items?limit=20");
  EXPECT_TRUE(Template::compile("").is_static());
  EXPECT_TRUE(Template::compile("only }} braces {").is_static());
}

TEST(Template, DefaultTemplateIsEmptyAndStatic) {
  const Template t;
  EXPECT_TRUE(t.is_static());
  EXPECT_EQ(render(t, Vars{}), "");
}

TEST(Template, VariablesRenderFromScopeThenParent) {
  Vars globals;
  globals.set("pageSize", "20");
  globals.set("user", "global");
  Vars vu(&globals);
  vu.set("user", "alice");
  const Template t = Template::compile("/items?u={{ user }}&limit={{pageSize}}&x={{ missing }}");
  EXPECT_FALSE(t.is_static());
  EXPECT_EQ(render(t, vu), "/items?u=alice&limit=20&x=");
  EXPECT_EQ(render(t, globals), "/items?u=global&limit=20&x=");
}

TEST(Template, VarsSetReplacesExistingValue) {
  Vars v;
  v.set("a", "1");
  v.set("a", "2");
  ASSERT_NE(v.find("a"), nullptr);
  EXPECT_EQ(*v.find("a"), "2");
  EXPECT_EQ(v.own().size(), 1u);
  EXPECT_EQ(v.find("b"), nullptr);
}

TEST(Template, DottedAndLoopVariableNames) {
  Vars v;
  v.set("user.name", "x");
  v.set("$loopCount", "3");
  EXPECT_EQ(render(Template::compile("{{user.name}}-{{ $loopCount }}"), v), "x-3");
}

// A loop over objects (a loadAll payload, a captured list): Artillery reads
// `{{ $loopElement.code }}` with lodash get, so a path into the element works.
TEST(Template, PathIntoTheLoopElement) {
  Vars v;
  v.set("$loopElement", R"({"code":404,"tags":["a","b"]})");
  EXPECT_EQ(render(Template::compile("/status/{{ $loopElement.code }}"), v), "/status/404");
  EXPECT_EQ(render(Template::compile("{{ $loopElement .tags[1] }}"), v), "b");
  EXPECT_EQ(render(Template::compile("{{ $loopElement.missing }}"), v), "");
  EXPECT_EQ(error_offset("{{ $loopCount.x }}"), 13U);
  EXPECT_EQ(error_offset("{{ $loopElement+1 }}"), 15U);
}

TEST(Template, RandomNumberStaysInRangeAndFollowsTheSeed) {
  const Template t = Template::compile("{{ $randomNumber(1, 3) }}");
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) seen.insert(render(t, Vars{}, seed));
  EXPECT_EQ(seen, (std::set<std::string>{"1", "2", "3"}));
  EXPECT_EQ(render(t, Vars{}, 7), render(t, Vars{}, 7));
  EXPECT_EQ(render(Template::compile("{{ $randomNumber(-5,-5) }}"), Vars{}), "-5");
  const Template wide =
      Template::compile("{{ $randomNumber(-9223372036854775808, 9223372036854775807) }}");
  EXPECT_FALSE(render(wide, Vars{}).empty());
}

TEST(Template, RandomStringLengthAndAlphabet) {
  const std::string s = render(Template::compile("{{ $randomString(16) }}"), Vars{});
  EXPECT_THAT(s, ::testing::MatchesRegex("[A-Za-z0-9]{16}"));
  EXPECT_EQ(render(Template::compile("{{ $randomString() }}"), Vars{}).size(), 10u);
  EXPECT_EQ(render(Template::compile("{{ $randomString }}"), Vars{}).size(), 10u);
}

TEST(Template, UuidIsVersion4) {
  const Template t = Template::compile("{{ $uuid }}");
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const std::string u = render(t, Vars{}, seed);
    EXPECT_TRUE(std::regex_match(u, v4)) << u;
  }
  EXPECT_NE(render(t, Vars{}, 1), render(t, Vars{}, 2));
}

TEST(Template, UuidIsTheVusIdWhenTheEngineSetOne) {
  const Template t = Template::compile("{{ $uuid }}/{{ $uuid }}");
  Vars vu;
  vu.set("$uuid", "0b6f6f7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(render(t, vu, 1),
            "0b6f6f7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/0b6f6f7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
  const std::string fresh = render(t, Vars{}, 1);
  EXPECT_NE(fresh.substr(0, 36), fresh.substr(37)) << "unset: a new UUID per use";
}

TEST(Template, TimestampIsEpochMilliseconds) {
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const int64_t before = now_ms();
  const int64_t ts = std::stoll(render(Template::compile("{{ $timestamp }}"), Vars{}));
  EXPECT_GE(ts, before);
  EXPECT_LE(ts, now_ms());
}

TEST(Template, JsonStringHolesAreEscaped) {
  Vars v;
  v.set("user", "a\"b\\c\nd\x01");
  const Template json = Template::compile_json(R"({"username":"{{ user }}","n":1})");
  EXPECT_EQ(render(json, v), R"({"username":"a\"b\\c\nd\u0001","n":1})");
  const Template raw = Template::compile("{{ user }}");
  EXPECT_EQ(render(raw, v), "a\"b\\c\nd\x01");
}

// Found by fuzzing: the quote after one whole-string hole is not the opening
// quote of the next hole (it used to pop a character from an empty literal).
TEST(Template, AQuoteClosingOneWholeStringHoleDoesNotOpenTheNext) {
  Vars v;
  v.set("user", "al");
  const Template t = Template::compile_json(R"(["{{ user }}"{{ user }}"])");
  EXPECT_EQ(render(t, v), R"(["al"al"])");
}

TEST(Template, AppendJsonEscaped) {
  std::string out = ">";
  append_json_escaped(out, "tab\there \xc3\xa9 \r\b\f\x1f end");
  EXPECT_EQ(out, ">tab\\there \xc3\xa9 \\r\\b\\f\\u001f end");
}

TEST(Template, PartsAreCompiledOnce) {
  const Template t = Template::compile("a{{x}}b{{ $uuid }}");
  EXPECT_EQ(t.source(), "a{{x}}b{{ $uuid }}");
  EXPECT_FALSE(t.is_static());
}

TEST(Template, MalformedTemplatesReportTheOffset) {
  EXPECT_EQ(error_offset("abc {{ user"), 4u);
  EXPECT_EQ(error_offset("x{{ }}"), 1u);
  EXPECT_EQ(error_offset("{{ $nope }}"), 3u);
  EXPECT_EQ(error_offset("{{ $randomNumber(1) }}"), 3u);
  EXPECT_EQ(error_offset("{{ $randomNumber(5, 1) }}"), 3u);
  EXPECT_EQ(error_offset("{{ $randomNumber(1, x) }}"), 20u);
  EXPECT_EQ(error_offset("{{ a b }}"), 4u);
  EXPECT_EQ(error_offset("{{ $uuid(3) }}"), 3u);
  EXPECT_EQ(error_offset("{{ $randomString(-1) }}"), 3u);
  EXPECT_EQ(error_offset("{{ $randomString(99999999) }}"), 3u);
  EXPECT_EQ(error_offset("ok {{ a }} then {{ $uuid x }}"), 25u);
  EXPECT_EQ(error_offset("{{ $env }}"), 7u);
  EXPECT_EQ(error_offset("{{ $env.A-B }}"), 7u);
  EXPECT_EQ(error_offset("{{ $environment x }}"), 16u);
}

TEST(Template, ErrorMessagesNameTheProblem) {
  try {
    Template::compile("{{ $bogus() }}");
    FAIL();
  } catch (const TemplateError& e) {
    EXPECT_STREQ(e.what(), "unknown function '$bogus'");
  }
  try {
    Template::compile("/x/{{ id");
    FAIL();
  } catch (const TemplateError& e) {
    EXPECT_STREQ(e.what(), "unclosed '{{'");
    EXPECT_EQ(e.offset(), 3u);
  }
}

}  // namespace
}  // namespace barrage::script

namespace barrage::script {
namespace {

TEST(Template, NestedPathsIntoJsonVariables) {
  Vars vars;
  vars.set("user", R"({"id":7,"name":"al","tags":["a","b"],"o":{"x":null}})");
  vars.set("user.id", "flat wins");
  vars.set("items", R"([{"id":1},{"id":2}])");
  EXPECT_EQ(render(Template::compile("{{ user.id }}"), vars), "flat wins");
  EXPECT_EQ(render(Template::compile("{{ user.name }}/{{ user.tags[1] }}"), vars), "al/b");
  EXPECT_EQ(render(Template::compile("{{ user.o }}"), vars), R"({"x":null})");
  EXPECT_EQ(render(Template::compile("{{ items[1].id }}"), vars), "2");
  EXPECT_EQ(render(Template::compile("[{{ items[5].id }}][{{ user.nope }}]"), vars), "[][]");
  EXPECT_EQ(json_array_elements(R"([1,"a",{"b":2}])"),
            (std::vector<std::string>{"1", "a", R"({"b":2})"}));
  EXPECT_FALSE(json_array_elements(R"({"a":1})"));
}

TEST(Template, WholeStringJsonHolesKeepTheirType) {
  Vars vars;
  vars.set("n", "42");
  vars.set("s", "hi \"there\"");
  vars.set("o", R"({"a":[1,2]})");
  vars.set("b", "true");
  const Template t = Template::compile_json(
      R"({"n":"{{ n }}","s":"{{ s }}","o":"{{ o }}","b":"{{ b }}","u":"{{ u }}","mix":"#{{ n }}"})");
  EXPECT_EQ(render(t, vars),
            R"({"n":42,"s":"hi \"there\"","o":{"a":[1,2]},"b":true,"u":"","mix":"#42"})");
  // An escaped quote before the hole is not the start of the string.
  EXPECT_EQ(render(Template::compile_json(R"({"q":"a\"{{ n }}"})"), vars), R"({"q":"a\"42"})");
}

TEST(Template, RunConstantsAreSubstitutedAtCompileTime) {
  TemplateEnv env;
  env.env = {{"BARRAGE_TEMPLATE_TEST", "v1"}};
  env.environment = "staging";
  const Template t = Template::compile(
      "{{ $env.BARRAGE_TEMPLATE_TEST }}-{{ $processEnvironment.BARRAGE_TEMPLATE_TEST }}-{{ "
      "$env.BARRAGE_UNSET_VAR }}-{{ $environment }}",
      Escape::kNone, &env);
  env.env[0].second = "v2";  // compiled once: later changes do not show
  EXPECT_EQ(render(t, Vars{}), "v1-v1--staging");
  EXPECT_TRUE(t.is_static());
  Vars vars;
  vars.set("$testId", "t1");
  EXPECT_EQ(render(Template::compile("{{ $testId }}"), vars), "t1");
}

TEST(Plan, LoopRangesReadAsArtilleryDoes) {
  using R = std::pair<int64_t, int64_t>;
  EXPECT_EQ(parse_loop_range("3"), R(0, 3));
  EXPECT_EQ(parse_loop_range(" 3 "), R(0, 3));
  EXPECT_EQ(parse_loop_range("2-5"), R(2, 5));
  EXPECT_EQ(parse_loop_range("0-0"), R(0, 0));
  EXPECT_FALSE(parse_loop_range("5-2"));
  EXPECT_FALSE(parse_loop_range("-1"));
  EXPECT_FALSE(parse_loop_range("x"));
  EXPECT_FALSE(parse_loop_range(""));
}

}  // namespace
}  // namespace barrage::script

namespace barrage::script {
namespace {

// Artillery's pattern {{{?...}}}? : a third brace is accepted (and it never
// escapes). A raw body's own closing brace after {{ n }} is kept.
TEST(Template, TripleBracesRenderLikeDoubleOnes) {
  Vars vars;
  vars.set("name", "a&b");
  vars.set("n", "5");
  Rng rng(1);
  EXPECT_EQ(Template::compile("x{{{ name }}}y").render(vars, rng), "xa&by");
  EXPECT_EQ(Template::compile("{{{name}}}").render(vars, rng), "a&b");
  EXPECT_EQ(Template::compile(R"({"n":{{ n }}})").render(vars, rng), R"({"n":5})");
  EXPECT_EQ(Template::compile_json(R"({"n":"{{{ n }}}"})").render(vars, rng), R"({"n":5})");
  vars.set("obj", R"({"a b":1,"c":"d"})");
  EXPECT_EQ(Template::compile("{{ obj['a b'] }}-{{ obj[\"c\"] }}").render(vars, rng), "1-d");
  TemplateEnv env;
  env.scenario_file = "/s/t.yml";
  EXPECT_EQ(Template::compile("{{ $scenarioFile }}", Escape::kNone, &env).source(), "/s/t.yml");
}

}  // namespace
}  // namespace barrage::script
