// The environment as a lookup function, so credential, region and endpoint
// resolution can be tested with a map instead of the process environment.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace barrage::aws {

// Returns the variable's value, or nullopt when unset.
using Env = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
Env process_env();
// A fixed set of variables (tests).
Env map_env(std::map<std::string, std::string> vars);
// Value if set and non-empty.
std::optional<std::string> env_value(const Env& env, const std::string& name);

}  // namespace barrage::aws
