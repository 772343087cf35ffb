// RFC 6455 framing for the ws engine's client, memory in and memory out:
// bytes read from the connection go in (feed), complete messages and the
// bytes to write come out. No IO, no time: the VU's coroutine does both.
//
// Framing, masking, fragment reassembly, ping -> pong, the close handshake
// and the checks on what a server sends (masked frames, reserved bits and
// opcodes, bad close codes, invalid UTF-8 in text and close frames, messages
// over the size limit) are Debian's libwslay (its event API driven with
// in-memory callbacks). A violation ends reading and queues the close frame
// RFC 6455 asks for (1002, 1007, 1009); error() then names it with the `ws`
// library's names, the ones Artillery users see.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "util/rng.h"

using wslay_event_context_ptr = struct wslay_event_context*;

namespace barrage::engine {

// Error names (errors.<name>).
inline constexpr const char* kWsErrProtocol = "WS_ERR_PROTOCOL";
inline constexpr const char* kWsErrInvalidUtf8 = "WS_ERR_INVALID_UTF8";
inline constexpr const char* kWsErrTooBig = "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH";

class WsCodec {
 public:
  struct Message {
    bool binary = false;
    std::string data;
  };

  // max_message: the longest message (after reassembly) accepted, in bytes.
  // Masking keys come from `seed`'s generator (or set_fixed_mask).
  WsCodec(size_t max_message, uint64_t seed);
  ~WsCodec();
  WsCodec(const WsCodec&) = delete;
  WsCodec& operator=(const WsCodec&) = delete;

  // Bytes from the server. False once the server broke the protocol (error()).
  bool feed(const char* data, size_t n);
  // Complete data messages received, oldest first; the caller pops them.
  std::deque<Message>& messages() noexcept { return messages_; }

  // Queue a data message / a close frame (code 0: none); the frames are
  // appended to output(). False when no more can be sent (closed).
  bool send(std::string_view data, bool binary = false);
  bool close(uint16_t code = 1000);
  // Bytes to write, in order; the caller erases what it has written.
  std::string& output() noexcept { return output_; }

  // The server's close frame arrived (its code: close_code(); 1005 none).
  [[nodiscard]] bool close_received() const noexcept;
  [[nodiscard]] uint16_t close_code() const noexcept;
  // The server broke the protocol: a kWsErr* name; nullptr otherwise.
  [[nodiscard]] const char* error() const noexcept { return error_; }
  // Pings answered (a pong queued) so far.
  [[nodiscard]] uint64_t pings() const noexcept { return pings_; }

  // Tests: every frame masked with this key (RFC 6455 section 5.7's examples).
  void set_fixed_mask(uint32_t key) noexcept {
    fixed_mask_ = key;
    use_fixed_mask_ = true;
  }

 private:
  friend struct WsCodecCallbacks;
  void flush() noexcept;

  wslay_event_context_ptr ctx_ = nullptr;
  Rng rng_;
  const char* in_ = nullptr;  // the bytes feed() is handing to wslay
  size_t in_len_ = 0;
  std::string output_;
  std::deque<Message> messages_;
  const char* error_ = nullptr;
  uint64_t pings_ = 0;
  uint32_t fixed_mask_ = 0;
  bool use_fixed_mask_ = false;
};

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2).
std::string ws_accept_key(std::string_view key);

// "ws://h/p" -> "http://h/p", "wss://" -> "https://" (the URL parser's
// schemes; the handshake is an HTTP/1.1 request); other text unchanged.
std::string ws_as_http_url(std::string_view url);

}  // namespace barrage::engine
