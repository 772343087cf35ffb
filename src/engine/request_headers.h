// Request headers as the engine assembles them: defaults first, then the
// step's own, a later header replacing an earlier one of the same name
// (case-insensitive), as Artillery merges them.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/ascii.h"

namespace barrage::engine {

using HeaderVector = std::vector<std::pair<std::string, std::string>>;

inline void put_header(HeaderVector& headers, std::string_view name, std::string value) {
  for (auto& h : headers) {
    if (ascii::iequals(h.first, name)) {
      h.second = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
}

}  // namespace barrage::engine
