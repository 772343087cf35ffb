#include "engine/ws_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "engine/hook_calls.h"
#include "engine/open_connection.h"
#include "engine/request_headers.h"
#include "engine/shard.h"
#include "engine/tls.h"
#include "engine/virtual_user.h"
#include "http/response_parser.h"
#include "http/url.h"
#include "util/ascii.h"
#include "util/base64.h"

namespace barrage::engine {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Artillery's names (errors.<name>).
constexpr const char* kResponseTimeout = "response timeout";
constexpr const char* kFailedCapture = "Failed capture or match";
constexpr const char* kNotConnected = "WS_NOT_CONNECTED";
// The closing handshake waits at most this long for the server's close.
constexpr Nanos kMaxCloseWait = 2 * kNanosPerSecond;
// Messages kept for a later `wait` (the newest); older ones are counted and dropped.
constexpr size_t kMaxPending = 256;

Nanos seconds(double s) { return static_cast<Nanos>(s * static_cast<double>(kNanosPerSecond)); }
uint64_t to_us(Nanos ns) { return ns > 0 ? static_cast<uint64_t>(ns / kNanosPerMicro) : 0; }

// A server close (its code; 1006 when the connection ended without one).
const char* closed_error(uint16_t code) {
  return intern_error_name(fmt::format("WS_CLOSED_{}", code));
}

thread_local std::string ws_read_scratch;

// Writes what the codec has queued. nullptr or an error name.
Task<const char*> write_out(WsSession& s, Nanos deadline) {
  std::string& out = s.codec.output();
  size_t written = 0;
  const char* error = nullptr;
  while (written < out.size()) {
    const auto r = s.conn.try_write(out.data() + written, out.size() - written);
    if (r.step == Connection::Step::kDone) {
      written += r.n;
      continue;
    }
    if (r.step == Connection::Step::kError) {
      error = s.conn.error();
      break;
    }
    const bool ready = co_await s.conn.wait(s.conn.want(), deadline);
    if (!ready) {
      error = "ETIMEDOUT";
      break;
    }
  }
  out.erase(0, written);
  co_return error;
}

// Feeds read bytes to the codec, counts the messages they completed and
// writes the codec's replies (pongs, the close reply).
Task<void> take_bytes(VuState& vu, WsSession& s, const char* data, size_t n, Nanos deadline) {
  const size_t before = s.codec.messages().size();
  const bool ok = s.codec.feed(data, n);
  auto& queue = s.codec.messages();
  const size_t got = queue.size() - before;
  if (got > 0) vu.shard.recorder().add("websocket.messages_received", got);
  while (queue.size() > kMaxPending) queue.pop_front();
  if (!ok) {
    s.gone = s.codec.error();
  } else if (s.codec.close_received()) {
    s.gone = closed_error(s.codec.close_code());
  }
  if (!s.codec.output().empty() && s.conn.is_open()) {
    const char* e = co_await write_out(s, deadline);
    if (e != nullptr && s.gone == nullptr) s.gone = e;
  }
}

// One read, waiting until `deadline` for it when `wait` (else only what is
// there). False when nothing came (timed out, or nothing there); s.gone is
// set when the connection ended.
Task<bool> read_once(VuState& vu, WsSession& s, Nanos deadline, bool wait) {
  std::string& buf = ws_read_scratch;
  if (buf.size() < kReadChunk) buf.resize(kReadChunk);
  for (;;) {
    if (s.gone != nullptr) co_return false;
    const auto r = s.conn.try_read(buf.data(), buf.size());
    if (r.step == Connection::Step::kAgain) {
      if (!wait) co_return false;
      // (No co_await inside || or a loop condition: g++ 12 miscompiles those.)
      const bool ready = co_await s.conn.wait(s.conn.want(), deadline);
      if (!ready) co_return false;
      continue;
    }
    if (r.step == Connection::Step::kError) {
      s.gone = s.conn.error();
      co_return false;
    }
    if (r.n == 0) {
      s.gone = closed_error(1006);  // no close frame: abnormal closure
      co_return false;
    }
    // The scratch buffer is the shard's: feed it before anything can suspend.
    co_await take_bytes(vu, s, buf.data(), r.n, deadline);
    co_return true;
  }
}

// Reads whatever is already there (no wait).
Task<void> drain(VuState& vu, WsSession& s, Nanos deadline) {
  // (co_await outside a loop condition: g++ 12 miscompiles it there.)
  for (;;) {
    const bool got = co_await read_once(vu, s, deadline, false);
    if (!got) break;
  }
}

// Captures and matches of `step` on one message; true when every strict one
// holds (the values are then set), as the HTTP engine's apply_captures.
bool try_captures(VuState& vu, const script::WsSend& step, std::string_view data) {
  std::vector<std::pair<const std::string*, std::string>> values;
  for (const auto& c : step.captures) {
    std::optional<std::string> value;
    switch (c.kind) {
      case script::Capture::Kind::kJson:
        if (auto r = c.json.evaluate(data); r && !r->empty()) value = std::move(r->front());
        break;
      case script::Capture::Kind::kRegexp:
        value = script::artillery_regexp_capture(c.regexp, data, c.group, c.group_named);
        break;
      case script::Capture::Kind::kXPath:
        value = c.xpath.first_string(data);
        break;
      case script::Capture::Kind::kHeader:
        break;  // refused at load
    }
    if (c.match_value) {
      const std::string expected = c.match_value->render(vu.vars, vu.shard.rng());
      if ((!value || *value != expected) && c.strict) return false;
    } else if (value && !value->empty()) {
      values.emplace_back(&c.as, std::move(*value));
    } else if (c.strict) {
      return false;
    }
  }
  for (auto& [name, value] : values) vu.vars.set(*name, std::move(value));
  return true;
}

// The handshake request (RFC 6455 section 4.1).
std::string handshake_request(VuState& vu, const script::WsConnect& c, const http::Url& url,
                              const std::string& key) {
  HeaderVector headers;
  for (const auto& h : c.headers)
    put_header(headers, h.name, h.value.render(vu.vars, vu.shard.rng()));
  std::string out =
      fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\n", url.path_and_query, url.host_header());
  for (const auto& [name, value] : headers) {
    if (ascii::iequals(name, "host") || ascii::iequals(name, "upgrade") ||
        ascii::iequals(name, "connection") || ascii::iequals(name, "sec-websocket-key") ||
        ascii::iequals(name, "sec-websocket-version")) {
      continue;
    }
    out += name;
    out += ": ";
    for (const char ch : value) out += ch == '\r' || ch == '\n' ? ' ' : ch;
    out += "\r\n";
  }
  out += "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
  out += "Sec-WebSocket-Key: " + key + "\r\n";
  if (!c.subprotocols.empty()) {
    out += "Sec-WebSocket-Protocol: ";
    for (size_t i = 0; i < c.subprotocols.size(); ++i) {
      if (i > 0) out += ", ";
      out += c.subprotocols[i];
    }
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

// The TLS context for wss: the shard's, or (rejectUnauthorized false for ws
// only) one without verification, per shard thread.
TlsContext* tls_for(VuState& vu, const script::WsConnect& c) {
  const RunContext& ctx = vu.shard.ctx();
  const bool verify = ctx.verify_tls && c.reject_unauthorized.value_or(true);
  if (verify == ctx.verify_tls) return nullptr;
  thread_local std::unique_ptr<TlsContext> insecure;
  if (!insecure) insecure = std::make_unique<TlsContext>(false);
  return insecure.get();
}

}  // namespace

Task<const char*> ws_open(VuState& vu, Nanos& intended) {
  Shard& shard = vu.shard;
  const RunContext& ctx = shard.ctx();
  const auto& plan = *ctx.plan;
  auto& rec = shard.recorder();
  const int phase = static_cast<int>(vu.phase);
  const script::WsConnect& c = vu.scenario->ws_connect;
  vu.step = "connect";
  const std::string text =
      c.target ? c.target->render(vu.vars, shard.rng()) : std::string(ctx.target_text);
  const std::optional<http::Url> url = http::parse_url(ws_as_http_url(text));
  if (!url) {
    const std::string e = text.empty() ? "WS_NO_TARGET" : http::invalid_url_error(text);
    rec.error(-1, e, phase);
    co_return intern_error_name(e);
  }
  vu.ws = std::make_unique<WsSession>(shard.loop(), static_cast<size_t>(plan.ws.max_payload),
                                      shard.rng().next());
  WsSession& s = *vu.ws;
  const Nanos deadline = monotonic_now() + seconds(plan.ws.handshake_timeout_s);
  ConnectTiming timing;
  const char* error =
      co_await open_connection(shard, s.conn, *url, deadline, timing, tls_for(vu, c));
  std::string key;
  if (error == nullptr) {
    std::string nonce(16, '\0');
    for (size_t i = 0; i < nonce.size(); i += 8) {
      const uint64_t r = shard.rng().next();
      for (size_t j = 0; j < 8; ++j) nonce[i + j] = static_cast<char>(r >> (8 * j));
    }
    key = base64_encode(nonce);
    s.codec.output() = handshake_request(vu, c, *url, key);
    error = co_await write_out(s, deadline);
  }
  if (error == nullptr) {
    // The response: 101 with the right Sec-WebSocket-Accept.
    http::ResponseParser parser;
    parser.reset(false);
    std::string& buf = ws_read_scratch;
    if (buf.size() < kReadChunk) buf.resize(kReadChunk);
    for (;;) {
      const auto r = s.conn.try_read(buf.data(), buf.size());
      if (r.step == Connection::Step::kAgain) {
        const bool ready = co_await s.conn.wait(s.conn.want(), deadline);
        if (!ready) {
          error = "ETIMEDOUT";
          break;
        }
        continue;
      }
      if (r.step == Connection::Step::kError) {
        error = s.conn.error();
        break;
      }
      // EOF completes a response read until close (a refusal without length).
      const auto fr = r.n == 0 ? parser.finish_eof() : parser.feed(buf.data(), r.n);
      if (fr.state == http::ResponseParser::State::kError) {
        error = r.n == 0 ? "ECONNRESET" : http::error_name(parser.error());
        break;
      }
      if (fr.state != http::ResponseParser::State::kComplete) {
        if (r.n == 0) {
          error = "ECONNRESET";
          break;
        }
        continue;
      }
      if (parser.status() != 101) {
        // The ws library's message, which Artillery counts.
        error = intern_error_name(fmt::format("Unexpected server response: {}", parser.status()));
        break;
      }
      const auto upgrade = parser.header("upgrade");
      const auto accept = parser.header("sec-websocket-accept");
      if (!upgrade || !ascii::iequals(ascii::trim_ows(*upgrade), "websocket")) {
        error = "Invalid Upgrade header";
      } else if (!accept || ascii::trim_ows(*accept) != ws_accept_key(key)) {
        error = "Invalid Sec-WebSocket-Accept header";
      } else if (const auto proto = parser.header("sec-websocket-protocol"); proto) {
        const std::string_view p = ascii::trim_ows(*proto);
        if (std::find(c.subprotocols.begin(), c.subprotocols.end(), p) == c.subprotocols.end()) {
          error = "Server sent an invalid subprotocol";
        }
      } else if (!c.subprotocols.empty()) {
        error = "Server sent no subprotocol";
      }
      if (error == nullptr && fr.consumed < r.n) {
        // Frames right behind the 101 (the scratch buffer: feed them now).
        co_await take_bytes(vu, s, buf.data() + fr.consumed, r.n - fr.consumed, deadline);
        if (s.gone != nullptr) error = s.gone;
      }
      break;
    }
  }
  intended = monotonic_now();
  if (error != nullptr) {
    vu.ws.reset();
    rec.error(-1, error, phase);
    co_return error;
  }
  co_return nullptr;
}

Task<const char*> ws_step(VuState& vu, const script::WsSend& step, Nanos& intended) {
  Shard& shard = vu.shard;
  const auto& plan = *shard.ctx().plan;
  auto& rec = shard.recorder();
  const int phase = static_cast<int>(vu.phase);
  vu.step = step.payload ? "send" : "wait";
  WsSession* s = vu.ws.get();
  const char* error = s == nullptr ? kNotConnected : nullptr;
  const Nanos deadline = monotonic_now() + seconds(plan.ws.timeout_s);
  if (error == nullptr) {
    // What arrived before this step is counted (and pings answered); for a
    // `send` it is not a reply, a `wait` looks at it first.
    co_await drain(vu, *s, deadline);
    if (step.payload) s->codec.messages().clear();
    // A `wait` may still take a message that came before the connection ended.
    const bool can_wait = !step.payload && !s->codec.messages().empty();
    error = can_wait ? nullptr : s->gone;
  }
  Nanos sent_at = monotonic_now();
  if (error == nullptr && step.payload) {
    const std::string payload = step.payload->render(vu.vars, shard.rng());
    rec.scheduling_lag(to_us(sent_at - intended));
    if (!s->codec.send(payload)) {
      error = s->gone != nullptr ? s->gone : kNotConnected;
    } else {
      rec.add("websocket.messages_sent");
      error = co_await write_out(*s, deadline);
      if (error != nullptr) s->gone = error;
    }
  }
  if (error == nullptr && !step.captures.empty()) {
    bool got_any = false;
    for (;;) {
      auto& queue = s->codec.messages();
      bool matched = false;
      while (!queue.empty() && !matched) {
        got_any = true;
        matched = try_captures(vu, step, queue.front().data);
        queue.pop_front();
      }
      if (matched) {
        const Nanos now = monotonic_now();
        if (plan.ws.response_time) rec.add_sample("websocket.response_time", to_us(now - sent_at));
        break;
      }
      const bool got = co_await read_once(vu, *s, deadline, true);
      if (!got) {
        if (s->gone != nullptr) {
          error = s->gone;
        } else if (monotonic_now() >= deadline) {
          error = got_any ? kFailedCapture : kResponseTimeout;
        }
        if (error != nullptr) break;
      }
    }
  }
  intended = monotonic_now();
  if (error != nullptr) {
    rec.error(-1, error, phase);
    co_return error;
  }
  co_return nullptr;
}

Task<void> ws_idle_until(VuState& vu, Nanos until) {
  WsSession* s = vu.ws.get();
  while (s != nullptr && s->gone == nullptr && monotonic_now() < until) {
    (void)co_await read_once(vu, *s, until, true);  // counted, kept for a `wait`
  }
  if (monotonic_now() < until) {
    // Gone: sleep the rest of the think.
    struct Sleep {
      EventLoop& loop;
      Nanos until;
      Timer timer;
      std::coroutine_handle<> h;
      Sleep(EventLoop& l, Nanos u) : loop(l), until(u), timer(l, &Sleep::fire, this) {}
      static void fire(void* self) noexcept { static_cast<Sleep*>(self)->h.resume(); }
      bool await_ready() const noexcept { return until <= monotonic_now(); }
      void await_suspend(std::coroutine_handle<> handle) noexcept {
        h = handle;
        timer.arm(until);
      }
      void await_resume() const noexcept {}
    };
    co_await Sleep(vu.shard.loop(), until);
  }
}

Task<void> ws_finish(VuState& vu) {
  WsSession* s = vu.ws.get();
  if (s == nullptr) co_return;
  const Nanos deadline =
      monotonic_now() + std::min(seconds(vu.shard.ctx().plan->ws.timeout_s), kMaxCloseWait);
  if (s->gone == nullptr && s->codec.close(1000)) {
    // The closing handshake: what arrives until the server's close is counted.
    const char* e = co_await write_out(*s, deadline);
    if (e == nullptr) {
      while (s->gone == nullptr) {
        const bool got = co_await read_once(vu, *s, deadline, true);
        s->codec.messages().clear();
        if (!got) break;
      }
    }
  }
  s->conn.close();
  vu.ws.reset();
}

}  // namespace barrage::engine
