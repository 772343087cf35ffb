// A host name with several addresses, the first of which nobody listens on:
// Debian's stock /etc/hosts lists `localhost` as ::1 before 127.0.0.1, and
// development servers listen on 127.0.0.1 only. The barrage binary runs in a
// mount namespace of its own (unshare -m) whose /etc/hosts says so, whatever
// this machine's hosts file holds.
//
// The black-hole case: ::1 drops SYNs without a reset (a listener whose
// accept queue is full: Linux drops further SYNs, as a firewall that drops
// would). Trying addresses in turn would wait out http.timeout on ::1 and
// fail every request; racing them (RFC 8305) starts 127.0.0.1 after 250 ms.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "demo_target/target_server.h"
#include "servers.h"

namespace barrage {
namespace {

const std::string kExe = BARRAGE_EXE;

// Writes a hosts file listing localhost as ::1 first and checks, in a mount
// namespace of its own, that the resolver sees it so; "" or why not.
std::string ipv6_first_hosts(const std::string& dir) {
  testing::write_file(dir + "/hosts", "::1 localhost\n127.0.0.1 localhost\n");
  const auto probe = testing::run_command("unshare -m sh -c \"mount --bind " + dir +
                                          "/hosts /etc/hosts && getent ahosts localhost\"");
  if (probe.exit_code != 0) {
    return "this test needs root and unshare(1) (util-linux) to give barrage its own "
           "/etc/hosts: " +
           probe.out;
  }
  if (probe.out.rfind("::1", 0) != 0) return "::1 must come first: " + probe.out;
  return {};
}

testing::CommandResult run_in_hosts_namespace(const std::string& dir, const std::string& args) {
  return testing::run_command("unshare -m sh -c \"mount --bind " + dir +
                              "/hosts /etc/hosts && exec " + kExe + " " + args + "\"");
}

TEST(Hosts, LocalhostWithIpv6FirstReachesAServerOnIpv4Loopback) {
  demo_target::TargetOptions options;
  options.host = "127.0.0.1";  // IPv4 only, as most development servers
  demo_target::TargetServer server(options);
  if (auto started_ok = server.start(); !started_ok) FAIL() << started_ok.error().describe();
  const auto dir = testing::make_temp_dir();
  const std::string problem = ipv6_first_hosts(dir);
  ASSERT_EQ(problem, "");

  const std::string url = "http://localhost:" + std::to_string(server.port()) + "/health";
  const auto r = run_in_hosts_namespace(dir, "quick " + url + " --count 4 --num 5 --cores 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("http.codes.200: "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("ECONNREFUSED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("http.responses: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 20\n"), std::string::npos) << r.out;
  EXPECT_EQ(server.stats().requests, 20u);
}

// A listener on [::1]:port (port 0: any) whose accept queue is full; -1 when
// this machine has no IPv6 loopback.
struct Ipv6BlackHole {
  int listener = -1;
  int filler = -1;
  uint16_t port = 0;
  explicit Ipv6BlackHole(uint16_t want_port) {
    listener = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    a.sin6_port = htons(want_port);
    socklen_t len = sizeof a;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(listener, 0) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port = ntohs(a.sin6_port);
    filler = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(filler, reinterpret_cast<sockaddr*>(&a), len) != 0) port = 0;
  }
  ~Ipv6BlackHole() {
    if (filler >= 0) ::close(filler);
    if (listener >= 0) ::close(listener);
  }
};

TEST(Hosts, LocalhostWhoseIpv6AddressBlackHolesReachesIpv4ByRacing) {
  // The same port on both: a black hole on [::1]:P, the demo target on 127.0.0.1:P.
  std::unique_ptr<Ipv6BlackHole> hole;
  std::unique_ptr<demo_target::TargetServer> server;
  for (int tries = 0; tries < 20 && !server; ++tries) {
    hole = std::make_unique<Ipv6BlackHole>(0);
    if (hole->port == 0) GTEST_SKIP() << "no IPv6 loopback here";
    demo_target::TargetOptions options;
    options.host = "127.0.0.1";
    options.port = hole->port;
    server = std::make_unique<demo_target::TargetServer>(options);
    if (!server->start()) server.reset();  // 127.0.0.1:P taken: another port
  }
  ASSERT_TRUE(server);
  const auto dir = testing::make_temp_dir();
  const std::string problem = ipv6_first_hosts(dir);
  ASSERT_EQ(problem, "");

  // http.timeout 30 s: trying ::1 until it gives up would end every VU's
  // request in ETIMEDOUT; racing reaches 127.0.0.1 within its first connect.
  testing::write_file(dir + "/script.yml",
                      "config:\n"
                      "  target: http://localhost:" +
                          std::to_string(hole->port) +
                          "\n"
                          "  http:\n"
                          "    timeout: 30\n"
                          "  phases:\n"
                          "    - duration: 1\n"
                          "      arrivalCount: 4\n"
                          "scenarios:\n"
                          "  - flow:\n"
                          "      - loop:\n"
                          "          - get:\n"
                          "              url: /health\n"
                          "        count: 5\n");
  const auto r =
      run_in_hosts_namespace(dir, "run " + dir + "/script.yml -o " + dir + "/report.json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("ETIMEDOUT"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("errors."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("http.codes.200: "), std::string::npos) << r.out;
  EXPECT_EQ(server->stats().requests, 20u) << r.out;
  // One connection per VU (kept alive for its 5 requests), each one connect
  // in the metrics however many addresses it tried; a shard's first one
  // waited the attempt delay on ::1 before 127.0.0.1 won.
  const auto doc = nlohmann::json::parse(testing::read_file(dir + "/report.json"));
  const auto& tcp = doc["aggregate"]["summaries"]["http.tcp"];
  EXPECT_EQ(tcp["count"].get<int>(), 4) << tcp.dump();
  EXPECT_GE(tcp["max"].get<double>(), 250.0) << tcp.dump();
}

}  // namespace
}  // namespace barrage
