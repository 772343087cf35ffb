// The seam between virtual users and a script's JavaScript processor
// (`config.processor`): the engine awaits hook calls through this interface
// and knows nothing of how they run. src/processor implements it with one
// Node.js process per shard (docs/processors.md); a build or a test that never
// installs a factory cannot run a plan with a processor (run_plan says so).
//
// A call is an awaitable object in the VU's coroutine frame: the host
// resumes it (EventLoop::post) when the reply arrives or its deadline passes;
// destroying a pending call (a VU ended by a stop or a drain cut-off) cancels
// it, so a late reply never touches a freed frame.
#pragma once

#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/event_loop.h"
#include "script/plan.h"

namespace barrage::engine {

class HookHost;

// One custom metric a hook emitted: events.emit(type, name, value).
struct HookMetric {
  enum class Type : uint8_t { kCounter, kHistogram, kRate, kError };
  Type type = Type::kCounter;
  std::string name;
  double value = 0;
};

struct HookReply {
  // Empty when every function completed; else the error that fails the VU
  // (Artillery's err.code || err.message, or the host's own names).
  std::string error;
  std::vector<std::pair<std::string, std::string>> vars;  // variables whose text changed
  std::string request;                                    // beforeRequest: changed fields (JSON)
  std::vector<HookMetric> metrics;
};

// A hook call in flight; lives in the awaiting coroutine's frame.
class HookCall {
 public:
  enum class Kind : uint8_t { kFunction, kBeforeRequest, kAfterResponse };
  HookCall(HookHost& host, EventLoop& loop) noexcept;
  ~HookCall();
  HookCall(const HookCall&) = delete;
  HookCall& operator=(const HookCall&) = delete;

  // What to call (filled before co_await).
  Kind kind = Kind::kFunction;
  uint64_t vu = 0;
  const std::vector<script::HookRef>* functions = nullptr;
  const script::Vars* vars = nullptr;  // the VU's own variables (sent whole)
  std::string request_json;            // requestParams (beforeRequest, afterResponse)
  std::string response_json;           // response (afterResponse)

  HookReply reply;

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h);
  HookReply& await_resume() noexcept { return reply; }

  // --- for the host ---
  // Completes the call: resumes the VU on its loop's next turn.
  void complete() noexcept;
  [[nodiscard]] bool done() const noexcept { return done_; }
  uint64_t id = 0;  // the host's
  Timer deadline;   // armed by the host

 private:
  static void on_deadline(void* self) noexcept;
  HookHost& host_;
  EventLoop& loop_;
  std::coroutine_handle<> waiter_;
  bool done_ = false;
  bool submitted_ = false;
};

class HookHost {
 public:
  virtual ~HookHost() = default;
  // Binds the host to its shard's loop (the shard's thread, before any call).
  virtual void attach(EventLoop& loop) = 0;
  // Sends the call; the host arms call.deadline and completes the call later.
  virtual void submit(HookCall& call) = 0;
  // The call's frame is going away (or its deadline passed): forget it.
  virtual void cancel(HookCall& call) noexcept = 0;
  // The call's deadline passed: the host fills the error and completes it.
  virtual void timed_out(HookCall& call) noexcept = 0;
  // A VU session ended: its context may be dropped.
  virtual void end_vu(uint64_t vu) noexcept = 0;
};

// Starts `count` hosts for a plan with a processor (in parallel, loading the
// processor in each); throws std::runtime_error when one cannot start.
using HookHostFactory =
    std::function<std::vector<std::unique_ptr<HookHost>>(const script::Plan& plan, size_t count)>;

// Process-wide: installed once at start-up by front ends that can run
// processors (the barrage executable: processor::install()).
void set_hook_host_factory(HookHostFactory factory);
const HookHostFactory& hook_host_factory();

}  // namespace barrage::engine
