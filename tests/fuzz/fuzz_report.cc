// Fuzzes read_report (the JSON report, read by `barrage report` and `barrage
// compare` from files anyone may hand them). Any accepted input, once written,
// must read back and write the same text again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "report/json_report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto report = barrage::report::read_report(input);
  if (!report) {
    if (report.error().message.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  const std::string text = barrage::report::write_report(*report);
  const auto again = barrage::report::read_report(text);
  if (!again || barrage::report::write_report(*again) != text) std::abort();
  return 0;
}
