// Routes of the demo target: what each request is answered, before the
// Lambda model (instances, latency, throttling, injected errors) decides when.
//
// Routes (JSON unless noted; HEAD is accepted wherever GET is):
//   GET  /                          index of routes                 (gateway)
//   GET  /health                    200 "ok", text/plain            (gateway)
//   POST /auth/login                {"username","password"} -> 200 {"token","expiresIn"}
//   GET  /catalog/items             ?limit=N (1..100, default 20) &category=C     [auth]
//   GET  /catalog/items/{id}        item or 404                                   [auth]
//   GET  /user/profile              {"username"} from the token                   [auth]
//   GET  /orders                    ?status=S, the user's orders                  [auth]
//   POST /cart/items                {"itemId","quantity"?,"cartId"?} -> 201 {"cartId","items"}
//   POST /orders/checkout           optional JSON body -> 201 {"orderId","status":"confirmed"}
//   POST /reports/generate-preview  optional JSON body -> 200 {"reportId"} after 50 ms of work
//   ANY  /delay/{ms}                200 after ms (0..300000) extra
//   ANY  /status/{code}             that status (200..599), body {"status":code}
//   GET  /bytes/{n}                 n bytes (0..100 MiB) of application/octet-stream
//   ANY  /echo[/...]                the request as received: {"method","path","query",
//                                   "args" (decoded query, first value per name),
//                                   "headers" (lower-case names),"body"}     (gateway)
//   GET  /links.xml                 two <a href="/echo/..."> links, application/xml (gateway)
// [auth]: `Authorization: Bearer <token>` with a token this server issued, or
// the configured demo token (user "demo"); otherwise 401. Cart, checkout and
// reports take a token when given (it must then be valid) and accept anonymous
// callers, like a guest checkout. Unknown paths are 404, a known path with
// another method 405 with Allow; those, /, /health, /echo and /links.xml are answered by the
// "gateway" without invoking the function model.
//
// Thread-safe: handle() is const; ids come from an atomic counter.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "demo_target/catalog.h"
#include "demo_target/token.h"
#include "http/request_parser.h"

namespace barrage::demo_target {

// A parsed request, as the demo target's connections read it.
using Request = http::Request;

struct RouteResponse {
  int status = 200;
  std::string body;
  std::string_view content_type = "application/json";
  std::string_view allow;        // Allow header value for 405, else empty
  int64_t extra_delay_ns = 0;    // simulated work added to the latency model
  uint64_t stream_bytes = 0;     // generated body of this length instead of `body`
  bool invokes_function = true;  // false: answered at once, outside the instance model
};

// A JSON {"message":...} response.
RouteResponse message_response(int status, std::string_view message);

class Router {
 public:
  static constexpr int64_t kTokenTtlSeconds = 3600;
  static constexpr uint64_t kMaxStreamBytes = 100ULL * 1024 * 1024;
  static constexpr int64_t kMaxDelayMs = 300000;
  static constexpr int64_t kReportWorkMs = 50;

  // demo_token: a Bearer value accepted as user "demo" (empty disables it).
  explicit Router(std::string demo_token, TokenSigner signer = TokenSigner())
      : signer_(std::move(signer)), demo_token_(std::move(demo_token)) {}

  [[nodiscard]] RouteResponse handle(const Request& request, int64_t wall_now_s) const;

  [[nodiscard]] const TokenSigner& signer() const noexcept { return signer_; }

 private:
  enum class Auth { kMissing, kInvalid, kValid };
  Auth authenticate(const Request& request, int64_t wall_now_s, std::string* username) const;
  RouteResponse login(const Request& request, int64_t wall_now_s) const;
  RouteResponse add_to_cart(const Request& request) const;
  RouteResponse catalog_items(const Request& request) const;
  uint64_t next_id() const noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  TokenSigner signer_;
  std::string demo_token_;
  Catalog catalog_;
  mutable std::atomic<uint64_t> next_id_{1000};
};

}  // namespace barrage::demo_target
