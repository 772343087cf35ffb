// What every shard of a run shares, read-only, once the run has started.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/event_loop.h"
#include "http/url.h"
#include "script/plan.h"

namespace barrage::engine {

// A request whose bytes do not depend on the VU: rendered once for the run.
struct PreparedRequest {
  std::optional<http::Url> url;      // set when the URL is static
  std::string origin;                // url->origin(), computed once
  std::optional<std::string> bytes;  // the whole request, when everything is static
};

struct RunContext {
  const script::Plan* plan = nullptr;
  std::optional<http::Url> target;  // parsed config.target (or --target)
  std::string target_text;          // the same, as written: {{ target }}
  std::unordered_map<const script::Request*, PreparedRequest> prepared;
  bool verify_tls = true;
  Nanos request_timeout = 10 * kNanosPerSecond;
  uint64_t seed = 0;
  std::string test_id;         // {{ $testId }}: one id per run
  uint64_t slice_count = 1;    // shards in this process x workers
  uint64_t slice_base = 0;     // this process's first slice index
  Nanos start = 0;             // common monotonic start time of phase 0
  int64_t start_wall_ms = 0;   // the same instant on the wall clock
  int64_t period_ms = 10'000;  // metrics period length
  Nanos drain = -1;  // after the last phase, how long in-flight VUs may finish; < 0: no bound
  // A segment of a long distributed test: only arrivals whose intended
  // offset is in [window_from, window_to) start here (window_to 0: no end).
  // Closed-model VUs run within the same window. See RunOptions.
  Nanos window_from = 0;
  Nanos window_to = 0;
  // Variables every VU sees (captured by the `before` flow), set before the
  // shards start.
  std::vector<std::pair<std::string, std::string>> shared_vars;
  // `before`/`after` runs only: where the VU leaves its variables when it
  // ends (one shard, one VU, so no other thread writes it).
  std::vector<std::pair<std::string, std::string>>* export_vars = nullptr;
};

}  // namespace barrage::engine
