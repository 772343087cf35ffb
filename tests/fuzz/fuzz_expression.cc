// Fuzzes the expression language (ifTrue, ensure conditions): compile may throw
// ExpressionError only, with an offset inside the source; evaluation must not
// throw at all, whatever the variables hold.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "script/expression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using barrage::script::Expression;
  using barrage::script::ExprValue;
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  Expression e;
  try {
    e = Expression::compile(source);
  } catch (const barrage::script::ExpressionError& err) {
    if (err.offset() > source.size()) __builtin_trap();
    return 0;
  }
  // Variables: text (numeric or not), numbers, or undefined, by name length.
  auto lookup = [](std::string_view name) -> std::optional<ExprValue> {
    switch (name.size() % 4) {
      case 0:
        return std::nullopt;
      case 1:
        return ExprValue::from_text("42");
      case 2:
        return ExprValue::string(std::string(name));
      default:
        return ExprValue::number(-0.5);
    }
  };
  const ExprValue v = e.evaluate(lookup);
  (void)v.truthy();
  (void)v.as_string();
  return 0;
}
