// ConnectRace on real loopback sockets. A "black hole" is a listener whose
// accept queue is full (backlog 0 and one connection never accepted): Linux
// then drops further SYNs without a reset, as a firewall that drops would,
// so a connect there neither succeeds nor fails until its deadline.
#include "engine/connect_race.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <coroutine>
#include <cstring>
#include <vector>

namespace barrage::engine {
namespace {

constexpr Nanos kTestDelay = 20 * kNanosPerMilli;  // a short Connection Attempt Delay
constexpr Nanos kBound = 10 * kNanosPerSecond;     // every wait below ends by then

Endpoint endpoint(int family, uint16_t port) {
  Endpoint ep;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ep.addr);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(port);
    ep.len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ep.addr);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    a->sin6_port = htons(port);
    ep.len = sizeof(sockaddr_in6);
  }
  return ep;
}

uint16_t port_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

// A listening loopback socket of `family` (port 0: any), closed at the end.
struct Listener {
  int fd = -1;
  int filler = -1;
  Listener(int family, uint16_t port, int backlog) {
    fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    const Endpoint ep = endpoint(family, port);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) != 0 ||
        ::listen(fd, backlog) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  // Fills the accept queue of a backlog-0 listener: later SYNs are dropped.
  void black_hole() {
    filler = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    Endpoint ep = endpoint(AF_INET6, port());
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    if (ss.ss_family == AF_INET) {
      ::close(filler);
      filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      ep = endpoint(AF_INET, port());
    }
    ASSERT_EQ(::connect(filler, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len), 0);
  }
  [[nodiscard]] uint16_t port() const { return port_of(fd); }
  ~Listener() {
    if (filler >= 0) ::close(filler);
    if (fd >= 0) ::close(fd);
  }
};

// A port nobody listens on (bound, never listening, so no one else takes it).
struct ClosedPort {
  int fd;
  explicit ClosedPort(int family) {
    fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const Endpoint ep = endpoint(family, 0);
    ::bind(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len);
  }
  [[nodiscard]] uint16_t port() const { return port_of(fd); }
  ~ClosedPort() { ::close(fd); }
};

// Runs the race to its end on `loop`, as a suspended coroutine would.
ConnectRace::Result run(EventLoop& loop, ConnectRace& race) {
  if (!race.await_ready()) {
    race.await_suspend(std::noop_coroutine());
    const Nanos bound = monotonic_now() + kBound;
    while (!race.done() && monotonic_now() < bound) loop.run_once(10 * kNanosPerMilli);
  }
  EXPECT_TRUE(race.done());
  return race.await_resume();
}

bool ipv6_loopback() {
  Listener l(AF_INET6, 0, 1);
  return l.fd >= 0;
}

TEST(ConnectRace, ARefusedAddressMovesOnAtOnce) {
  EventLoop loop;
  ClosedPort closed(AF_INET);
  Listener server(AF_INET, 0, 16);
  ASSERT_GE(server.fd, 0);
  // The attempt delay is far beyond the bound: only "failure moves on at once" can win.
  ConnectRace race(loop, {endpoint(AF_INET, closed.port()), endpoint(AF_INET, server.port())}, 0,
                   monotonic_now() + kBound, 3600 * kNanosPerSecond);
  const auto r = run(loop, race);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(r.index, 1u);
  EXPECT_EQ(race.attempts(), 2u);
  ASSERT_GE(r.fd, 0);
  const int accepted = ::accept(server.fd, nullptr, nullptr);
  EXPECT_GE(accepted, 0);
  ::close(accepted);
  ::close(r.fd);
}

TEST(ConnectRace, ABlackHoledFirstAddressLosesTheRaceToTheNext) {
  if (!ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback here";
  EventLoop loop;
  Listener hole(AF_INET6, 0, 0);
  ASSERT_GE(hole.fd, 0);
  hole.black_hole();
  Listener server(AF_INET, 0, 16);
  ASSERT_GE(server.fd, 0);
  // Sequential fallback would wait out the whole deadline on ::1 and fail;
  // racing starts 127.0.0.1 after the attempt delay, which wins.
  ConnectRace race(loop, {endpoint(AF_INET6, hole.port()), endpoint(AF_INET, server.port())}, 0,
                   monotonic_now() + kBound, kTestDelay);
  const auto r = run(loop, race);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(r.index, 1u);
  EXPECT_EQ(race.attempts(), 2u);
  ::close(r.fd);
}

TEST(ConnectRace, ThePreferredAddressGoesFirst) {
  EventLoop loop;
  ClosedPort closed(AF_INET);
  Listener server(AF_INET, 0, 16);
  ASSERT_GE(server.fd, 0);
  ConnectRace race(loop, {endpoint(AF_INET, closed.port()), endpoint(AF_INET, server.port())}, 1,
                   monotonic_now() + kBound, kTestDelay);
  const auto r = run(loop, race);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(r.index, 1u);
  EXPECT_EQ(race.attempts(), 1u);  // the refusing address was never tried
  ::close(r.fd);
}

TEST(ConnectRace, EveryAddressRefusedIsOneError) {
  if (!ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback here";
  EventLoop loop;
  ClosedPort a(AF_INET6), b(AF_INET);
  ConnectRace race(loop, {endpoint(AF_INET6, a.port()), endpoint(AF_INET, b.port())}, 0,
                   monotonic_now() + kBound, kTestDelay);
  const auto r = run(loop, race);
  ASSERT_NE(r.error, nullptr);
  EXPECT_STREQ(r.error, "ECONNREFUSED");
  EXPECT_EQ(r.fd, -1);
  EXPECT_EQ(race.attempts(), 2u);
}

TEST(ConnectRace, OnlyBlackHolesTimeOutAtTheDeadline) {
  EventLoop loop;
  Listener hole1(AF_INET, 0, 0), hole2(AF_INET, 0, 0);
  ASSERT_GE(hole1.fd, 0);
  ASSERT_GE(hole2.fd, 0);
  hole1.black_hole();
  hole2.black_hole();
  ConnectRace race(loop, {endpoint(AF_INET, hole1.port()), endpoint(AF_INET, hole2.port())}, 0,
                   monotonic_now() + 5 * kTestDelay, kTestDelay);
  const auto r = run(loop, race);
  ASSERT_NE(r.error, nullptr);
  EXPECT_STREQ(r.error, "ETIMEDOUT");
}

}  // namespace
}  // namespace barrage::engine
