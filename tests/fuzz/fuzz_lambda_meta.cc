// Fuzzes the run metadata reader (meta/<run_id>.json in the bucket, read by
// `barrage lambda status` and `cleanup`): a document either parses into a
// valid run id or is refused with a reason; nothing escapes, and what parses
// writes back to the same value.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lambda/resources.h"

#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace barrage::lambda;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto m = run_metadata_from_json(in);
  if (!m) {
    FUZZ_CHECK(!m.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(valid_run_id(m->run_id));
  const auto again = run_metadata_from_json(run_metadata_to_json(*m));
  FUZZ_CHECK(again && again->run_id == m->run_id && again->started_ms == m->started_ms &&
             again->regions == m->regions && again->queue_urls == m->queue_urls);
  return 0;
}
