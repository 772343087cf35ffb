#include "script/template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>

#include "script/json_escape.h"

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
