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
#include <vector>

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

// "127.0.0.1", "::1", ...
std::string address_text(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = "?";
  const void* raw =
      addr.ss_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr);
  ::inet_ntop(addr.ss_family, raw, text, sizeof text);
  return text;
}

// A listening, non-blocking socket on `addr` (its port set). On failure an
// Error, and *err is the errno (the caller retries on some).
Result<int> open_listener(const sockaddr_storage& addr, socklen_t len, bool reuse_port, int* err) {
  const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return fail(fmt::format("socket: {}", std::strerror(*err)));
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (addr.ss_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0 ||
      ::listen(fd, kListenBacklog) != 0) {
    *err = errno;
    const std::string text = address_text(addr);
    const uint16_t port =
        ntohs(addr.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in*>(&addr)->sin_port
                                        : reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
    ::close(fd);
    return fail(fmt::format("cannot listen on {}:{}: {}",
                            addr.ss_family == AF_INET6 ? "[" + text + "]" : text, port,
                            std::strerror(*err)));
  }
  return fd;
}

void set_port(sockaddr_storage& a, uint16_t port) {
  if (a.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&a)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&a)->sin6_port = htons(port);
  }
}

uint16_t bound_port(int fd) {
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  return ntohs(bound.ss_family == AF_INET
                   ? reinterpret_cast<const sockaddr_in*>(&bound)->sin_port
                   : reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
}

struct BindAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool optional = false;  // skipped where the machine has no such address (::1 without IPv6)
};

// The addresses `host` means: `localhost` (or empty) is both loopbacks, as
// Node resolves it and clients try it; else one IP literal.
Result<std::vector<BindAddress>> bind_addresses(const std::string& host) {
  auto v4 = [](const char* text, BindAddress& b) {
    auto* a = reinterpret_cast<sockaddr_in*>(&b.addr);
    a->sin_family = AF_INET;
    b.len = sizeof(sockaddr_in);
    return ::inet_pton(AF_INET, text, &a->sin_addr) == 1;
  };
  auto v6 = [](const char* text, BindAddress& b) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&b.addr);
    a->sin6_family = AF_INET6;
    b.len = sizeof(sockaddr_in6);
    return ::inet_pton(AF_INET6, text, &a->sin6_addr) == 1;
  };
  if (host.empty() || host == "localhost") {
    BindAddress a, b;
    v4("127.0.0.1", a);
    v6("::1", b);
    b.optional = true;
    return std::vector<BindAddress>{a, b};
  }
  std::string literal = host;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  if (BindAddress a{}; v4(literal.c_str(), a)) return std::vector<BindAddress>{a};
  if (BindAddress a{}; v6(literal.c_str(), a)) return std::vector<BindAddress>{a};
  return fail(fmt::format("host must be an IP address or localhost, got '{}'", host));
}

}  // namespace

TargetServer::TargetServer(TargetOptions options) : options_(std::move(options)) {}

TargetServer::~TargetServer() { stop(); }

Status TargetServer::start() {
  if (!workers_.empty()) return fail("already started");
  if (std::string problem = validate(options_); !problem.empty()) return fail(std::move(problem));
  auto bind = bind_addresses(options_.host);
  if (!bind) return fail(std::move(bind.error()));
  std::vector<BindAddress>& addrs = *bind;
  // The last listener that failed (what a start that finds no port says).
  Error last;
  try {
    shared_ = std::make_unique<SharedState>(options_);
    const bool reuse_port = options_.threads > 1;
    // With port 0 the first address picks the port and the others take the
    // same; where another program holds it on one of them, pick again.
    constexpr int kPortTries = 16;
    for (int attempt = 0; attempt < kPortTries; ++attempt) {
      uint16_t port = options_.port;
      bool retry = false;
      std::vector<std::vector<int>> fds(static_cast<size_t>(options_.threads));
      auto close_all = [&] {
        for (auto& per_thread : fds) {
          for (const int fd : per_thread) ::close(fd);
        }
      };
      for (int i = 0; i < options_.threads && !retry; ++i) {
        for (BindAddress& b : addrs) {
          set_port(b.addr, port);
          int err = 0;
          const auto listener = open_listener(b.addr, b.len, reuse_port, &err);
          if (!listener) {
            last = listener.error();
            if (b.optional && i == 0 && (err == EADDRNOTAVAIL || err == EAFNOSUPPORT)) {
              b.len = 0;  // no IPv6 loopback on this machine: IPv4 only
              continue;
            }
            close_all();
            if (err == EADDRINUSE && options_.port == 0 && !fds[0].empty()) {
              retry = true;
              break;
            }
            return fail(listener.error());
          }
          const int fd = *listener;
          if (port == 0) port = bound_port(fd);
          fds[static_cast<size_t>(i)].push_back(fd);
        }
        std::erase_if(addrs, [](const BindAddress& b) { return b.len == 0; });
      }
      if (retry) continue;
      for (int i = 0; i < options_.threads; ++i) {
        const uint64_t seed = options_.seed + static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
        auto& mine = fds[static_cast<size_t>(i)];
        try {
          workers_.push_back(std::make_unique<Worker>(*shared_, mine, seed));
          mine.clear();  // the worker owns them now
        } catch (...) {
          close_all();
          throw;
        }
      }
      port_ = port;
      for (const BindAddress& b : addrs) {
        addresses_ += (addresses_.empty() ? "" : " and ") + address_text(b.addr);
      }
      break;
    }
    if (workers_.empty()) {
      if (last.message.empty()) return fail("cannot find a port free on every address");
      return fail(std::move(last));
    }
  } catch (const std::exception& e) {
    workers_.clear();
    return fail(e.what());
  }
  for (auto& w : workers_) w->start_thread();
  return {};
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
