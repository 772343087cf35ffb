// JSONPath compiler. Hand-written: Debian packages no C++ JSONPath library, and
// the grammar (see jsonpath.h) is small. Documents are parsed with nlohmann::json
// in jsonpath_eval.cc; this file only turns an expression into a Program.
#include "script/jsonpath.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <utility>

#include "util/ascii.h"

namespace barrage::script {

using jsonpath_detail::CmpOp;
using jsonpath_detail::Filter;
using jsonpath_detail::Literal;
using jsonpath_detail::Program;
using jsonpath_detail::Segment;
using jsonpath_detail::Selector;
using jsonpath_detail::Step;
using jsonpath_detail::Term;

namespace {

// Indexes and slice bounds are limited to the exact-integer range of a double,
// as in JavaScript.
constexpr int64_t kMaxIndex = (int64_t{1} << 53) - 1;

using ascii::is_digit;
using ascii::is_space;
bool is_name_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

// "0" or a digit string without a leading zero, small enough to be an index.
int64_t canonical_index(std::string_view name) {
  if (name.empty() || name.size() > 15) return -1;
  if (name.size() > 1 && name[0] == '0') return -1;
  int64_t v = 0;
  for (char c : name) {
    if (!is_digit(c)) return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

Selector selector(Selector::Kind kind) {
  Selector s;
  s.kind = kind;
  return s;
}

CmpOp flip(CmpOp op) {
  switch (op) {
    case CmpOp::kLt:
      return CmpOp::kGt;
    case CmpOp::kLe:
      return CmpOp::kGe;
    case CmpOp::kGt:
      return CmpOp::kLt;
    case CmpOp::kGe:
      return CmpOp::kLe;
    default:
      return op;
  }
}

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src), end_(src.size()) {}

  Program parse() {
    while (pos_ < end_ && is_space(src_[pos_])) ++pos_;
    while (end_ > pos_ && is_space(src_[end_ - 1])) --end_;
    if (!eat('$')) fail("a JSONPath expression must start with '$'", pos_);
    while (pos_ < end_) {
      const size_t start = pos_;
      if (program_.segments.size() == JsonPath::kMaxSegments) {
        fail(fmt::format("more than {} segments", JsonPath::kMaxSegments), start);
      }
      program_.segments.push_back(parse_segment());
    }
    return std::move(program_);
  }

 private:
  [[noreturn]] static void fail(const std::string& what, size_t at) {
    throw JsonPathError(what, at);
  }

  bool at_end() const { return pos_ >= end_; }
  char peek() const { return at_end() ? '\0' : src_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  bool eat(std::string_view s) {
    if (src_.substr(pos_, end_ - pos_).substr(0, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }
  void skip_space() {
    while (!at_end() && is_space(src_[pos_])) ++pos_;
  }
  void expect(char c, const char* what) {
    if (!eat(c)) fail(fmt::format("expected {}", what), pos_);
  }

  Segment parse_segment() {
    Segment seg;
    if (eat("..")) {
      seg.descendant = true;
      if (eat('*')) {
        seg.selectors.push_back(selector(Selector::Kind::kWildcard));
      } else if (peek() == '[') {
        parse_brackets(seg);
      } else {
        seg.selectors.push_back(name_selector(parse_dotted_name()));
      }
    } else if (eat('.')) {
      if (eat('*')) {
        seg.selectors.push_back(selector(Selector::Kind::kWildcard));
      } else {
        seg.selectors.push_back(name_selector(parse_dotted_name()));
      }
    } else if (peek() == '[') {
      parse_brackets(seg);
    } else {
      fail(fmt::format("unexpected '{}': expected '.', '..' or '['", peek()), pos_);
    }
    return seg;
  }

  std::string parse_dotted_name() {
    const size_t start = pos_;
    while (!at_end() && is_name_byte(src_[pos_])) ++pos_;
    if (pos_ == start) fail("expected a member name", start);
    return std::string(src_.substr(start, pos_ - start));
  }

  static Selector name_selector(std::string name) {
    Selector s = selector(Selector::Kind::kName);
    s.index = canonical_index(name);
    s.name = std::move(name);
    return s;
  }

  void parse_brackets(Segment& seg) {
    const size_t open = pos_;
    ++pos_;  // '['
    skip_space();
    for (;;) {
      seg.selectors.push_back(parse_bracket_selector());
      skip_space();
      if (eat(']')) return;
      if (at_end()) fail("unterminated '['", open);
      expect(',', "',' or ']'");
      skip_space();
    }
  }

  Selector parse_bracket_selector() {
    const char c = peek();
    if (eat('*')) return selector(Selector::Kind::kWildcard);
    if (c == '\'' || c == '"') return name_selector(parse_quoted());
    if (c == '?') return parse_filter();
    if (c == '-' || c == ':' || is_digit(c)) return parse_index_or_slice();
    if (at_end()) fail("unterminated '['", pos_);
    fail("expected a selector: name, index, slice, '*' or filter", pos_);
  }

  int64_t parse_int() {
    const size_t start = pos_;
    const bool negative = eat('-');
    if (!is_digit(peek())) fail("expected an integer", start);
    int64_t v = 0;
    while (is_digit(peek())) {
      v = v * 10 + (src_[pos_++] - '0');
      if (v > kMaxIndex) fail("integer out of range", start);
    }
    return negative ? -v : v;
  }

  Selector parse_index_or_slice() {
    Selector s = selector(Selector::Kind::kIndex);
    if (peek() != ':') {
      s.index = parse_int();
      s.has_start = true;
    }
    skip_space();
    if (!eat(':')) return s;
    s.kind = Selector::Kind::kSlice;
    s.start = s.has_start ? s.index : 0;
    skip_space();
    if (peek() == '-' || is_digit(peek())) {
      s.has_end = true;
      s.end = parse_int();
      skip_space();
    }
    if (eat(':')) {
      skip_space();
      if (peek() == '-' || is_digit(peek())) {
        const size_t step_at = pos_;
        s.step = parse_int();
        if (s.step == 0) fail("slice step cannot be zero", step_at);
      }
    }
    return s;
  }

  // A quoted string at pos_ ('...' or "..."), with JSON-style escapes.
  std::string parse_quoted() {
    const size_t open = pos_;
    const char quote = src_[pos_++];
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string", open);
      const char c = src_[pos_++];
      if (c == quote) return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) fail("unterminated string", open);
      const size_t esc = pos_ - 1;
      switch (src_[pos_++]) {
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          append_utf8(out, parse_unicode_escape(esc));
          break;
        default:
          fail("invalid escape sequence", esc);
      }
    }
  }

  uint32_t parse_hex4(size_t esc) {
    if (end_ - pos_ < 4) fail("invalid \\u escape", esc);
    uint32_t v = 0;
    const auto* first = src_.data() + pos_;
    const auto r = std::from_chars(first, first + 4, v, 16);
    if (r.ec != std::errc() || r.ptr != first + 4) fail("invalid \\u escape", esc);
    pos_ += 4;
    return v;
  }

  // After `\u`: one code point, combining a surrogate pair.
  uint32_t parse_unicode_escape(size_t esc) {
    const uint32_t hi = parse_hex4(esc);
    if (hi >= 0xDC00 && hi <= 0xDFFF) fail("unpaired surrogate in \\u escape", esc);
    if (hi < 0xD800 || hi > 0xDBFF) return hi;
    if (!eat("\\u")) fail("unpaired surrogate in \\u escape", esc);
    const uint32_t lo = parse_hex4(esc);
    if (lo < 0xDC00 || lo > 0xDFFF) fail("unpaired surrogate in \\u escape", esc);
    return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
  }

  Selector parse_filter() {
    ++pos_;  // '?'
    skip_space();
    const size_t open = pos_;
    const bool parens = eat('(');
    Filter filter;
    filter.any_of.emplace_back();
    for (;;) {
      skip_space();
      filter.any_of.back().push_back(parse_term());
      skip_space();
      if (eat("&&")) continue;
      if (eat("||")) {
        filter.any_of.emplace_back();
        continue;
      }
      break;
    }
    if (parens && !eat(')')) {
      fail(at_end() ? "unterminated '(' in filter" : "expected '&&', '||' or ')'",
           at_end() ? open : pos_);
    }
    Selector s = selector(Selector::Kind::kFilter);
    s.filter = program_.filters.size();
    program_.filters.push_back(std::move(filter));
    return s;
  }

  Term parse_term() {
    Term t;
    if (peek() == '@') {
      t.path = parse_relative_path();
      skip_space();
      if (!parse_op(t.op)) return t;  // existence
      skip_space();
      if (!parse_literal(t.literal)) fail("expected a literal after the operator", pos_);
      return t;
    }
    if (peek() == '(') fail("parentheses are not supported inside a filter", pos_);
    if (!parse_literal(t.literal)) fail("expected '@' or a literal in filter", pos_);
    skip_space();
    CmpOp op = CmpOp::kExists;
    if (!parse_op(op)) fail("expected a comparison operator", pos_);
    t.op = flip(op);
    skip_space();
    if (peek() != '@') fail("expected '@' after the operator", pos_);
    t.path = parse_relative_path();
    return t;
  }

  std::vector<Step> parse_relative_path() {
    ++pos_;  // '@'
    std::vector<Step> path;
    for (;;) {
      if (peek() == '.' && pos_ + 1 < end_ && src_[pos_ + 1] == '.') {
        fail("recursive descent is not supported in filter paths", pos_);
      }
      if (eat('.')) {
        if (peek() == '*') fail("wildcards are not supported in filter paths", pos_);
        std::string name = parse_dotted_name();
        const int64_t index = canonical_index(name);
        path.push_back(Step{std::move(name), index, false});
      } else if (peek() == '[') {
        const size_t open = pos_++;
        skip_space();
        const char c = peek();
        if (c == '\'' || c == '"') {
          std::string name = parse_quoted();
          const int64_t index = canonical_index(name);
          path.push_back(Step{std::move(name), index, false});
        } else if (c == '-' || is_digit(c)) {
          path.push_back(Step{std::string(), parse_int(), true});
        } else if (at_end()) {
          fail("unterminated '['", open);
        } else {
          fail("filter paths accept only names and indexes in brackets", pos_);
        }
        skip_space();
        expect(']', "']'");
      } else {
        return path;
      }
      if (path.size() > JsonPath::kMaxSegments) {
        fail(fmt::format("more than {} segments in filter path", JsonPath::kMaxSegments), pos_);
      }
    }
  }

  bool parse_op(CmpOp& op) {
    if (eat("===") || eat("==")) {
      op = CmpOp::kEq;
    } else if (eat("!==") || eat("!=")) {
      op = CmpOp::kNe;
    } else if (eat("<=")) {
      op = CmpOp::kLe;
    } else if (eat(">=")) {
      op = CmpOp::kGe;
    } else if (eat('<')) {
      op = CmpOp::kLt;
    } else if (eat('>')) {
      op = CmpOp::kGt;
    } else if (peek() == '=') {
      fail("use '==' to compare", pos_);
    } else {
      return false;
    }
    return true;
  }

  bool parse_literal(Literal& lit) {
    const char c = peek();
    if (c == '\'' || c == '"') {
      lit.kind = Literal::Kind::kString;
      lit.text = parse_quoted();
      return true;
    }
    if (c == '-' || is_digit(c)) {
      const size_t start = pos_;
      eat('-');
      if (!is_digit(peek())) fail("invalid number", start);
      while (is_digit(peek())) ++pos_;
      if (eat('.')) {
        if (!is_digit(peek())) fail("invalid number", start);
        while (is_digit(peek())) ++pos_;
      }
      if (peek() == 'e' || peek() == 'E') {
        ++pos_;
        if (peek() == '+' || peek() == '-') ++pos_;
        if (!is_digit(peek())) fail("invalid number", start);
        while (is_digit(peek())) ++pos_;
      }
      const auto* first = src_.data() + start;
      const auto r = std::from_chars(first, src_.data() + pos_, lit.number);
      if (r.ec != std::errc()) fail("number out of range", start);
      lit.kind = Literal::Kind::kNumber;
      return true;
    }
    if (eat("true")) {
      lit.kind = Literal::Kind::kTrue;
    } else if (eat("false")) {
      lit.kind = Literal::Kind::kFalse;
    } else if (eat("null")) {
      lit.kind = Literal::Kind::kNull;
    } else {
      return false;
    }
    if (is_name_byte(peek())) fail("unexpected characters after literal", pos_);
    return true;
  }

  std::string_view src_;
  size_t pos_ = 0;
  size_t end_;
  Program program_;
};

}  // namespace

JsonPath::JsonPath() : source_("$"), program_(std::make_shared<const Program>()) {}

JsonPath JsonPath::compile(std::string_view expression) {
  if (expression.size() > kMaxExpressionBytes) {
    throw JsonPathError(
        fmt::format("JSONPath expression longer than {} bytes", kMaxExpressionBytes),
        kMaxExpressionBytes);
  }
  JsonPath path;
  path.source_ = std::string(expression);
  path.program_ = std::make_shared<const Program>(Parser(expression).parse());
  return path;
}

}  // namespace barrage::script
