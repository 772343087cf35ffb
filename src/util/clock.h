// The wall clock, for what crosses processes and machines (start barriers,
// deadlines, stop times): CLOCK_REALTIME in milliseconds since the Unix
// epoch. Durations use engine::monotonic_now() instead.
#pragma once

#include <time.h>

#include <cstdint>

namespace barrage {

inline int64_t wall_now_ms() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace barrage
