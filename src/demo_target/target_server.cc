#include "demo_target/target_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <initializer_list>

#include "demo_target/worker.h"

namespace barrage::demo_target {
namespace {

constexpr int kMaxThreads = 256;
constexpr int kListenBacklog = 4096;
constexpr double kMaxDelayMs = 3'600'000;               // one hour
constexpr int64_t kMaxIdleMs = 365LL * 24 * 3'600'000;  // one year

std::string validate(const TargetOptions& o) {
  if (o.threads < 1 || o.threads > kMaxThreads) return "threads must be between 1 and 256";
  for (double ms : {o.latency_ms, o.jitter_ms, o.cold_start_ms}) {
    if (!(ms >= 0 && ms <= kMaxDelayMs)) {
      return "latency, jitter and cold start must be between 0 and 3600000 ms";
    }
  }
  if (o.instance_idle_ms > kMaxIdleMs) return "instance idle time must be at most a year";
  if (!(o.error_rate >= 0 && o.error_rate <= 1)) return "error rate must be between 0 and 1";
  if (o.concurrency_limit < 0) return "concurrency limit must be >= 0";
  return {};
}

// A listening, non-blocking IPv4 socket; -1 with *error set on failure.
int open_listener(const in_addr& addr, uint16_t port, bool reuse_port, std::string* error) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = fmt::format("socket: {}", std::strerror(errno));
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr = addr;
  sa.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(fd, kListenBacklog) != 0) {
    *error = fmt::format("cannot listen on port {}: {}", port, std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TargetServer::TargetServer(TargetOptions options) : options_(std::move(options)) {}

TargetServer::~TargetServer() { stop(); }

bool TargetServer::start(std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  if (!workers_.empty()) {
    *error = "already started";
    return false;
  }
  if (std::string problem = validate(options_); !problem.empty()) {
    *error = std::move(problem);
    return false;
  }
  in_addr addr{};
  const std::string host = options_.host == "localhost" ? "127.0.0.1" : options_.host;
  if (::inet_pton(AF_INET, host.c_str(), &addr) != 1) {
    *error = fmt::format("host must be an IPv4 address, got '{}'", options_.host);
    return false;
  }
  try {
    shared_ = std::make_unique<SharedState>(options_);
    const bool reuse_port = options_.threads > 1;
    uint16_t port = options_.port;
    for (int i = 0; i < options_.threads; ++i) {
      const int fd = open_listener(addr, port, reuse_port, error);
      if (fd < 0) {
        workers_.clear();
        return false;
      }
      if (i == 0) {
        sockaddr_in bound{};
        socklen_t len = sizeof bound;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
        port = ntohs(bound.sin_port);
      }
      const uint64_t seed = options_.seed + static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
      try {
        workers_.push_back(std::make_unique<Worker>(*shared_, fd, seed));
      } catch (...) {
        ::close(fd);
        throw;
      }
    }
    port_ = port;
  } catch (const std::exception& e) {
    workers_.clear();
    *error = e.what();
    return false;
  }
  for (auto& w : workers_) w->start_thread();
  return true;
}

void TargetServer::stop() {
  for (auto& w : workers_) {
    w->stop_and_join();
    stopped_requests_ += w->requests();
    stopped_errors_ += w->errors();
  }
  workers_.clear();
}

TargetServer::Stats TargetServer::stats() const {
  Stats s;
  if (!shared_) return s;
  s.requests = stopped_requests_;
  s.errors = stopped_errors_;
  for (const auto& w : workers_) {
    s.requests += w->requests();
    s.errors += w->errors();
  }
  const InstancePool::Counts c = shared_->pool.counts(shared_->pool_now(engine::monotonic_now()));
  s.cold_starts = c.cold_starts;
  s.throttled = c.throttled;
  s.instances = c.busy + c.idle;
  return s;
}

}  // namespace barrage::demo_target
