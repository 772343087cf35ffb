// `barrage target` as a process runs it: the demo API on the options'
// address until a stop (Ctrl-C) or the duration, announcing where it listens
// and what it served.
#pragma once

#include <atomic>
#include <cstdio>
#include <optional>
#include <string>

#include "demo_target/target_server.h"

namespace barrage::demo_target {

struct ServeOptions {
  std::optional<double> duration_s;      // stop after this long; none = until `stop`
  std::optional<std::string> port_file;  // the listening port is written here once ready
};

// Raises the descriptor limit, starts the server, prints "barrage target
// (ADDRESSES) listening on http://HOST:PORT" to `out`, waits, and prints the stop line
// with its counts. Returns 0, or 2 (with the reason on stderr) when it cannot
// listen.
int serve(const TargetOptions& target, const ServeOptions& options, const std::atomic<bool>& stop,
          std::FILE* out = stdout);

}  // namespace barrage::demo_target
