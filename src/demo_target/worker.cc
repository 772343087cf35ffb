#include "demo_target/worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#include "demo_target/connection.h"

namespace barrage::demo_target {
namespace {

constexpr int kAcceptBatch = 64;
constexpr engine::Nanos kAcceptRetryNs = 100 * engine::kNanosPerMilli;

int64_t ms_to_ns(double ms) noexcept {
  return static_cast<int64_t>(std::llround(ms * static_cast<double>(engine::kNanosPerMilli)));
}

}  // namespace

SharedState::SharedState(const TargetOptions& o)
    : options(o),
      latency_ns(ms_to_ns(o.latency_ms)),
      jitter_ns(ms_to_ns(o.jitter_ms)),
      cold_start_ns(ms_to_ns(o.cold_start_ms)),
      router(o.demo_token),
      pool(o.instance_idle_ms * engine::kNanosPerMilli, o.concurrency_limit) {}

Worker::Worker(SharedState& shared, const std::vector<int>& listen_fds, uint64_t seed)
    : shared_(shared),
      rng_(seed),
      reap_timer_(loop_, &Worker::on_reap, this),
      accept_retry_timer_(loop_, &Worker::on_accept_retry, this) {
  for (const int fd : listen_fds) {
    auto& l = *listeners_.emplace_back(std::make_unique<Listener>());
    l.worker = this;
    l.fd = fd;
    loop_.watch(l.fd, EPOLLIN, &l);
  }
  // Responses delayed by --latency-ms go out on time, not 50-150 us late.
  loop_.set_spin(150 * engine::kNanosPerMicro, 25 * engine::kNanosPerMilli);
}

Worker::~Worker() {
  connections_.clear();
  retired_.clear();
  for (const auto& l : listeners_) ::close(l->fd);
}

void Worker::start_thread() {
  thread_ = std::thread([this] { loop_.run(); });
}

void Worker::stop_and_join() {
  loop_.stop_from_any_thread();
  if (thread_.joinable()) thread_.join();
}

void Worker::accept_ready(Listener& l) noexcept {
  for (int i = 0; i < kAcceptBatch; ++i) {
    const int fd = ::accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Level-triggered: stop listening for a moment instead of spinning.
        for (const auto& each : listeners_) loop_.unwatch(each->fd);
        accept_retry_timer_.arm(loop_.now() + kAcceptRetryNs);
      }
      return;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto conn = std::make_unique<Connection>(*this, fd);
    Connection* raw = conn.get();
    raw->index = connections_.size();
    connections_.push_back(std::move(conn));
    raw->start();
  }
}

void Worker::retire(Connection* c) noexcept {
  const size_t i = c->index;
  retired_.push_back(std::move(connections_[i]));
  if (i + 1 != connections_.size()) {
    connections_[i] = std::move(connections_.back());
    connections_[i]->index = i;
  }
  connections_.pop_back();
  if (!reap_timer_.armed()) reap_timer_.arm(0);
}

void Worker::on_reap(void* self) noexcept { static_cast<Worker*>(self)->retired_.clear(); }

void Worker::on_accept_retry(void* self) noexcept {
  auto* w = static_cast<Worker*>(self);
  for (const auto& l : w->listeners_) w->loop_.watch(l->fd, EPOLLIN, l.get());
}

}  // namespace barrage::demo_target
