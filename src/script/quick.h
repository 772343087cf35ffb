// `barrage quick URL`: the plan of a one-URL test (GET, like ab or artillery
// quick), built as a YAML tree (never by pasting text) and loaded like any
// script, so quick runs exactly the engine that `run` does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "script/plan.h"
#include "util/error.h"

namespace barrage::script {

struct QuickOptions {
  std::string url;
  int64_t count = 10;                // virtual users
  int64_t num = 10;                  // requests per VU
  std::optional<double> rate;        // arrivals per second (open model)
  std::optional<double> duration_s;  // with rate: how long; alone: VUs loop this long
};

// The YAML script of the test (what the loader reads).
std::string quick_script(const QuickOptions& options);

// An Error (file "quick URL") when the URL cannot be one: a line break, or
// "{{" (a script's template syntax; quick sends the URL as given).
Result<Plan> quick_plan(const QuickOptions& options);

}  // namespace barrage::script
