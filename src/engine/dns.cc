#include "engine/dns.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace barrage::engine {

namespace {
bool parse_literal(const std::string& host, sockaddr_storage& out, socklen_t& len) {
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

void set_port(sockaddr_storage& a, uint16_t port) {
  if (a.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&a)->sin_port = htons(port);
  } else if (a.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&a)->sin6_port = htons(port);
  }
}

const char* gai_error_name(int rc) {
  switch (rc) {
    case EAI_NONAME:
    case EAI_NODATA:
    case EAI_FAIL:
      return "ENOTFOUND";
    case EAI_AGAIN:
      return "EAI_AGAIN";
    default:
      return "ENOTFOUND";
  }
}
}  // namespace

Resolver::Resolver(EventLoop& loop) : loop_(loop) {
  eventfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (eventfd_ < 0 || !loop_.watch(eventfd_, EPOLLIN, this)) {
    throw std::runtime_error("resolver: eventfd setup failed");
  }
}

Resolver::~Resolver() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  loop_.unwatch(eventfd_);
  ::close(eventfd_);
}

void Resolver::fill(const Entry& e, uint16_t port, Resolution& out) {
  out.error = e.error;
  out.addresses = static_cast<uint32_t>(e.addrs.size());
  if (e.addrs.empty()) return;
  out.index = e.preferred;
  const Address& a = e.addrs[e.preferred];
  out.addr = a.addr;
  out.addr_len = a.len;
  set_port(out.addr, port);
}

std::vector<Endpoint> Resolver::addresses(const std::string& host, uint16_t port) const {
  std::vector<Endpoint> out;
  const auto it = cache_.find(host);
  if (it == cache_.end()) return out;
  out.reserve(it->second.addrs.size());
  for (const Address& a : it->second.addrs) {
    Endpoint& ep = out.emplace_back();
    ep.addr = a.addr;
    ep.len = a.len;
    set_port(ep.addr, port);
  }
  return out;
}

void Resolver::prefer(const std::string& host, uint32_t index) {
  const auto it = cache_.find(host);
  if (it != cache_.end() && index < it->second.addrs.size()) it->second.preferred = index;
}

bool Resolver::Awaiter::await_ready() {
  auto& cache = resolver_.cache_;
  auto it = cache.find(host_);
  if (it == cache.end()) {
    Entry e;
    Address a;
    if (parse_literal(host_, a.addr, a.len)) {
      e.addrs.push_back(a);
      e.done = true;
      it = cache.emplace(host_, std::move(e)).first;
    }
  }
  if (it != cache.end() && it->second.done) {
    fill(it->second, port_, result_);
    return true;
  }
  return false;
}

Resolver::Awaiter::~Awaiter() {
  if (!waiting_) return;
  auto it = resolver_.cache_.find(host_);
  if (it == resolver_.cache_.end()) return;
  auto& w = it->second.waiters;
  std::erase(w, this);
}

void Resolver::Awaiter::await_suspend(std::coroutine_handle<> h) {
  handle_ = h;
  waiting_ = true;
  started_ = monotonic_now();
  auto& cache = resolver_.cache_;
  auto [it, inserted] = cache.try_emplace(host_);
  it->second.waiters.push_back(this);
  if (!inserted) return;  // a lookup for this host is already running
  Resolver* self = &resolver_;
  std::string host = host_;
  resolver_.threads_.emplace_back([self, host] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    Completion c{host, nullptr, {}};
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || res == nullptr) {
      c.error = gai_error_name(rc);
    } else {
      for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        Address a;
        if (ai->ai_addrlen > sizeof a.addr) continue;
        std::memcpy(&a.addr, ai->ai_addr, ai->ai_addrlen);
        a.len = ai->ai_addrlen;
        c.addrs.push_back(a);
      }
      if (c.addrs.empty()) c.error = "ENOTFOUND";
    }
    if (res != nullptr) freeaddrinfo(res);
    {
      std::lock_guard lock(self->mutex_);
      self->completions_.push_back(c);
    }
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(self->eventfd_, &one, sizeof one);
  });
}

Resolution Resolver::Awaiter::await_resume() { return result_; }

void Resolver::on_io(uint32_t /*events*/) noexcept {
  uint64_t v;
  [[maybe_unused]] auto n = ::read(eventfd_, &v, sizeof v);
  std::vector<Completion> done;
  {
    std::lock_guard lock(mutex_);
    done.swap(completions_);
  }
  const Nanos now = monotonic_now();
  for (auto& c : done) {
    auto& e = cache_[c.host];
    e.done = true;
    e.error = c.error;
    e.addrs = std::move(c.addrs);
    auto waiters = std::move(e.waiters);
    e.waiters.clear();
    for (Awaiter* w : waiters) {
      fill(e, w->port_, w->result_);
      w->result_.looked_up = true;
      w->result_.elapsed = now - w->started_;
      w->waiting_ = false;
      loop_.post(w->handle_);
    }
  }
}

}  // namespace barrage::engine
