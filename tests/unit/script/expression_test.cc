#include "script/expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

namespace barrage::script {
namespace {

// Variables as barrage stores them: text, read as numbers when they are numbers.
struct Lookup {
  std::map<std::string, std::string, std::less<>> vars;
  std::optional<ExprValue> operator()(std::string_view name) const {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return ExprValue::from_text(it->second);
  }
};

ExprValue eval(std::string_view source, const Lookup& lookup = {}) {
  Lookup copy = lookup;
  return Expression::compile(source).evaluate(copy);
}

double num(std::string_view source, const Lookup& lookup = {}) {
  const ExprValue v = eval(source, lookup);
  EXPECT_TRUE(v.is_number()) << source;
  return v.as_number();
}

std::string str(std::string_view source, const Lookup& lookup = {}) {
  const ExprValue v = eval(source, lookup);
  EXPECT_TRUE(v.is_string()) << source;
  return v.as_string();
}

size_t error_offset(std::string_view source, std::string* message = nullptr) {
  try {
    (void)Expression::compile(source);
  } catch (const ExpressionError& e) {
    if (message != nullptr) *message = e.what();
    return e.offset();
  }
  ADD_FAILURE() << "no ExpressionError for: " << source;
  return std::string_view::npos;
}

TEST(Expression, Arithmetic) {
  EXPECT_EQ(num("1 + 2 * 3"), 7);
  EXPECT_EQ(num("(1 + 2) * 3"), 9);
  EXPECT_EQ(num("10 - 4 - 3"), 3);  // left associative
  EXPECT_EQ(num("7 % 4"), 3);
  EXPECT_EQ(num("7 / 2"), 3.5);
  EXPECT_EQ(num("2 ^ 10"), 1024);
  EXPECT_EQ(num("-3 + 5"), 2);
  EXPECT_EQ(num("--3"), 3);
  EXPECT_EQ(num("1.25 * 4"), 5);
  EXPECT_TRUE(std::isinf(num("1 / 0")));
  EXPECT_TRUE(std::isnan(num("0 % 0")));
}

TEST(Expression, ComparisonsYieldOneOrZero) {
  EXPECT_EQ(num("1 < 2"), 1);
  EXPECT_EQ(num("2 < 1"), 0);
  EXPECT_EQ(num("2 <= 2"), 1);
  EXPECT_EQ(num("3 > 2"), 1);
  EXPECT_EQ(num("3 >= 4"), 0);
  EXPECT_EQ(num("3 == 3"), 1);
  EXPECT_EQ(num("3 != 3"), 0);
  EXPECT_EQ(num("3 === 3"), 1);
  EXPECT_EQ(num("3 !== 4"), 1);
}

TEST(Expression, LogicFollowsFiltrex) {
  EXPECT_EQ(num("1 and 0"), 0);
  EXPECT_EQ(num("1 and 1"), 1);
  EXPECT_EQ(num("0 or 1"), 1);
  EXPECT_EQ(num("0 or 0"), 0);
  EXPECT_EQ(num("not 0"), 1);
  EXPECT_EQ(num("not 5"), 0);
  // Number(a && b): the last operand's value, as a number.
  EXPECT_EQ(num("2 and 3"), 3);
  EXPECT_EQ(num("2 or 3"), 2);
  EXPECT_EQ(num("1 && 0 || 1"), 1);
  EXPECT_EQ(num("!1"), 0);
  // and binds tighter than or.
  EXPECT_EQ(num("1 or 0 and 0"), 1);
  EXPECT_EQ(num("(1 or 0) and 0"), 0);
  // not binds tighter than comparisons, as in filtrex and JavaScript.
  EXPECT_EQ(num("not 1 == 0"), 1);
}

TEST(Expression, StringsAndLooseEquality) {
  EXPECT_EQ(num("\"abc\" == \"abc\""), 1);
  EXPECT_EQ(num("\"abc\" < \"abd\""), 1);
  EXPECT_EQ(num("\"10\" < \"9\""), 1);  // two strings compare as text
  EXPECT_EQ(num("\"10\" < 9"), 0);      // otherwise as numbers
  EXPECT_EQ(num("\"5\" == 5"), 1);
  EXPECT_EQ(num("\"5\" === 5"), 0);
  EXPECT_EQ(num("\"abc\" < 5"), 0);  // NaN compares false
  EXPECT_EQ(num("\"abc\" >= 5"), 0);
  EXPECT_EQ(str("\"a\" + 1"), "a1");
  EXPECT_EQ(str("1.5 + \"x\""), "1.5x");
  EXPECT_EQ(num("\"6\" * 2"), 12);
  EXPECT_EQ(num("\"\" * 2"), 0);
}

TEST(Expression, Variables) {
  Lookup l;
  l.vars = {{"count", "3"},
            {"name", "alice"},
            {"http.response_time.p95", "120.5"},
            {"$loopCount", "2"},
            {"errors.Failed capture or match", "0"},
            {"zip", "007"}};
  EXPECT_EQ(num("count + 1", l), 4);
  EXPECT_EQ(num("name == \"alice\"", l), 1);
  EXPECT_EQ(num("http.response_time.p95 < 200", l), 1);
  EXPECT_EQ(num("$loopCount % 2 == 0", l), 1);
  EXPECT_EQ(num("'errors.Failed capture or match' == 0", l), 1);
  // Not a JSON number: stays text, compares numerically with a number.
  EXPECT_TRUE(eval("zip", l).is_string());
  EXPECT_EQ(num("zip == 7", l), 1);
  // Undefined: false in every comparison, equal only to undefined.
  EXPECT_TRUE(eval("missing", l).is_undefined());
  EXPECT_EQ(num("missing < 1", l), 0);
  EXPECT_EQ(num("missing >= 1", l), 0);
  EXPECT_EQ(num("missing == 0", l), 0);
  EXPECT_EQ(num("missing == other", l), 1);
  EXPECT_EQ(num("not missing", l), 1);
  EXPECT_EQ(str("missing + \"\"", l), "undefined");
}

TEST(Expression, VariablesListedOnce) {
  const Expression e = Expression::compile("a + b.c * a - 'x y' + max(a, d)");
  EXPECT_EQ(e.variables(), (std::vector<std::string>{"a", "b.c", "x y", "d"}));
}

TEST(Expression, InAndConditional) {
  Lookup l;
  l.vars = {{"status", "404"}, {"kind", "cake"}};
  EXPECT_EQ(num("status in (200, 404)", l), 1);
  EXPECT_EQ(num("status not in (200, 404)", l), 0);
  EXPECT_EQ(num("kind in (\"pie\", \"cake\")", l), 1);
  EXPECT_EQ(str("status > 399 ? \"bad\" : \"good\"", l), "bad");
  EXPECT_EQ(num("0 ? 1 : 0 ? 2 : 3", l), 3);
}

TEST(Expression, Functions) {
  EXPECT_EQ(num("abs(-2)"), 2);
  EXPECT_EQ(num("ceil(1.2) + floor(1.8)"), 3);
  EXPECT_EQ(num("round(2.5) + round(-2.5)"), 1);  // Math.round: 3 + -2
  EXPECT_EQ(num("max(1, 7, 3) - min(4, 2)"), 5);
  EXPECT_EQ(num("sqrt(16)"), 4);
  EXPECT_EQ(num("log(1)"), 0);
}

TEST(Expression, Truthiness) {
  Lookup l;
  l.vars = {{"empty", ""}, {"word", "x"}, {"zero", "0"}};
  Lookup copy = l;
  EXPECT_FALSE(Expression::compile("empty").test(copy));
  EXPECT_TRUE(Expression::compile("word").test(copy));
  EXPECT_FALSE(Expression::compile("zero").test(copy));
  EXPECT_FALSE(Expression::compile("0 / 0").test(copy));
  EXPECT_FALSE(Expression{}.test(copy));
}

TEST(Expression, ErrorsPointAtTheProblem) {
  std::string message;
  EXPECT_EQ(error_offset("", &message), 0U);
  EXPECT_EQ(message, "empty expression");
  EXPECT_EQ(error_offset("a <", &message), 3U);
  EXPECT_EQ(message, "unexpected end of expression");
  EXPECT_EQ(error_offset("a = 1", &message), 2U);
  EXPECT_EQ(message, "unexpected '=' (use '==' to compare)");
  EXPECT_EQ(error_offset("(a + 1", &message), 6U);
  EXPECT_EQ(message, "expected ')'");
  EXPECT_EQ(error_offset("a + 1)", &message), 5U);
  EXPECT_EQ(message, "unexpected ')'");
  EXPECT_EQ(error_offset("name == \"x", &message), 8U);
  EXPECT_EQ(message, "unterminated string");
  EXPECT_EQ(error_offset("foo(1)", &message), 0U);
  EXPECT_EQ(message,
            "unknown function 'foo()' (known: abs, ceil, floor, log, max, min, round, sqrt)");
  EXPECT_EQ(error_offset("1 + random()", &message), 4U);
  EXPECT_EQ(message, "function 'random()' is not supported");
  EXPECT_EQ(error_offset("abs(1, 2)", &message), 0U);
  EXPECT_EQ(message, "abs() takes 1 argument");
  EXPECT_EQ(error_offset("name ~= \"a.*\"", &message), 5U);
  EXPECT_EQ(message, "'~=' (regular expression match) is not supported");
  EXPECT_EQ(error_offset("12abc", &message), 0U);
  EXPECT_EQ(message, "malformed number '12a'");
  EXPECT_EQ(error_offset("a # b", &message), 2U);
  EXPECT_EQ(message, "unexpected character '#'");
  EXPECT_EQ(error_offset("a not b", &message), 6U);
  EXPECT_EQ(message, "expected 'in' after 'not'");
  EXPECT_EQ(error_offset("1 ? 2", &message), 5U);
  EXPECT_EQ(message, "expected ':'");
}

TEST(Expression, DepthIsBounded) {
  std::string deep(200, '(');
  deep += "1";
  deep += std::string(200, ')');
  std::string message;
  error_offset(deep, &message);
  EXPECT_EQ(message, "expression is too deeply nested");
  std::string chain = "1";
  for (int i = 0; i < 300; ++i) chain += "+1";
  error_offset(chain, &message);
  EXPECT_EQ(message, "expression is too deeply nested");
  std::string ok = "1";
  for (int i = 0; i < 150; ++i) ok += "+1";
  EXPECT_EQ(num(ok), 151);
}

TEST(Expression, NumberConversionsFollowJavaScript) {
  EXPECT_EQ(ExprValue::string(" 12 ").as_number(), 12);
  EXPECT_EQ(ExprValue::string("0x10").as_number(), 16);
  EXPECT_EQ(ExprValue::string(".5").as_number(), 0.5);
  EXPECT_EQ(ExprValue::string("-.5").as_number(), -0.5);
  EXPECT_EQ(ExprValue::string("1e3").as_number(), 1000);
  EXPECT_TRUE(std::isnan(ExprValue::string("inf").as_number()));
  EXPECT_TRUE(std::isnan(ExprValue::string("12px").as_number()));
  EXPECT_EQ(ExprValue::number(3).as_string(), "3");
  EXPECT_EQ(ExprValue::number(0.25).as_string(), "0.25");
  EXPECT_EQ(ExprValue::number(-0.0).as_string(), "0");
  EXPECT_TRUE(ExprValue::from_text("-1.5e2").is_number());
  EXPECT_TRUE(ExprValue::from_text("1.").is_string());
  EXPECT_TRUE(ExprValue::from_text("").is_string());
}

}  // namespace
}  // namespace barrage::script
