// The ws engine (`engine: ws`, docs/websocket.md): a VU's WebSocket
// connection and the steps that use it, on the shard's event loop.
//
// The VU opens the connection before its flow (the flow's `connect`, else
// config.target), runs its steps (`send`, `wait`, and the common think,
// loop, log, function), then closes with the closing handshake. Every
// message the server sends is read and counted
// (websocket.messages_received), also while no step waits for one and while
// the VU thinks (pings are answered then too). A `send` that captures or
// matches takes the first message after its send that satisfies all of its
// captures and matches; a `wait` also looks at the messages that arrived
// since the previous step (the newest 256).
#pragma once

#include <memory>

#include "engine/connection.h"
#include "engine/task.h"
#include "engine/ws_codec.h"
#include "script/plan.h"

namespace barrage::engine {

struct VuState;

struct WsSession {
  WsSession(EventLoop& loop, size_t max_message, uint64_t seed)
      : conn(loop), codec(max_message, seed) {}
  Connection conn;
  WsCodec codec;
  // Why the connection can no longer be used (a server close, a protocol
  // error, EOF, an IO error); nullptr while it is open.
  const char* gone = nullptr;
};

// Opens vu.ws for the VU's scenario. nullptr, or the error (counted) that
// ends the VU.
Task<const char*> ws_open(VuState& vu, Nanos& intended);
// A `send` / `wait` step. nullptr, or the error (counted) that ends the VU.
Task<const char*> ws_step(VuState& vu, const script::WsSend& step, Nanos& intended);
// `think` while connected: reads (counts messages, answers pings) until `until`.
Task<void> ws_idle_until(VuState& vu, Nanos until);
// The closing handshake (bounded by config.ws.timeout), then vu.ws is freed.
Task<void> ws_finish(VuState& vu);

}  // namespace barrage::engine
