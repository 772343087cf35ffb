#include "demo_target/connection.h"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <iterator>

#include "demo_target/worker.h"

namespace barrage::demo_target {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kReadBudget = 256 * 1024;  // per wake-up, for fairness across connections
constexpr size_t kStreamChunk = 64 * 1024;
const size_t kMaxInput = http::max_input_bytes(http::RequestLimits{});

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

// Repeating printable bytes for /bytes/{n}.
const std::string& stream_pattern() {
  static const std::string pattern = [] {
    std::string s(kStreamChunk, '\0');
    constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789\n";
    for (size_t i = 0; i < s.size(); ++i) s[i] = kAlphabet[i % kAlphabet.size()];
    return s;
  }();
  return pattern;
}

}  // namespace

Connection::Connection(Worker& worker, int fd) noexcept
    : worker_(worker),
      fd_(fd),
      response_timer_(worker.loop(), &Connection::on_response_timer, this),
      linger_timer_(worker.loop(), &Connection::on_linger_timer, this) {}

Connection::~Connection() {
  if (pending_) {
    worker_.shared().pool.release(pending_->lease.instance,
                                  worker_.shared().pool_now(worker_.loop().now()));
  }
  if (fd_ >= 0) ::close(fd_);
}

bool Connection::start() noexcept {
  interest_ = EPOLLIN;
  if (!worker_.loop().watch(fd_, interest_, this)) {
    close();
    return false;
  }
  return true;
}

void Connection::on_io(uint32_t events) noexcept {
  if (closed_) return;
  if ((events & EPOLLERR) != 0 || ((events & EPOLLHUP) != 0 && (interest_ & EPOLLIN) == 0)) {
    close();
    return;
  }
  if ((events & (EPOLLIN | EPOLLHUP)) != 0) {
    if (lingering_) {
      drain_input();
      return;
    }
    read_input();
    if (closed_) return;
  }
  advance();
}

void Connection::read_input() noexcept {
  size_t total = 0;
  while (total < kReadBudget) {
    if (in_begin_ == in_.size()) {
      in_.clear();
      in_begin_ = 0;
    } else if (in_begin_ >= kReadChunk) {
      in_.erase(0, in_begin_);  // the parser keeps offsets from the request start
      in_begin_ = 0;
    }
    const size_t buffered = in_.size() - in_begin_;
    if (buffered >= kMaxInput) return;
    const size_t want = std::min(kReadChunk, kMaxInput - buffered);
    const size_t old = in_.size();
    in_.resize(old + want);
    const ssize_t n = ::recv(fd_, in_.data() + old, want, 0);
    in_.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0) {
      total += static_cast<size_t>(n);
      if (static_cast<size_t>(n) < want) return;
      continue;
    }
    if (n == 0) {
      peer_eof_ = true;
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) close();
    return;
  }
}

void Connection::drain_input() noexcept {
  std::array<char, 16 * 1024> scratch;
  for (;;) {
    const ssize_t n = ::recv(fd_, scratch.data(), scratch.size(), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close();
    return;
  }
}

void Connection::advance() noexcept {
  while (!closed_) {
    if (!flush()) return;
    if (pending_ || stream_remaining_ > 0 || out_.size() - out_pos_ >= kOutHighWater) break;
    if (close_after_flush_) {
      if (!lingering_ && out_pos_ == out_.size()) finish();
      break;
    }
    const std::string_view input = std::string_view(in_).substr(in_begin_);
    if (input.empty()) {
      if (!peer_eof_) break;
      close_after_flush_ = true;
      continue;
    }
    switch (parser_.parse(input)) {
      case http::RequestParser::State::kComplete:
        dispatch(parser_.request());
        in_begin_ += parser_.consumed();
        parser_.reset();
        continue_sent_ = false;
        continue;
      case http::RequestParser::State::kError:
        write_error(http::status_for(parser_.error()));
        continue;
      case http::RequestParser::State::kNeedMore:
        if (peer_eof_) {
          close_after_flush_ = true;  // a truncated request gets no answer
          continue;
        }
        if (input.size() >= kMaxInput) {
          write_error(413);
          continue;
        }
        if (parser_.headers_done() && parser_.request().expects_continue && !continue_sent_) {
          out_ += "HTTP/1.1 100 Continue\r\n\r\n";
          continue_sent_ = true;
          continue;
        }
        break;
    }
    break;
  }
  if (!closed_) update_interest();
}

void Connection::dispatch(const Request& request) noexcept {
  worker_.count_request();
  SharedState& shared = worker_.shared();
  const bool head = request.method == "HEAD";
  const int64_t wall_s = engine::wall_now_ms() / 1000;
  RouteResponse response = shared.router.handle(request, wall_s);
  if (!response.invokes_function) {
    write_response(response, head, request.keep_alive, request.version_minor, nullptr);
    return;
  }
  // The clock now, not the loop's cached wake-up time: in a batch that also
  // accepted this connection, the cached time predates the request's arrival
  // and the configured latency would come out short.
  const engine::Nanos now = engine::monotonic_now();
  const auto lease = shared.pool.acquire(shared.pool_now(now));
  if (!lease) {
    write_response(message_response(429, "Too Many Requests"), head, request.keep_alive,
                   request.version_minor, nullptr);
    return;
  }
  int64_t delay = shared.latency_ns;
  if (shared.jitter_ns > 0) {
    delay += static_cast<int64_t>((worker_.rng().uniform() * 2 - 1) *
                                  static_cast<double>(shared.jitter_ns));
    delay = std::max<int64_t>(delay, 0);
  }
  if (lease->cold) delay += shared.cold_start_ns;
  if (shared.options.error_rate > 0 && worker_.rng().uniform() < shared.options.error_rate) {
    static constexpr std::array<int, 4> kCodes = {500, 502, 503, 504};
    const int code = kCodes[worker_.rng().next() % kCodes.size()];
    response = message_response(code, reason_phrase(code));
    worker_.count_error();
  } else {
    delay += response.extra_delay_ns;
  }
  if (delay <= 0) {
    write_response(response, head, request.keep_alive, request.version_minor, &*lease);
    shared.pool.release(lease->instance, shared.pool_now(now));
    return;
  }
  pending_.emplace(
      Pending{std::move(response), *lease, head, request.keep_alive, request.version_minor});
  response_timer_.arm(now + delay);
}

void Connection::on_response_timer(void* self) noexcept {
  auto* c = static_cast<Connection*>(self);
  if (!c->pending_) return;  // armed only with a pending response; a stale timer does nothing
  Pending p = std::move(*c->pending_);
  c->pending_.reset();
  c->write_response(p.response, p.head, p.keep_alive, p.version_minor, &p.lease);
  SharedState& shared = c->worker_.shared();
  shared.pool.release(p.lease.instance, shared.pool_now(c->worker_.loop().now()));
  c->advance();
}

void Connection::on_linger_timer(void* self) noexcept { static_cast<Connection*>(self)->close(); }

void Connection::write_response(const RouteResponse& r, bool head, bool keep_alive,
                                int version_minor, const InstancePool::Lease* lease) noexcept {
  const bool bodyless = r.status == 204 || r.status == 304;
  const uint64_t length = r.stream_bytes > 0 ? r.stream_bytes : r.body.size();
  auto out = std::back_inserter(out_);
  fmt::format_to(out, "HTTP/1.1 {} {}\r\n", r.status, reason_phrase(r.status));
  if (!bodyless) {
    fmt::format_to(out, "content-type: {}\r\ncontent-length: {}\r\n", r.content_type, length);
  }
  if (lease != nullptr) {
    fmt::format_to(out, "x-barrage-instance: {}\r\nx-barrage-cold-start: {}\r\n", lease->instance,
                   lease->cold ? "true" : "false");
  }
  if (!r.allow.empty()) fmt::format_to(out, "allow: {}\r\n", r.allow);
  if (!keep_alive) {
    out_ += "connection: close\r\n";
    close_after_flush_ = true;
  } else if (version_minor == 0) {
    out_ += "connection: keep-alive\r\n";
  }
  out_ += "\r\n";
  if (head || bodyless) return;
  if (r.stream_bytes > 0) {
    stream_remaining_ = r.stream_bytes;
  } else {
    out_ += r.body;
  }
}

void Connection::write_error(int status) noexcept {
  RouteResponse r = message_response(status, reason_phrase(status));
  write_response(r, false, /*keep_alive=*/false, 1, nullptr);
}

// Sends queued output (refilling a streamed body) until done or the socket
// is full. False when the connection was closed.
bool Connection::flush() noexcept {
  for (;;) {
    if (out_pos_ == out_.size()) {
      out_.clear();
      out_pos_ = 0;
      if (stream_remaining_ == 0) return true;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(stream_remaining_, kStreamChunk));
      out_.append(stream_pattern(), 0, n);
      stream_remaining_ -= n;
    }
    const ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    close();
    return false;
  }
}

// All output is sent and no more requests will be read.
void Connection::finish() noexcept {
  if (peer_eof_) {
    close();
    return;
  }
  ::shutdown(fd_, SHUT_WR);
  lingering_ = true;
  in_.clear();
  in_begin_ = 0;
  linger_timer_.arm(worker_.loop().now() + kLingerNs);
}

void Connection::update_interest() noexcept {
  uint32_t want = 0;
  if (lingering_) {
    want = EPOLLIN;
  } else {
    const size_t queued = out_.size() - out_pos_;
    if (queued > 0 || stream_remaining_ > 0) want |= EPOLLOUT;
    const bool can_read = !peer_eof_ && !close_after_flush_ && !pending_ &&
                          stream_remaining_ == 0 && queued < kOutHighWater &&
                          in_.size() - in_begin_ < kMaxInput;
    if (can_read) want |= EPOLLIN;
  }
  if (want == interest_) return;
  if (!worker_.loop().rewatch(fd_, want, this)) {
    close();
    return;
  }
  interest_ = want;
}

void Connection::close() noexcept {
  if (closed_) return;
  closed_ = true;
  response_timer_.disarm();
  linger_timer_.disarm();
  if (pending_) {
    worker_.shared().pool.release(pending_->lease.instance,
                                  worker_.shared().pool_now(worker_.loop().now()));
    pending_.reset();
  }
  worker_.loop().unwatch(fd_);
  ::close(fd_);
  fd_ = -1;
  worker_.retire(this);
}

}  // namespace barrage::demo_target
