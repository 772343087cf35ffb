// Artillery's expression language: a recursive-descent compiler to a small
// tree, and a tree evaluator. See expression.h for the language.
#include "script/expression.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "util/ascii.h"

namespace barrage::script {

namespace {

using ascii::is_digit;
using ascii::is_json_number;

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool is_name_char(char c) { return is_name_start(c) || is_digit(c) || c == '.'; }
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

double parse_double(std::string_view s) {
  double d = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves d unspecified; JavaScript gives +-Infinity or 0.
    const bool negative = !s.empty() && s[0] == '-';
    const bool tiny =
        s.find_first_of("eE") != std::string_view::npos && s.find("e-") != std::string_view::npos;
    if (tiny) return negative ? -0.0 : 0.0;
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nan("");
  return d;
}

// JavaScript's ToNumber for a string.
double string_to_number(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  if (s.empty()) return 0;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (s == "Infinity" || s == "+Infinity") return kInf;
  if (s == "-Infinity") return -kInf;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    double v = 0;
    for (const char c : s.substr(2)) {
      int d = 0;
      if (is_digit(c)) {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return std::nan("");
      }
      v = v * 16 + d;
    }
    return v;
  }
  if (s.front() == '+') s.remove_prefix(1);
  // Digits, one point, an exponent: anything else (inf, nan, hex floats) is NaN.
  bool digits = false;
  for (const char c : s) {
    if (is_digit(c)) {
      digits = true;
    } else if (c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+') {
      return std::nan("");
    }
  }
  if (!digits) return std::nan("");
  if (s.front() == '.') {
    std::string padded = "0";
    padded.append(s);
    return parse_double(padded);
  }
  if (s.size() > 1 && s.front() == '-' && s[1] == '.') {
    std::string padded = "-0";
    padded.append(s.substr(1));
    return parse_double(padded);
  }
  return parse_double(s);
}

// JavaScript's String(number), close enough: integers print without a
// fraction; other values print the shortest round-tripping form.
std::string number_to_string(double n) {
  if (std::isnan(n)) return "NaN";
  if (std::isinf(n)) return n > 0 ? "Infinity" : "-Infinity";
  if (n == 0) return "0";
  if (std::trunc(n) == n && std::fabs(n) < 1e21) return fmt::format("{:.0f}", n);
  return fmt::format("{}", n);
}

enum class Op : uint8_t {
  kNumber,
  kString,
  kVariable,
  kNegate,
  kNot,
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kModulo,
  kPower,
  kEqual,
  kNotEqual,
  kStrictEqual,
  kStrictNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kAnd,
  kOr,
  kIn,
  kNotIn,
  kConditional,
  kCall,
};

enum class Function : uint8_t { kAbs, kCeil, kFloor, kLog, kMax, kMin, kRound, kSqrt };

struct FunctionInfo {
  std::string_view name;
  Function fn;
  int arity;  // -1 = any number of arguments
};
constexpr std::array<FunctionInfo, 8> kFunctions{{
    {"abs", Function::kAbs, 1},
    {"ceil", Function::kCeil, 1},
    {"floor", Function::kFloor, 1},
    {"log", Function::kLog, 1},
    {"max", Function::kMax, -1},
    {"min", Function::kMin, -1},
    {"round", Function::kRound, 1},
    {"sqrt", Function::kSqrt, 1},
}};

}  // namespace

struct Expression::Program {
  struct Node {
    Op op = Op::kNumber;
    Function fn = Function::kAbs;
    double number = 0;
    std::string text;       // string literal or variable name
    std::vector<int> kids;  // operands, in order
  };
  std::vector<Node> nodes;
  int root = -1;
};

namespace {

enum class Tok : uint8_t {
  kEnd,
  kNumber,
  kString,
  kName,
  kLParen,
  kRParen,
  kComma,
  kQuestion,
  kColon,
  kOperator,  // text holds the operator, keywords included (and, or, not, in)
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  double number = 0;
  size_t offset = 0;
};

class Compiler {
 public:
  explicit Compiler(std::string_view src) : src_(src) {}

  Expression::Program run(std::vector<std::string>& variables) {
    advance();
    if (tok_.kind == Tok::kEnd) throw ExpressionError("empty expression", 0);
    program_.root = conditional();
    if (tok_.kind != Tok::kEnd) fail_unexpected();
    variables = std::move(variables_);
    return std::move(program_);
  }

 private:
  using Program = Expression::Program;
  // A tree deeper than this is refused: evaluation recurses once per level.
  static constexpr int kMaxTreeDepth = 200;

  [[noreturn]] void fail(const std::string& what, size_t offset) const {
    throw ExpressionError(what, offset);
  }
  [[noreturn]] void fail_unexpected() const {
    if (tok_.kind == Tok::kEnd) fail("unexpected end of expression", tok_.offset);
    fail(fmt::format("unexpected '{}'", token_text(tok_)), tok_.offset);
  }
  std::string token_text(const Token& t) const {
    switch (t.kind) {
      case Tok::kNumber:
      case Tok::kName:
      case Tok::kOperator:
        return t.text;
      case Tok::kString:
        return "\"" + t.text + "\"";
      case Tok::kLParen:
        return "(";
      case Tok::kRParen:
        return ")";
      case Tok::kComma:
        return ",";
      case Tok::kQuestion:
        return "?";
      case Tok::kColon:
        return ":";
      case Tok::kEnd:
        break;
    }
    return "end";
  }

  void advance() {
    size_t i = pos_;
    while (i < src_.size() && is_space(src_[i])) ++i;
    tok_ = Token{};
    tok_.offset = i;
    if (i >= src_.size()) {
      pos_ = i;
      return;
    }
    const char c = src_[i];
    if (is_digit(c)) {
      size_t j = i;
      while (j < src_.size() && is_digit(src_[j])) ++j;
      if (j + 1 < src_.size() && src_[j] == '.' && is_digit(src_[j + 1])) {
        ++j;
        while (j < src_.size() && is_digit(src_[j])) ++j;
      }
      if (j < src_.size() && (is_name_char(src_[j]))) {
        fail(fmt::format("malformed number '{}'", src_.substr(i, j + 1 - i)), i);
      }
      tok_.kind = Tok::kNumber;
      tok_.text = std::string(src_.substr(i, j - i));
      tok_.number = parse_double(tok_.text);
      pos_ = j;
      return;
    }
    if (is_name_start(c)) {
      size_t j = i;
      while (j < src_.size() && is_name_char(src_[j])) ++j;
      tok_.text = std::string(src_.substr(i, j - i));
      const bool keyword =
          tok_.text == "and" || tok_.text == "or" || tok_.text == "not" || tok_.text == "in";
      tok_.kind = keyword ? Tok::kOperator : Tok::kName;
      pos_ = j;
      return;
    }
    if (c == '"' || c == '\'') {
      const size_t close = src_.find(c, i + 1);
      if (close == std::string_view::npos) {
        fail(c == '"' ? "unterminated string" : "unterminated quoted name", i);
      }
      tok_.kind = c == '"' ? Tok::kString : Tok::kName;
      tok_.text = std::string(src_.substr(i + 1, close - i - 1));
      pos_ = close + 1;
      return;
    }
    pos_ = i + 1;
    switch (c) {
      case '(':
        tok_.kind = Tok::kLParen;
        return;
      case ')':
        tok_.kind = Tok::kRParen;
        return;
      case ',':
        tok_.kind = Tok::kComma;
        return;
      case '?':
        tok_.kind = Tok::kQuestion;
        return;
      case ':':
        tok_.kind = Tok::kColon;
        return;
      default:
        break;
    }
    static constexpr std::array<std::string_view, 18> kOperators{
        "===", "!==", "==", "!=", "~=", "<=", ">=", "&&", "||",
        "<",   ">",   "+",  "-",  "*",  "/",  "%",  "^",  "!"};
    for (const std::string_view op : kOperators) {
      if (src_.substr(i, op.size()) == op) {
        if (op == "~=") fail("'~=' (regular expression match) is not supported", i);
        tok_.kind = Tok::kOperator;
        tok_.text = std::string(op);
        pos_ = i + op.size();
        return;
      }
    }
    if (c == '=') fail("unexpected '=' (use '==' to compare)", i);
    fail(fmt::format("unexpected character '{}'", c), i);
  }

  [[nodiscard]] bool at_op(std::string_view op) const {
    return tok_.kind == Tok::kOperator && tok_.text == op;
  }
  void expect(Tok kind, const char* what) {
    if (tok_.kind != kind) {
      if (tok_.kind == Tok::kEnd) fail(fmt::format("expected {}", what), tok_.offset);
      fail(fmt::format("expected {}, found '{}'", what, token_text(tok_)), tok_.offset);
    }
    advance();
  }

  int add(Program::Node node, size_t offset) {
    int depth = 1;
    for (const int k : node.kids) depth = std::max(depth, depths_[static_cast<size_t>(k)] + 1);
    if (depth > kMaxTreeDepth) fail("expression is too deeply nested", offset);
    program_.nodes.push_back(std::move(node));
    depths_.push_back(depth);
    return static_cast<int>(program_.nodes.size() - 1);
  }
  int binary(Op op, int a, int b, size_t offset) {
    Program::Node n;
    n.op = op;
    n.kids = {a, b};
    return add(std::move(n), offset);
  }
  void enter(size_t offset) {
    if (++nesting_ > Expression::kMaxDepth) fail("expression is too deeply nested", offset);
  }

  // conditional := or ('?' conditional ':' conditional)?
  int conditional() {
    enter(tok_.offset);
    const size_t at = tok_.offset;
    int c = logical_or();
    if (tok_.kind == Tok::kQuestion) {
      advance();
      const int a = conditional();
      expect(Tok::kColon, "':'");
      const int b = conditional();
      Program::Node n;
      n.op = Op::kConditional;
      n.kids = {c, a, b};
      c = add(std::move(n), at);
    }
    --nesting_;
    return c;
  }
  int logical_or() {
    int a = logical_and();
    while (at_op("or") || at_op("||")) {
      const size_t at = tok_.offset;
      advance();
      a = binary(Op::kOr, a, logical_and(), at);
    }
    return a;
  }
  int logical_and() {
    int a = membership();
    while (at_op("and") || at_op("&&")) {
      const size_t at = tok_.offset;
      advance();
      a = binary(Op::kAnd, a, membership(), at);
    }
    return a;
  }
  // membership := equality (('in' | 'not' 'in') '(' list ')')*
  int membership() {
    int a = equality();
    while (at_op("in") || at_op("not")) {
      const size_t at = tok_.offset;
      const bool negated = at_op("not");
      advance();
      if (negated) {
        if (!at_op("in")) fail("expected 'in' after 'not'", tok_.offset);
        advance();
      }
      expect(Tok::kLParen, "'(' after 'in'");
      Program::Node n;
      n.op = negated ? Op::kNotIn : Op::kIn;
      n.kids.push_back(a);
      n.kids.push_back(conditional());
      while (tok_.kind == Tok::kComma) {
        advance();
        n.kids.push_back(conditional());
      }
      expect(Tok::kRParen, "')'");
      a = add(std::move(n), at);
    }
    return a;
  }
  int equality() {
    int a = relational();
    for (;;) {
      Op op{};
      if (at_op("==")) {
        op = Op::kEqual;
      } else if (at_op("!=")) {
        op = Op::kNotEqual;
      } else if (at_op("===")) {
        op = Op::kStrictEqual;
      } else if (at_op("!==")) {
        op = Op::kStrictNotEqual;
      } else {
        return a;
      }
      const size_t at = tok_.offset;
      advance();
      a = binary(op, a, relational(), at);
    }
  }
  int relational() {
    int a = additive();
    for (;;) {
      Op op{};
      if (at_op("<")) {
        op = Op::kLess;
      } else if (at_op("<=")) {
        op = Op::kLessEqual;
      } else if (at_op(">")) {
        op = Op::kGreater;
      } else if (at_op(">=")) {
        op = Op::kGreaterEqual;
      } else {
        return a;
      }
      const size_t at = tok_.offset;
      advance();
      a = binary(op, a, additive(), at);
    }
  }
  int additive() {
    int a = multiplicative();
    while (at_op("+") || at_op("-")) {
      const Op op = at_op("+") ? Op::kAdd : Op::kSubtract;
      const size_t at = tok_.offset;
      advance();
      a = binary(op, a, multiplicative(), at);
    }
    return a;
  }
  int multiplicative() {
    int a = power();
    for (;;) {
      Op op{};
      if (at_op("*")) {
        op = Op::kMultiply;
      } else if (at_op("/")) {
        op = Op::kDivide;
      } else if (at_op("%")) {
        op = Op::kModulo;
      } else {
        return a;
      }
      const size_t at = tok_.offset;
      advance();
      a = binary(op, a, power(), at);
    }
  }
  int power() {
    int a = unary();
    while (at_op("^")) {
      const size_t at = tok_.offset;
      advance();
      a = binary(Op::kPower, a, unary(), at);
    }
    return a;
  }
  int unary() {
    if (at_op("not") || at_op("!") || at_op("-")) {
      const size_t at = tok_.offset;
      const Op op = at_op("-") ? Op::kNegate : Op::kNot;
      enter(at);
      advance();
      Program::Node n;
      n.op = op;
      n.kids = {unary()};
      --nesting_;
      return add(std::move(n), at);
    }
    return primary();
  }
  int primary() {
    const size_t at = tok_.offset;
    switch (tok_.kind) {
      case Tok::kNumber: {
        Program::Node n;
        n.op = Op::kNumber;
        n.number = tok_.number;
        advance();
        return add(std::move(n), at);
      }
      case Tok::kString: {
        Program::Node n;
        n.op = Op::kString;
        n.text = tok_.text;
        advance();
        return add(std::move(n), at);
      }
      case Tok::kName: {
        std::string name = tok_.text;
        const bool quoted = src_[at] == '\'';
        advance();
        if (tok_.kind == Tok::kLParen && !quoted) return call(name, at);
        Program::Node n;
        n.op = Op::kVariable;
        if (std::find(variables_.begin(), variables_.end(), name) == variables_.end()) {
          variables_.push_back(name);
        }
        n.text = std::move(name);
        return add(std::move(n), at);
      }
      case Tok::kLParen: {
        advance();
        const int e = conditional();
        expect(Tok::kRParen, "')'");
        return e;
      }
      default:
        fail_unexpected();
    }
  }
  int call(const std::string& name, size_t at) {
    const auto* info = std::find_if(kFunctions.begin(), kFunctions.end(),
                                    [&](const FunctionInfo& f) { return f.name == name; });
    if (info == kFunctions.end()) {
      if (name == "random") fail("function 'random()' is not supported", at);
      fail(fmt::format("unknown function '{}()' (known: abs, ceil, floor, log, max, min, "
                       "round, sqrt)",
                       name),
           at);
    }
    advance();  // '('
    Program::Node n;
    n.op = Op::kCall;
    n.fn = info->fn;
    if (tok_.kind != Tok::kRParen) {
      n.kids.push_back(conditional());
      while (tok_.kind == Tok::kComma) {
        advance();
        n.kids.push_back(conditional());
      }
    }
    expect(Tok::kRParen, "')'");
    if (info->arity >= 0 && static_cast<int>(n.kids.size()) != info->arity) {
      fail(fmt::format("{}() takes {} argument{}", name, info->arity, info->arity == 1 ? "" : "s"),
           at);
    }
    return add(std::move(n), at);
  }

  std::string_view src_;
  size_t pos_ = 0;
  Token tok_;
  int nesting_ = 0;
  Program program_;
  std::vector<int> depths_;
  std::vector<std::string> variables_;
};

bool loose_equal(const ExprValue& a, const ExprValue& b) {
  if (a.kind() == b.kind()) {
    switch (a.kind()) {
      case ExprValue::Kind::kUndefined:
        return true;
      case ExprValue::Kind::kNumber:
        return a.as_number() == b.as_number();
      case ExprValue::Kind::kString:
        return a.text() == b.text();
    }
  }
  if (a.is_undefined() || b.is_undefined()) return false;
  return a.as_number() == b.as_number();
}

bool strict_equal(const ExprValue& a, const ExprValue& b) {
  return a.kind() == b.kind() && loose_equal(a, b);
}

// JavaScript's abstract relational comparison; nullopt when NaN is involved.
std::optional<int> compare(const ExprValue& a, const ExprValue& b) {
  if (a.is_string() && b.is_string()) {
    const int c = a.text().compare(b.text());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  const double x = a.as_number();
  const double y = b.as_number();
  if (std::isnan(x) || std::isnan(y)) return std::nullopt;
  return x < y ? -1 : (x > y ? 1 : 0);
}

ExprValue boolean(bool b) { return ExprValue::number(b ? 1 : 0); }

class Evaluator {
 public:
  Evaluator(const Expression::Program& p, ExprLookup lookup) : p_(p), lookup_(lookup) {}

  ExprValue eval(int index) const {
    const auto& n = p_.nodes[static_cast<size_t>(index)];
    const auto kid = [&](size_t i) { return eval(n.kids[i]); };
    switch (n.op) {
      case Op::kNumber:
        return ExprValue::number(n.number);
      case Op::kString:
        return ExprValue::string(n.text);
      case Op::kVariable: {
        std::optional<ExprValue> v = lookup_(n.text);
        return v ? std::move(*v) : ExprValue{};
      }
      case Op::kNegate:
        return ExprValue::number(-kid(0).as_number());
      case Op::kNot:
        return boolean(!kid(0).truthy());
      case Op::kAdd: {
        const ExprValue a = kid(0);
        const ExprValue b = kid(1);
        if (a.is_string() || b.is_string()) return ExprValue::string(a.as_string() + b.as_string());
        return ExprValue::number(a.as_number() + b.as_number());
      }
      case Op::kSubtract:
        return ExprValue::number(kid(0).as_number() - kid(1).as_number());
      case Op::kMultiply:
        return ExprValue::number(kid(0).as_number() * kid(1).as_number());
      case Op::kDivide:
        return ExprValue::number(kid(0).as_number() / kid(1).as_number());
      case Op::kModulo:
        return ExprValue::number(std::fmod(kid(0).as_number(), kid(1).as_number()));
      case Op::kPower:
        return ExprValue::number(std::pow(kid(0).as_number(), kid(1).as_number()));
      case Op::kEqual:
        return boolean(loose_equal(kid(0), kid(1)));
      case Op::kNotEqual:
        return boolean(!loose_equal(kid(0), kid(1)));
      case Op::kStrictEqual:
        return boolean(strict_equal(kid(0), kid(1)));
      case Op::kStrictNotEqual:
        return boolean(!strict_equal(kid(0), kid(1)));
      case Op::kLess: {
        const auto c = compare(kid(0), kid(1));
        return boolean(c && *c < 0);
      }
      case Op::kLessEqual: {
        const auto c = compare(kid(0), kid(1));
        return boolean(c && *c <= 0);
      }
      case Op::kGreater: {
        const auto c = compare(kid(0), kid(1));
        return boolean(c && *c > 0);
      }
      case Op::kGreaterEqual: {
        const auto c = compare(kid(0), kid(1));
        return boolean(c && *c >= 0);
      }
      case Op::kAnd: {
        // filtrex: Number(a && b)
        const ExprValue a = kid(0);
        return ExprValue::number(a.truthy() ? kid(1).as_number() : a.as_number());
      }
      case Op::kOr: {
        // filtrex: Number(a || b)
        const ExprValue a = kid(0);
        return ExprValue::number(a.truthy() ? a.as_number() : kid(1).as_number());
      }
      case Op::kIn:
      case Op::kNotIn: {
        // filtrex builds an object keyed by the set's values: membership
        // compares String(x).
        const std::string x = kid(0).as_string();
        bool found = false;
        for (size_t i = 1; i < n.kids.size() && !found; ++i) found = kid(i).as_string() == x;
        return boolean(n.op == Op::kIn ? found : !found);
      }
      case Op::kConditional:
        return kid(0).truthy() ? kid(1) : kid(2);
      case Op::kCall:
        return call(n);
    }
    return {};
  }

 private:
  ExprValue call(const Expression::Program::Node& n) const {
    std::vector<double> args;
    args.reserve(n.kids.size());
    for (const int k : n.kids) args.push_back(eval(k).as_number());
    constexpr double kInf = std::numeric_limits<double>::infinity();
    switch (n.fn) {
      case Function::kAbs:
        return ExprValue::number(std::fabs(args[0]));
      case Function::kCeil:
        return ExprValue::number(std::ceil(args[0]));
      case Function::kFloor:
        return ExprValue::number(std::floor(args[0]));
      case Function::kLog:
        return ExprValue::number(std::log(args[0]));
      case Function::kSqrt:
        return ExprValue::number(std::sqrt(args[0]));
      case Function::kRound:
        // Math.round: halves round towards +Infinity.
        return ExprValue::number(std::floor(args[0] + 0.5));
      case Function::kMax:
      case Function::kMin: {
        const bool max = n.fn == Function::kMax;
        double r = max ? -kInf : kInf;
        for (const double a : args) {
          if (std::isnan(a)) return ExprValue::number(std::nan(""));
          r = max ? std::max(r, a) : std::min(r, a);
        }
        return ExprValue::number(r);
      }
    }
    return {};
  }

  const Expression::Program& p_;
  ExprLookup lookup_;
};

}  // namespace

ExprValue ExprValue::from_text(std::string_view text) {
  if (is_json_number(text)) return number(parse_double(text));
  return string(std::string(text));
}

double ExprValue::as_number() const {
  switch (kind_) {
    case Kind::kUndefined:
      return std::nan("");
    case Kind::kNumber:
      return number_;
    case Kind::kString:
      return string_to_number(string_);
  }
  return std::nan("");
}

std::string ExprValue::as_string() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "undefined";
    case Kind::kNumber:
      return number_to_string(number_);
    case Kind::kString:
      return string_;
  }
  return {};
}

bool ExprValue::truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
      return false;
    case Kind::kNumber:
      return number_ != 0 && !std::isnan(number_);
    case Kind::kString:
      return !string_.empty();
  }
  return false;
}

Expression Expression::compile(std::string_view source) {
  if (source.size() > kMaxSourceBytes) {
    throw ExpressionError(fmt::format("expression longer than {} bytes", kMaxSourceBytes),
                          kMaxSourceBytes);
  }
  Expression e;
  e.source_ = std::string(source);
  Compiler compiler(e.source_);
  e.program_ = std::make_shared<const Program>(compiler.run(e.variables_));
  return e;
}

ExprValue Expression::evaluate(ExprLookup lookup) const {
  if (!program_) return {};
  return Evaluator(*program_, lookup).eval(program_->root);
}

}  // namespace barrage::script
