// Fuzzes the JavaScript regex rewrite and PCRE2 compile and match, and XPath
// compile and evaluation. Input: flags, newline, pattern, newline, body.
// Compile may throw RegexError / XPathError only; matching must not throw,
// and every group of a match must lie inside the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "script/regex.h"
#include "script/xpath.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using barrage::script::Regex;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t first = input.find('\n');
  if (first == std::string_view::npos) return 0;
  const std::string_view flags = input.substr(0, first);
  const std::string_view rest = input.substr(first + 1);
  const size_t second = rest.find('\n');
  const std::string pattern(rest.substr(0, second));
  const std::string_view body =
      second == std::string_view::npos ? std::string_view() : rest.substr(second + 1);
  try {
    const Regex re = Regex::compile(pattern, flags);
    if (const auto m = re.exec(body)) {
      if (m->groups.size() != static_cast<size_t>(re.groups()) + 1 || !m->groups[0]) {
        __builtin_trap();
      }
      for (const auto& g : m->groups) {
        if (g && (g->data() < body.data() || g->data() + g->size() > body.data() + body.size())) {
          __builtin_trap();
        }
      }
    }
    (void)barrage::script::artillery_regexp_capture(re, body, re.groups(), false);
  } catch (const barrage::script::RegexError&) {
  }
  try {
    const auto x = barrage::script::XPath::compile(pattern);
    (void)x.first_string(body);
  } catch (const barrage::script::XPathError& e) {
    if (e.offset() > pattern.size()) __builtin_trap();
  }
  return 0;
}
