// Per-shard DNS resolution, off the event loop, cached for the whole run.
//
// IP literals resolve immediately. A miss starts one lookup thread for that
// host (getaddrinfo blocks, so it never runs on the loop); waiters for the
// same host queue behind it. Results, good or bad, are cached for the run:
// a load test should not measure its resolver, and re-resolving per
// connection would hammer it. Thread affinity: the owning shard's loop; the
// lookup threads only touch the completion queue, under its mutex.
//
// A name may have several addresses (Debian's /etc/hosts gives `localhost`
// as ::1 and 127.0.0.1, in that order). A connection to such a name races
// them (engine/connect_race.h, RFC 8305 Happy Eyeballs, as Node's
// autoSelectFamily does), starting at the host's preferred address; the
// winner becomes the preferred one (`Resolver::prefer`), so later
// connections try it first.
#pragma once

#include <sys/socket.h>

#include <coroutine>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/event_loop.h"

namespace barrage::engine {

// One address with its port, ready for connect().
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

struct Resolution {
  const char* error = nullptr;  // nullptr on success, else "ENOTFOUND", ...
  sockaddr_storage addr{};      // the host's preferred address
  socklen_t addr_len = 0;
  uint32_t index = 0;      // of addr among the host's addresses
  uint32_t addresses = 0;  // how many the host has
  bool looked_up = false;  // true when this call waited for a real lookup
  Nanos elapsed = 0;       // time spent waiting for the lookup
};

class Resolver final : public IoHandler {
 public:
  explicit Resolver(EventLoop& loop);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  class Awaiter {
   public:
    Awaiter(Resolver& r, std::string host, uint16_t port) noexcept
        : resolver_(r), host_(std::move(host)), port_(port) {}
    // A VU cancelled mid-lookup leaves the waiter list here.
    ~Awaiter();
    Awaiter(const Awaiter&) = delete;
    Awaiter& operator=(const Awaiter&) = delete;
    bool await_ready();
    void await_suspend(std::coroutine_handle<> h);
    Resolution await_resume();

   private:
    friend class Resolver;
    Resolver& resolver_;
    std::string host_;
    uint16_t port_;
    Resolution result_;
    Nanos started_ = 0;
    std::coroutine_handle<> handle_;
    bool waiting_ = false;
  };

  // co_await resolver.resolve(host, port) -> Resolution.
  Awaiter resolve(std::string host, uint16_t port) { return Awaiter(*this, std::move(host), port); }

  // Every address of `host` (resolved before), in the resolver's order, with `port`.
  [[nodiscard]] std::vector<Endpoint> addresses(const std::string& host, uint16_t port) const;
  // Later connections to `host` start at its address `index`.
  void prefer(const std::string& host, uint32_t index);

  void on_io(uint32_t events) noexcept override;

 private:
  struct Address {
    sockaddr_storage addr{};
    socklen_t len = 0;
  };
  struct Entry {
    bool done = false;
    const char* error = nullptr;
    std::vector<Address> addrs;  // in getaddrinfo's order
    uint32_t preferred = 0;
    std::vector<Awaiter*> waiters;
  };
  struct Completion {
    std::string host;
    const char* error;
    std::vector<Address> addrs;
  };
  static void fill(const Entry& e, uint16_t port, Resolution& out);

  EventLoop& loop_;
  int eventfd_ = -1;
  std::unordered_map<std::string, Entry> cache_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::vector<Completion> completions_;  // guarded by mutex_
};

}  // namespace barrage::engine
