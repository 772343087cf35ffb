// latency_truth_server: a precise-delay HTTP/1.1 server, the reference of
// bench/latency_truth.sh.
//
// Hand-written on purpose, not built on a library or on barrage's own demo
// target: the server's own measurement is the reference the load tools are
// compared with, so nothing may sit between the read of the request's last
// byte and the timer (no framework's buffering, thread hand-off or event
// queue), and the server must not share code with the tool it judges.
//
// One thread, epoll on CLOCK_MONOTONIC: a timerfd wakes the loop `--spin-us`
// before the earliest deadline, and the loop then polls (epoll_wait with a
// zero timeout, still serving reads) until the deadline, because a sleeping
// thread on a virtual machine wakes 50-150 us late.
//
//   GET /delay/<us>   answers "ok" <us> microseconds after the read that
//                     brought the request's last byte returned; the delay it
//                     actually served (read stamp to the start of the
//                     response's write) is recorded
//   GET /stats        {"count","min_us","p50_us","p99_us","max_us",
//                     "late_min_us","late_p99_us","late_max_us"} of the
//                     served delays (late = served - asked, never negative);
//                     not itself recorded
//   GET /reset        forgets the served delays
//
// HTTP/1.1 keep-alive by default; `Connection: close` (or HTTP/1.0 without
// keep-alive) gets a `Connection: close` response and the server closes.
// Requests are parsed just enough: the request line, Connection and
// Content-Length (a body is read and ignored; chunked bodies get 501). One
// request per connection is in flight; pipelined bytes wait for the response.
// On SIGTERM or SIGINT it prints the /stats line to stdout and exits 0.
//
// Usage: latency_truth_server [--host 127.0.0.1] [--port 0] [--port-file F]
//                             [--spin-us 100]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using Nanos = int64_t;

Nanos now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

constexpr size_t kMaxHeader = 16 * 1024;
constexpr int64_t kMaxDelayUs = 60'000'000;
constexpr int64_t kMaxBody = 1 << 20;

struct Conn {
  uint64_t id = 0;
  int fd = -1;
  std::string in;   // bytes read and not yet consumed by a request
  std::string out;  // response bytes not yet written
  size_t out_off = 0;
  bool pending = false;      // a /delay request waits for its timer
  bool close_after = false;  // close once `out` is written
  Nanos read_at = 0;         // when the read that brought the request's end returned
  int64_t asked_us = 0;
};

struct Due {
  Nanos at;
  uint64_t id;
  bool operator>(const Due& o) const { return at > o.at; }
};

struct Served {
  std::vector<Nanos> delay;  // read stamp -> write start
  std::vector<Nanos> late;   // delay - asked
};

double pct_us(std::vector<Nanos>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return static_cast<double>(v[rank - 1]) / 1000.0;
}

std::string stats_json(Served& s) {
  std::vector<Nanos> d = s.delay;
  std::vector<Nanos> l = s.late;
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "{\"count\":%zu,\"min_us\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
                "\"late_min_us\":%.1f,\"late_p99_us\":%.1f,\"late_max_us\":%.1f}",
                d.size(), pct_us(d, 0.0), pct_us(d, 0.5), pct_us(d, 0.99), pct_us(d, 1.0),
                pct_us(l, 0.0), pct_us(l, 0.99), pct_us(l, 1.0));
  return buf;
}

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (ieq(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

class Server {
 public:
  Server(int listen_fd, Nanos spin) : listen_fd_(listen_fd), spin_(spin) {}

  int run();

 private:
  void accept_all();
  void on_readable(Conn& c);
  void parse(Conn& c, Nanos stamp);
  void respond(Conn& c, int status, std::string_view body, bool close);
  void flush(Conn& c);
  void close_conn(Conn& c);
  void fire_due(Nanos now);
  void arm(Nanos at);

  int listen_fd_;
  Nanos spin_;
  int ep_ = -1, tfd_ = -1, sfd_ = -1;
  Nanos armed_ = 0;
  bool stop_ = false;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  Served served_;
};

// epoll data: 0 = listener, 1 = timerfd, 2 = signalfd, else a connection id.
constexpr uint64_t kListen = 0, kTimer = 1, kSignal = 2;

void add(int ep, int fd, uint32_t events, uint64_t tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    std::perror("epoll_ctl");
    std::exit(1);
  }
}

int Server::run() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  tfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  sfd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (ep_ < 0 || tfd_ < 0 || sfd_ < 0) {
    std::perror("latency_truth_server: setup");
    return 1;
  }
  next_id_ = 3;
  add(ep_, listen_fd_, EPOLLIN, kListen);
  add(ep_, tfd_, EPOLLIN, kTimer);
  add(ep_, sfd_, EPOLLIN, kSignal);

  epoll_event evs[256];
  while (!stop_) {
    fire_due(now_ns());
    int timeout = -1;
    if (!due_.empty()) {
      const Nanos next = due_.top().at;
      if (next - now_ns() <= spin_) {
        timeout = 0;  // inside the spin window: poll
      } else {
        arm(next - spin_);
      }
    }
    const int n = epoll_wait(ep_, evs, 256, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = evs[i].data.u64;
      if (tag == kListen) {
        accept_all();
      } else if (tag == kTimer) {
        uint64_t expirations = 0;
        [[maybe_unused]] auto r = read(tfd_, &expirations, sizeof expirations);
        armed_ = 0;
      } else if (tag == kSignal) {
        signalfd_siginfo si{};
        [[maybe_unused]] auto r = read(sfd_, &si, sizeof si);
        stop_ = true;
      } else {
        auto it = conns_.find(tag);
        if (it == conns_.end()) continue;
        Conn& c = *it->second;
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
        it = conns_.find(tag);
        if (it != conns_.end() && (evs[i].events & EPOLLOUT)) flush(*it->second);
      }
    }
  }
  std::printf("%s\n", stats_json(served_).c_str());
  std::fflush(stdout);
  return 0;
}

void Server::arm(Nanos at) {
  if (armed_ == at) return;
  itimerspec its{};
  its.it_value.tv_sec = at / 1'000'000'000;
  its.it_value.tv_nsec = at % 1'000'000'000;
  timerfd_settime(tfd_, TFD_TIMER_ABSTIME, &its, nullptr);
  armed_ = at;
}

void Server::accept_all() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error: epoll tells us again
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Conn>();
    c->id = next_id_++;
    c->fd = fd;
    add(ep_, fd, EPOLLIN | EPOLLRDHUP, c->id);
    conns_.emplace(c->id, std::move(c));
  }
}

void Server::on_readable(Conn& c) {
  const uint64_t id = c.id;  // `c` may be gone after parse (an error reply closes)
  char buf[16384];
  for (;;) {
    const ssize_t r = read(c.fd, buf, sizeof buf);
    // Stamped as soon as the read returns: the server's delay starts here.
    const Nanos stamp = now_ns();
    if (r > 0) {
      c.in.append(buf, static_cast<size_t>(r));
      if (!c.pending && c.out_off == c.out.size()) {
        parse(c, stamp);
        if (conns_.find(id) == conns_.end()) return;
      }
      continue;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (r < 0 && errno == EINTR) continue;
    close_conn(c);  // EOF or error: the client is gone (a pending delay is dropped)
    return;
  }
}

// Parses one request from c.in if it is complete; `stamp` is when its last
// byte was read (or, for a request that waited behind another, when the
// server turned to it).
void Server::parse(Conn& c, Nanos stamp) {
  const size_t end = c.in.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (c.in.size() > kMaxHeader) respond(c, 431, "header block too large\n", true);
    return;
  }
  const std::string_view head(c.in.data(), end + 2);
  const size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  // METHOD SP target SP HTTP/1.x
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) {
    respond(c, 400, "bad request line\n", true);
    return;
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    respond(c, 505, "HTTP/1.0 or HTTP/1.1 only\n", true);
    return;
  }
  bool close = version == "HTTP/1.0";
  int64_t body = 0;
  for (size_t pos = line_end + 2; pos < head.size();) {
    const size_t eol = head.find("\r\n", pos);
    const std::string_view field = head.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = trim(field.substr(colon + 1));
    if (ieq(name, "connection")) {
      if (icontains(value, "close")) close = true;
      if (icontains(value, "keep-alive")) close = false;
    } else if (ieq(name, "content-length")) {
      char* e = nullptr;
      const std::string v(value);
      body = std::strtoll(v.c_str(), &e, 10);
      if (v.empty() || *e != '\0' || body < 0 || body > kMaxBody) {
        respond(c, 400, "bad content-length\n", true);
        return;
      }
    } else if (ieq(name, "transfer-encoding")) {
      respond(c, 501, "chunked bodies are not supported\n", true);
      return;
    }
  }
  const size_t total = end + 4 + static_cast<size_t>(body);
  if (c.in.size() < total) return;  // the body is still coming
  const std::string method_s(method);
  const std::string target_s(target.substr(0, target.find('?')));
  c.in.erase(0, total);
  c.close_after = close;

  if (method_s != "GET" && method_s != "POST") {
    respond(c, 405, "GET or POST\n", close);
  } else if (target_s.starts_with("/delay/")) {
    const std::string digits = target_s.substr(7);
    char* e = nullptr;
    const long long us = std::strtoll(digits.c_str(), &e, 10);
    if (digits.empty() || *e != '\0' || us < 0 || us > kMaxDelayUs) {
      respond(c, 400, "usage: /delay/<microseconds, 0..60000000>\n", close);
      return;
    }
    c.pending = true;
    c.read_at = stamp;
    c.asked_us = us;
    due_.push({stamp + us * 1000, c.id});
  } else if (target_s == "/stats") {
    respond(c, 200, stats_json(served_) + "\n", close);
  } else if (target_s == "/reset") {
    served_ = {};
    respond(c, 200, "ok", close);
  } else {
    respond(c, 404, "not found: try /delay/<us>, /stats, /reset\n", close);
  }
}

void Server::fire_due(Nanos now) {
  while (!due_.empty() && due_.top().at <= now) {
    const Due d = due_.top();
    due_.pop();
    auto it = conns_.find(d.id);
    if (it == conns_.end()) continue;  // the client left before its answer
    Conn& c = *it->second;
    // The response's write starts now: this is the delay the server served.
    const Nanos start = now_ns();
    served_.delay.push_back(start - c.read_at);
    served_.late.push_back(start - c.read_at - c.asked_us * 1000);
    c.pending = false;
    respond(c, 200, "ok", c.close_after);
  }
}

void Server::respond(Conn& c, int status, std::string_view body, bool close) {
  const char* reason = status == 200   ? "OK"
                       : status == 400 ? "Bad Request"
                       : status == 404 ? "Not Found"
                       : status == 405 ? "Method Not Allowed"
                       : status == 431 ? "Request Header Fields Too Large"
                       : status == 501 ? "Not Implemented"
                                       : "HTTP Version Not Supported";
  char head[200];
  const int n = std::snprintf(head, sizeof head,
                              "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
                              "Content-Length: %zu\r\n%s\r\n",
                              status, reason, body.size(), close ? "Connection: close\r\n" : "");
  c.out.assign(head, static_cast<size_t>(n));
  c.out.append(body);
  c.out_off = 0;
  c.close_after = close;
  flush(c);
}

void Server::flush(Conn& c) {
  while (c.out_off < c.out.size()) {
    const ssize_t w = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (w > 0) {
      c.out_off += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
      ev.data.u64 = c.id;
      epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
      return;
    }
    close_conn(c);
    return;
  }
  if (c.close_after) {
    close_conn(c);
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = c.id;
  epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  c.out.clear();
  c.out_off = 0;
  // A request that arrived behind this one starts now.
  if (!c.in.empty()) parse(c, now_ns());
}

void Server::close_conn(Conn& c) {
  close(c.fd);  // also removes it from the epoll set
  conns_.erase(c.id);
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "latency_truth_server: %s\n"
               "usage: latency_truth_server [--host 127.0.0.1] [--port 0] [--port-file FILE] "
               "[--spin-us 100]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  std::string port_file;
  long port = 0;
  long spin_us = 100;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + std::string(a)).c_str());
    const char* v = argv[++i];
    char* e = nullptr;
    if (a == "--host") {
      host = v;
    } else if (a == "--port-file") {
      port_file = v;
    } else if (a == "--port") {
      port = std::strtol(v, &e, 10);
      if (*e != '\0' || port < 0 || port > 65535) usage("--port wants 0..65535");
    } else if (a == "--spin-us") {
      spin_us = std::strtol(v, &e, 10);
      if (*e != '\0' || spin_us < 0 || spin_us > 10'000) usage("--spin-us wants 0..10000");
    } else {
      usage(("unknown option " + std::string(a)).c_str());
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) usage("--host wants an IPv4 address");
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0) {
    std::fprintf(stderr, "latency_truth_server: cannot listen on %s:%ld: %s\n", host.c_str(), port,
                 std::strerror(errno));
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const unsigned bound = ntohs(addr.sin_port);
  if (!port_file.empty()) {
    // Written whole under another name and renamed, so a reader never sees half a number.
    const std::string tmp = port_file + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr || std::fprintf(f, "%u\n", bound) < 0 || std::fclose(f) != 0 ||
        std::rename(tmp.c_str(), port_file.c_str()) != 0) {
      std::fprintf(stderr, "latency_truth_server: cannot write %s\n", port_file.c_str());
      return 1;
    }
  }
  std::fprintf(stderr, "latency_truth_server listening on %s:%u\n", host.c_str(), bound);
  Server s(fd, static_cast<Nanos>(spin_us) * 1000);
  return s.run();
}
