// One client connection (TCP, optionally TLS) driven by one event loop.
//
// Registered once with EPOLLET for in, out and hang-up; readiness is kept as
// flags so an operation is tried first and waits only on EAGAIN. A short
// plain read means the socket was drained, so the next read waits for the
// next edge instead of paying a wasted read() that returns EAGAIN.
//
// Operations return an error name (Node's, as Artillery reports them:
// "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", TLS names) or nullptr.
// Thread affinity: the loop's thread. Owned by one VU or one shard pool.
#pragma once

#include <sys/socket.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/event_loop.h"

using SSL = struct ssl_st;

namespace barrage::engine {

class TlsContext;

enum class Interest : uint8_t { kRead, kWrite };

class Connection final : public IoHandler {
 public:
  explicit Connection(EventLoop& loop) noexcept;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts a non-blocking connect; nullptr or an error name (EMFILE, ...).
  const char* start_connect(const sockaddr_storage& addr, socklen_t len) noexcept;
  // After the socket became writable: the connect outcome.
  const char* finish_connect() noexcept;
  // Takes over `fd`, a connected non-blocking socket already registered with
  // the loop (a ConnectRace winner); nullptr or an error name.
  const char* adopt_connected(int fd) noexcept;
  // Creates the SSL object for the handshake; nullptr or an error name.
  const char* start_tls(TlsContext& ctx, const std::string& host, std::string session_key);
  // One handshake step: kDone, or kAgain with want_ set, or an error name in error_.
  enum class Step : uint8_t { kDone, kAgain, kError };
  Step handshake_step() noexcept;

  // Non-blocking IO. n > 0: bytes moved; n == 0 on read: orderly EOF;
  // Step::kAgain: wait for want(); Step::kError: error() names it.
  struct IoResult {
    Step step;
    size_t n;
  };
  IoResult try_write(const char* data, size_t len) noexcept;
  IoResult try_read(char* buf, size_t cap) noexcept;

  [[nodiscard]] Interest want() const noexcept { return want_; }
  [[nodiscard]] const char* error() const noexcept { return error_; }
  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
  [[nodiscard]] bool is_tls() const noexcept { return ssl_ != nullptr; }
  [[nodiscard]] bool peer_closed() const noexcept { return hup_; }
  // Whether the TLS session was resumed (after the handshake).
  [[nodiscard]] bool tls_resumed() const noexcept;
  void close() noexcept;
  // Node's name for an errno value ("ECONNREFUSED", ...).
  static const char* errno_name(int err) noexcept;

  // Awaitable: suspends until the connection is ready for `what` (or hung up),
  // or until `deadline`. Returns false on timeout.
  class WaitAwaiter {
   public:
    WaitAwaiter(Connection& c, Interest what, Nanos deadline) noexcept
        : conn_(c), what_(what), deadline_(deadline) {}
    bool await_ready() const noexcept { return conn_.ready_for(what_); }
    void await_suspend(std::coroutine_handle<> h) noexcept;
    bool await_resume() noexcept;

   private:
    Connection& conn_;
    Interest what_;
    Nanos deadline_;
  };
  WaitAwaiter wait(Interest what, Nanos deadline) noexcept { return {*this, what, deadline}; }

  void on_io(uint32_t events) noexcept override;

  // Reusable read buffer for this connection's responses.
  std::string& read_buffer() noexcept { return read_buf_; }

 private:
  [[nodiscard]] bool ready_for(Interest what) const noexcept {
    return hup_ || (what == Interest::kRead ? readable_ : writable_);
  }
  enum class SslOp : uint8_t { kHandshake, kWrite, kRead };
  IoResult ssl_result(int rc, SslOp op) noexcept;
  static void on_timeout(void* self) noexcept;

  EventLoop& loop_;
  Timer timer_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string session_key_;
  bool readable_ = false;
  bool writable_ = false;
  bool hup_ = false;
  bool timed_out_ = false;
  Interest want_ = Interest::kRead;
  Interest waiting_for_ = Interest::kRead;
  const char* error_ = nullptr;
  std::coroutine_handle<> waiter_;
  std::string read_buf_;
};

}  // namespace barrage::engine
