// A virtual user: one run of a scenario's flow as a coroutine on its shard.
//
// Timing contract: each request has an intended start time. For the first
// request it is the VU's arrival time from the pacer; after a response it is
// the moment the response completed; after `think` it is the end of the think
// time as scheduled (not when the loop got round to waking the VU). Response
// time runs from that intended start to the last byte, so a slow target or a
// saturated generator shows up in the figures instead of hiding (coordinated
// omission). The difference between intended and actual send start is
// recorded as barrage.scheduling_lag.
//
// A failed request ends the VU (Artillery semantics) and is counted by name.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/connection.h"
#include "engine/task.h"
#include "http/cookie_jar.h"
#include "http/response_parser.h"
#include "script/plan.h"

namespace barrage::engine {

class Shard;
struct WsSession;

struct VuState {
  VuState(Shard& s, size_t slot_index, size_t phase_index, const script::Scenario& sc,
          Nanos arrival_time, Nanos loop_until);
  ~VuState();
  VuState(const VuState&) = delete;
  VuState& operator=(const VuState&) = delete;

  Shard& shard;
  size_t slot;
  size_t phase;
  const script::Scenario* scenario;
  Nanos arrival;       // intended arrival (monotonic ns)
  Nanos closed_until;  // closed model: loop the scenario until then; 0 = run once
  script::Vars vars;
  http::CookieJar cookies;
  http::ResponseParser parser;
  struct OwnedConnection {
    std::string origin;
    std::unique_ptr<Connection> conn;
  };
  std::vector<OwnedConnection> connections;  // VU-owned (no pool): closed when the VU ends
  std::string request_bytes;                 // scratch for rendered requests
  // The session's context id in the processor's host (0 until a hook runs;
  // a new one per scenario run, as Artillery makes a context per run).
  uint64_t hook_vu = 0;
  // engine: ws scenarios: the VU's WebSocket connection while its flow runs.
  std::unique_ptr<WsSession> ws;
  // What the VU is doing, for a drain cut-off: its request's endpoint name
  // (Plan::endpoints), or "think".
  std::string_view step;
};

// The VU's whole life: created -> flow (looped in the closed model) -> ended.
Task<void> run_virtual_user(VuState& vu);

}  // namespace barrage::engine
