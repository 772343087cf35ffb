#include "engine/virtual_user.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "engine/connect_race.h"
#include "engine/connection_pool.h"
#include "engine/hook_calls.h"
#include "engine/open_connection.h"
#include "engine/request_headers.h"
#include "engine/shard.h"
#include "engine/tls.h"
#include "engine/ws_session.h"
#include "http/decompress.h"
#include "http/request_writer.h"
#include "http/url.h"
#include "script/duration.h"
#include "util/ascii.h"
#include "util/base64.h"

namespace barrage::engine {

Task<const char*> open_connection(Shard& shard, Connection& conn, const http::Url& url,
                                  Nanos deadline, ConnectTiming& timing, TlsContext* tls) {
  Resolution r = co_await shard.resolver().resolve(url.host, url.port);
  if (r.error != nullptr) co_return r.error;
  timing.did_dns = r.looked_up;
  timing.dns = r.looked_up ? r.elapsed : 0;
  const Nanos t1 = monotonic_now();
  if (r.addresses <= 1) {
    // An IP literal or a name with one address: connect on `conn` directly.
    const char* e = conn.start_connect(r.addr, r.addr_len);
    if (e == nullptr) {
      if (!co_await conn.wait(Interest::kWrite, deadline)) {
        conn.close();
        co_return "ETIMEDOUT";
      }
      e = conn.finish_connect();
    }
    if (e != nullptr) {
      conn.close();
      co_return e;
    }
  } else {
    // Several addresses: race them (RFC 8305), one connect as far as the
    // metrics go; the winner is tried first next time.
    ConnectRace race(shard.loop(), shard.resolver().addresses(url.host, url.port), r.index,
                     deadline);
    const ConnectRace::Result won = co_await race;
    if (won.error != nullptr) {
      conn.close();
      co_return won.error;
    }
    if (won.index != r.index) shard.resolver().prefer(url.host, won.index);
    if (const char* e = conn.adopt_connected(won.fd)) co_return e;
  }
  const Nanos t2 = monotonic_now();
  timing.did_tcp = true;
  timing.tcp = t2 - t1;
  if (url.tls()) {
    if (const char* e = conn.start_tls(tls != nullptr ? *tls : shard.tls(), url.host,
                                       url.host + ":" + std::to_string(url.port))) {
      conn.close();
      co_return e;
    }
    for (;;) {
      const auto step = conn.handshake_step();
      if (step == Connection::Step::kDone) break;
      if (step == Connection::Step::kError) {
        const char* e = conn.error();
        conn.close();
        co_return e;
      }
      if (!co_await conn.wait(conn.want(), deadline)) {
        conn.close();
        co_return "ETIMEDOUT";
      }
    }
    timing.did_tls = true;
    timing.tls = monotonic_now() - t2;
    if (conn.tls_resumed()) shard.recorder().add("barrage.tls.resumed");
  }
  co_return nullptr;
}

namespace {

constexpr int kMaxRedirects = 10;
constexpr size_t kReadChunk = 64 * 1024;
// Closed model: pause after a failed iteration before the VU loops again.
constexpr Nanos kClosedRetryDelay = 100 * kNanosPerMilli;
// Decoded bodies beyond this fail the request (gzip bombs). 16 times the body
// kept for captures; the decoder's growth briefly needs about twice this per
// shard, so a shard decoding a bomb peaks near 32 MiB.
constexpr size_t kMaxDecodedBody = 16u << 20;
// A decode buffer that grew past this is released after the response, so one
// large (or hostile) body does not pin its memory for the rest of the run.
constexpr size_t kRetainedDecodeCapacity = 1u << 20;
// got's (Artillery's HTTP client) name when a request would follow an 11th redirect.
constexpr const char* kTooManyRedirects = "ERR_TOO_MANY_REDIRECTS";

uint64_t to_us(Nanos ns) { return ns > 0 ? static_cast<uint64_t>(ns / kNanosPerMicro) : 0; }
// Milliseconds from phase 0's start (the same instant on every shard and worker).
uint64_t since_start_ms(const RunContext& ctx, Nanos t) {
  return t > ctx.start ? static_cast<uint64_t>((t - ctx.start) / kNanosPerMilli) : 0;
}

// co_await sleep_until(loop, t): resumes at (or just after) monotonic time t.
class SleepAwaiter {
 public:
  SleepAwaiter(EventLoop& loop, Nanos deadline) noexcept
      : timer_(loop, &SleepAwaiter::fire, this), deadline_(deadline) {}
  bool await_ready() const noexcept { return deadline_ <= monotonic_now(); }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    handle_ = h;
    timer_.arm(deadline_);
  }
  void await_resume() const noexcept {}

 private:
  static void fire(void* self) noexcept { static_cast<SleepAwaiter*>(self)->handle_.resume(); }
  Timer timer_;
  Nanos deadline_;
  std::coroutine_handle<> handle_;
};

// co_await Yield{loop}: lets the loop run IO and timers before continuing.
struct Yield {
  EventLoop& loop;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const { loop.post(h); }
  void await_resume() const noexcept {}
};

using Timing = ConnectTiming;

// Shard-wide scratch for reads: reading never suspends between the read and
// the parse, so one buffer per shard serves every VU.
thread_local std::string read_scratch;
// Shard-wide scratch for decoded bodies: used from decoding to the end of the
// captures and checks, with no suspension in between.
thread_local std::string decode_scratch;

// Releases decode_scratch's memory when it grew large, at the end of its use.
struct DecodeScratchTrim {
  DecodeScratchTrim() = default;
  DecodeScratchTrim(const DecodeScratchTrim&) = delete;
  DecodeScratchTrim& operator=(const DecodeScratchTrim&) = delete;
  ~DecodeScratchTrim() {
    if (decode_scratch.capacity() > kRetainedDecodeCapacity) std::string().swap(decode_scratch);
  }
};

// config.serverless.coldStartHeader: present with any value but "", "0", "false" or "no".
bool is_cold_start(std::optional<std::string_view> value) {
  if (!value) return false;
  const std::string_view v = ascii::trim_ows(*value);
  return !v.empty() && v != "0" && !ascii::iequals(v, "false") && !ascii::iequals(v, "no");
}

// Where one strand of a VU's flow does its IO: the VU's own parser,
// connections and scratch, or a `parallel` branch's.
struct Lane {
  http::ResponseParser& parser;
  std::vector<VuState::OwnedConnection>& connections;
  std::string& request_bytes;
};

Lane main_lane(VuState& vu) { return Lane{vu.parser, vu.connections, vu.request_bytes}; }

http::ResponseParser::Limits parser_limits() {
  http::ResponseParser::Limits limits;
  limits.max_stored_body = 1 << 20;
  return limits;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// What a request whose URL is invalid ends its VU with (the counted error
// names the URL: http::invalid_url_error).
constexpr const char* kInvalidUrl = "Invalid URL";

struct ExchangeOutcome {
  const char* error = nullptr;
  bool got_bytes = false;  // any response byte arrived (no silent retry then)
  Nanos write_done = 0;    // when the write that completed the request began
  Nanos first_byte = 0;
  Nanos last_byte = 0;
};

// Writes the request and reads one response into vu.parser.
Task<ExchangeOutcome> exchange(Lane lane, Connection& conn, std::string_view bytes, bool head,
                               Nanos deadline) {
  ExchangeOutcome out;
  size_t written = 0;
  while (written < bytes.size()) {
    // Stamped before the write that completes the request, never after it: a
    // stall between the write and a later stamp would shorten http.ttfb below
    // what the server took (the server cannot answer before that write began).
    const Nanos write_start = monotonic_now();
    auto r = conn.try_write(bytes.data() + written, bytes.size() - written);
    if (r.step == Connection::Step::kDone) {
      written += r.n;
      out.write_done = write_start;
      continue;
    }
    if (r.step == Connection::Step::kError) {
      out.error = conn.error();
      co_return out;
    }
    if (!co_await conn.wait(conn.want(), deadline)) {
      out.error = "ETIMEDOUT";
      co_return out;
    }
  }

  auto& parser = lane.parser;
  parser.reset(head);
  std::string& pending = conn.read_buffer();
  if (!pending.empty()) {
    // Bytes that arrived after the previous response on this connection.
    out.got_bytes = true;
    out.first_byte = out.write_done;
    const auto fr = parser.feed(pending.data(), pending.size());
    pending.erase(0, fr.consumed);
    if (fr.state == http::ResponseParser::State::kComplete) {
      out.last_byte = monotonic_now();
      co_return out;
    }
    if (fr.state == http::ResponseParser::State::kError) {
      out.error = http::error_name(parser.error());
      co_return out;
    }
  }
  std::string& buf = read_scratch;
  if (buf.size() < kReadChunk) buf.resize(kReadChunk);
  for (;;) {
    auto r = conn.try_read(buf.data(), buf.size());
    if (r.step == Connection::Step::kAgain) {
      if (!co_await conn.wait(conn.want(), deadline)) {
        out.error = "ETIMEDOUT";
        co_return out;
      }
      continue;
    }
    if (r.step == Connection::Step::kError) {
      out.error = conn.error();
      co_return out;
    }
    if (r.n == 0) {  // EOF
      if (!out.got_bytes) {
        out.error = "ECONNRESET";
        co_return out;
      }
      const auto fr = parser.finish_eof();
      if (fr.state == http::ResponseParser::State::kComplete) {
        out.last_byte = monotonic_now();
        conn.close();
        co_return out;
      }
      out.error = http::error_name(parser.error());
      co_return out;
    }
    if (!out.got_bytes) {
      out.got_bytes = true;
      out.first_byte = monotonic_now();
    }
    const auto fr = parser.feed(buf.data(), r.n);
    if (fr.state == http::ResponseParser::State::kComplete) {
      out.last_byte = monotonic_now();
      if (fr.consumed < r.n) pending.append(buf.data() + fr.consumed, r.n - fr.consumed);
      co_return out;
    }
    if (fr.state == http::ResponseParser::State::kError) {
      out.error = http::error_name(parser.error());
      co_return out;
    }
  }
}

// The apdex plugin: a response within T ms satisfies, within 4T is tolerated.
void count_apdex(metrics::Recorder& rec, Nanos response_time, double threshold_ms) {
  const double ms = static_cast<double>(response_time) / static_cast<double>(kNanosPerMilli);
  if (ms <= threshold_ms) {
    rec.add("apdex.satisfied");
  } else if (ms <= 4 * threshold_ms) {
    rec.add("apdex.tolerated");
  } else {
    rec.add("apdex.frustrated");
  }
}

// Artillery's name for a failed capture or match (errors.<name>).
constexpr const char* kFailedCapture = "Failed capture or match";
// The error a failed expectation ends the VU with under reportFailuresAsErrors
// (Artillery's message names the URL; barrage keeps one name per run).
constexpr const char* kFailedExpectations = "Failed expectations";

// Sets a variable per capture from the final response and checks each
// `match`; false when a strict capture found nothing or a strict match failed
// (the VU then fails, as in Artillery, and no capture is set).
bool apply_captures(VuState& vu, Lane lane, const script::Request& req, std::string_view body) {
  const auto& p = lane.parser;
  bool ok = true;
  std::vector<std::pair<const std::string*, std::string>> values;
  for (const auto& c : req.captures) {
    std::optional<std::string> value;
    switch (c.kind) {
      case script::Capture::Kind::kJson:
        if (!p.body_truncated()) {
          if (auto r = c.json.evaluate(body); r && !r->empty()) value = std::move(r->front());
        }
        break;
      case script::Capture::Kind::kRegexp:
        if (!p.body_truncated()) {
          value = script::artillery_regexp_capture(c.regexp, body, c.group, c.group_named);
        }
        break;
      case script::Capture::Kind::kXPath:
        // A body that is not XML captures nothing, as a failed parse does in
        // Artillery.
        if (!p.body_truncated()) value = c.xpath.first_string(body);
        break;
      case script::Capture::Kind::kHeader:
        if (auto h = p.header(c.expression)) value = std::string(*h);
        break;
    }
    if (c.match_value) {
      // Artillery compares the extracted value with the rendered one (!==).
      const std::string expected = c.match_value->render(vu.vars, vu.shard.rng());
      if ((!value || *value != expected) && c.strict) ok = false;
    } else if (value && !value->empty()) {
      values.emplace_back(&c.as, std::move(*value));
    } else if (c.strict) {
      ok = false;
    }
  }
  if (!ok) return false;
  for (auto& [name, value] : values) vu.vars.set(*name, std::move(value));
  return true;
}

// Checks `expect` on the final response, after the captures so that checks
// can compare captured values, and counts plugins.expect.ok / .failed and
// plugins.expect.<ok|failed>.<check> per check (the plugin's names:
// "header <name> values equals" for headerEquals), plus
// barrage.expect.<endpoint>.<check>.<ok|failed> for the console's checklist.
// Returns false when a check failed.
bool apply_expectations(VuState& vu, Lane lane, const script::Request& req, std::string_view body) {
  const auto& p = lane.parser;
  script::ResponseView response;
  response.status = p.status();
  response.header = [&p](std::string_view name) { return p.header(name); };
  response.body = body;
  response.body_complete = !p.body_truncated();
  metrics::Recorder& rec = vu.shard.recorder();
  const std::string& endpoint =
      vu.shard.ctx().plan->endpoints[static_cast<size_t>(req.endpoint_id)];
  constexpr size_t kChunk = 16;  // checks per evaluation; the body is parsed once per chunk
  std::array<bool, kChunk> ok{};
  bool all_ok = true;
  const std::span<const script::Expectation> all(req.expectations);
  for (size_t first = 0; first < all.size(); first += kChunk) {
    const auto chunk = all.subspan(first, std::min(kChunk, all.size() - first));
    script::evaluate_expectations(chunk, response, vu.vars, vu.shard.rng(),
                                  std::span(ok).first(chunk.size()));
    for (size_t i = 0; i < chunk.size(); ++i) {
      all_ok = all_ok && ok[i];
      const std::string_view outcome = ok[i] ? "plugins.expect.ok" : "plugins.expect.failed";
      rec.add(outcome);
      std::string name(outcome);
      name += '.';
      name += script::expectation_metric(chunk[i]);
      rec.add(name);
      rec.add(fmt::format("barrage.expect.{}.{}.{}", endpoint,
                          script::expectation_name(chunk[i].kind), ok[i] ? "ok" : "failed"));
    }
  }
  return all_ok;
}

// The request body and its content type: `json`/`body` as compiled, or a
// `form` (urlencoded) or `formData` (multipart) built from its fields.
void render_body(VuState& vu, const script::Request& req, std::string& body,
                 std::string& content_type, const RequestOverride* ov) {
  Rng& rng = vu.shard.rng();
  content_type = req.content_type;
  if (ov != nullptr && ov->body) {  // set by a beforeRequest hook
    body = render_hook_text(*ov->body, vu.vars, rng);
    if (ov->json) content_type = "application/json";
  } else if (req.body) {
    req.body->render(body, vu.vars, rng);
  } else if (!req.form.empty()) {
    std::string value;
    for (const auto& f : req.form) {
      if (!body.empty()) body += '&';
      http::append_url_encoded(body, f.name, http::UrlEncoding::kForm);
      body += '=';
      value.clear();
      f.value.render(value, vu.vars, rng);
      http::append_url_encoded(body, value, http::UrlEncoding::kForm);
    }
  } else if (!req.form_data.empty()) {
    const std::string boundary = fmt::format("----barrage{:016x}", rng.next());
    std::string value;
    for (const auto& f : req.form_data) {
      if (f.file_data) {
        http::append_multipart_part(
            body, boundary, f.name, f.file_name,
            f.content_type.empty() ? "application/octet-stream" : std::string_view(f.content_type),
            *f.file_data);
      } else {
        value.clear();
        f.value.render(value, vu.vars, rng);
        http::append_multipart_part(body, boundary, f.name, {}, {}, value);
      }
    }
    http::append_multipart_end(body, boundary);
    content_type = "multipart/form-data; boundary=" + boundary;
  }
}

bool has_header(const HeaderVector& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return ascii::iequals(h.first, name); });
}

// Renders the request for `url` into the lane's request bytes.
void render_request(VuState& vu, Lane lane, const script::Request& req, const http::Url& url,
                    std::string_view method, bool with_body, const RequestOverride* ov) {
  Shard& shard = vu.shard;
  const auto& plan = *shard.ctx().plan;
  HeaderVector headers;
  headers.reserve(plan.default_headers.size() + req.headers.size() + 1);
  for (const auto& h : plan.default_headers) {
    put_header(headers, h.name, h.value.render(vu.vars, shard.rng()));
  }
  if (ov != nullptr && ov->headers) {  // a beforeRequest hook's headers replace the step's
    for (const auto& [name, value] : *ov->headers) {
      put_header(headers, name, render_hook_text(value, vu.vars, shard.rng()));
    }
  } else {
    for (const auto& h : req.headers)
      put_header(headers, h.name, h.value.render(vu.vars, shard.rng()));
  }
  if (req.auth_user && !has_header(headers, "authorization")) {
    std::string credentials = req.auth_user->render(vu.vars, shard.rng());
    credentials += ':';
    if (req.auth_pass) req.auth_pass->render(credentials, vu.vars, shard.rng());
    put_header(headers, "authorization", "Basic " + base64_encode(credentials));
  }
  if (req.gzip && !has_header(headers, "accept-encoding")) {
    put_header(headers, "accept-encoding", "gzip, deflate");
  }
  std::string cookie;
  vu.cookies.header_for(url, cookie);
  if (!cookie.empty()) put_header(headers, "cookie", std::move(cookie));
  std::string body;
  std::string content_type;
  if (with_body) render_body(vu, req, body, content_type, ov);
  lane.request_bytes.clear();
  http::write_request(lane.request_bytes, method, url.path_and_query, url.host_header(), headers,
                      body, content_type);
}

Connection* owned_connection(VuState& vu, Lane lane, const std::string& origin) {
  for (auto& c : lane.connections) {
    if (c.origin == origin) return c.conn.get();
  }
  lane.connections.push_back({origin, std::make_unique<Connection>(vu.shard.loop())});
  return lane.connections.back().conn.get();
}

// `qs`: as Artillery sends it (got 11's `searchParams`): the query the URL
// already has is replaced, and names and values are encoded as
// URLSearchParams writes them (a space as '+'; `! ' ( ) ~` escaped).
void append_query(VuState& vu, const script::Request& req, http::Url& url,
                  const RequestOverride& ov) {
  if (ov.qs ? ov.qs->empty() : req.qs.empty()) return;  // got keeps the URL's query
  std::string& pq = url.path_and_query;
  const size_t query = pq.find_first_of("?#");
  if (query != std::string::npos) pq.resize(query);
  bool first = true;
  std::string value;
  auto add = [&](std::string_view name) {
    pq += first ? '?' : '&';
    first = false;
    http::append_url_encoded(pq, name, http::UrlEncoding::kForm);
    pq += '=';
    http::append_url_encoded(pq, value, http::UrlEncoding::kForm);
  };
  if (ov.qs) {  // a beforeRequest hook's qs replaces the step's
    for (const auto& [name, text] : *ov.qs) {
      value = render_hook_text(text, vu.vars, vu.shard.rng());
      add(name);
    }
    return;
  }
  for (const auto& q : req.qs) {
    value.clear();
    q.value.render(value, vu.vars, vu.shard.rng());
    add(q.name);
  }
}

uint64_t next_hook_vu() {
  thread_local uint64_t last = 0;
  return ++last;
}

// Calls the processor's functions `fns` for the VU and applies what they did:
// variables, custom metrics, (beforeRequest) the request's changed fields.
// Time spent in the hook moves `intended` on: it is not the target's latency.
// Returns the error that fails the VU, or nullptr; the caller counts it.
Task<const char*> call_hooks(VuState& vu, HookCall::Kind kind,
                             const std::vector<script::HookRef>& fns, std::string request,
                             std::string response, Nanos& intended, RequestOverride* ov) {
  HookHost* host = vu.shard.hooks();
  if (host == nullptr) co_return "processor not running";
  if (vu.hook_vu == 0) vu.hook_vu = next_hook_vu();
  const Nanos t0 = monotonic_now();
  HookCall call(*host, vu.shard.loop());
  call.kind = kind;
  call.vu = vu.hook_vu;
  call.functions = &fns;
  call.vars = &vu.vars;
  call.request_json = std::move(request);
  call.response_json = std::move(response);
  HookReply& r = co_await call;
  intended += monotonic_now() - t0;
  for (auto& [name, value] : r.vars) vu.vars.set(name, std::move(value));
  if (!r.metrics.empty()) record_hook_metrics(vu.shard.recorder(), r.metrics);
  if (!r.error.empty()) co_return intern_error_name(r.error);
  if (ov != nullptr && !r.request.empty()) parse_request_override(r.request, *ov);
  co_return nullptr;
}

// `probability` and `ifTrue`: whether this request is sent at all.
bool should_send(VuState& vu, const script::Request& req) {
  if (req.probability) {
    // A `probability` percent chance (Artillery draws an integer in [0, 100],
    // so its 50 is 50/101; barrage's is exactly 50%).
    if (!(vu.shard.rng().uniform() * 100 < *req.probability)) return false;
  }
  if (req.if_true) {
    auto lookup = [&vu](std::string_view name) -> std::optional<script::ExprValue> {
      if (auto v = script::resolve_variable(vu.vars, name)) {
        return script::ExprValue::from_text(*v);
      }
      return std::nullopt;
    };
    if (!req.if_true->test(lookup)) return false;
  }
  return true;
}

// One request step, following redirects. Returns nullptr or the error that ends the VU.
Task<const char*> perform(VuState& vu, Lane lane, const script::Request& req, Nanos& intended) {
  if (!should_send(vu, req)) co_return nullptr;
  Shard& shard = vu.shard;
  const RunContext& ctx = shard.ctx();
  auto& rec = shard.recorder();
  const int endpoint = req.endpoint_id;
  const int phase = static_cast<int>(vu.phase);
  if (const auto& names = ctx.plan->endpoints;
      endpoint >= 0 && static_cast<size_t>(endpoint) < names.size()) {
    vu.step = names[static_cast<size_t>(endpoint)];
  }

  // beforeRequest hooks run first; the request is rendered from what they
  // left (variables and requestParams), and its timing starts after them.
  RequestOverride ov;
  if (!req.before_request.empty()) {
    if (const char* e = co_await call_hooks(vu, HookCall::Kind::kBeforeRequest, req.before_request,
                                            request_params_json(ctx, req), {}, intended, &ov)) {
      rec.error(endpoint, e, phase);
      co_return e;
    }
  }

  const PreparedRequest* prep = nullptr;
  if (auto it = ctx.prepared.find(&req); it != ctx.prepared.end() && !ov.any()) {
    prep = &it->second;
  }

  http::Url dynamic_url;
  std::string dynamic_origin;
  const http::Url* url = prep != nullptr && prep->url ? &*prep->url : nullptr;
  const std::string* origin = url != nullptr ? &prep->origin : nullptr;
  if (url == nullptr) {
    const std::string rendered = ov.url ? render_hook_text(*ov.url, vu.vars, shard.rng())
                                        : req.url.render(vu.vars, shard.rng());
    std::optional<http::Url> u;
    if (ctx.target) {
      u = http::join_target(*ctx.target, rendered);
    } else {
      u = http::parse_url(rendered);
    }
    if (!u) {
      // As Artillery: nothing sent, errors.Invalid URL - <url>, the VU ends.
      rec.error(-1, http::invalid_url_error(rendered), phase);
      co_return kInvalidUrl;
    }
    dynamic_url = std::move(*u);
    url = &dynamic_url;
    dynamic_origin = url->origin();
    origin = &dynamic_origin;
  }
  if (!req.qs.empty() || ov.qs) {
    if (url != &dynamic_url) dynamic_url = *url;
    append_query(vu, req, dynamic_url, ov);
    url = &dynamic_url;
  }
  for (const auto& c : req.cookies) {
    // Artillery puts a request's `cookie` entries in the VU's jar for its URL.
    std::string pair = c.name;
    pair += '=';
    c.value.render(pair, vu.vars, shard.rng());
    vu.cookies.store(pair, *url);
  }
  std::string_view method =
      ov.method ? std::string_view(*ov.method) : script::method_name(req.method);
  bool with_body = true;
  bool use_prepared = prep != nullptr && prep->bytes && vu.cookies.size() == 0;
  if (!use_prepared) render_request(vu, lane, req, *url, method, with_body, &ov);

  const bool follow = req.follow_redirect.value_or(true);
  for (int hop = 0;; ++hop) {
    const std::string_view bytes =
        use_prepared ? std::string_view(*prep->bytes) : std::string_view(lane.request_bytes);
    const bool head = req.method == script::Method::kHead && with_body;

    std::unique_ptr<Connection> pooled;
    Connection* conn = nullptr;
    const int64_t pool_size = ctx.plan->http.pool;
    // The generator's own lateness (barrage.scheduling_lag) ends where the
    // request could go; a wait for a pooled connection after that is the
    // pool's limit, not the generator's, and is barrage.pool_wait.
    const Nanos ready = monotonic_now();
    if (hop == 0) rec.scheduling_lag(to_us(ready - intended));
    if (pool_size > 0) {
      pooled = co_await shard.pool(*origin).acquire();
      conn = pooled.get();
    } else {
      conn = owned_connection(vu, lane, *origin);
    }
    auto give_back = [&] {
      if (pooled) shard.pool(*origin).release(std::move(pooled));
    };

    const Nanos send_start = pool_size > 0 ? monotonic_now() : ready;
    if (pool_size > 0) rec.pool_wait(to_us(send_start - ready));
    const Nanos deadline = send_start + ctx.request_timeout;
    Timing timing;
    ExchangeOutcome ex;
    bool fresh = false;  // the response came on a connection opened for it
    // Counted in http.requests before connecting, as Artillery counts it (got's
    // 'request' event comes before the socket connects): a request whose
    // connection fails (ECONNREFUSED, ENOTFOUND, ...) is a request too.
    rec.request_sent(endpoint, phase);
    rec.phase_sent(phase, since_start_ms(ctx, send_start));
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = conn->is_open();
      fresh = !reused;
      if (!reused) {
        if (const char* e = co_await open_connection(vu.shard, *conn, *url, deadline, timing)) {
          ex.error = e;
          break;
        }
      }
      ex = co_await exchange(lane, *conn, bytes, head, deadline);
      if (ex.error == nullptr) break;
      conn->close();
      // A kept-alive connection the server closed while idle: retry once on a new one.
      const std::string_view e(ex.error);
      if (!(reused && !ex.got_bytes && e != "ETIMEDOUT")) break;
      conn->read_buffer().clear();
    }
    rec.phase_done(phase,
                   since_start_ms(ctx, ex.error != nullptr ? monotonic_now() : ex.last_byte));
    if (ex.error != nullptr) {
      conn->close();
      give_back();
      rec.error(endpoint, ex.error, phase);
      co_return ex.error;
    }
    const auto& p = lane.parser;
    const int status = p.status();
    const uint64_t response_us = to_us(ex.last_byte - intended);
    rec.response(endpoint, status, response_us, p.body_bytes(), phase);
    rec.connection_response(fresh, response_us, to_us(ex.first_byte - ex.write_done));
    if (const std::string& cold = ctx.plan->serverless.cold_start_header; !cold.empty()) {
      rec.cold_start_response(is_cold_start(p.header(cold)), response_us, phase);
    }
    if (const auto& apdex = ctx.plan->plugins.apdex_threshold_ms) {
      count_apdex(rec, ex.last_byte - intended, *apdex);
    }
    rec.timing(to_us(timing.dns), to_us(timing.tcp), to_us(timing.tls),
               to_us(ex.first_byte - ex.write_done), to_us(ex.last_byte - ex.first_byte),
               timing.did_dns, timing.did_tcp, timing.did_tls);

    for (size_t i = 0; i < p.header_count(); ++i) {
      if (ascii::iequals(p.header_name(i), "set-cookie")) vu.cookies.store(p.header_value(i), *url);
    }
    std::string_view body = p.body();
    const DecodeScratchTrim trim;
    // A body cut at the stored limit cannot be decoded whole (and captures and
    // checks do not use a truncated body), so it is not decoded at all.
    if (auto enc = p.header("content-encoding"); enc && !body.empty() && !p.body_truncated()) {
      const auto coding = http::parse_content_encoding(*enc);
      if (coding && *coding != http::ContentEncoding::kIdentity) {
        thread_local http::Decompressor decompressor;
        std::string& decoded = decode_scratch;
        if (!decompressor.decode(body, decoded, kMaxDecodedBody)) {
          const char* name = http::error_name(decompressor.error());
          conn->close();
          give_back();
          rec.error(endpoint, name, phase);
          co_return name;
        }
        body = decoded;
      }
    }
    const bool keep = p.keep_alive();
    std::optional<std::string> location;
    if (follow && is_redirect(status)) {
      if (auto loc = p.header("location")) location = std::string(*loc);
    }
    if (!keep) conn->close();
    give_back();
    if (location && hop == kMaxRedirects) {
      rec.error(endpoint, kTooManyRedirects);
      co_return kTooManyRedirects;
    }
    intended = ex.last_byte;
    if (!location) {
      if (!req.captures.empty() && !apply_captures(vu, lane, req, body)) {
        rec.error(endpoint, kFailedCapture, phase);
        co_return kFailedCapture;
      }
      if (!req.expectations.empty() && !apply_expectations(vu, lane, req, body) &&
          ctx.plan->expect_failures_as_errors) {
        // The expect plugin's reportFailuresAsErrors: the VU fails with this error.
        rec.error(endpoint, kFailedExpectations, phase);
        co_return kFailedExpectations;
      }
      if (!req.after_response.empty()) {
        if (const char* e = co_await call_hooks(vu, HookCall::Kind::kAfterResponse,
                                                req.after_response, request_params_json(ctx, req),
                                                response_json(p, body), intended, nullptr)) {
          rec.error(endpoint, e, phase);
          co_return e;
        }
      }
      co_return nullptr;
    }

    auto next = http::resolve_location(*url, *location);
    if (!next) co_return nullptr;  // unusable Location: the 3xx is the answer
    dynamic_url = std::move(*next);
    url = &dynamic_url;
    dynamic_origin = url->origin();
    origin = &dynamic_origin;
    if (status == 303 ||
        ((status == 301 || status == 302) && req.method == script::Method::kPost)) {
      method = "GET";
      with_body = false;
    }
    use_prepared = false;
    render_request(vu, lane, req, *url, method, with_body, &ov);
  }
}

Task<const char*> run_steps(VuState& vu, Lane lane, std::span<const script::Step> steps,
                            Nanos& intended);

// The pause of a `think` step, with its jitter (or the default one): uniform
// in [t - j, t + j], at least 0, as Artillery's jitter() draws it.
Nanos think_time(VuState& vu, const script::Think& think) {
  const auto& plan = *vu.shard.ctx().plan;
  const std::optional<script::Jitter>& jitter = think.jitter ? think.jitter : plan.default_jitter;
  double seconds = think.seconds;
  if (think.seconds_template) {  // `think: "{{ t }}"`: read per step, as Artillery does
    const std::string text = think.seconds_template->render(vu.vars, vu.shard.rng());
    seconds = std::min(script::parse_duration_s(text).value_or(0), 365.0 * 86400);
  }
  double ms = seconds * 1000;
  if (jitter && jitter->active()) {
    const double j = jitter->percent ? ms * jitter->value / 100 : jitter->value;
    ms = std::max(0.0, ms - j + vu.shard.rng().uniform() * 2 * j);
  }
  return static_cast<Nanos>(ms * 1e6);
}

Task<const char*> run_loop(VuState& vu, Lane lane, const script::Loop& loop, Nanos& intended) {
  if (loop.is_over()) {
    std::vector<std::string> values;
    if (!loop.over_variable.empty()) {
      // A variable holding a JSON array (a captured list); anything else: no iterations.
      const auto text = script::resolve_variable(vu.vars, loop.over_variable);
      if (text) values = script::json_array_elements(*text).value_or(std::vector<std::string>{});
    } else {
      values.reserve(loop.over_values.size());
      for (const auto& t : loop.over_values) values.push_back(t.render(vu.vars, vu.shard.rng()));
    }
    for (size_t i = 0; i < values.size(); ++i) {
      vu.vars.set(loop.index_name, std::to_string(i));
      vu.vars.set(loop.element_name, values[i]);
      if (const char* e = co_await run_steps(vu, lane, loop.steps, intended)) co_return e;
    }
    co_return nullptr;
  }
  int64_t from = loop.from;
  int64_t to = loop.count;
  if (loop.count_template) {
    const auto range =
        script::parse_loop_range(loop.count_template->render(vu.vars, vu.shard.rng()));
    from = range ? range->first : 0;
    to = range ? range->second : 0;
  }
  for (int64_t i = from; i < to; ++i) {
    vu.vars.set(loop.index_name, std::to_string(i));
    if (const char* e = co_await run_steps(vu, lane, loop.steps, intended)) co_return e;
  }
  co_return nullptr;
}

// A `parallel` step's shared state: the next step to start, the workers still
// running, the first error and the latest end time among the branches.
struct ParallelJoin {
  size_t next = 0;
  size_t pending = 0;
  const char* error = nullptr;
  Nanos latest = 0;
  std::coroutine_handle<> waiter;
};

struct JoinAwaiter {
  ParallelJoin& join;
  bool await_ready() const noexcept { return join.pending == 0; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { join.waiter = h; }
  void await_resume() const noexcept {}
};

// One worker of a `parallel` step: its own lane (connections, parser), taking
// steps until none are left. The last worker to finish resumes the VU.
Task<void> parallel_worker(VuState& vu, const script::Parallel& par, ParallelJoin& join,
                           Nanos start) {
  http::ResponseParser parser;
  parser.set_limits(parser_limits());
  std::vector<VuState::OwnedConnection> connections;
  std::string request_bytes;
  const Lane lane{parser, connections, request_bytes};
  Nanos intended = start;
  while (join.next < par.steps.size() && join.error == nullptr) {
    const size_t i = join.next++;
    const char* e = co_await run_steps(vu, lane, std::span(&par.steps[i], 1), intended);
    if (e != nullptr && join.error == nullptr) join.error = e;
  }
  join.latest = std::max(join.latest, intended);
  connections.clear();
  if (--join.pending == 0 && join.waiter) vu.shard.loop().post(join.waiter);
}

Task<const char*> run_parallel(VuState& vu, const script::Parallel& par, Nanos& intended) {
  ParallelJoin join;
  const size_t workers =
      std::min(par.steps.size(), static_cast<size_t>(std::max<int64_t>(par.limit, 1)));
  join.pending = workers;
  join.latest = intended;
  std::vector<Task<void>> tasks;
  tasks.reserve(workers);
  for (size_t i = 0; i < workers; ++i) tasks.push_back(parallel_worker(vu, par, join, intended));
  for (auto& t : tasks) t.handle().resume();
  co_await JoinAwaiter{join};
  intended = join.latest;
  co_return join.error;
}

// `log`: at most kMaxLogLinesPerSecond lines per second per core; the number
// left out is printed when the next second's first line is.
void log_line(VuState& vu, const script::Log& log) {
  constexpr int kMaxLogLinesPerSecond = 20;
  struct Limiter {
    int64_t second = -1;
    int lines = 0;
    uint64_t suppressed = 0;
  };
  thread_local Limiter limiter;
  const int64_t second = monotonic_now() / kNanosPerSecond;
  if (second != limiter.second) {
    if (limiter.suppressed > 0) {
      std::fprintf(stderr, "barrage: %llu log line(s) not shown (more than %d per second)\n",
                   static_cast<unsigned long long>(limiter.suppressed), kMaxLogLinesPerSecond);
    }
    limiter = Limiter{second, 0, 0};
  }
  if (limiter.lines >= kMaxLogLinesPerSecond) {
    ++limiter.suppressed;
    return;
  }
  ++limiter.lines;
  std::string line = log.message.render(vu.vars, vu.shard.rng());
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

Task<const char*> run_steps(VuState& vu, Lane lane, std::span<const script::Step> steps,
                            Nanos& intended) {
  for (const auto& step : steps) {
    if (const auto* req = std::get_if<script::Request>(&step.action)) {
      if (const char* e = co_await perform(vu, lane, *req, intended)) co_return e;
    } else if (const auto* think = std::get_if<script::Think>(&step.action)) {
      intended += think_time(vu, *think);
      vu.step = "think";
      if (vu.ws) {
        co_await ws_idle_until(vu, intended);  // engine: ws: keep reading while thinking
      } else {
        co_await SleepAwaiter(vu.shard.loop(), intended);
      }
    } else if (const auto* loop = std::get_if<script::Loop>(&step.action)) {
      if (const char* e = co_await run_loop(vu, lane, *loop, intended)) co_return e;
    } else if (const auto* par = std::get_if<script::Parallel>(&step.action)) {
      if (const char* e = co_await run_parallel(vu, *par, intended)) co_return e;
    } else if (const auto* log = std::get_if<script::Log>(&step.action)) {
      log_line(vu, *log);
    } else if (const auto* ws = std::get_if<script::WsSend>(&step.action)) {
      if (const char* e = co_await ws_step(vu, *ws, intended)) co_return e;
    } else if (const auto* fn = std::get_if<script::Function>(&step.action)) {
      if (const char* e = co_await call_hooks(vu, HookCall::Kind::kFunction, fn->functions, {}, {},
                                              intended, nullptr)) {
        vu.shard.recorder().error(e);
        co_return e;
      }
    }
  }
  co_return nullptr;
}

// One row per payload for a new session: a random row, or with
// `order: sequence` the row of the session's run-wide index, so shards (and
// workers) read disjoint rows in arrival order.
void pick_payload_rows(VuState& vu) {
  const auto& payloads = vu.shard.ctx().plan->payloads;
  if (payloads.empty()) return;
  const uint64_t session = vu.shard.next_session_index();
  thread_local std::vector<std::string> fields;
  for (const auto& p : payloads) {
    const size_t rows = p.data ? p.data->rows() : 0;
    if (p.load_all || rows == 0) continue;
    const size_t row =
        p.sequence ? static_cast<size_t>(session % rows)
                   : static_cast<size_t>(vu.shard.rng().between(0, static_cast<int64_t>(rows) - 1));
    p.data->row(row, fields);
    for (size_t j = 0; j < p.fields.size() && j < fields.size(); ++j) {
      vu.vars.set(p.fields[j], p.cast ? script::csv_cast(fields[j]) : std::move(fields[j]));
    }
  }
}

}  // namespace

VuState::VuState(Shard& s, size_t slot_index, size_t phase_index, const script::Scenario& sc,
                 Nanos arrival_time, Nanos loop_until)
    : shard(s),
      slot(slot_index),
      phase(phase_index),
      scenario(&sc),
      arrival(arrival_time),
      closed_until(loop_until),
      vars(&s.globals()) {
  parser.set_limits(parser_limits());
}

VuState::~VuState() = default;

namespace {

// The session's context in the processor's host is no longer needed.
void end_hook_session(VuState& vu) noexcept {
  if (vu.hook_vu == 0) return;
  if (HookHost* host = vu.shard.hooks()) host->end_vu(vu.hook_vu);
  vu.hook_vu = 0;
}

// Ends the session's hook context also when the VU's frame is destroyed (a
// stop, a drain cut-off).
struct HookSessionGuard {
  explicit HookSessionGuard(VuState& v) noexcept : vu(v) {}
  VuState& vu;
  HookSessionGuard(const HookSessionGuard&) = delete;
  HookSessionGuard& operator=(const HookSessionGuard&) = delete;
  ~HookSessionGuard() { end_hook_session(vu); }
};

}  // namespace

Task<void> run_virtual_user(VuState& vu) {
  const HookSessionGuard hook_guard(vu);
  auto& rec = vu.shard.recorder();
  Nanos session_start = vu.arrival;
  for (;;) {
    rec.vuser_created(static_cast<int>(vu.phase),
                      static_cast<int>(vu.scenario - vu.shard.ctx().plan->scenarios.data()));
    Nanos intended = session_start;
    // Artillery's `$uuid`: the VU's id, one per scenario run.
    vu.vars.set("$uuid", script::random_uuid(vu.shard.rng()));
    // Per-VU picks of array variables and payload rows.
    for (const auto& v : vu.shard.ctx().plan->variables) {
      if (v.values.size() > 1) {
        vu.vars.set(v.name, v.values[static_cast<size_t>(vu.shard.rng().between(
                                0, static_cast<int64_t>(v.values.size()) - 1))]);
      }
    }
    pick_payload_rows(vu);
    const char* error = nullptr;
    if (vu.scenario->engine == script::Engine::kWs) {
      // engine: ws: the connection first, the closing handshake last.
      error = co_await ws_open(vu, intended);
      if (error == nullptr)
        error = co_await run_steps(vu, main_lane(vu), vu.scenario->flow, intended);
      co_await ws_finish(vu);
    } else {
      error = co_await run_steps(vu, main_lane(vu), vu.scenario->flow, intended);
    }
    end_hook_session(vu);
    if (error != nullptr) {
      rec.vuser_failed();
    } else {
      rec.vuser_completed(to_us(monotonic_now() - session_start));
    }
    // Closed model: the same VU starts its next iteration at once, keeping its
    // connection, until the phase ends.
    const Nanos now = monotonic_now();
    if (vu.closed_until == 0 || now >= vu.closed_until || vu.shard.loop().stopping()) break;
    if (error != nullptr) {
      // A failed iteration waits before the next, so a refusing or exhausted
      // target (or generator: EMFILE) is not retried in a tight loop.
      co_await SleepAwaiter(vu.shard.loop(), std::min(now + kClosedRetryDelay, vu.closed_until));
    } else {
      co_await Yield{vu.shard.loop()};
    }
    session_start = monotonic_now();
    vu.scenario = &vu.shard.pick_scenario();
  }
  if (auto* out = vu.shard.ctx().export_vars) {
    for (const auto& [name, value] : vu.vars.own()) {
      if (!name.starts_with('$')) out->emplace_back(name, value);
    }
  }
  vu.connections.clear();
  vu.shard.vu_finished(vu.slot);
}

}  // namespace barrage::engine
