// Fuzzes the script loader: any input must load or give an Error (template
// problems surface as Errors too). Any exception, crash, hang or sanitizer
// report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "script/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto plan =
      barrage::script::load_plan_string(text, "fuzz.yml", barrage::script::LoadOptions{});
  if (plan) (void)plan->total_duration_s();
  return 0;
}
