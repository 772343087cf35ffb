// Fuzzes template compilation and rendering. The first byte picks the escape
// mode; the rest is the template source. Compile may throw TemplateError only;
// render must not throw at all.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "script/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using barrage::script::Escape;
  using barrage::script::Template;
  if (size == 0) return 0;
  const Escape escape = (data[0] & 1) != 0 ? Escape::kJsonString : Escape::kNone;
  const std::string_view source(reinterpret_cast<const char*>(data + 1), size - 1);
  Template t;
  try {
    t = Template::compile(source, escape);
  } catch (const barrage::script::TemplateError& e) {
    if (e.offset() > source.size()) __builtin_trap();
    return 0;
  }
  barrage::script::Vars globals;
  globals.set("user", "al\"ice\n");
  globals.set("id", "42");
  barrage::script::Vars vars(&globals);
  vars.set("user", "bob\\");
  barrage::Rng rng(size);
  std::string out;
  t.render(out, vars, rng);
  if (t.is_static() && out != t.source()) __builtin_trap();
  return 0;
}
