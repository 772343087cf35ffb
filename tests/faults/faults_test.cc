// Hostile targets, end to end: the real barrage binary, as a user runs it
// (`barrage run script.yml -o report.json`), against one misbehaviour each.
// Every test asserts what the user sees: the named error counter in the JSON
// report, a clean exit (code 0, no signal), peak resident memory under a
// stated bound, and that the run ended within its duration plus the request
// timeout plus 2 s (the engine's drain allowance, docs/architecture.md).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "demo_target/target_server.h"
#include "fault_server.h"
#include "servers.h"

namespace barrage {
namespace {

const std::string kExe = BARRAGE_EXE;

// Peak RSS bound for the barrage process. Under AddressSanitizer the same run
// carries shadow memory and a 256 MB quarantine of freed blocks, and under
// ThreadSanitizer shadow memory several times the application's: the
// sanitizer's cost, not barrage's.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr long kRssBoundKb = 800 * 1024;
#else
constexpr long kRssBoundKb = 200 * 1024;
#endif

struct Load {
  std::string target;            // base URL
  std::string path;              // the one request of the flow
  int duration_s = 1;            // one phase: arrivals spread over it
  int arrivals = 3;              // arrivalCount
  int timeout_s = 2;             // config.http.timeout
  std::vector<std::string> env;  // extra environment for barrage
};

Load load_of(std::string target, std::string path) {
  Load l;
  l.target = std::move(target);
  l.path = std::move(path);
  return l;
}

struct Outcome {
  testing::MeasuredRun run;
  nlohmann::json report;
  [[nodiscard]] int64_t counter(const std::string& name) const {
    const auto& c = report["aggregate"]["counters"];
    return c.contains(name) ? c[name].get<int64_t>() : 0;
  }
  // Every errors.* counter, for failure messages.
  [[nodiscard]] std::string errors() const {
    std::string s;
    if (!report.is_object()) return "(no report)";
    for (const auto& [k, v] : report["aggregate"]["counters"].items()) {
      if (k.starts_with("errors.") || k.starts_with("http.codes.")) {
        s += k + "=" + v.dump() + " ";
      }
    }
    return s;
  }
};

Outcome run_load(const Load& load) {
  const std::string dir = testing::make_temp_dir();
  const std::string script = dir + "/script.yml";
  const std::string report = dir + "/report.json";
  testing::write_file(
      script, "config:\n  target: " + load.target +
                  "\n  http:\n    timeout: " + std::to_string(load.timeout_s) +
                  "\n  phases:\n    - duration: " + std::to_string(load.duration_s) +
                  "\n      arrivalCount: " + std::to_string(load.arrivals) +
                  "\nscenarios:\n  - flow:\n      - get:\n          url: \"" + load.path + "\"\n");
  Outcome o;
  o.run = testing::run_measured({kExe, "run", script, "-o", report, "--quiet"}, load.env, 60);
  const std::string json = testing::read_file(report);
  o.report = nlohmann::json::parse(json, nullptr, false);
  testing::run_command("rm -rf " + dir, 10);
  return o;
}

// Seconds a run may take beyond its phases and one http.timeout: 2, or 10
// in a sanitizer build, whose barrage decodes a gzip bomb several times
// slower (under TSan on a loaded 2-core machine: 8.1 s for a 5 s bound).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr double kEndSlackS = 10.0;
#else
constexpr double kEndSlackS = 2.0;
#endif

// No crash, clean exit, bounded memory, on time.
void expect_well_behaved(const Outcome& o, const Load& load) {
  EXPECT_FALSE(o.run.timed_out) << o.run.out;
  EXPECT_EQ(o.run.signal, 0) << o.run.out;
  EXPECT_EQ(o.run.exit_code, 0) << o.run.out;
  ASSERT_TRUE(o.report.is_object()) << "no JSON report; output:\n" << o.run.out;
  EXPECT_LT(o.run.peak_rss_kb, kRssBoundKb) << "peak RSS " << o.run.peak_rss_kb << " kB";
  EXPECT_LT(o.run.wall_s, load.duration_s + load.timeout_s + kEndSlackS) << o.run.out;
  EXPECT_EQ(o.counter("vusers.created"), load.arrivals) << o.errors();
  std::printf("[ measured ] %s: peak RSS %ld kB, wall %.2f s (limit %.0f s)\n",
              ::testing::UnitTest::GetInstance()->current_test_info()->name(), o.run.peak_rss_kb,
              o.run.wall_s, load.duration_s + load.timeout_s + kEndSlackS);
}

// Every arrival fails with errors.<name> and nothing else.
void expect_each_fails_with(const Outcome& o, const Load& load, const std::string& name) {
  expect_well_behaved(o, load);
  EXPECT_EQ(o.counter("errors." + name), load.arrivals) << o.errors();
  EXPECT_EQ(o.counter("vusers.failed"), load.arrivals) << o.errors();
  EXPECT_EQ(o.counter("vusers.completed"), 0) << o.errors();
}

class Faults : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()); }
  Outcome fails_with(const std::string& path, const std::string& name) {
    load_ = load_of(server_.url(), path);
    auto o = run_load(load_);
    expect_each_fails_with(o, load_, name);
    return o;
  }
  faults::FaultServer server_;
  Load load_;
};

TEST_F(Faults, SanityAWellBehavedPathCompletes) {
  load_ = load_of(server_.url(), "/ok");
  const auto o = run_load(load_);
  expect_well_behaved(o, load_);
  EXPECT_EQ(o.counter("http.codes.200"), load_.arrivals) << o.errors();
  EXPECT_EQ(o.counter("vusers.completed"), load_.arrivals) << o.errors();
}

TEST(FaultsRefused, ClosedPortIsEconnrefused) {
  const Load load = load_of("http://127.0.0.1:" + std::to_string(testing::closed_port()), "/");
  expect_each_fails_with(run_load(load), load, "ECONNREFUSED");
}

TEST_F(Faults, AcceptThenCloseIsEconnreset) {
  fails_with("/close", "ECONNRESET");
  EXPECT_GE(server_.accepted(), load_.arrivals);
}

TEST_F(Faults, ResetInHeadersIsEconnreset) { fails_with("/reset-headers", "ECONNRESET"); }

TEST_F(Faults, ResetInBodyIsEconnreset) { fails_with("/reset-body", "ECONNRESET"); }

TEST_F(Faults, TrickledHeadersTimeOut) { fails_with("/trickle", "ETIMEDOUT"); }

TEST_F(Faults, StallAfterHeadersTimesOut) { fails_with("/stall", "ETIMEDOUT"); }

TEST_F(Faults, HundredMegabyteBodyIsCountedNotBuffered) {
  // Two arrivals, a longer timeout: the point is memory, not speed (ASan
  // builds parse at a fraction of release speed).
  load_ = load_of(server_.url(), "/big");
  load_.arrivals = 2;
  load_.timeout_s = 20;
  const auto o = run_load(load_);
  expect_well_behaved(o, load_);
  EXPECT_EQ(o.counter("http.codes.200"), 2) << o.errors();
  EXPECT_EQ(o.counter("vusers.completed"), 2) << o.errors();
  EXPECT_GE(o.counter("http.downloaded_bytes"), 2 * (100 << 20));
}

TEST_F(Faults, MegabyteHeaderLineOverflows) { fails_with("/long-header", "HPE_HEADER_OVERFLOW"); }

TEST_F(Faults, TenThousandHeadersOverflow) { fails_with("/many-headers", "HPE_HEADER_OVERFLOW"); }

TEST_F(Faults, InvalidStatusLine) { fails_with("/bad-status", "HPE_INVALID_STATUS"); }

TEST_F(Faults, NegativeContentLength) {
  fails_with("/negative-length", "HPE_INVALID_CONTENT_LENGTH");
}

TEST_F(Faults, OverflowingContentLength) {
  fails_with("/overflow-length", "HPE_INVALID_CONTENT_LENGTH");
}

TEST_F(Faults, NonHexChunkSize) { fails_with("/bad-chunk", "HPE_INVALID_CHUNK_SIZE"); }

TEST_F(Faults, OverflowingChunkSize) { fails_with("/huge-chunk", "HPE_INVALID_CHUNK_SIZE"); }

TEST_F(Faults, BodyShorterThanContentLengthThenClose) {
  fails_with("/short-body", "HPE_INVALID_EOF_STATE");
}

TEST_F(Faults, Http09ResponseIsInvalidConstant) { fails_with("/http09", "HPE_INVALID_CONSTANT"); }

TEST_F(Faults, StormOfInformationalResponses) {
  fails_with("/info-storm", "HPE_TOO_MANY_INFORMATIONAL");
}

TEST_F(Faults, GzipBombStopsAtTheDecodeLimit) { fails_with("/gzip-bomb", "EBODYTOOLARGE"); }

TEST_F(Faults, GzipBodyLargerThanTheCaptureBufferIsNotAnError) {
  // Compressed, it is over the 1 MiB kept for captures: barrage does not try
  // to decode the cut prefix (which would look truncated, Z_BUF_ERROR).
  load_ = load_of(server_.url(), "/gzip-large");
  const auto o = run_load(load_);
  expect_well_behaved(o, load_);
  EXPECT_EQ(o.counter("http.codes.200"), load_.arrivals) << o.errors();
  EXPECT_EQ(o.counter("vusers.completed"), load_.arrivals) << o.errors();
}

TEST_F(Faults, RedirectLoopStopsAfterTenRedirects) {
  const auto o = fails_with("/redirect-loop", "ERR_TOO_MANY_REDIRECTS");
  // Like got (Artillery's HTTP client): 10 redirects followed, the 11th 302 is the error.
  EXPECT_EQ(o.counter("http.codes.302"), 11 * load_.arrivals) << o.errors();
}

TEST(FaultsTls, StalledHandshakeTimesOut) {
  faults::TlsFaultServer server(faults::TlsFaultServer::Mode::kStall);
  ASSERT_TRUE(server.ok()) << server.error();
  const Load load = load_of(server.url(), "/");
  expect_each_fails_with(run_load(load), load, "ETIMEDOUT");
}

TEST(FaultsTls, SelfSignedCertificate) {
  faults::TlsFaultServer server(faults::TlsFaultServer::Mode::kSelfSigned);
  ASSERT_TRUE(server.ok()) << server.error();
  const Load load = load_of(server.url(), "/");
  expect_each_fails_with(run_load(load), load, "DEPTH_ZERO_SELF_SIGNED_CERT");
}

TEST(FaultsTls, ExpiredCertificate) {
  faults::TlsFaultServer server(faults::TlsFaultServer::Mode::kExpired);
  ASSERT_TRUE(server.ok()) << server.error();
  // Trust the CA that signed it, so verification reaches the validity check.
  Load load = load_of(server.url(), "/");
  load.env = {"SSL_CERT_FILE=" + server.ca_file()};
  expect_each_fails_with(run_load(load), load, "CERT_HAS_EXPIRED");
}

}  // namespace
}  // namespace barrage

namespace barrage {
namespace {

// Lambda's limit: 1,024 descriptors, and more VUs than that. barrage keeps
// going, counts errors.EMFILE, says what to raise, and exits 0.
TEST(FaultsDescriptors, MoreVusThanA1024DescriptorLimit) {
  demo_target::TargetServer server(demo_target::TargetOptions{});
  if (auto started_ok = server.start(); !started_ok) FAIL() << started_ok.error().describe();
  const std::string dir = testing::make_temp_dir();
  testing::write_file(
      dir + "/fd.yml",
      "config:\n  target: http://127.0.0.1:" + std::to_string(server.port()) +
          "\n  http: { timeout: 2 }\n  phases:\n    - { duration: 1, vusers: 1500 }\n"
          "scenarios:\n  - flow:\n      - get: { url: /health }\n"
          "      - think: 0.5\n");
  const auto r = testing::run_measured(
      {kExe, "run", dir + "/fd.yml", "--cores", "1", "-o", dir + "/report.json"}, {}, 60, 1024);
  const auto report =
      nlohmann::json::parse(testing::read_file(dir + "/report.json"), nullptr, false);
  testing::run_command("rm -rf " + dir, 10);
  EXPECT_FALSE(r.timed_out) << r.out;
  EXPECT_EQ(r.signal, 0) << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("WARNING: out of file descriptors"), std::string::npos) << r.out;
  ASSERT_TRUE(report.is_object()) << r.out;
  const auto& c = report["aggregate"]["counters"];
  EXPECT_GT(c.value("errors.EMFILE", 0), 0) << c.dump();
  EXPECT_GT(c.value("http.codes.200", 0), 0) << c.dump();
  // duration + think + timeout + 2 s of drain allowance.
  EXPECT_LT(r.wall_s, 1 + 0.5 + 2 + 2.0) << r.out;
  EXPECT_LT(r.peak_rss_kb, kRssBoundKb) << "peak RSS " << r.peak_rss_kb << " kB";
  std::printf("[ measured ] MoreVusThanA1024DescriptorLimit: peak RSS %ld kB, wall %.2f s\n",
              r.peak_rss_kb, r.wall_s);
}

}  // namespace
}  // namespace barrage
