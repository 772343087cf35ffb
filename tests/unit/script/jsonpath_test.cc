#include "script/jsonpath.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace barrage::script {
namespace {

using Values = std::vector<std::string>;

constexpr std::string_view kStore = R"({
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century",
       "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour",
       "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick",
       "isbn": "0-553-21311-3", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings",
       "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10,
  "token": "abc.def",
  "ok": true,
  "nothing": null,
  "nums": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  "odd keys": {"a b": 1, "it's": 2, "say \"hi\"": 3, "back\\slash": 4, "0": "zero"}
})";

Values eval(std::string_view expr, std::string_view doc = kStore) {
  const auto r = JsonPath::compile(expr).evaluate(doc);
  EXPECT_TRUE(r.has_value()) << expr;
  return r.value_or(Values{});
}

size_t error_offset(std::string_view expr) {
  try {
    (void)JsonPath::compile(expr);
  } catch (const JsonPathError& e) {
    return e.offset();
  }
  ADD_FAILURE() << "compiled: " << expr;
  return std::string::npos;
}

TEST(JsonPath, RootReturnsWholeDocumentCompact) {
  EXPECT_EQ(eval("$", R"( {"a": [1, 2], "b": {}} )"), Values{R"({"a":[1,2],"b":{}})"});
  EXPECT_EQ(eval("$", R"("just a string")"), Values{"just a string"});
  EXPECT_EQ(JsonPath().source(), "$");
  EXPECT_EQ(JsonPath().evaluate("[1]"), Values{"[1]"});
}

TEST(JsonPath, DottedMembers) {
  EXPECT_EQ(eval("$.token"), Values{"abc.def"});
  EXPECT_EQ(eval("$.store.bicycle.color"), Values{"red"});
  EXPECT_EQ(eval("$.store.bicycle"), Values{R"({"color":"red","price":19.95})"});
  EXPECT_EQ(eval("  $.expensive  "), Values{"10"});
  EXPECT_EQ(JsonPath::compile("  $.expensive ").source(), "  $.expensive ");
}

TEST(JsonPath, ScalarsSerializeAsJsonText) {
  EXPECT_EQ(eval("$.ok"), Values{"true"});
  EXPECT_EQ(eval("$.nothing"), Values{"null"});
  EXPECT_EQ(eval("$.store.bicycle.price"), Values{"19.95"});
  EXPECT_EQ(eval("$.a", R"({"a": 2.0})"), Values{"2"});
  EXPECT_EQ(eval("$.a", R"({"a": -1e300})"), Values{"-1e+300"});
  EXPECT_EQ(eval("$.a", R"({"a": 18446744073709551615})"), Values{"18446744073709551615"});
  EXPECT_EQ(eval("$.a", R"({"a": "line\nbreak \"q\""})"), Values{"line\nbreak \"q\""});
}

TEST(JsonPath, MissingMembersMatchNothing) {
  EXPECT_TRUE(eval("$.nope").empty());
  EXPECT_TRUE(eval("$.token.length").empty());
  EXPECT_TRUE(eval("$.store.book.author").empty());
  EXPECT_TRUE(eval("$.expensive[0]").empty());
  EXPECT_TRUE(eval("$.nums[10]").empty());
  EXPECT_TRUE(eval("$.nums[-11]").empty());
}

TEST(JsonPath, BracketMembers) {
  EXPECT_EQ(eval("$['store']['bicycle']['color']"), Values{"red"});
  EXPECT_EQ(eval(R"($["odd keys"]["a b"])"), Values{"1"});
  EXPECT_EQ(eval("$[ 'odd keys' ][ 'a b' ]"), Values{"1"});
  EXPECT_EQ(eval(R"($['odd keys']['it\'s'])"), Values{"2"});
  EXPECT_EQ(eval(R"($['odd keys']["it's"])"), Values{"2"});
  EXPECT_EQ(eval(R"($['odd keys']["say \"hi\""])"), Values{"3"});
  EXPECT_EQ(eval(R"($['odd keys']['say "hi"'])"), Values{"3"});
  EXPECT_EQ(eval(R"($['odd keys']['back\\slash'])"), Values{"4"});
  EXPECT_EQ(eval(R"($['odd keys']['\u0030'])"), Values{"zero"});
  EXPECT_EQ(eval(R"($['odd keys'].0)"), Values{"zero"});
}

TEST(JsonPath, ArrayIndexes) {
  EXPECT_EQ(eval("$.store.book[0].author"), Values{"Nigel Rees"});
  EXPECT_EQ(eval("$.store.book[-1].author"), Values{"J. R. R. Tolkien"});
  EXPECT_EQ(eval("$.store.book[-4].author"), Values{"Nigel Rees"});
  EXPECT_EQ(eval("$[1]", "[10, 20]"), Values{"20"});
  // JavaScript property semantics: a canonical index name selects the element.
  EXPECT_EQ(eval("$.store.book.2.title"), Values{"Moby Dick"});
  EXPECT_EQ(eval("$.nums['3']"), Values{"3"});
  EXPECT_TRUE(eval("$.nums['03']").empty());
  EXPECT_EQ(eval("$.nums.length"), Values{"10"});
  EXPECT_EQ(eval("$.store.book.length"), Values{"4"});
}

TEST(JsonPath, Slices) {
  EXPECT_EQ(eval("$.nums[1:4]"), (Values{"1", "2", "3"}));
  EXPECT_EQ(eval("$.nums[:2]"), (Values{"0", "1"}));
  EXPECT_EQ(eval("$.nums[8:]"), (Values{"8", "9"}));
  EXPECT_EQ(eval("$.nums[::4]"), (Values{"0", "4", "8"}));
  EXPECT_EQ(eval("$.nums[1:6:2]"), (Values{"1", "3", "5"}));
  EXPECT_EQ(eval("$.nums[ 1 : 3 ]"), (Values{"1", "2"}));
  EXPECT_EQ(eval("$.nums[:]").size(), 10u);
  EXPECT_TRUE(eval("$.nums[5:2]").empty());
  EXPECT_TRUE(eval("$.store[0:2]").empty());
}

TEST(JsonPath, NegativeSlices) {
  EXPECT_EQ(eval("$.nums[-2:]"), (Values{"8", "9"}));
  EXPECT_EQ(eval("$.nums[:-8]"), (Values{"0", "1"}));
  EXPECT_EQ(eval("$.nums[-3:-1]"), (Values{"7", "8"}));
  EXPECT_EQ(eval("$.nums[::-3]"), (Values{"9", "6", "3", "0"}));
  EXPECT_EQ(eval("$.nums[-1:-4:-1]"), (Values{"9", "8", "7"}));
  EXPECT_EQ(eval("$.nums[2::-1]"), (Values{"2", "1", "0"}));
  EXPECT_EQ(eval("$.nums[:7:-1]"), (Values{"9", "8"}));
  EXPECT_EQ(eval("$.nums[-100:2]"), (Values{"0", "1"}));
  EXPECT_EQ(eval("$.nums[100:-100:-4]"), (Values{"9", "5", "1"}));
  EXPECT_TRUE(eval("$.nums[-1:-3]").empty());
  EXPECT_EQ(eval("$[::-1]", "[]"), Values{});
}

TEST(JsonPath, Wildcards) {
  EXPECT_EQ(eval("$.store.book[*].author"),
            (Values{"Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"}));
  EXPECT_EQ(eval("$.store.book.*.price"), (Values{"8.95", "12.99", "8.99", "22.99"}));
  // Object members come in key order.
  EXPECT_EQ(eval("$.store.bicycle.*"), (Values{"red", "19.95"}));
  EXPECT_EQ(eval("$['odd keys'][*]").size(), 5u);
  EXPECT_TRUE(eval("$.token.*").empty());
}

TEST(JsonPath, RecursiveDescent) {
  EXPECT_EQ(eval("$..author"),
            (Values{"Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"}));
  EXPECT_EQ(eval("$.store..price"), (Values{"19.95", "8.95", "12.99", "8.99", "22.99"}));
  EXPECT_EQ(eval("$..book[2].title"), Values{"Moby Dick"});
  EXPECT_EQ(eval("$..[0]", R"({"a": [1, [2, 3]], "b": {"c": [4]}})"), (Values{"1", "2", "4"}));
  EXPECT_EQ(eval("$..*", R"({"a": [1, {"b": 2}]})"),
            (Values{R"([1,{"b":2}])", "1", R"({"b":2})", "2"}));
  EXPECT_EQ(eval("$..book.length"), Values{"4"});
  EXPECT_TRUE(eval("$..length").empty());
  EXPECT_EQ(eval("$..['isbn','color']"), (Values{"red", "0-553-21311-3", "0-395-19395-8"}));
}

TEST(JsonPath, Unions) {
  EXPECT_EQ(eval("$.nums[0,2]"), (Values{"0", "2"}));
  EXPECT_EQ(eval("$.nums[ 9 , -10 , 0:2 ]"), (Values{"9", "0", "0", "1"}));
  EXPECT_EQ(eval("$.store.bicycle['price','color']"), (Values{"19.95", "red"}));
  EXPECT_EQ(eval("$.store.book[0]['title', \"price\"]"),
            (Values{"Sayings of the Century", "8.95"}));
  EXPECT_EQ(eval("$.store.book[0]['title','missing']"), Values{"Sayings of the Century"});
}

TEST(JsonPath, UnicodeValuesAreRawUtf8) {
  const std::string doc = R"({"名前": "Zoë \u00e9 \ud83d\ude00", "emoji": "😀"})";
  EXPECT_EQ(eval("$['名前']", doc), Values{"Zoë é 😀"});
  EXPECT_EQ(eval("$.名前", doc), Values{"Zoë é 😀"});
  EXPECT_EQ(eval("$['\\u540d\\u524d']", doc), Values{"Zoë é 😀"});
  EXPECT_EQ(eval("$.emoji", doc), Values{"😀"});
  EXPECT_EQ(eval("$[?(@.n == '\\ud83d\\ude00')].n", R"([{"n": "😀"}, {"n": "x"}])"), Values{"😀"});
  EXPECT_EQ(eval("$", R"({"k": "é"})"), Values{R"({"k":"é"})"});
}

TEST(JsonPath, FilterOperatorsOnNumbers) {
  const auto titles = [](std::string_view filter) {
    return eval("$.store.book[?(" + std::string(filter) + ")].title");
  };
  EXPECT_EQ(titles("@.price < 10"), (Values{"Sayings of the Century", "Moby Dick"}));
  EXPECT_EQ(titles("@.price <= 8.99"), (Values{"Sayings of the Century", "Moby Dick"}));
  EXPECT_EQ(titles("@.price > 20"), Values{"The Lord of the Rings"});
  EXPECT_EQ(titles("@.price >= 12.99"), (Values{"Sword of Honour", "The Lord of the Rings"}));
  EXPECT_EQ(titles("@.price == 8.99"), Values{"Moby Dick"});
  EXPECT_EQ(titles("@.price != 8.99").size(), 3u);
  EXPECT_EQ(titles("10 > @.price"), (Values{"Sayings of the Century", "Moby Dick"}));
  EXPECT_EQ(titles("@.price<1e1"), (Values{"Sayings of the Century", "Moby Dick"}));
  EXPECT_EQ(eval("$.nums[?(@ >= 8)]"), (Values{"8", "9"}));
  EXPECT_EQ(eval("$.nums[?(@ == -0)]"), Values{"0"});
  EXPECT_EQ(eval("$[?@.a == 1].b", R"([{"a": 1.0, "b": "x"}, {"a": 2, "b": "y"}])"), Values{"x"});
}

TEST(JsonPath, FilterOperatorsOnStringsBoolsNull) {
  const std::string doc = R"([{"s": "apple", "b": true, "n": null, "v": "10"},
                              {"s": "banana", "b": false, "n": 0, "v": 10}])";
  EXPECT_EQ(eval("$[?(@.s == 'apple')].s", doc), Values{"apple"});
  EXPECT_EQ(eval("$[?(@.s === \"apple\")].s", doc), Values{"apple"});
  EXPECT_EQ(eval("$[?(@.s != 'apple')].s", doc), Values{"banana"});
  EXPECT_EQ(eval("$[?(@.s < 'b')].s", doc), Values{"apple"});
  EXPECT_EQ(eval("$[?(@.s <= 'apple')].s", doc), Values{"apple"});
  EXPECT_EQ(eval("$[?(@.s > 'apple')].s", doc), Values{"banana"});
  EXPECT_EQ(eval("$[?(@.s >= 'apple')].s", doc), (Values{"apple", "banana"}));
  EXPECT_EQ(eval("$[?(@.b == true)].s", doc), Values{"apple"});
  EXPECT_EQ(eval("$[?(@.b != true)].s", doc), Values{"banana"});
  EXPECT_EQ(eval("$[?(@.b == false)].s", doc), Values{"banana"});
  EXPECT_TRUE(eval("$[?(@.b < true)].s", doc).empty());
  EXPECT_EQ(eval("$[?(@.n == null)].s", doc), Values{"apple"});
  EXPECT_TRUE(eval("$[?(@.n != null)].s", doc).empty());  // 0 is not null: type mismatch
}

TEST(JsonPath, FilterTypeMismatchNeverMatches) {
  const std::string doc = R"([{"v": "10"}, {"v": 10}, {"v": true}, {"v": null}, {}])";
  EXPECT_EQ(eval("$[?(@.v == 10)].v", doc), Values{"10"});
  EXPECT_EQ(eval("$[?(@.v == '10')].v", doc), Values{"10"});
  // != needs the same type too: only the number 10 differs from 9.
  EXPECT_EQ(eval("$[?(@.v != 9)]", doc), Values{R"({"v":10})"});
  EXPECT_EQ(eval("$[?(@.v != '9')]", doc), Values{R"({"v":"10"})"});
  EXPECT_TRUE(eval("$[?(@.v != 10)]", doc).empty());
  EXPECT_TRUE(eval("$[?(@.v < 'z')].v", doc) == Values{"10"});
  EXPECT_TRUE(eval("$[?(@.v > 1)].v", doc) == Values{"10"});
  EXPECT_TRUE(eval("$[?(@.v == 1)]", doc).empty());
}

TEST(JsonPath, FilterExistenceAndPaths) {
  EXPECT_EQ(eval("$.store.book[?(@.isbn)].title"), (Values{"Moby Dick", "The Lord of the Rings"}));
  EXPECT_EQ(eval("$[?(@.v)]", R"([{"v": null}, {"v": false}, {"w": 1}])"),
            (Values{R"({"v":null})", R"({"v":false})"}));
  const std::string doc = R"([{"a": {"b c": [5, 6]}}, {"a": {"b c": [7]}}])";
  EXPECT_EQ(eval("$[?(@.a['b c'][1] == 6)].a['b c'][0]", doc), Values{"5"});
  EXPECT_EQ(eval("$[?(@.a['b c'][-1] == 7)].a['b c'][0]", doc), Values{"7"});
  EXPECT_EQ(eval("$[?(@['a'])]", doc).size(), 2u);
  // Filters apply to object member values too.
  EXPECT_EQ(eval("$.store[?(@.color)].price"), Values{"19.95"});
}

TEST(JsonPath, FilterAndOr) {
  EXPECT_EQ(eval("$.store.book[?(@.category == 'fiction' && @.price < 10)].title"),
            Values{"Moby Dick"});
  EXPECT_EQ(eval("$.store.book[?(@.price < 9 || @.price > 20)].title"),
            (Values{"Sayings of the Century", "Moby Dick", "The Lord of the Rings"}));
  // && binds tighter than ||.
  EXPECT_EQ(eval("$.store.book[?(@.price > 20 || @.isbn && @.price < 10 && @.category == "
                 "'fiction')].title"),
            (Values{"Moby Dick", "The Lord of the Rings"}));
  EXPECT_EQ(eval("$.store.book[?(@.isbn)][?(@.price > 20)]"), Values{});
  EXPECT_EQ(eval("$..book[?(@.isbn)].price"), (Values{"8.99", "22.99"}));
}

TEST(JsonPath, MalformedExpressionsReportOffsets) {
  EXPECT_EQ(error_offset(""), 0u);
  EXPECT_EQ(error_offset("store.book"), 0u);
  EXPECT_EQ(error_offset("  x"), 2u);
  EXPECT_EQ(error_offset("$."), 2u);
  EXPECT_EQ(error_offset("$.."), 3u);
  EXPECT_EQ(error_offset("$.a b"), 3u);
  EXPECT_EQ(error_offset("$a"), 1u);
  EXPECT_EQ(error_offset("$.a["), 4u);
  EXPECT_EQ(error_offset("$.a[0"), 3u);
  EXPECT_EQ(error_offset("$.a[0;]"), 5u);
  EXPECT_EQ(error_offset("$.a[]"), 4u);
  EXPECT_EQ(error_offset("$['abc]"), 2u);
  EXPECT_EQ(error_offset(R"($['a\qb'])"), 4u);
  EXPECT_EQ(error_offset(R"($['\ud800'])"), 3u);
  EXPECT_EQ(error_offset(R"($['\u12G4'])"), 3u);
  EXPECT_EQ(error_offset("$[1::0]"), 5u);
  EXPECT_EQ(error_offset("$[99999999999999999999]"), 2u);
  EXPECT_EQ(error_offset("$[-]"), 2u);
  EXPECT_EQ(error_offset("$[?(@.a = 1)]"), 8u);
  EXPECT_EQ(error_offset("$[?(@.a == )]"), 11u);
  EXPECT_EQ(error_offset("$[?(@.a == 1]"), 12u);
  EXPECT_EQ(error_offset("$[?(@.a == 1"), 3u);
  EXPECT_EQ(error_offset("$[?((@.a == 1))]"), 4u);
  EXPECT_EQ(error_offset("$[?(@.* == 1)]"), 6u);
  EXPECT_EQ(error_offset("$[?(@..a)]"), 5u);
  EXPECT_EQ(error_offset("$[?($.a == 1)]"), 4u);
  EXPECT_EQ(error_offset("$[?(1 == 2)]"), 9u);
  EXPECT_EQ(error_offset("$[?(@.a == truex)]"), 15u);
  EXPECT_EQ(error_offset("$[?(@.a == 1.)]"), 11u);
}

TEST(JsonPath, ErrorMessagesAreReadable) {
  try {
    (void)JsonPath::compile("token");
    FAIL();
  } catch (const JsonPathError& e) {
    EXPECT_EQ(std::string(e.what()), "a JSONPath expression must start with '$'");
  }
}

TEST(JsonPath, ExpressionLimits) {
  std::string longest = "$" + std::string(JsonPath::kMaxExpressionBytes - 1, 'a');
  longest[1] = '.';
  EXPECT_NO_THROW((void)JsonPath::compile(longest));
  EXPECT_EQ(error_offset(longest + "a"), JsonPath::kMaxExpressionBytes);

  std::string segments = "$";
  for (size_t i = 0; i < JsonPath::kMaxSegments; ++i) segments += "[0]";
  EXPECT_NO_THROW((void)JsonPath::compile(segments));
  EXPECT_EQ(error_offset(segments + ".x"), segments.size());
}

TEST(JsonPath, ResultCountIsCapped) {
  std::string doc = "[";
  for (size_t i = 0; i < JsonPath::kMaxResults + 50; ++i) doc += i == 0 ? "1" : ",1";
  doc += "]";
  EXPECT_EQ(eval("$[*]", doc).size(), JsonPath::kMaxResults);
  EXPECT_EQ(eval("$..*", doc).size(), JsonPath::kMaxResults);
}

TEST(JsonPath, MalformedDocumentsAreNullopt) {
  const JsonPath p = JsonPath::compile("$.a");
  EXPECT_EQ(p.evaluate(""), std::nullopt);
  EXPECT_EQ(p.evaluate("{"), std::nullopt);
  EXPECT_EQ(p.evaluate(R"({"a": 1,})"), std::nullopt);
  EXPECT_EQ(p.evaluate(R"({"a": 1} trailing)"), std::nullopt);
  EXPECT_EQ(p.evaluate("{'a': 1}"), std::nullopt);
  EXPECT_EQ(p.evaluate("{\"a\": \"\xff\"}"), std::nullopt);
  EXPECT_EQ(p.evaluate(R"({"a": 1e999})"), std::nullopt);
  EXPECT_EQ(p.evaluate("<html></html>"), std::nullopt);
  EXPECT_EQ(p.evaluate(R"({"a": 1})"), Values{"1"});
  EXPECT_EQ(p.evaluate("[1]"), Values{});
}

TEST(JsonPath, DeepDocumentsAreNullopt) {
  const JsonPath p = JsonPath::compile("$..*");
  const auto nested = [](size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  EXPECT_TRUE(p.evaluate(nested(JsonPath::kMaxDepth)).has_value());
  EXPECT_EQ(p.evaluate(nested(JsonPath::kMaxDepth + 1)), std::nullopt);
  EXPECT_EQ(p.evaluate(std::string(1000000, '[')), std::nullopt);
  // Brackets inside strings do not count.
  const std::string in_string = "[\"" + std::string(1000, '[') + "\\\"\"]";
  EXPECT_EQ(p.evaluate(in_string), Values{std::string(1000, '[') + "\""});
}

TEST(JsonPath, HostileExpressionsStayBounded) {
  // Repeated recursive descent over a deep document multiplies work; the visit
  // budget stops it.
  std::string doc;
  for (int i = 0; i < 200; ++i) doc += "[1,";
  doc += "1";
  for (int i = 0; i < 200; ++i) doc += "]";
  std::string expr = "$";
  for (int i = 0; i < 8; ++i) expr += "..*";
  const auto r = JsonPath::compile(expr).evaluate(doc);
  ASSERT_TRUE(r.has_value());
  EXPECT_LE(r->size(), JsonPath::kMaxResults);
}

TEST(JsonPath, CopiesShareTheProgram) {
  const JsonPath a = JsonPath::compile("$.token");
  const JsonPath b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(b.source(), "$.token");
  EXPECT_EQ(b.evaluate(kStore), Values{"abc.def"});
}

}  // namespace
}  // namespace barrage::script
