// barrage's Regex against JavaScript: every row of js_regex_cases.json (what
// Node's RegExp produced, written by js_regex_cases.mjs) is compiled and run
// here, and must give the same match, groups and Artillery capture values.
#include "script/regex.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

namespace barrage::script {
namespace {

using nlohmann::json;

json load_table() {
  std::ifstream in(std::filesystem::path(BARRAGE_SOURCE_DIR) /
                   "tests/unit/script/js_regex_cases.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::string describe(const json& row) {
  return "/" + row["pattern"].get<std::string>() + "/" + row["flags"].get<std::string>() + " on " +
         row["input"].dump();
}

// Rows where barrage knowingly differs from JavaScript, with why. The test
// checks they still differ, so a fix shows up as a failure to remove the entry.
struct KnownDifference {
  const char* pattern;
  const char* why;
};
constexpr KnownDifference kKnownDifferences[] = {
    {"(?:(a)|(b))+",
     "JavaScript resets the groups inside a repeated group on each iteration; PCRE2 (like Perl) "
     "keeps a group's last value, so group 1 is \"a\" here, not undefined"},
    {"(x?)*y",
     "JavaScript discards an iteration of a repeated group that matches the empty string, so "
     "group 1 stays undefined; PCRE2 keeps the empty iteration and group 1 is \"\""},
};

const KnownDifference* known_difference(const std::string& pattern) {
  for (const auto& k : kKnownDifferences) {
    if (pattern == k.pattern) return &k;
  }
  return nullptr;
}

json to_json(const std::optional<std::string_view>& v) {
  return v ? json(std::string(*v)) : json(nullptr);
}

TEST(JsRegexTable, EveryRowMatchesWhatNodeProduced) {
  const json table = load_table();
  ASSERT_GE(table.size(), 90U);
  size_t errors = 0;
  size_t matches = 0;
  for (const json& row : table) {
    SCOPED_TRACE(describe(row));
    const std::string pattern = row["pattern"];
    const std::string flags = row["flags"];
    const std::string input = row["input"];
    if (row["error"].get<bool>()) {
      EXPECT_THROW(Regex::compile(pattern, flags), RegexError);
      ++errors;
      continue;
    }
    Regex re;
    try {
      re = Regex::compile(pattern, flags);
    } catch (const RegexError& e) {
      ADD_FAILURE() << "does not compile: " << e.what() << " (PCRE2 pattern "
                    << translate_js_regex(pattern, flags) << ")";
      continue;
    }
    const auto m = re.exec(input);
    if (const KnownDifference* k = known_difference(pattern)) {
      ASSERT_TRUE(m.has_value());
      json got = json::array();
      for (const auto& g : m->groups) got.push_back(to_json(g));
      EXPECT_EQ(got[0], row["match"][0]) << "the whole match agrees";
      EXPECT_NE(got, row["match"]) << "now agrees with JavaScript; drop it from "
                                      "kKnownDifferences: "
                                   << k->why;
      continue;
    }
    if (row["match"].is_null()) {
      EXPECT_FALSE(m.has_value()) << "matched " << to_json(m->groups[0]);
    } else {
      ++matches;
      ASSERT_TRUE(m.has_value()) << "no match (PCRE2 pattern " << translate_js_regex(pattern, flags)
                                 << ")";
      json got = json::array();
      for (const auto& g : m->groups) got.push_back(to_json(g));
      EXPECT_EQ(got, row["match"]) << "PCRE2 pattern " << translate_js_regex(pattern, flags);
      if (row["groups"].is_object()) {
        for (const auto& [name, value] : row["groups"].items()) {
          const int n = re.group_number(name);
          ASSERT_GT(n, 0) << name;
          EXPECT_EQ(to_json(m->groups[static_cast<size_t>(n)]), value) << name;
        }
      } else {
        EXPECT_FALSE(re.has_named_groups());
      }
    }
    for (const json& c : row["captures"]) {
      const json& group = c["group"];
      const bool named = group.is_string();
      const int n = named ? re.group_number(group.get<std::string>())
                          : (group.is_null() ? 0 : group.get<int>());
      const auto got = artillery_regexp_capture(re, input, n, named);
      if (c["value"].is_null()) {
        EXPECT_FALSE(got.has_value()) << "group " << group;
      } else {
        // Artillery gives '' when nothing matched; barrage nullopt: both fail a capture.
        EXPECT_EQ(got.value_or(""), c["value"].get<std::string>()) << "group " << group;
      }
    }
  }
  EXPECT_GE(errors, 10U);
  EXPECT_GE(matches, 60U);
}

// Random patterns (js_regex_random.mjs, run by the js_regex_random ctest,
// which names its output in BARRAGE_JS_REGEX_RANDOM): barrage must compile
// what Node compiles and reject what Node rejects, but for a lookbehind of
// unbounded length (a PCRE2 10.42 limit), and give Node's result, but for
// patterns with a repeated group (the two known differences above).
TEST(JsRegexRandom, SameResultsAsNode) {
  const char* path = std::getenv("BARRAGE_JS_REGEX_RANDOM");
  if (path == nullptr) GTEST_SKIP() << "run by the js_regex_random ctest";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const json table = json::parse(in);
  ASSERT_GE(table.size(), 1000U);
  size_t unbounded_lookbehind = 0;
  size_t repeated_group_differences = 0;
  size_t failures = 0;
  for (const json& row : table) {
    const std::string pattern = row["pattern"];
    const std::string flags = row["flags"];
    const std::string input = row["input"];
    std::optional<Regex> re;
    std::string error;
    try {
      re = Regex::compile(pattern, flags);
    } catch (const RegexError& e) {
      error = e.what();
    }
    if (row["error"].get<bool>() || !re) {
      if (row["error"].get<bool>() == !re) continue;
      if (!re && error.find("lookbehind assertion is not fixed length") != std::string::npos) {
        ++unbounded_lookbehind;
        continue;
      }
      if (++failures <= 20) {
        ADD_FAILURE() << describe(row) << ": JavaScript " << (re ? "rejects" : "accepts")
                      << " it, barrage " << (re ? "accepts it" : "says " + error);
      }
      continue;
    }
    const auto m = re->exec(input);
    json got = nullptr;
    if (m) {
      got = json::array();
      for (const auto& g : m->groups) got.push_back(to_json(g));
    }
    if (got == row["match"]) continue;
    static const std::regex kRepeatedGroup(R"(\)(\*|\+|\?|\{))");
    if (std::regex_search(pattern, kRepeatedGroup)) {
      ++repeated_group_differences;
      continue;
    }
    if (++failures <= 20) {
      ADD_FAILURE() << describe(row) << ": JavaScript " << row["match"].dump() << ", barrage "
                    << got.dump() << " (PCRE2 pattern " << translate_js_regex(pattern, flags)
                    << ")";
    }
  }
  EXPECT_EQ(failures, 0U);
  // The known differences stay rare (measured: about 1% and 0.4% of cases).
  EXPECT_LT(unbounded_lookbehind, table.size() / 20);
  EXPECT_LT(repeated_group_differences, table.size() / 50);
  std::cout << table.size() << " random cases: " << unbounded_lookbehind
            << " unbounded lookbehinds, " << repeated_group_differences
            << " repeated-group differences, " << failures << " failures\n";
}

TEST(Regex, FlagsAreJavaScriptsAndCheckedAtCompile) {
  EXPECT_NO_THROW(Regex::compile("a", "dgimsuy"));
  EXPECT_THAT(
      [] { (void)Regex::compile("a", "x"); },
      ::testing::ThrowsMessage<RegexError>(::testing::HasSubstr("unknown regexp flag 'x'")));
  EXPECT_THAT([] { (void)Regex::compile("a", "ii"); },
              ::testing::ThrowsMessage<RegexError>(::testing::HasSubstr("'i' given twice")));
  EXPECT_THAT([] { (void)Regex::compile("a", "v"); },
              ::testing::ThrowsMessage<RegexError>(::testing::HasSubstr("unicodeSets")));
}

TEST(Regex, PcreOnlySyntaxIsRejected) {
  for (const char* p : {"a++", "(?>a)", "(?i)a", "(?|a)", "(?#c)a", "(?P<n>a)"}) {
    EXPECT_THROW(Regex::compile(p, ""), RegexError) << p;
  }
}

TEST(Regex, GroupsAndNames) {
  const Regex re = Regex::compile("(?<k>\\w+)=(?<v>\\w*)(;)?", "");
  EXPECT_EQ(re.groups(), 3);
  EXPECT_TRUE(re.has_named_groups());
  EXPECT_EQ(re.group_number("k"), 1);
  EXPECT_EQ(re.group_number("v"), 2);
  EXPECT_EQ(re.group_number("nope"), -1);
  EXPECT_EQ(re.first_match("a=b", 2), "b");
  EXPECT_EQ(re.first_match("a=b", 3), std::nullopt);  // did not participate
  EXPECT_EQ(re.first_match("a=b", 4), std::nullopt);  // no such group
  EXPECT_EQ(re.first_match("===", 0), std::nullopt);  // no match
}

TEST(Regex, InvalidUtf8BodyStillMatchesWhereValid) {
  const Regex re = Regex::compile("id=(\\d+)", "");
  const std::string body = std::string("\xff\xfe garbage \xc3 id=77 \x80");
  EXPECT_EQ(re.first_match(body, 1), "77");
  EXPECT_EQ(Regex::compile("g.r", "").first_match(body, 0), "gar");
}

TEST(Regex, LargeBodyWithHeavyBacktrackingDoesNotCrash) {
  // (a|b)*c over 4 MB of a's without a c: deep backtracking, no match.
  const std::string body(4 << 20, 'a');
  EXPECT_EQ(Regex::compile("(a|b)*c", "").first_match(body, 0), std::nullopt);
  EXPECT_EQ(Regex::compile("a+$", "").first_match(body, 0)->size(), body.size());
}

TEST(Regex, ManyThreadsShareOnePattern) {
  const Regex re = Regex::compile("(?<n>\\d+)-(\\w+)", "");
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string text = "x " + std::to_string(i) + "-t" + std::to_string(t);
        if (re.first_match(text, 2) == "t" + std::to_string(t) &&
            re.first_match(text, 1) == std::to_string(i)) {
          ++ok[static_cast<size_t>(t)];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const int n : ok) EXPECT_EQ(n, 2000);
}

TEST(ArtilleryRegexpCapture, NumberedGroupFallsBackToTheWholeMatch) {
  // JavaScript's `match[group] || match[0]`.
  const Regex re = Regex::compile("id=(\\d*)(x)?", "");
  EXPECT_EQ(artillery_regexp_capture(re, "id=5", 1, false), "5");
  EXPECT_EQ(artillery_regexp_capture(re, "id=", 1, false), "id=");    // empty group
  EXPECT_EQ(artillery_regexp_capture(re, "id=5", 2, false), "id=5");  // did not participate
  EXPECT_EQ(artillery_regexp_capture(re, "nothing", 1, false), std::nullopt);
  const Regex named = Regex::compile("id=(?<id>\\d*)(?<x>x)?", "");
  EXPECT_EQ(artillery_regexp_capture(named, "id=5", named.group_number("x"), true), std::nullopt);
  EXPECT_EQ(artillery_regexp_capture(named, "id=", named.group_number("id"), true), "");
}

}  // namespace
}  // namespace barrage::script
