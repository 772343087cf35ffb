// The demo target over real loopback sockets, driven by plain blocking clients.
#include "demo_target/target_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "util/simulated_clock.h"

namespace barrage::demo_target {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  [[nodiscard]] std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking HTTP/1.1 client for one connection, with a 10 s receive timeout.
class Client {
 public:
  explicit Client(uint16_t port, int family = AF_INET) {
    fd_ = ::socket(family, SOCK_STREAM, 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (family == AF_INET6) {
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_port = htons(port);
      sa.sin6_addr = in6addr_loopback;
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
      return;
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }

  bool send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (Content-Length framed); nullopt on EOF, timeout or garbage.
  std::optional<Response> read_response(bool head = false) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    Response r;
    const std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    if (head_text.size() < 12 || head_text.compare(0, 9, "HTTP/1.1 ") != 0) return std::nullopt;
    r.status = std::stoi(head_text.substr(9, 3));
    size_t pos = head_text.find("\r\n");
    while (pos != std::string::npos) {
      const size_t next = head_text.find("\r\n", pos + 2);
      const std::string line =
          head_text.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t v = colon + 1;
        while (v < line.size() && line[v] == ' ') ++v;
        r.headers[name] = line.substr(v);
      }
      pos = next;
    }
    if (r.status == 100) return read_response(head);
    const size_t length =
        head ? 0
             : std::stoul(r.header("content-length").empty() ? "0" : r.header("content-length"));
    while (buf_.size() < length) {
      if (!fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  std::optional<Response> request(const std::string& method, const std::string& path,
                                  const std::string& body = "",
                                  const std::string& extra_headers = "") {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
    if (!body.empty() || method == "POST") {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    if (!send_raw(req)) return std::nullopt;
    return read_response(method == "HEAD");
  }

  // True when the server closed the connection (EOF) within the timeout.
  bool closed_by_peer() {
    char c;
    for (;;) {
      const ssize_t n = ::recv(fd_, &c, 1, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  bool fill() {
    char tmp[65536];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

std::unique_ptr<TargetServer> start_server(TargetOptions o = {}) {
  auto server = std::make_unique<TargetServer>(std::move(o));
  if (auto started_ok = server->start(); !started_ok)
    ADD_FAILURE() << started_ok.error().describe();
  EXPECT_NE(server->port(), 0);
  return server;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

const std::string kDemoAuth = "Authorization: Bearer demo-token\r\n";

TEST(TargetServer, LoginThenAuthorizedRequests) {
  auto server = start_server();
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  auto login = c.request("POST", "/auth/login", R"({"username":"ann","password":"pw"})");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 200);
  EXPECT_EQ(login->header("content-type"), "application/json");
  const std::string token = json::parse(login->body).at("token");
  const std::string auth = "Authorization: Bearer " + token + "\r\n";

  auto items = c.request("GET", "/catalog/items?limit=5", "", auth);
  ASSERT_TRUE(items);
  EXPECT_EQ(items->status, 200);
  EXPECT_EQ(json::parse(items->body).size(), 5u);
  auto profile = c.request("GET", "/user/profile", "", auth);
  ASSERT_TRUE(profile);
  EXPECT_EQ(json::parse(profile->body).at("username"), "ann");
  auto item = c.request("GET", "/catalog/items/9", "", kDemoAuth);
  ASSERT_TRUE(item);
  EXPECT_EQ(json::parse(item->body).at("id"), 9);
  EXPECT_EQ(server->stats().requests, 4u);
}

TEST(TargetServer, MissingOrForeignTokenIs401) {
  auto server = start_server();
  Client c(server->port());
  auto r = c.request("GET", "/orders?status=open");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body).at("message"), "Unauthorized");

  // A token from another server (another secret) is rejected.
  auto other = start_server();
  Client o(other->port());
  auto login = o.request("POST", "/auth/login", R"({"username":"x","password":"y"})");
  ASSERT_TRUE(login);
  const std::string token = json::parse(login->body).at("token");
  r = c.request("GET", "/orders", "", "Authorization: Bearer " + token + "\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST(TargetServer, LatencyIsHonouredButNotForHealth) {
  TargetOptions o;
  o.latency_ms = 120;
  auto server = start_server(o);
  Client c(server->port());
  auto t0 = Clock::now();
  auto r = c.request("GET", "/catalog/items/1", "", kDemoAuth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_GE(ms_since(t0), 120.0);
  t0 = Clock::now();
  r = c.request("GET", "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "ok");
  EXPECT_LT(ms_since(t0), 120.0);
}

TEST(TargetServer, JitterStaysWithinBounds) {
  TargetOptions o;
  o.latency_ms = 60;
  o.jitter_ms = 40;
  auto server = start_server(o);
  Client c(server->port());
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    ASSERT_TRUE(c.request("GET", "/status/200"));
    EXPECT_GE(ms_since(t0), 20.0);
  }
}

TEST(TargetServer, ColdStartPaidOncePerInstance) {
  // Idle expiry on a simulated clock: instances expire when the test says
  // 1.7 s have passed, not after a real wait.
  SimulatedClock instances;
  TargetOptions o;
  o.cold_start_ms = 400;
  o.instance_idle_ms = 1500;
  o.instance_clock = &instances;
  auto server = start_server(o);
  Client c(server->port());
  auto t0 = Clock::now();
  auto first = c.request("GET", "/catalog/items/1", "", kDemoAuth);
  ASSERT_TRUE(first);
  EXPECT_GE(ms_since(t0), 400.0);
  EXPECT_EQ(first->header("x-barrage-cold-start"), "true");
  EXPECT_EQ(first->header("x-barrage-instance"), "1");

  t0 = Clock::now();
  auto second = c.request("GET", "/catalog/items/1", "", kDemoAuth);
  ASSERT_TRUE(second);
  EXPECT_LT(ms_since(t0), 400.0);
  EXPECT_EQ(second->header("x-barrage-cold-start"), "false");
  EXPECT_EQ(second->header("x-barrage-instance"), "1");

  // Two requests at once need a second instance: one of them is cold.
  Client a(server->port());
  Client b(server->port());
  ASSERT_TRUE(a.send_raw("GET /delay/200 HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(b.send_raw("GET /delay/200 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto ra = a.read_response();
  auto rb = b.read_response();
  ASSERT_TRUE(ra && rb);
  EXPECT_NE(ra->header("x-barrage-instance"), rb->header("x-barrage-instance"));
  EXPECT_NE(ra->header("x-barrage-cold-start"), rb->header("x-barrage-cold-start"));
  EXPECT_EQ(server->stats().cold_starts, 2u);
  EXPECT_EQ(server->stats().instances, 2u);

  // After the idle timeout the instances are gone: cold again.
  EXPECT_EQ(server->stats().instances, 2u);
  instances.advance(1'499'000'000);  // ns
  EXPECT_EQ(server->stats().instances, 2u);
  instances.advance(201'000'000);
  EXPECT_EQ(server->stats().instances, 0u);
  auto again = c.request("GET", "/health");
  auto cold = c.request("GET", "/status/200");
  ASSERT_TRUE(again && cold);
  EXPECT_EQ(again->header("x-barrage-cold-start"), "");  // gateway route: no instance
  EXPECT_EQ(cold->header("x-barrage-cold-start"), "true");
  EXPECT_EQ(cold->header("x-barrage-instance"), "3");
}

TEST(TargetServer, ConcurrencyLimitAnswers429) {
  TargetOptions o;
  o.latency_ms = 400;
  o.concurrency_limit = 2;
  auto server = start_server(o);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<Client>(server->port()));
    ASSERT_TRUE(clients.back()->connected());
  }
  for (auto& c : clients) ASSERT_TRUE(c->send_raw("GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n"));
  int ok = 0;
  int throttled = 0;
  for (auto& c : clients) {
    auto r = c->read_response();
    ASSERT_TRUE(r);
    if (r->status == 200) ++ok;
    if (r->status == 429) {
      ++throttled;
      EXPECT_EQ(json::parse(r->body), json::parse(R"({"message":"Too Many Requests"})"));
    }
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(throttled, 3);
  EXPECT_EQ(server->stats().throttled, 3u);
  // Capacity is back once the slow requests finished.
  auto r = clients[0]->request("GET", "/status/200");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(TargetServer, ErrorRateOneAnswers5xx) {
  TargetOptions o;
  o.error_rate = 1.0;
  auto server = start_server(o);
  Client c(server->port());
  for (int i = 0; i < 8; ++i) {
    auto r = c.request("GET", "/catalog/items/1", "", kDemoAuth);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 500 || r->status == 502 || r->status == 503 || r->status == 504)
        << r->status;
    EXPECT_FALSE(r->header("x-barrage-instance").empty());
  }
  auto health = c.request("GET", "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(server->stats().errors, 8u);
}

TEST(TargetServer, PipelinedRequestsAnsweredInOrder) {
  TargetOptions o;
  o.latency_ms = 20;
  auto server = start_server(o);
  Client c(server->port());
  ASSERT_TRUE(
      c.send_raw("GET /delay/80 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                 "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 34\r\n\r\n"
                 R"({"username":"p","password":"q123"})"
                 "GET /status/202 HTTP/1.1\r\nHost: x\r\n\r\n"));
  const int expected[] = {200, 201, 200, 200, 202};
  for (int status : expected) {
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status);
  }
  EXPECT_EQ(server->stats().requests, 5u);
}

TEST(TargetServer, BytesInAnySplitAndChunkedBodies) {
  auto server = start_server();
  Client c(server->port());
  const std::string body = R"({"username":"split","password":"pw"})";
  const std::string req =
      "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  for (size_t i = 0; i < req.size(); i += 7) {
    ASSERT_TRUE(c.send_raw(req.substr(i, 7)));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  ASSERT_TRUE(
      c.send_raw("POST /cart/items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "a\r\n{\"itemId\":\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(c.send_raw("10\r\n5,\"quantity\":2} \r\n0\r\n\r\n"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(json::parse(r->body).at("items"), 2);
}

TEST(TargetServer, GarbageGets400AndServerKeepsServing) {
  auto server = start_server();
  {
    Client c(server->port());
    ASSERT_TRUE(c.send_raw(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(server->port());
    ASSERT_TRUE(
        c.send_raw("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(20000, 'a') + "\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
  }
  {
    Client c(server->port());
    ASSERT_TRUE(c.send_raw("GET / HTTP/1.1\nHost: x\n\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
  }
  uint64_t state = 42;
  for (int i = 0; i < 20; ++i) {
    Client c(server->port());
    std::string junk(1 + i * 97, '\0');
    for (char& ch : junk) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      ch = static_cast<char>(state >> 56);
    }
    c.send_raw(junk);
  }
  Client c(server->port());
  auto r = c.request("GET", "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(TargetServer, ConnectionCloseHonoured) {
  auto server = start_server();
  Client c(server->port());
  auto r = c.request("GET", "/health", "", "Connection: close\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());

  Client old(server->port());
  ASSERT_TRUE(old.send_raw("GET /health HTTP/1.0\r\n\r\n"));
  r = old.read_response();
  ASSERT_TRUE(r);
  EXPECT_TRUE(old.closed_by_peer());
}

TEST(TargetServer, KeepAliveServesManyRequests) {
  auto server = start_server();
  Client c(server->port());
  for (int i = 0; i < 200; ++i) {
    auto r = c.request(i % 2 == 0 ? "GET" : "HEAD", "/health");
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(server->stats().requests, 200u);
}

TEST(TargetServer, WrongMethodAndUnknownPath) {
  auto server = start_server();
  Client c(server->port());
  auto r = c.request("DELETE", "/catalog/items");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "GET, HEAD");
  r = c.request("GET", "/does/not/exist");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(TargetServer, StreamsLargeBodies) {
  auto server = start_server();
  Client c(server->port());
  auto r = c.request("GET", "/bytes/5000000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 5000000u);
  EXPECT_EQ(r->body.substr(0, 4), "abcd");
  r = c.request("GET", "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(TargetServer, ExpectContinue) {
  auto server = start_server();
  Client c(server->port());
  const std::string body = R"({"username":"e","password":"f"})";
  ASSERT_TRUE(
      c.send_raw("POST /auth/login HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                 "Content-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n"));
  ASSERT_TRUE(c.send_raw(body));
  auto r = c.read_response();  // skips the interim 100
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(TargetServer, SeveralThreadsShareOnePort) {
  TargetOptions o;
  o.threads = 2;
  o.latency_ms = 50;
  auto server = start_server(o);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<Client>(server->port()));
  for (auto& c : clients) ASSERT_TRUE(c->send_raw("GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (auto& c : clients) {
    auto r = c->read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(server->stats().requests, 8u);
  server->stop();
  EXPECT_EQ(server->stats().requests, 8u);  // kept after stop
}

bool has_ipv6_loopback() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

std::optional<Response> get_health(uint16_t port, int family) {
  Client c(port, family);
  if (!c.connected() || !c.send_raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")) {
    return std::nullopt;
  }
  return c.read_response();
}

TEST(TargetServer, ListensOnBothLoopbacksByDefault) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback here";
  for (const int threads : {1, 2}) {
    TargetOptions o;
    o.threads = threads;
    auto server = start_server(o);
    EXPECT_EQ(server->addresses(), "127.0.0.1 and ::1");
    for (const int family : {AF_INET, AF_INET6, AF_INET6, AF_INET}) {
      const auto r = get_health(server->port(), family);
      ASSERT_TRUE(r) << (family == AF_INET6 ? "::1" : "127.0.0.1");
      EXPECT_EQ(r->status, 200);
    }
    EXPECT_EQ(server->stats().requests, 4u);
  }
}

TEST(TargetServer, AnAddressListensThereOnly) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback here";
  TargetOptions o;
  o.host = "127.0.0.1";
  auto v4 = start_server(o);
  EXPECT_EQ(v4->addresses(), "127.0.0.1");
  EXPECT_TRUE(get_health(v4->port(), AF_INET));
  EXPECT_FALSE(Client(v4->port(), AF_INET6).connected());
  o.host = "[::1]";
  auto v6 = start_server(o);
  EXPECT_EQ(v6->addresses(), "::1");
  EXPECT_TRUE(get_health(v6->port(), AF_INET6));
  EXPECT_FALSE(Client(v6->port(), AF_INET).connected());
}

TEST(TargetServer, AFixedPortTakenOnIpv6IsAnError) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback here";
  TargetOptions o;
  o.host = "::1";
  auto v6 = start_server(o);
  TargetOptions both;
  both.port = v6->port();
  const auto taken = TargetServer(both).start();
  ASSERT_FALSE(taken);
  EXPECT_NE(taken.error().message.find("cannot listen on [::1]:" + std::to_string(v6->port())),
            std::string::npos)
      << taken.error().message;
}

TEST(TargetServer, StartValidatesOptions) {
  TargetOptions o;
  o.host = "not-an-ip";
  const auto bad_host = TargetServer(o).start();
  ASSERT_FALSE(bad_host);
  EXPECT_EQ(bad_host.error().message, "host must be an IP address or localhost, got 'not-an-ip'");
  EXPECT_EQ(bad_host.error().describe(), bad_host.error().message);  // no file: no place
  o = {};
  o.error_rate = 1.5;
  EXPECT_FALSE(TargetServer(o).start());
  o = {};
  o.threads = 0;
  EXPECT_FALSE(TargetServer(o).start());

  auto server = start_server();
  o = {};
  o.port = server->port();
  EXPECT_FALSE(TargetServer(o).start());  // port in use
  const auto again = server->start();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "already started");
}

}  // namespace
}  // namespace barrage::demo_target
