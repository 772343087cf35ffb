// Runs a script's JavaScript processor (`config.processor`) for the engine:
// one Node.js process per shard, started only for a plan with a processor,
// with the host program (host.js, compiled into the binary) that loads the
// processor with require() or import() and keeps each VU's context object.
// See docs/processors.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/hook_host.h"
#include "script/plan.h"
#include "util/error.h"

namespace barrage::processor {

// Installs the engine's hook host factory (engine::set_hook_host_factory):
// call once at start-up in a program that runs plans (the barrage binary).
void install();

// Starts `count` hosts for `plan` (in parallel) and waits until each has
// loaded the processor. Throws std::runtime_error naming the problem.
std::vector<std::unique_ptr<engine::HookHost>> start_hosts(const script::Plan& plan, size_t count);

// The load-time check: loads the processor once in Node.js and gives an
// Error at the right place when it does not load (a syntax error: the
// processor's file:line:col; a missing npm module) or when the script names
// a function the processor does not export (the script's file:line:col). A
// plan without a processor passes at once.
Status check_plan(const script::Plan& plan);

// The Node.js executable used: $BARRAGE_NODE, else the pinned Node the build
// found (cmake/node.cmake) when it exists, else `node` on PATH.
std::string node_executable();

}  // namespace barrage::processor
