// Connects to one of a host's addresses, racing them as RFC 8305 (Happy
// Eyeballs) says: the decisions are HappyEyeballs' (engine/happy_eyeballs.h),
// this is the IO. Each attempt is a non-blocking socket of its own; the
// first to connect wins and is handed to the caller, the others are closed.
// From the caller's view this is one connect, so one barrage.connect/tcp
// timing, from the first SYN to the winner.
//
// Used only for names with several addresses: an IP literal, or a name with
// one address, connects directly on the Connection (no extra syscalls).
// Thread affinity: the loop's thread. Awaitable once:
//   ConnectRace race(loop, addrs, preferred, deadline);
//   ConnectRace::Result r = co_await race;
#pragma once

#include <coroutine>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/dns.h"
#include "engine/event_loop.h"
#include "engine/happy_eyeballs.h"

namespace barrage::engine {

class ConnectRace {
 public:
  struct Result {
    int fd = -1;                  // the connected socket (caller owns it), or -1
    uint32_t index = 0;           // of the winning address
    const char* error = nullptr;  // when lost: the first attempt's error (as
                                  // Node's AggregateError code), ETIMEDOUT at the deadline
  };

  ConnectRace(EventLoop& loop, std::vector<Endpoint> addrs, uint32_t preferred, Nanos deadline,
              Nanos attempt_delay = HappyEyeballs::kDefaultAttemptDelay);
  ~ConnectRace();  // closes every socket not handed out
  ConnectRace(const ConnectRace&) = delete;
  ConnectRace& operator=(const ConnectRace&) = delete;

  bool await_ready();
  void await_suspend(std::coroutine_handle<> h);
  // The outcome; the caller owns Result::fd from here on.
  Result await_resume() noexcept;

  // Won or lost (await_resume() has the outcome).
  [[nodiscard]] bool done() const noexcept { return done_; }
  // How many attempts were started (for tests and diagnostics).
  [[nodiscard]] size_t attempts() const noexcept { return attempts_.size(); }

 private:
  struct Attempt final : IoHandler {
    ConnectRace* race = nullptr;
    int fd = -1;
    uint32_t index = 0;
    void on_io(uint32_t events) noexcept override { race->on_attempt(*this, events); }
  };
  void start_due(Nanos now) noexcept;
  void on_attempt(Attempt& a, uint32_t events) noexcept;
  void fail(Attempt& a, const char* error) noexcept;
  void win(Attempt& a) noexcept;
  void lose(const char* error) noexcept;
  void settle() noexcept;  // after a change: arm the timer or wake the waiter
  static void on_timer(void* self) noexcept;

  EventLoop& loop_;
  std::vector<Endpoint> addrs_;
  HappyEyeballs decisions_;
  Nanos deadline_;
  Timer timer_;
  std::vector<std::unique_ptr<Attempt>> attempts_;
  Result result_;
  const char* first_error_ = nullptr;
  bool done_ = false;
  bool taken_ = false;  // await_resume() handed the winner out
  std::coroutine_handle<> waiter_;
};

}  // namespace barrage::engine
