// Artillery's expression language (filtrex), for `ifTrue` and `ensure`
// conditions.
//
// An Expression is compiled once at load time (Expression::compile, which
// throws ExpressionError with the byte offset of the problem) and evaluated
// many times against a lookup of variables. A compiled Expression is immutable
// and may be evaluated concurrently from any thread.
//
// Hand-written: filtrex is a JavaScript library (a Jison grammar that compiles
// to JavaScript); no packaged C++ library reads its grammar.
//
// Syntax, as filtrex 0.5 and 2.x read it:
//   43  1.5                 numbers (a leading `-` is the unary minus)
//   "text"                  strings (double quotes; no escapes)
//   name  a.b.c  $loopCount variables: letters, digits, `_`, `$` and `.`; a dotted
//                           name is ONE variable name (`http.response_time.p95`)
//   'any name'              a quoted variable name (filtrex reads single quotes as
//                           names, not strings: `'errors.ETIMEDOUT' < 5`)
//   + - * / % ^             arithmetic (`^` is power); `+` concatenates when either
//                           side is a string, as in JavaScript
//   == != < <= > >=         comparisons, JavaScript's loose rules (below)
//   === !==                 strict (type and value) equality; an extension
//   and or not              logic; `&&`, `||`, `!` are accepted as the same
//   x in (a, b)  x not in (a, b)
//   c ? a : b               conditional
//   ( )                     grouping
//   abs ceil floor log max min round sqrt   functions
// Precedence, lowest first: `?:`, or, and, in, == !=, < <= > >=, + -, * / %, ^,
// not, unary minus. Comparisons and logic yield the numbers 1 and 0 (filtrex
// wraps them in Number()), so `a and b` is 1 or 0.
//
// Values are numbers, strings or undefined (a name the lookup does not know).
// Truthy: a number other than 0 and NaN, a non-empty string. Comparisons follow
// JavaScript: two strings compare by bytes; otherwise both sides are converted
// to numbers (a string that is not a number, and undefined, give NaN, and any
// comparison with NaN is false). `==` between a number and a string compares
// numerically; undefined equals only undefined.
//
// Not supported (rejected at compile time): `~=` (regular expressions) and
// `random()`.
//
// This header must not use <expected> (clang 14 builds it for fuzzing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace barrage::script {

class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(const std::string& what, size_t offset)
      : std::runtime_error(what), offset_(offset) {}
  // Byte offset in the expression where the problem is (0-based).
  [[nodiscard]] size_t offset() const noexcept { return offset_; }

 private:
  size_t offset_;
};

// A value of the expression language.
class ExprValue {
 public:
  enum class Kind : uint8_t { kUndefined, kNumber, kString };

  ExprValue() = default;
  static ExprValue number(double n) {
    ExprValue v;
    v.kind_ = Kind::kNumber;
    v.number_ = n;
    return v;
  }
  static ExprValue string(std::string s) {
    ExprValue v;
    v.kind_ = Kind::kString;
    v.string_ = std::move(s);
    return v;
  }
  // A string that reads fully as a decimal number becomes that number; any
  // other text stays a string. Used for variables, which barrage stores as
  // text where Artillery keeps captured JSON numbers as numbers.
  static ExprValue from_text(std::string_view text);

  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  [[nodiscard]] bool is_number() const noexcept { return kind_ == Kind::kNumber; }
  [[nodiscard]] bool is_string() const noexcept { return kind_ == Kind::kString; }
  [[nodiscard]] bool is_undefined() const noexcept { return kind_ == Kind::kUndefined; }
  [[nodiscard]] double as_number() const;       // JavaScript's Number(x)
  [[nodiscard]] std::string as_string() const;  // JavaScript's String(x)
  [[nodiscard]] bool truthy() const;
  [[nodiscard]] const std::string& text() const noexcept { return string_; }

 private:
  Kind kind_ = Kind::kUndefined;
  double number_ = 0;
  std::string string_;
};

// A non-owning callable: name -> value, or nullopt when the name is undefined.
class ExprLookup {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cv_t<F>, ExprLookup>)
      // NOLINTNEXTLINE(google-explicit-constructor,hicpp-explicit-conversions): a function_ref.
      ExprLookup(F& f)
      : object_(static_cast<void*>(&f)),
        call_([](void* o, std::string_view name) { return (*static_cast<F*>(o))(name); }) {}
  [[nodiscard]] std::optional<ExprValue> operator()(std::string_view name) const {
    return call_(object_, name);
  }

 private:
  void* object_;
  std::optional<ExprValue> (*call_)(void*, std::string_view);
};

class Expression {
 public:
  static constexpr size_t kMaxSourceBytes = 4096;
  static constexpr int kMaxDepth = 64;

  Expression() = default;
  // Throws ExpressionError on malformed input.
  static Expression compile(std::string_view source);

  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  [[nodiscard]] bool empty() const noexcept { return program_ == nullptr; }
  // Every variable name the expression reads, in order of appearance, unique.
  [[nodiscard]] const std::vector<std::string>& variables() const noexcept { return variables_; }

  // Never throws. An empty (default) Expression evaluates to undefined.
  [[nodiscard]] ExprValue evaluate(ExprLookup lookup) const;
  [[nodiscard]] bool test(ExprLookup lookup) const { return evaluate(lookup).truthy(); }

  struct Program;

 private:
  std::string source_;
  std::shared_ptr<const Program> program_;
  std::vector<std::string> variables_;
};

}  // namespace barrage::script
