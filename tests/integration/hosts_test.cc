// A host name with several addresses, the first of which nobody listens on:
// Debian's stock /etc/hosts lists `localhost` as ::1 before 127.0.0.1, and
// development servers (the demo target too) listen on 127.0.0.1 only. The
// barrage binary runs in a mount namespace of its own (unshare -m) whose
// /etc/hosts says so, whatever this machine's hosts file holds.
#include <gtest/gtest.h>

#include <string>

#include "demo_target/target_server.h"
#include "servers.h"

namespace barrage {
namespace {

const std::string kExe = BARRAGE_EXE;

TEST(Hosts, LocalhostWithIpv6FirstReachesAServerOnIpv4Loopback) {
  demo_target::TargetServer server(demo_target::TargetOptions{});
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  const auto dir = testing::make_temp_dir();
  testing::write_file(dir + "/hosts", "::1 localhost\n127.0.0.1 localhost\n");
  const auto probe = testing::run_command("unshare -m sh -c \"mount --bind " + dir +
                                          "/hosts /etc/hosts && getent ahosts localhost\"");
  ASSERT_EQ(probe.exit_code, 0) << "this test needs root and unshare(1) (util-linux) to give "
                                   "barrage its own /etc/hosts: "
                                << probe.out;
  ASSERT_EQ(probe.out.rfind("::1", 0), 0u) << "::1 must come first: " << probe.out;

  const std::string url = "http://localhost:" + std::to_string(server.port()) + "/health";
  const auto r =
      testing::run_command("unshare -m sh -c \"mount --bind " + dir + "/hosts /etc/hosts && exec " +
                           kExe + " quick " + url + " --count 4 --num 5 --cores 2\"");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("http.codes.200: "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("ECONNREFUSED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("http.responses: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 20\n"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace barrage
