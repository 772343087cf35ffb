#include "engine/virtual_user.h"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <string_view>

#include "engine/connection_pool.h"
#include "engine/request_headers.h"
#include "engine/shard.h"
#include "engine/tls.h"
#include "http/decompress.h"
#include "http/request_writer.h"
#include "http/url.h"
#include "util/ascii.h"

namespace barrage::engine {

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

struct Timing {
  Nanos dns = 0, tcp = 0, tls = 0;
  bool did_dns = false, did_tcp = false, did_tls = false;
};

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

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Opens `conn` to `url`: DNS (cached), TCP connect, TLS handshake.
Task<const char*> open_connection(VuState& vu, Connection& conn, const http::Url& url,
                                  Nanos deadline, Timing& timing) {
  Shard& shard = vu.shard;
  const Nanos t0 = monotonic_now();
  Resolution r = co_await shard.resolver().resolve(url.host, url.port);
  if (r.error != nullptr) co_return r.error;
  timing.did_dns = r.looked_up;
  timing.dns = r.looked_up ? r.elapsed : 0;
  const Nanos t1 = monotonic_now();
  if (const char* e = conn.start_connect(r.addr, r.addr_len)) co_return e;
  if (!co_await conn.wait(Interest::kWrite, deadline)) {
    conn.close();
    co_return "ETIMEDOUT";
  }
  if (const char* e = conn.finish_connect()) {
    conn.close();
    co_return e;
  }
  const Nanos t2 = monotonic_now();
  timing.did_tcp = true;
  timing.tcp = t2 - t1;
  (void)t0;
  if (url.tls()) {
    if (const char* e =
            conn.start_tls(shard.tls(), url.host, url.host + ":" + std::to_string(url.port))) {
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

struct ExchangeOutcome {
  const char* error = nullptr;
  bool got_bytes = false;  // any response byte arrived (no silent retry then)
  Nanos write_done = 0;
  Nanos first_byte = 0;
  Nanos last_byte = 0;
};

// Writes the request and reads one response into vu.parser.
Task<ExchangeOutcome> exchange(VuState& vu, Connection& conn, std::string_view bytes, bool head,
                               Nanos deadline) {
  ExchangeOutcome out;
  size_t written = 0;
  while (written < bytes.size()) {
    auto r = conn.try_write(bytes.data() + written, bytes.size() - written);
    if (r.step == Connection::Step::kDone) {
      written += r.n;
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
  out.write_done = monotonic_now();

  auto& parser = vu.parser;
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

// Artillery's name for a failed capture or match (errors.<name>).
constexpr const char* kFailedCapture = "Failed capture or match";

// Sets a variable per capture from the final response; false when a strict
// capture found nothing (the VU then fails, as in Artillery).
bool apply_captures(VuState& vu, const script::Request& req, std::string_view body) {
  const auto& p = vu.parser;
  bool ok = true;
  for (const auto& c : req.captures) {
    std::optional<std::string> value;
    switch (c.kind) {
      case script::Capture::Kind::kJson:
        if (!p.body_truncated()) {
          if (auto r = c.json.evaluate(body); r && !r->empty()) value = std::move(r->front());
        }
        break;
      case script::Capture::Kind::kRegexp:
        if (!p.body_truncated()) value = c.regexp.first_match(body, c.group);
        break;
      case script::Capture::Kind::kHeader:
        if (auto h = p.header(c.expression)) value = std::string(*h);
        break;
    }
    if (value) {
      vu.vars.set(c.as, std::move(*value));
    } else if (c.strict) {
      ok = false;
    }
  }
  return ok;
}

// Checks `expect` on the final response, after the captures so that checks
// can compare captured values, and counts plugins.expect.ok / .failed and
// plugins.expect.<ok|failed>.<check> per check. A failure does not end the VU:
// Artillery's expect plugin only does that with reportFailuresAsErrors.
void apply_expectations(VuState& vu, const script::Request& req, std::string_view body) {
  const auto& p = vu.parser;
  script::ResponseView response;
  response.status = p.status();
  response.header = [&p](std::string_view name) { return p.header(name); };
  response.body = body;
  response.body_complete = !p.body_truncated();
  metrics::Recorder& rec = vu.shard.recorder();
  constexpr size_t kChunk = 16;  // checks per evaluation; the body is parsed once per chunk
  std::array<bool, kChunk> ok{};
  const std::span<const script::Expectation> all(req.expectations);
  for (size_t first = 0; first < all.size(); first += kChunk) {
    const auto chunk = all.subspan(first, std::min(kChunk, all.size() - first));
    script::evaluate_expectations(chunk, response, vu.vars, vu.shard.rng(),
                                  std::span(ok).first(chunk.size()));
    for (size_t i = 0; i < chunk.size(); ++i) {
      const std::string_view outcome = ok[i] ? "plugins.expect.ok" : "plugins.expect.failed";
      rec.add(outcome);
      std::string name(outcome);
      name += '.';
      name += script::expectation_name(chunk[i].kind);
      rec.add(name);
    }
  }
}

// Renders the request for `url` into vu.request_bytes.
void render_request(VuState& vu, const script::Request& req, const http::Url& url,
                    std::string_view method, bool with_body) {
  Shard& shard = vu.shard;
  const auto& plan = *shard.ctx().plan;
  HeaderVector headers;
  headers.reserve(plan.default_headers.size() + req.headers.size() + 1);
  for (const auto& h : plan.default_headers) {
    put_header(headers, h.name, h.value.render(vu.vars, shard.rng()));
  }
  for (const auto& h : req.headers)
    put_header(headers, h.name, h.value.render(vu.vars, shard.rng()));
  std::string cookie;
  vu.cookies.header_for(url, cookie);
  if (!cookie.empty()) put_header(headers, "cookie", std::move(cookie));
  std::string body;
  if (with_body && req.body) req.body->render(body, vu.vars, shard.rng());
  vu.request_bytes.clear();
  http::write_request(vu.request_bytes, method, url.path_and_query, url.host_header(), headers,
                      body, with_body ? std::string_view(req.content_type) : std::string_view());
}

Connection* owned_connection(VuState& vu, const std::string& origin) {
  for (auto& c : vu.connections) {
    if (c.origin == origin) return c.conn.get();
  }
  vu.connections.push_back({origin, std::make_unique<Connection>(vu.shard.loop())});
  return vu.connections.back().conn.get();
}

// One request step, following redirects. Returns nullptr or the error that ends the VU.
Task<const char*> perform(VuState& vu, const script::Request& req, Nanos& intended) {
  Shard& shard = vu.shard;
  const RunContext& ctx = shard.ctx();
  auto& rec = shard.recorder();
  const int endpoint = req.endpoint_id;

  const PreparedRequest* prep = nullptr;
  if (auto it = ctx.prepared.find(&req); it != ctx.prepared.end()) prep = &it->second;

  http::Url dynamic_url;
  std::string dynamic_origin;
  const http::Url* url = prep != nullptr && prep->url ? &*prep->url : nullptr;
  const std::string* origin = url != nullptr ? &prep->origin : nullptr;
  if (url == nullptr) {
    const std::string rendered = req.url.render(vu.vars, shard.rng());
    std::optional<http::Url> u;
    if (ctx.target) {
      u = http::join_target(*ctx.target, rendered);
    } else {
      u = http::parse_url(rendered);
    }
    if (!u) co_return "EINVALIDURL";
    dynamic_url = std::move(*u);
    url = &dynamic_url;
    dynamic_origin = url->origin();
    origin = &dynamic_origin;
  }
  std::string_view method = script::method_name(req.method);
  bool with_body = true;
  bool use_prepared = prep != nullptr && prep->bytes && vu.cookies.size() == 0;
  if (!use_prepared) render_request(vu, req, *url, method, with_body);

  const bool follow = req.follow_redirect.value_or(true);
  for (int hop = 0;; ++hop) {
    const std::string_view bytes =
        use_prepared ? std::string_view(*prep->bytes) : std::string_view(vu.request_bytes);
    const bool head = req.method == script::Method::kHead && with_body;

    std::unique_ptr<Connection> pooled;
    Connection* conn = nullptr;
    const int64_t pool_size = ctx.plan->http.pool;
    if (pool_size > 0) {
      pooled = co_await shard.pool(*origin).acquire();
      conn = pooled.get();
    } else {
      conn = owned_connection(vu, *origin);
    }
    auto give_back = [&] {
      if (pooled) shard.pool(*origin).release(std::move(pooled));
    };

    const Nanos send_start = monotonic_now();
    if (hop == 0) rec.scheduling_lag(to_us(send_start - intended));
    const Nanos deadline = send_start + ctx.request_timeout;
    Timing timing;
    ExchangeOutcome ex;
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = conn->is_open();
      if (!reused) {
        if (const char* e = co_await open_connection(vu, *conn, *url, deadline, timing)) {
          ex.error = e;
          break;
        }
      }
      if (attempt == 0) rec.request_sent(endpoint);
      ex = co_await exchange(vu, *conn, bytes, head, deadline);
      if (ex.error == nullptr) break;
      conn->close();
      // A kept-alive connection the server closed while idle: retry once on a new one.
      const std::string_view e(ex.error);
      if (!(reused && !ex.got_bytes && e != "ETIMEDOUT")) break;
      conn->read_buffer().clear();
    }
    if (ex.error != nullptr) {
      conn->close();
      give_back();
      rec.error(endpoint, ex.error);
      co_return ex.error;
    }
    const auto& p = vu.parser;
    const int status = p.status();
    rec.response(endpoint, status, to_us(ex.last_byte - intended), p.wire_bytes());
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
          rec.error(endpoint, name);
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
      if (!req.captures.empty() && !apply_captures(vu, req, body)) {
        rec.error(endpoint, kFailedCapture);
        co_return kFailedCapture;
      }
      if (!req.expectations.empty()) apply_expectations(vu, req, body);
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
    render_request(vu, req, *url, method, with_body);
  }
}

Task<const char*> run_steps(VuState& vu, const std::vector<script::Step>& steps, Nanos& intended);

Task<const char*> run_loop(VuState& vu, const script::Loop& loop, Nanos& intended) {
  for (int64_t i = 0; i < loop.count; ++i) {
    vu.vars.set("$loopCount", std::to_string(i + 1));
    if (const char* e = co_await run_steps(vu, loop.steps, intended)) co_return e;
  }
  co_return nullptr;
}

Task<const char*> run_steps(VuState& vu, const std::vector<script::Step>& steps, Nanos& intended) {
  for (const auto& step : steps) {
    if (const auto* req = std::get_if<script::Request>(&step.action)) {
      if (const char* e = co_await perform(vu, *req, intended)) co_return e;
    } else if (const auto* think = std::get_if<script::Think>(&step.action)) {
      intended += static_cast<Nanos>(think->seconds * 1e9);
      co_await SleepAwaiter(vu.shard.loop(), intended);
    } else if (const auto* loop = std::get_if<script::Loop>(&step.action)) {
      if (const char* e = co_await run_loop(vu, *loop, intended)) co_return e;
    }
  }
  co_return nullptr;
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
  http::ResponseParser::Limits limits;
  limits.max_stored_body = 1 << 20;
  parser.set_limits(limits);
}

Task<void> run_virtual_user(VuState& vu) {
  auto& rec = vu.shard.recorder();
  Nanos session_start = vu.arrival;
  for (;;) {
    rec.vuser_created();
    Nanos intended = session_start;
    // Per-VU picks of array variables.
    for (const auto& v : vu.shard.ctx().plan->variables) {
      if (v.values.size() > 1) {
        vu.vars.set(v.name, v.values[static_cast<size_t>(vu.shard.rng().between(
                                0, static_cast<int64_t>(v.values.size()) - 1))]);
      }
    }
    const char* error = co_await run_steps(vu, vu.scenario->flow, intended);
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
  vu.connections.clear();
  vu.shard.vu_finished(vu.slot);
}

}  // namespace barrage::engine
