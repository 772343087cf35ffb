#include "engine/connect_race.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/connection.h"

namespace barrage::engine {

namespace {
std::vector<int> families_of(const std::vector<Endpoint>& addrs) {
  std::vector<int> f;
  f.reserve(addrs.size());
  for (const auto& a : addrs) f.push_back(a.addr.ss_family);
  return f;
}
}  // namespace

ConnectRace::ConnectRace(EventLoop& loop, std::vector<Endpoint> addrs, uint32_t preferred,
                         Nanos deadline, Nanos attempt_delay)
    : loop_(loop),
      addrs_(std::move(addrs)),
      decisions_(families_of(addrs_), preferred, attempt_delay),
      deadline_(deadline),
      timer_(loop, &ConnectRace::on_timer, this) {}

ConnectRace::~ConnectRace() {
  timer_.disarm();
  if (result_.fd >= 0 && !taken_) ::close(result_.fd);  // won, but the waiter is gone
  for (auto& a : attempts_) {
    if (a->fd >= 0) ::close(a->fd);  // close() also leaves epoll
  }
}

bool ConnectRace::await_ready() {
  if (addrs_.empty()) {
    lose("ENOTFOUND");
    return true;
  }
  start_due(monotonic_now());
  if (done_) return true;
  settle();
  return done_;
}

void ConnectRace::await_suspend(std::coroutine_handle<> h) { waiter_ = h; }

ConnectRace::Result ConnectRace::await_resume() noexcept {
  taken_ = true;
  return result_;
}

void ConnectRace::start_due(Nanos now) noexcept {
  while (!done_) {
    const auto index = decisions_.next(now);
    if (!index) break;
    auto& a = *attempts_.emplace_back(std::make_unique<Attempt>());
    a.race = this;
    a.index = *index;
    const Endpoint& ep = addrs_[*index];
    a.fd = ::socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (a.fd < 0) {
      fail(a, Connection::errno_name(errno));
      continue;
    }
    int one = 1;
    setsockopt(a.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Watched before connecting, so a winner is always registered (the
    // Connection that adopts it rewatches it). Level-triggered: the outcome
    // shows as EPOLLOUT or EPOLLERR.
    if (!loop_.watch(a.fd, EPOLLOUT, &a)) {
      fail(a, Connection::errno_name(errno));
      continue;
    }
    if (::connect(a.fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) == 0) {
      win(a);
      break;
    }
    if (errno != EINPROGRESS) fail(a, Connection::errno_name(errno));
  }
  if (!done_ && decisions_.lost()) lose(first_error_ != nullptr ? first_error_ : "ECONNREFUSED");
}

void ConnectRace::on_attempt(Attempt& a, uint32_t events) noexcept {
  if (done_ || a.fd < 0) return;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0 && (events & EPOLLOUT) != 0) {
    win(a);
  } else if (err != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) {
    fail(a, Connection::errno_name(err != 0 ? err : ECONNRESET));
    start_due(monotonic_now());
  } else {
    return;
  }
  settle();
}

void ConnectRace::fail(Attempt& a, const char* error) noexcept {
  if (a.fd >= 0) ::close(a.fd);
  a.fd = -1;
  if (first_error_ == nullptr) first_error_ = error;
  decisions_.failed(a.index);
}

void ConnectRace::win(Attempt& a) noexcept {
  result_.fd = a.fd;
  result_.index = a.index;
  a.fd = -1;  // handed out, still watched with `a` as handler: the caller rewatches
  for (auto& other : attempts_) {
    if (other->fd >= 0) ::close(other->fd);
    other->fd = -1;
  }
  done_ = true;
}

void ConnectRace::lose(const char* error) noexcept {
  for (auto& a : attempts_) {
    if (a->fd >= 0) ::close(a->fd);
    a->fd = -1;
  }
  result_.error = error;
  done_ = true;
}

void ConnectRace::settle() noexcept {
  if (done_) {
    timer_.disarm();
    if (waiter_) {
      auto h = waiter_;
      waiter_ = {};
      // Resumed after the event batch, never inline (as Connection does).
      loop_.post(h);
    }
    return;
  }
  const Nanos wake = decisions_.wake_at();
  timer_.arm(wake < deadline_ ? wake : deadline_);
}

void ConnectRace::on_timer(void* self) noexcept {
  auto* r = static_cast<ConnectRace*>(self);
  if (r->done_) return;
  const Nanos now = monotonic_now();
  if (now >= r->deadline_) {
    r->lose("ETIMEDOUT");
  } else {
    r->start_due(now);
  }
  r->settle();
}

}  // namespace barrage::engine
