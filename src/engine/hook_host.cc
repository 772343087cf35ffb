#include "engine/hook_host.h"

namespace barrage::engine {

HookCall::HookCall(HookHost& host, EventLoop& loop) noexcept
    : deadline(loop, &HookCall::on_deadline, this), host_(host), loop_(loop) {}

HookCall::~HookCall() {
  deadline.disarm();
  if (submitted_ && !done_) host_.cancel(*this);
}

void HookCall::await_suspend(std::coroutine_handle<> h) {
  waiter_ = h;
  submitted_ = true;
  host_.submit(*this);
}

void HookCall::complete() noexcept {
  if (done_) return;
  done_ = true;
  deadline.disarm();
  if (waiter_) loop_.post(waiter_);
}

void HookCall::on_deadline(void* self) noexcept {
  auto* call = static_cast<HookCall*>(self);
  call->host_.timed_out(*call);
}

namespace {
HookHostFactory& factory_slot() {
  static HookHostFactory f;
  return f;
}
}  // namespace

void set_hook_host_factory(HookHostFactory factory) { factory_slot() = std::move(factory); }
const HookHostFactory& hook_host_factory() { return factory_slot(); }

}  // namespace barrage::engine
