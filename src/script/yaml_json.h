// Loader internal: serializes a YAML value to JSON text for `json:` bodies.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "script/yaml_access.h"

namespace barrage::script::detail {

// Scalars are typed by the YAML 1.2 core schema, as js-yaml (Artillery) does:
// quoted or !!str-tagged scalars are strings; plain true/false, null/~ and
// JSON-shaped numbers keep their type; every other plain scalar is a string.
// `{{ }}` holes stay inside the JSON string literals that hold them.
// Throws ScriptError when nesting exceeds kMaxDepth, the text exceeds
// kMaxJsonBytes, or a key is not a scalar.
inline constexpr size_t kMaxJsonBytes = 16 * 1024 * 1024;
std::string yaml_to_json(LoadContext& ctx, const YAML::Node& node);

}  // namespace barrage::script::detail
