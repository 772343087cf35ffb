// JSON string escaping, shared by template rendering (Escape::kJsonString holes)
// and the loader's YAML-to-JSON serializer.
#pragma once

#include <string>
#include <string_view>

namespace barrage::script {

// Appends `s` to `out` escaped for use between the quotes of a JSON string:
// `"` and `\` are backslash-escaped, control characters become \n, \t, ... or
// \u00XX. Other bytes (UTF-8 included) are copied unchanged. Does not allocate
// beyond growing `out`.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace barrage::script
