#include "engine/ws_codec.h"

#include <openssl/sha.h>
#include <wslay/wslay.h>

#include <cstring>
#include <new>

#include "util/base64.h"

namespace barrage::engine {

struct WsCodecCallbacks {
  static ssize_t recv(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, int /*flags*/,
                      void* user) {
    auto* self = static_cast<WsCodec*>(user);
    if (self->in_len_ == 0) {
      wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
    const size_t n = len < self->in_len_ ? len : self->in_len_;
    std::memcpy(buf, self->in_, n);
    self->in_ += n;
    self->in_len_ -= n;
    return static_cast<ssize_t>(n);
  }

  static ssize_t send(wslay_event_context_ptr /*ctx*/, const uint8_t* data, size_t len,
                      int /*flags*/, void* user) {
    static_cast<WsCodec*>(user)->output_.append(reinterpret_cast<const char*>(data), len);
    return static_cast<ssize_t>(len);
  }

  static int genmask(wslay_event_context_ptr /*ctx*/, uint8_t* buf, size_t len, void* user) {
    auto* self = static_cast<WsCodec*>(user);
    for (size_t i = 0; i < len; i += 4) {
      const uint32_t key =
          self->use_fixed_mask_ ? self->fixed_mask_ : static_cast<uint32_t>(self->rng_.next());
      for (size_t j = 0; j < 4 && i + j < len; ++j) {
        buf[i + j] = static_cast<uint8_t>(key >> (24 - 8 * j));
      }
    }
    return 0;
  }

  static void message(wslay_event_context_ptr /*ctx*/, const wslay_event_on_msg_recv_arg* arg,
                      void* user) {
    auto* self = static_cast<WsCodec*>(user);
    if (arg->opcode == WSLAY_PING) {
      ++self->pings_;  // wslay has queued the pong
      return;
    }
    if (arg->opcode != WSLAY_TEXT_FRAME && arg->opcode != WSLAY_BINARY_FRAME) return;
    self->messages_.push_back(
        WsCodec::Message{arg->opcode == WSLAY_BINARY_FRAME,
                         std::string(reinterpret_cast<const char*>(arg->msg), arg->msg_length)});
  }
};

WsCodec::WsCodec(size_t max_message, uint64_t seed) : rng_(seed) {
  static const wslay_event_callbacks callbacks{WsCodecCallbacks::recv,
                                               WsCodecCallbacks::send,
                                               WsCodecCallbacks::genmask,
                                               nullptr,
                                               nullptr,
                                               nullptr,
                                               WsCodecCallbacks::message};
  if (wslay_event_context_client_init(&ctx_, &callbacks, this) != 0) throw std::bad_alloc();
  wslay_event_config_set_max_recv_msg_length(ctx_, max_message);
}

WsCodec::~WsCodec() { wslay_event_context_free(ctx_); }

bool WsCodec::feed(const char* data, size_t n) {
  if (error_ != nullptr) return false;
  in_ = data;
  in_len_ = n;
  const int rc = wslay_event_recv(ctx_);
  in_ = nullptr;
  in_len_ = 0;
  flush();  // replies first: wslay records the close code it sent when it sends it
  if (rc != 0 && rc != WSLAY_ERR_NO_MORE_MSG) {
    error_ = kWsErrProtocol;  // out of memory or a failed callback: wslay stops reading
  } else if (wslay_event_get_read_enabled(ctx_) == 0 && !close_received()) {
    // wslay stopped reading without a close from the server: a violation,
    // answered with the close frame it queued.
    switch (wslay_event_get_status_code_sent(ctx_)) {
      case WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA:
        error_ = kWsErrInvalidUtf8;
        break;
      case WSLAY_CODE_MESSAGE_TOO_BIG:
        error_ = kWsErrTooBig;
        break;
      default:
        error_ = kWsErrProtocol;
        break;
    }
  }
  return error_ == nullptr;
}

bool WsCodec::send(std::string_view data, bool binary) {
  wslay_event_msg msg{static_cast<uint8_t>(binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME),
                      reinterpret_cast<const uint8_t*>(data.data()), data.size()};
  if (wslay_event_queue_msg(ctx_, &msg) != 0) return false;
  flush();
  return true;
}

bool WsCodec::close(uint16_t code) {
  if (wslay_event_queue_close(ctx_, code, nullptr, 0) != 0) return false;
  flush();
  return true;
}

bool WsCodec::close_received() const noexcept { return wslay_event_get_close_received(ctx_) != 0; }

uint16_t WsCodec::close_code() const noexcept { return wslay_event_get_status_code_received(ctx_); }

void WsCodec::flush() noexcept {
  // The send callback takes everything, so one call empties wslay's queue.
  (void)wslay_event_send(ctx_);
}

std::string ws_accept_key(std::string_view key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string text(key);
  text += kGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string ws_as_http_url(std::string_view url) {
  const auto starts = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      const char c = url[i];
      if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != prefix[i]) {
        return false;
      }
    }
    return true;
  };
  if (starts("ws://")) return "http://" + std::string(url.substr(5));
  if (starts("wss://")) return "https://" + std::string(url.substr(6));
  return std::string(url);
}

}  // namespace barrage::engine
