// Loader internals: one function per script section. Each validates its own
// keys against a table (see yaml_access.h) and fills its part of the Plan, so
// a new Artillery section is a new function plus a table entry.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "script/plan.h"
#include "script/yaml_access.h"
#include "util/error.h"

namespace barrage::script {
struct LoadOptions;
}

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

// A ws `subprotocols` value: a string or a list of strings (tokens).
std::vector<std::string> read_ws_subprotocols(LoadContext& ctx, const Field& f);
// Artillery's ws engine reads a Sec-WebSocket-Protocol header as a
// comma-separated list of subprotocols: moves it from `headers` to the list.
void take_subprotocol_header(std::vector<Header>& headers, std::vector<std::string>& subprotocols);

// Compiles the ensure conditions load_config left pending (metric names
// with spaces), quoting the metric names the plan can produce; fails with the
// compile error of any that still does not compile. Call once the scenarios
// and hooks are loaded.
void finish_ensure(LoadContext& ctx, Plan& plan);

// Top-level `before` / `after`: a flow run once by one VU.
Scenario load_hook(LoadContext& ctx, const Field& hook, Plan& plan);

// The metrics-by-endpoint name of a request, as Artillery's plugin forms it
// from the URL (as written: dynamic URLs are grouped) and the request's
// `name` (nullptr when it has none).
std::string endpoint_key(const PluginOptions& options, std::string_view url,
                         const std::string* name);

// Merges --config, -e, --overrides and --variables into the parsed script
// (see overlay.cc) and fills ctx.template_env from the environment and
// --dotenv. `next_line` is the first 0-based line after the script's text.
YAML::Node apply_overlays(LoadContext& ctx, YAML::Node root, int next_line,
                          const LoadOptions& options);

// KEY=VALUE lines of a .env file (dotenv's format: # comments, optional
// quotes, `export ` prefix). An Error naming `path` and the line otherwise.
Result<std::vector<std::pair<std::string, std::string>>> read_dotenv(const std::string& path,
                                                                     std::string_view text);

}  // namespace barrage::script::detail
