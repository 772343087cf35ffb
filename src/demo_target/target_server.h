// The built-in demo target (`barrage target`): an HTTP/1.1 server on loopback
// that behaves like an API backed by AWS Lambda, so examples and tests have
// something realistic to load. Routes are listed in target/router.h.
//
// Lambda model (target/instance_pool.h): each request that reaches the
// function holds an "instance" until its response is sent. Its response is
// delayed by latency_ms +- jitter_ms (uniform), plus cold_start_ms when a new
// instance had to be created for it, plus route work (/delay, reports).
// With concurrency_limit L > 0, a request arriving while L requests hold
// instances is answered 429 {"message":"Too Many Requests"} at once. With
// error_rate p, a fraction p of function requests are answered with a random
// 500/502/503/504 after the same delay (minus route work). Function responses
// carry `x-barrage-instance: <id>` and `x-barrage-cold-start: true|false`.
// / and /health, 404 and 405 are answered at once by the "gateway".
// Delays use timers on the event loop; nothing sleeps.
//
// Threads: `threads` event loops, each with its own SO_REUSEPORT listeners
// on the same port, one per address (the kernel spreads new connections); a
// connection lives on one loop. All loops share one instance pool (one function).
//
// HTTP: keep-alive per HTTP/1.1 (Connection: close honoured, HTTP/1.0
// keep-alive on request), pipelined requests answered in order, one request
// at a time per connection; Content-Length and chunked request bodies up to
// 1 MiB; request line + headers up to 16 KiB (else 431); malformed requests
// get 400 and the connection is closed after the response. Level-triggered
// epoll; output is buffered for partial writes and reading pauses while a
// connection has a response in progress, which bounds its buffers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/error.h"

namespace barrage {
class Clock;
}

namespace barrage::demo_target {

struct SharedState;
class Worker;

struct TargetOptions {
  // Where to listen: "localhost" (the default) is 127.0.0.1 and ::1 (::1
  // where the machine has it), as clients that resolve localhost try both;
  // else one IP literal ("127.0.0.1", "::1", "[::1]", "0.0.0.0", ...).
  std::string host = "localhost";
  uint16_t port = 0;                 // 0 = pick a free port (see TargetServer::port())
  int threads = 1;                   // event-loop threads, >= 1
  double latency_ms = 0;             // base latency added to every function response
  double jitter_ms = 0;              // uniform +- jitter around latency_ms (floored at 0)
  double cold_start_ms = 0;          // extra delay for the first request on a new instance
  int64_t instance_idle_ms = 60000;  // instances idle this long expire (<= 0: never)
  int64_t concurrency_limit = 0;     // in-flight function requests before 429 (0 = none)
  double error_rate = 0;             // fraction [0, 1] of function requests answered 5xx
  uint64_t seed = 1;                 // RNG seed for jitter and error injection
  // Accepted as `Authorization: Bearer <demo_token>` (user "demo") wherever a
  // token is needed, so scripts without captures can call the API. Empty disables.
  std::string demo_token = "demo-token";
  // Instance idle expiry is measured on this clock (tests pass a
  // SimulatedClock and advance it instead of waiting); null: the loops'
  // monotonic time, with no virtual call per request. Outlives the server.
  const Clock* instance_clock = nullptr;
};

class TargetServer {
 public:
  struct Stats {
    uint64_t requests = 0;     // complete requests parsed (every route)
    uint64_t cold_starts = 0;  // instances created
    uint64_t throttled = 0;    // 429s from the concurrency limit
    uint64_t errors = 0;       // injected 5xx (error_rate)
    uint64_t instances = 0;    // live instances now (busy + idle, not expired)
  };

  explicit TargetServer(TargetOptions options);
  ~TargetServer();  // stop()s
  TargetServer(const TargetServer&) = delete;
  TargetServer& operator=(const TargetServer&) = delete;

  // Binds, listens and starts the threads. An Error when the options are
  // invalid or the address cannot be bound. Call once.
  Status start();
  // The bound port (valid after a successful start()).
  [[nodiscard]] uint16_t port() const noexcept { return port_; }
  // The addresses listened on, e.g. "127.0.0.1 and ::1" (after start()).
  [[nodiscard]] const std::string& addresses() const noexcept { return addresses_; }
  // Stops the loops and joins the threads; closes every connection. Idempotent.
  void stop();
  // Safe from any thread, except concurrently with start() or stop(); after
  // stop() it keeps reporting the final counts.
  [[nodiscard]] Stats stats() const;

 private:
  TargetOptions options_;
  uint16_t port_ = 0;
  std::string addresses_;
  std::unique_ptr<SharedState> shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint64_t stopped_requests_ = 0;  // counts of workers already stopped
  uint64_t stopped_errors_ = 0;
};

}  // namespace barrage::demo_target
