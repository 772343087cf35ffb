// The engine against nginx (Debian's package) on loopback, plain and TLS.
#include <gtest/gtest.h>

#include "engine/runner.h"
#include "missing_deps.h"
#include "report/analysis.h"
#include "script/loader.h"
#include "servers.h"

namespace barrage {
namespace {

class NginxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { nginx_ = new testing::Nginx(); }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }
  void SetUp() override {
    if (nginx_->not_installed()) BARRAGE_MISSING_DEP(nginx_->error());
    ASSERT_TRUE(nginx_->ok()) << nginx_->error();
  }

  static engine::RunResult run(const std::string& yaml, bool insecure = false) {
    return testing::run_script(yaml, 2, insecure);
  }
  static std::string plain() { return "http://127.0.0.1:" + std::to_string(nginx_->port()); }
  static std::string tls() { return "https://127.0.0.1:" + std::to_string(nginx_->tls_port()); }

  static testing::Nginx* nginx_;
};
testing::Nginx* NginxTest::nginx_ = nullptr;

TEST_F(NginxTest, KeepAliveClosedModel) {
  const auto r = run("config:\n  target: " + plain() +
                     "\n  phases:\n    - { duration: 1, vusers: 8 }\n"
                     "scenarios:\n  - flow:\n      - loop:\n          - get: { url: / }\n"
                     "        count: 20\n");
  const auto& a = r.aggregate;
  EXPECT_GT(a.counter("http.requests"), 200u);
  EXPECT_EQ(a.counter("http.codes.200"), a.counter("http.requests"));
  EXPECT_EQ(a.counter("vusers.failed"), 0u);
  // 8 VUs keep their connections across iterations: 8 connects in all.
  ASSERT_NE(a.find_histogram("http.tcp"), nullptr);
  EXPECT_EQ(a.find_histogram("http.tcp")->count(), 8u);
}

TEST_F(NginxTest, NewConnectionPerVu) {
  const auto r = run("config:\n  target: " + plain() +
                     "\n  phases:\n    - { duration: 1, arrivalRate: 200 }\n"
                     "scenarios:\n  - flow:\n      - get: { url: / }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("vusers.created"), 200u);
  EXPECT_EQ(a.counter("http.codes.200"), 200u);
  EXPECT_EQ(a.find_histogram("http.tcp")->count(), 200u);
}

// http.downloaded_bytes is Artillery's: the response bodies ("ok\n", 3 bytes
// from nginx), not the status lines and headers around them.
TEST_F(NginxTest, DownloadedBytesAreTheBodies) {
  for (const std::string& target : {plain(), tls()}) {
    const auto r =
        run("config:\n  target: " + target +
                "\n  phases:\n    - { duration: 1, arrivalCount: 10 }\n"
                "scenarios:\n  - flow:\n      - get: { url: / }\n      - get: { url: / }\n",
            true);
    const auto& a = r.aggregate;
    ASSERT_EQ(a.counter("http.codes.200"), 20u) << target;
    EXPECT_EQ(a.counter("http.downloaded_bytes"), 20u * 3) << target;
  }
}

TEST_F(NginxTest, FollowsRedirects) {
  const auto r = run("config:\n  target: " + plain() +
                     "\n  phases:\n    - { duration: 1, arrivalCount: 3 }\n"
                     "scenarios:\n  - flow:\n      - get: { url: /redirect }\n"
                     "      - get: { url: /redirect, followRedirect: false }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("http.codes.302"), 6u);
  EXPECT_EQ(a.counter("http.codes.200"), 3u);
}

TEST_F(NginxTest, SelfSignedCertificateIsRejectedByDefault) {
  const auto r = run("config:\n  target: " + tls() +
                     "\n  phases:\n    - { duration: 1, arrivalCount: 4 }\n"
                     "scenarios:\n  - flow:\n      - get: { url: / }\n");
  EXPECT_EQ(r.aggregate.counter("errors.DEPTH_ZERO_SELF_SIGNED_CERT"), 4u);
  EXPECT_EQ(r.aggregate.counter("http.responses"), 0u);
}

TEST_F(NginxTest, InsecureAcceptsTheCertificate) {
  for (const bool via_flag : {true, false}) {
    const std::string tls_config = via_flag ? "" : "\n  tls: { rejectUnauthorized: false }";
    const auto r = run("config:\n  target: " + tls() + tls_config +
                           "\n  phases:\n    - { duration: 1, arrivalCount: 6 }\n"
                           "scenarios:\n  - flow:\n      - get: { url: / }\n      - get: { url: "
                           "/ }\n",
                       via_flag);
    EXPECT_EQ(r.aggregate.counter("http.codes.200"), 12u) << via_flag;
    ASSERT_NE(r.aggregate.find_histogram("http.tls"), nullptr);
    EXPECT_EQ(r.aggregate.find_histogram("http.tls")->count(), 6u);
    // Each shard's first handshake is full; later VUs resume its session.
    EXPECT_GE(r.aggregate.counter("barrage.tls.resumed"), 4u) << via_flag;
  }
}

// nginx has no cold starts and names none: the report must count none, neither
// where every first response pays a TLS handshake nor in a burst of 900
// simultaneous connects (before, 50 TLS handshakes read as "50 cold starts").
// It gives the first responses' time to first byte against reused ones instead.
TEST_F(NginxTest, NoColdStartsAreReportedAgainstATargetThatHasNone) {
  const std::string steady =
      "\n  phases:\n    - { duration: 1, arrivalRate: 50 }\n"
      "scenarios:\n  - flow:\n      - get: { url: / }\n      - get: { url: / }\n";
  const std::string burst =
      "\n  phases:\n    - { duration: 1, vusers: 900 }\n"
      "scenarios:\n  - flow:\n      - get: { url: / }\n";
  for (const std::string& target : {plain(), tls()}) {
    for (const std::string& phases : {steady, burst}) {
      const auto r = run("config:\n  target: " + target + phases, true);
      ASSERT_GT(r.aggregate.counter("http.codes.200"), 0u) << target;
      ASSERT_EQ(r.aggregate.counter("http.codes.200"), r.aggregate.counter("http.requests"));
      const auto cs = report::analyze_cold_starts(r.aggregate, r.timeline, r.start_wall_ms);
      EXPECT_EQ(cs.source, "none") << target;
      EXPECT_EQ(cs.count, 0u) << target << phases << report::format_analysis([&] {
        report::Analysis a;
        a.cold_starts = cs;
        return a;
      }());
    }
  }
}

}  // namespace
}  // namespace barrage
