// One accepted client connection of the demo target.
//
// Requests are handled one at a time, in order: parse, route, then either
// answer at once or hold an instance and arm a timer for the modelled delay.
// While a response is pending or being streamed, or too much output is
// queued, the connection stops reading (pipelined bytes wait in the kernel),
// which bounds both buffers. After an unrecoverable request (400, 413, 431,
// ...) or Connection: close, the response is flushed, the write side shut
// down, and input drained for up to kLingerNs before closing, so the client
// reads the response instead of a reset.
//
// Thread affinity: the owning Worker's loop thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "demo_target/instance_pool.h"
#include "demo_target/router.h"
#include "engine/event_loop.h"
#include "http/request_parser.h"

namespace barrage::demo_target {

class Worker;

class Connection final : public engine::IoHandler {
 public:
  static constexpr engine::Nanos kLingerNs = 2 * engine::kNanosPerSecond;
  static constexpr size_t kOutHighWater = 256 * 1024;

  // Takes ownership of the connected, non-blocking fd.
  Connection(Worker& worker, int fd) noexcept;
  ~Connection();  // closes the fd and returns a held instance
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Registers with the loop; false (and closed) on failure.
  bool start() noexcept;
  void on_io(uint32_t events) noexcept override;

  size_t index = 0;  // position in the worker's connection list (worker-managed)

 private:
  struct Pending {
    RouteResponse response;
    InstancePool::Lease lease;
    bool head = false;
    bool keep_alive = true;
    int version_minor = 1;
  };

  static void on_response_timer(void* self) noexcept;
  static void on_linger_timer(void* self) noexcept;

  void advance() noexcept;
  void read_input() noexcept;
  void drain_input() noexcept;
  void dispatch(const Request& request) noexcept;
  void write_response(const RouteResponse& r, bool head, bool keep_alive, int version_minor,
                      const InstancePool::Lease* lease) noexcept;
  void write_error(int status) noexcept;
  bool flush() noexcept;
  void finish() noexcept;
  void update_interest() noexcept;
  void close() noexcept;

  Worker& worker_;
  int fd_;
  http::RequestParser parser_;
  std::string in_;
  size_t in_begin_ = 0;  // first unconsumed byte of in_
  std::string out_;
  size_t out_pos_ = 0;  // first unsent byte of out_
  uint64_t stream_remaining_ = 0;
  std::optional<Pending> pending_;
  engine::Timer response_timer_;
  engine::Timer linger_timer_;
  uint32_t interest_ = 0;
  bool continue_sent_ = false;
  bool close_after_flush_ = false;
  bool peer_eof_ = false;
  bool lingering_ = false;
  bool closed_ = false;
};

}  // namespace barrage::demo_target
