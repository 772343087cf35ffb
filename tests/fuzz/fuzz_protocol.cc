// Fuzzes the worker protocol decoder and the WorkerJob reader: the input is a
// sequence of lines fed to one Decoder (so multi-part reassembly is reached)
// and, whole, to job_from_json. A decoded message must re-encode and decode to
// the same content.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fleet/job.h"
#include "fleet/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)barrage::fleet::job_from_json(std::string(input));
  barrage::fleet::Decoder decoder(8);
  size_t start = 0;
  while (start <= input.size()) {
    size_t nl = input.find('\n', start);
    if (nl == std::string_view::npos) nl = input.size();
    auto added = decoder.add(input.substr(start, nl - start));
    const auto m = added ? *added : std::nullopt;
    if (m) {
      barrage::fleet::Decoder again;
      std::optional<barrage::fleet::Message> back;
      for (const auto& e : barrage::fleet::encode(*m, 4096)) {
        auto got = again.add(e);
        if (got && *got) back = std::move(*got);
      }
      if (!back || back->kind != m->kind || back->seq != m->seq || back->worker != m->worker ||
          !(back->snapshot == m->snapshot) || back->reason != m->reason) {
        std::abort();
      }
    }
    start = nl + 1;
  }
  return 0;
}
