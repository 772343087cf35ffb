// Fuzzes the script loader: any input must load or fail with ScriptError
// (template problems surface as ScriptError too). Any other exception, crash,
// hang or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "script/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const barrage::script::Plan plan =
        barrage::script::load_plan_string(text, "fuzz.yml", barrage::script::LoadOptions{});
    (void)plan.total_duration_s();
  } catch (const barrage::script::ScriptError&) {
  } catch (const barrage::script::TemplateError&) {
  }
  return 0;
}
