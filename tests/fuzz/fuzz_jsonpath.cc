// Fuzzes JSONPath compilation and evaluation. The input up to the first newline
// is the expression, the rest the JSON document. Compile may throw JsonPathError
// only; evaluate must not throw and must respect the result limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "script/jsonpath.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using barrage::script::JsonPath;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view expression = input.substr(0, newline);
  const std::string_view document =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  JsonPath path;
  try {
    path = JsonPath::compile(expression);
  } catch (const barrage::script::JsonPathError& e) {
    if (e.offset() > expression.size()) __builtin_trap();
    return 0;
  }
  if (path.source() != expression) __builtin_trap();
  const auto values = path.evaluate(document);
  if (values && values->size() > JsonPath::kMaxResults) __builtin_trap();
  return 0;
}
