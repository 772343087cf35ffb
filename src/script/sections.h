// Loader internals: one function per script section. Each validates its own
// keys against a table (see yaml_access.h) and fills its part of the Plan, so
// a new Artillery section is a new function plus a table entry.
#pragma once

#include <optional>
#include <vector>

#include "script/plan.h"
#include "script/yaml_access.h"

namespace barrage::script::detail {

// config: target, phases, variables, defaults, http, tls.
void load_config(LoadContext& ctx, const Field& config, Plan& plan);

// scenarios: weights, flows, steps, requests; fills Plan::endpoints and
// ctx.first_relative_url.
void load_scenarios(LoadContext& ctx, const Field& scenarios, Plan& plan);

// A think-time jitter: a percentage ("10%") or milliseconds.
Jitter read_jitter(const LoadContext& ctx, const Field& f);
// `defaults.think` / `http.defaults.think`: { jitter } applied to every think step.
std::optional<Jitter> read_default_think(LoadContext& ctx, const Field& f);

// A `headers:` mapping of name -> template value.
std::vector<Header> load_headers(LoadContext& ctx, const Field& headers);

}  // namespace barrage::script::detail
