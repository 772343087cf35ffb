// Compiled JSONPath expressions for `capture: { json: ... }`.
//
// An expression is compiled once at load time (JsonPath::compile, which throws
// JsonPathError) and evaluated per response body (JsonPath::evaluate, which never
// throws for a bad body). A compiled JsonPath is immutable: copies share the
// program and may be evaluated concurrently from any thread.
//
// Supported syntax (an expression must start with `$`; surrounding whitespace is
// ignored; whitespace is allowed inside brackets and filters, not between segments):
//   $                       the root
//   $.a.b                   dotted members (name bytes: letters, digits, `_`, `-`,
//                           `$`, and any non-ASCII UTF-8)
//   $['a'] $["a b"]         bracket members; escapes \' \" \\ \/ \b \f \n \r \t \uXXXX
//   $.items[0] $.items[-1]  array index; negative counts from the end
//   $.items[1:3] [::2] [-2:] [::-1]
//                           slices [start:end:step] with Python semantics: any part
//                           may be omitted, negatives count from the end, step 0 is
//                           an error
//   $.a.* $.a[*]            wildcard: every member value or element
//   $..name $..[0] $..*     recursive descent: the selector applied to the node and
//                           to every descendant, in pre-order
//   [0,2] ['a','b']         union of any of the bracket selectors above (and filters)
//   [?(@.price < 10)]       filter: selects the member values / elements for which the
//                           condition holds. `[?@.price < 10]` (no parentheses) is
//                           accepted too. A condition is one or more terms joined by
//                           `&&` and `||` (`&&` binds tighter); parentheses inside the
//                           condition are not supported. A term is either
//                             @.path OP literal   (or literal OP @.path)
//                             @.path              existence: the member is present,
//                                                 whatever its value (even null or
//                                                 false; jsonpath-plus tests truthiness)
//                           where @.path is `@` followed by dotted or bracketed member
//                           names and integer indexes (`@`, `@.a.b`, `@['x'][0]`),
//                           OP is one of == != < <= > >= (=== and !== are read as
//                           == and !=), and literal is a number, 'string', "string",
//                           true, false or null.
//                           Comparison rules: numbers compare numerically (as doubles),
//                           strings by bytes (UTF-8 code point order), true/false/null
//                           only with == and !=. A type mismatch or a missing member
//                           makes the term false for every OP, != included.
// JavaScript property semantics also kept: a member name that is a canonical array
// index (`$.items.0`, `$['0']`) selects that element of an array, and `.length` as
// the last segment (not `..length`) yields an array's element count.
// Not supported: expressions without the leading `$`, script expressions `(...)`,
// `$` inside filters, functions.
//
// Results are serialized: strings as their raw UTF-8 value (unquoted), numbers,
// booleans and null as JSON text (a float with an integral value below 1e15 prints
// without a fraction, as JavaScript prints it: 2.0 -> "2"), objects and arrays as
// compact JSON. Object members are visited in key order (byte-wise sorted), not
// in document order; array elements in document order.
//
// Limits: expressions up to kMaxExpressionBytes bytes and kMaxSegments segments;
// documents nested deeper than kMaxDepth are rejected; evaluation stops (keeping
// the results found so far) after kMaxResults values, kMaxResultBytes bytes of
// results, or kMaxVisits visited nodes.
//
// This header must not use <expected> (clang 14 builds it for fuzzing) and must
// not include the JSON library (it is widely included).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace barrage::script {

class JsonPathError : public std::runtime_error {
 public:
  JsonPathError(const std::string& what, size_t offset)
      : std::runtime_error(what), offset_(offset) {}
  // Byte offset in the expression where the problem is.
  [[nodiscard]] size_t offset() const noexcept { return offset_; }

 private:
  size_t offset_;
};

// The compiled form of an expression, shared by the compiler (jsonpath.cc) and
// the evaluator (jsonpath_eval.cc). Not part of the public API.
namespace jsonpath_detail {

enum class CmpOp : uint8_t { kExists, kEq, kNe, kLt, kLe, kGt, kGe };

struct Literal {
  enum class Kind : uint8_t { kNumber, kString, kTrue, kFalse, kNull };
  Kind kind = Kind::kNull;
  double number = 0;
  std::string text;
};

// One step of a filter's relative path: a member name or an array index.
struct Step {
  std::string name;
  int64_t index = -1;  // for a name: its value as a canonical array index, or -1
  bool is_index = false;
};

struct Term {
  std::vector<Step> path;
  CmpOp op = CmpOp::kExists;
  Literal literal;
};

// Disjunction of conjunctions: `a && b || c` is {{a, b}, {c}}.
struct Filter {
  std::vector<std::vector<Term>> any_of;
};

struct Selector {
  enum class Kind : uint8_t { kName, kIndex, kWildcard, kSlice, kFilter };
  Kind kind = Kind::kWildcard;
  std::string name;    // kName
  int64_t index = -1;  // kIndex; for kName its canonical array index or -1
  bool has_start = false;
  bool has_end = false;
  int64_t start = 0;  // kSlice
  int64_t end = 0;
  int64_t step = 1;
  size_t filter = 0;  // kFilter: index into Program::filters
};

struct Segment {
  bool descendant = false;  // `..`
  std::vector<Selector> selectors;
};

struct Program {
  std::vector<Segment> segments;
  std::vector<Filter> filters;
};

}  // namespace jsonpath_detail

class JsonPath {
 public:
  static constexpr size_t kMaxExpressionBytes = 4096;
  static constexpr size_t kMaxSegments = 64;
  static constexpr size_t kMaxDepth = 256;
  static constexpr size_t kMaxResults = 10000;
  static constexpr size_t kMaxResultBytes = size_t{16} << 20;
  static constexpr size_t kMaxVisits = size_t{1} << 22;

  // The expression `$` (the whole document).
  JsonPath();

  // Throws JsonPathError on a malformed expression or one over the limits.
  static JsonPath compile(std::string_view expression);

  // The matched values, serialized as described above, in match order; empty when
  // nothing matches. std::nullopt when the document is not valid JSON or is nested
  // too deeply. Never throws for a bad document (std::bad_alloc aside).
  [[nodiscard]] std::optional<std::vector<std::string>> evaluate(
      std::string_view json_document) const;

  [[nodiscard]] const std::string& source() const noexcept { return source_; }

 private:
  std::string source_;
  std::shared_ptr<const jsonpath_detail::Program> program_;
};

}  // namespace barrage::script
